"""Page extensions: how an app adds to the map pages without editing ``map_ui``.

An app above ``map_ui`` (a ``community/<app>``) registers a :class:`PageExtension` in its
``AppConfig.ready()``. On each page it names (:data:`RESIDENT` ``/``, :data:`MAP`
``/map/``, :data:`SURVEY` ``/survey/``, or any page that asks :func:`for_page` for its name)
the extension adds

* its script and style files, loaded after the page's own (``scripts``, ``styles``:
  static paths; the script starts from ``SCMap.onReady`` and reads its configuration from
  ``ctl.config.extra[key]``);
* its configuration for that page (``config(page, request)``; ``None`` leaves the page
  without the extension, e.g. for a visitor it has nothing for);
* links in the page's panel (``links``: the residents' finder lists them in its footer).

On a facility's page (:data:`FACILITY`, ``/facilities/<id>/``) an extension may add a
section about that facility (``facility(user, component)`` returns a
:class:`FacilitySection`, or ``None`` for facilities it knows nothing about).

Extensions are kept in registration order within the same ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import Promise

from gis_app.registry import Registry
from gis_app.types import User

if TYPE_CHECKING:
    from component_catalog.models import Component

RESIDENT = "resident"  # /: the residents' finder
MAP = "map"  # /map/: the common map with every layer
FACILITY = "facility"  # /facilities/<id>/: one facility (sections, see FacilitySection)
SURVEY = "survey"  # /survey/: the surveyors' editor (its files join the offline shell)


@dataclass(frozen=True)
class Link:
    """A link an extension adds to a page's panel."""

    url_name: str
    label: str | Promise


@dataclass(frozen=True)
class FacilitySection:
    """What an extension shows on one facility's page: a template included after the
    facility's map (given ``section``: this object), its own context, and what its script
    (``scripts``, loaded only when the section is shown) reads from ``extra[key]``."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageExtension:
    """An app's addition to the map pages (see the module's docstring)."""

    key: str  # its identity, and its configuration's key in the page's ``extra``
    pages: frozenset[str] = frozenset()
    scripts: tuple[str, ...] = ()  # static paths, e.g. "parking/parking.js"
    styles: tuple[str, ...] = ()
    config: Callable[[str, HttpRequest], dict[str, Any] | None] | None = None
    links: tuple[Link, ...] = ()
    facility: Callable[[User, Component], FacilitySection | None] | None = None
    order: int = 100


@dataclass
class Contribution:
    """What the extensions add to one page: static URLs, ``extra`` configuration, links."""

    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)


_EXTENSIONS: Registry[PageExtension] = Registry(key=lambda e: e.key, order=lambda e: e.order)
#: Add (or replace, by ``key``) an extension; called from ``AppConfig.ready()``.
register = _EXTENSIONS.register
#: Remove the extension ``key`` (if registered).
unregister = _EXTENSIONS.unregister
#: The extension registered for a block only (tests).
registered = _EXTENSIONS.registered
#: The registered extensions, in order.
extensions = _EXTENSIONS.entries


def for_page(page: str, request: HttpRequest) -> Contribution:
    """What the extensions registered for ``page`` add to it for this request."""
    found = Contribution()
    for extension in _EXTENSIONS.entries():
        if page not in extension.pages:
            continue
        config = extension.config(page, request) if extension.config else {}
        if config is None:
            continue
        found.scripts.extend(static(path) for path in extension.scripts)
        found.styles.extend(static(path) for path in extension.styles)
        if extension.config:
            found.extra[extension.key] = config
        found.links.extend(
            {"url": reverse(link.url_name), "label": link.label} for link in extension.links
        )
    return found


def static_files(page: str) -> list[str]:
    """The static paths of every extension registered for ``page``, whatever the request
    (e.g. for an offline shell that stores them in advance)."""
    return [
        path
        for extension in _EXTENSIONS.entries()
        if page in extension.pages
        for path in (*extension.scripts, *extension.styles)
    ]


@dataclass
class FacilityContribution:
    """The sections of one facility's page and what they add to its map configuration."""

    sections: list[FacilitySection] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def for_facility(user: User, component: Component) -> FacilityContribution:
    """The extensions' sections about ``component`` on its page, for ``user``."""
    found = FacilityContribution()
    for extension in _EXTENSIONS.entries():
        section = extension.facility(user, component) if extension.facility else None
        if section is None:
            continue
        found.sections.append(section)
        found.scripts.extend(static(path) for path in section.scripts)
        found.styles.extend(static(path) for path in section.styles)
        if section.config is not None:
            found.extra[extension.key] = section.config
    return found
