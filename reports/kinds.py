"""The report kinds: one registry that the reports page, the report API, the exports and
the background export jobs all read.

A kind is its ``code`` (the URL segment ``/api/v1/reports/<code>/``), a ``title`` (lazy
text), a ``build(user, request, scope) -> Report`` function, the query parameters of its
own it reads among the shared ones (``classes``, ``n``, ``months``, ``as_of``: the page
shows their fields for this kind), the export formats it offers, and who may see it
(``may_see(user)``; ``None``: everyone who may report somewhere). A user who may not see a
kind gets the answer of an unknown one (404). The platform's own kinds are registered by
``reports.apps``; an app above ``reports`` (a ``community/<app>``) registers its kind in its
``AppConfig.ready()``. Kinds are listed by ``order``, then in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gis_app.errors import NotFound
from gis_app.registry import Registry
from gis_app.types import User

if TYPE_CHECKING:
    from reports.model import Report
    from reports.params import ReportRequest
    from reports.scope import Scope

Builder = Callable[["User", "ReportRequest", "Scope"], "Report"]

#: The per-kind query parameters a kind may read (parsed for every kind by ``params``).
PARAMETERS = ("classes", "n", "months", "as_of")
#: Every export format (``reports.exports``).
ALL_FORMATS = ("csv", "xlsx", "gpkg", "pdf")


@dataclass(frozen=True)
class ReportKind:
    """One kind of report (see the module's docstring)."""

    code: str
    title: str | Promise
    build: Builder
    params: tuple[str, ...] = ()
    formats: tuple[str, ...] = ALL_FORMATS
    may_see: Callable[[User], bool] | None = None
    order: int = 100

    def __post_init__(self) -> None:
        unknown = set(self.params) - set(PARAMETERS)
        if unknown:
            raise ValueError(f"report kind {self.code}: unknown parameters {sorted(unknown)}")
        if not set(self.formats) <= set(ALL_FORMATS) or not self.formats:
            raise ValueError(f"report kind {self.code}: formats must be among {ALL_FORMATS}")

    def visible_to(self, user: User) -> bool:
        return self.may_see is None or bool(self.may_see(user))


_KINDS: Registry[ReportKind] = Registry(key=lambda k: k.code, order=lambda k: k.order)
#: Add (or replace, by ``code``) a report kind; called from ``AppConfig.ready()``.
register = _KINDS.register
#: Remove the kind ``code`` (if registered).
unregister = _KINDS.unregister
#: The kind registered for a block only (tests).
registered = _KINDS.registered
#: Every registered kind, in order.
all_kinds = _KINDS.entries


def visible(user: User) -> list[ReportKind]:
    """The kinds the user may see, in order."""
    return [k for k in _KINDS.entries() if k.visible_to(user)]


def _unknown(code: str, offered: list[ReportKind]) -> NotFound:
    return NotFound(
        _("Unknown report %(kind)r; reports are %(kinds)s.")
        % {"kind": code[:40], "kinds": ", ".join(k.code for k in offered)},
        field="kind",
    )


def get(code: str, user: User | None = None) -> ReportKind:
    """The kind ``code`` (404 naming ``kind`` when there is none, or, given a ``user``,
    when that user may not see it)."""
    offered = all_kinds() if user is None else visible(user)
    for kind in offered:
        if kind.code == code:
            return kind
    raise _unknown(code, offered)


def parameter_kinds(user: User) -> dict[str, str]:
    """Per shared parameter, the codes of the kinds (visible to ``user``) that read it,
    separated by spaces (the page shows a parameter's field for those kinds)."""
    return {
        name: " ".join(k.code for k in visible(user) if name in k.params) for name in PARAMETERS
    }
