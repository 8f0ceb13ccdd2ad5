"""Notification texts: written once by the calling code, stored in every language of the
site, and free of personal data by construction.

A title or body is a plain string, a lazy translation, or ``localized(template, **params)``
(a lazy msgid with its parameters), rendered here once per language in ``LANGUAGES`` so
each reader sees it in their own and an email carries Chinese first, then English.

No personal data: notifications are built from codes, ids, counts and statuses, never from
what people typed (names, addresses, file names, comments); recipients are accounts and
never appear in a text or in a webhook's body. ``render`` enforces the part a machine can
check: a text with a phone number, an 18-character ID number or an email address is refused
(``InvalidInput`` naming the part), so nothing personal is stored, mailed or posted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gis_app.errors import InvalidInput

# A mainland mobile number, a GB 11643 citizen ID number, an email address.
PERSONAL_DATA: Final = re.compile(
    r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])|[^\s@]+@[^\s@]+\.\w+"
)
MAX_TITLE: Final = 200
MAX_BODY: Final = 4000


@dataclass(frozen=True)
class Localized:
    """A translatable template and its parameters, rendered per language."""

    template: str | Promise
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self) -> str:
        values = {k: str(v) for k, v in self.params.items()}  # lazy labels in this language
        text = str(self.template)
        return text % values if values else text


Text = str | Promise | Localized


def localized(template: str | Promise, **params: object) -> Localized:
    """``template`` (a ``gettext_lazy`` msgid with ``%(name)s`` placeholders) with ``params``."""
    return Localized(template, params)


def _one(text: Text) -> str:
    return text.render() if isinstance(text, Localized) else str(text)


def _check(value: str, part: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(
            _("The notification's %(part)s is longer than %(max)s characters.")
            % {"part": part, "max": limit},
            field=part,
        )
    if PERSONAL_DATA.search(value):
        raise InvalidInput(
            _(
                "A notification must not carry personal data (a phone number, an ID number "
                "or an email address); refer to the record by its number instead."
            ),
            field=part,
        )
    return value


def render(title: Text, body: Text) -> dict[str, dict[str, str]]:
    """``{language: {"title", "body"}}`` for every language of the site."""
    rendered: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = {"title": _one(title), "body": _one(body)}
    # checked in the caller's language, so an error reads in it
    for texts in rendered.values():
        texts["title"] = _check(texts["title"], "title", MAX_TITLE)
        texts["body"] = _check(texts["body"], "body", MAX_BODY)
        if not texts["title"]:
            raise InvalidInput(_("A notification needs a title."), field="title")
    return rendered


def in_order(texts: Mapping[str, Mapping[str, str]]) -> list[tuple[str, Mapping[str, str]]]:
    """The stored texts, the site's language first, each language once, identical ones
    (a text without translations) once."""
    ordered: list[tuple[str, Mapping[str, str]]] = []
    codes = [settings.LANGUAGE_CODE, *(c for c, _n in settings.LANGUAGES)]
    for code in dict.fromkeys(codes):
        if code in texts and all(texts[code] != seen for _c, seen in ordered):
            ordered.append((code, texts[code]))
    return ordered
