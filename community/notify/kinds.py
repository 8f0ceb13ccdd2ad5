"""The kinds of notification: each app that sends one registers its code and a label
(``AppConfig.ready``), so the inbox and webhook subscriptions can name and filter them."""

from __future__ import annotations

from django.utils.functional import Promise

_KINDS: dict[str, str | Promise] = {}


def register(code: str, label: str | Promise) -> None:
    _KINDS[code] = label


def label(code: str) -> str | Promise:
    """The label of a registered kind (``LookupError`` for an unknown one: a bug)."""
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"notification kind {code!r} is not registered") from None


def choices() -> list[tuple[str, str | Promise]]:
    return sorted(_KINDS.items())
