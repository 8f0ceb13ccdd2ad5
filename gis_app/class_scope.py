"""The component classes a grant may be limited to, as choices for the grant form. The
catalog registers a provider at start-up (``component_catalog.apps``): the access core
knows nothing of the catalog, and without a provider the scope is typed as codes."""

from __future__ import annotations

from collections.abc import Callable

#: ``[(major class label, [(code, label), ...]), ...]`` in the active language.
GroupedChoices = list[tuple[str, list[tuple[str, str]]]]

_provider: Callable[[], GroupedChoices] | None = None


def register(provider: Callable[[], GroupedChoices]) -> None:
    """Set the provider of the class choices (the catalog's, once)."""
    global _provider
    _provider = provider


def choices() -> GroupedChoices | None:
    """The grouped class choices, or None when no provider is registered."""
    return _provider() if _provider is not None else None
