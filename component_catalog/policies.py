"""Who sees and edits which components.

* Anyone sees in-use components of public classes (toilets, parking, shelters, trees ...).
* A grant covers components whose community lies in the grant's area subtree (a grant of
  a grid cell: the components of that cell, ``Grant.place_q``), narrowed:
  - by the grant's class codes, when it has any (a water surveyor: water classes), and
  - for organization-bound grants (maintainers), and for utility or property-management
    staff without class codes, to components their organization owns or maintains.
  A surveyor with class codes also covers, in their area, anything their organization owns
  or maintains ("their organization's classes or ownership"), but only for components that
  already exist: on creation the owner and maintainer are the creator's own claim, so the
  class must be one of the grant's classes.

Every write of a component (API create, update and batch, the survey page's offline sync,
imports) asks :func:`write_refusal` with the row's class, community, grid cell and
organizations (community and grid cell derived from the geometry before the check): see
:class:`WriteRules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gis_app import access
from gis_app.access import AccessPolicy, Action, Grant, manages_city_settings
from gis_app.models import Organization, OrganizationKind
from gis_app.types import User
from layers.models import Layer, LayerKind

ORGANIZATION_SCOPED_KINDS = {OrganizationKind.UTILITY, OrganizationKind.PROPERTY_MANAGEMENT}


def public_class_codes() -> QuerySet[Layer, Any]:
    """Codes of the classes whose layer is public in the layer registry (a subquery)."""
    return Layer.objects.filter(kind=LayerKind.COMPONENT, is_public=True, active=True).values(
        "source"
    )


def _ownership_only(grant: Grant) -> bool:
    return grant.organization_bound or (
        not grant.class_codes and grant.organization_kind in ORGANIZATION_SCOPED_KINDS
    )


class ComponentClassPolicy(AccessPolicy):
    """The catalog is public reading; it is a city-wide setting (schemas, default
    publicity), so changing it needs a city-level grant with ``MANAGE``."""

    def public_q(self) -> Q:
        return Q(active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action == Action.VIEW:
            return Q() if grant.allows(Action.MANAGE) else Q(pk__in=[])
        return Q() if manages_city_settings(grant) else Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if action == Action.VIEW:
            return grant.allows(Action.MANAGE)
        return manages_city_settings(grant)

    def applies(self, grant: Grant, action: Action) -> bool:
        return action == Action.VIEW or manages_city_settings(grant)


class ComponentPolicy(AccessPolicy):
    def public_q(self) -> Q:
        return Q(component_class_id__in=public_class_codes(), currency="in_use")

    def is_public(self, obj: Any) -> bool:
        return (
            obj.currency == "in_use"
            and public_class_codes().filter(source=obj.component_class_id).exists()
        )

    def scope_q(self, grant: Grant, action: Action) -> Q:
        area = grant.place_q("community__code", grid="grid_cell")
        owned = Q(owner_id=grant.organization_id) | Q(maintainer_id=grant.organization_id)
        if _ownership_only(grant):
            return area & owned
        if grant.class_codes:
            classes = Q(component_class_id__in=grant.class_codes)
            return area & (classes if action == Action.CREATE else classes | owned)
        return area

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if not grant.covers_place(obj.community_id, obj.grid_cell_id):
            return False
        owned = grant.organization_id in (obj.owner_id, obj.maintainer_id)
        if _ownership_only(grant):
            return owned
        if grant.class_codes:
            # A new row's ownership is what its creator claims: not a reason to let them in.
            return grant.covers_class(obj.component_class_id) or (owned and action != Action.CREATE)
        return True


# --- writes ------------------------------------------------------------------------------

ORGANIZATION_FIELDS = ("competent_department", "owner", "maintainer")


@dataclass(frozen=True)
class Row:
    """What a write decision looks at: a component's class, community, organizations
    (ids) and grid cell, before or after the write."""

    class_code: str
    community: str | None
    competent_department: int | None
    owner: int | None
    maintainer: int | None
    currency: str = "in_use"
    grid_cell: str | None = None  # None: outside every cell (a cell grant covers nothing)

    @classmethod
    def of(cls, component: Any) -> Row:
        return cls(
            component.component_class_id,
            component.community_id,
            component.competent_department_id,
            component.owner_id,
            component.maintainer_id,
            component.currency,
            component.grid_cell_id,
        )

    def organization(self, name: str) -> int | None:
        value: int | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class WriteRefusal:
    """Why a write is refused: the field at fault (``geometry`` for the area,
    ``properties.class``, ``properties.owner`` ...; None when the user may not write
    components at all) and a message for the user."""

    field: str | None
    message: str


class WriteRules:
    """The one rule for every write of a component, for one user (grants and organization
    kinds are looked up once; an import or a batch asks many times).

    A write is allowed when one of the user's grants that allows the action

    1. covers the row's community, or for a grant of a grid cell the row's grid cell
       (area scope, ``Grant.covers_place``; the field at fault is ``geometry``);
    2. lets the row's competent department, owner and maintainer be what the write makes
       them (``properties.<name>``). Changing one on an existing component needs a grant
       that allows ``MANAGE`` (an administrator of the area), as before. A new component
       names all three: an administrator may name any organization; anyone else may name
       their own organization or a government body as competent department, and as owner
       and maintainer their own organization, or, for staff of a government body, also
       other government bodies (a community worker recording a toilet of the district's
       bureau). A company speaks only for itself: a water surveyor cannot make the gas
       company the owner or maintainer of what they record;
    3. covers the row's class (``properties.class``): a grant with class codes covers its
       classes, and for an existing component also what its organization owned or
       maintained before the write; an organization-bound grant covers what its
       organization owns or maintains.

    Superusers may do anything. ``action`` is ``CREATE`` (no ``current``) or ``CHANGE``.
    """

    def __init__(self, user: User) -> None:
        self.user = user
        self.superuser = access.is_superuser(user)
        self._kinds: dict[int, str] = {}
        self._cache: dict[tuple[Any, ...], WriteRefusal | None] = {}

    def _kind(self, organization: int | None) -> str:
        if organization is None:
            return ""
        if organization not in self._kinds:
            kind = Organization.objects.filter(pk=organization).values_list("kind", flat=True)
            self._kinds[organization] = kind.first() or ""
        return self._kinds[organization]

    def _may_name(self, grant: Grant, name: str, organization: int | None) -> bool:
        if organization is None or organization == grant.organization_id:
            return True
        public_body = self._kind(organization) == OrganizationKind.GOVERNMENT
        if name == "competent_department":
            return public_body  # always a government department, whoever records it
        return public_body and grant.organization_kind == OrganizationKind.GOVERNMENT

    def _check(self, grant: Grant, new: Row, current: Row | None) -> WriteRefusal | None:
        if not grant.covers_place(new.community, new.grid_cell):
            if grant.grid_cell is not None:
                return WriteRefusal(
                    "geometry",
                    _(
                        "You may not create or change components in grid cell %(cell)s: it "
                        "is outside your grid cell %(own)s."
                    )
                    % {"cell": new.grid_cell or "-", "own": grant.grid_cell},
                )
            return WriteRefusal(
                "geometry",
                _(
                    "You may not create or change components in community %(area)s: it is "
                    "outside your area."
                )
                % {"area": new.community or "-"},
            )
        admin = grant.allows(Action.MANAGE)
        for name in ORGANIZATION_FIELDS:
            value = new.organization(name)
            if admin or (current is not None and value == current.organization(name)):
                continue
            if current is not None:
                return WriteRefusal(
                    f"properties.{name}",
                    _(
                        "Changing the competent department, owner or maintainer needs an "
                        "administrator of this area."
                    ),
                )
            if not self._may_name(grant, name, value):
                return WriteRefusal(
                    f"properties.{name}",
                    _(
                        "properties.%(name)s: you may not name that organization; a new "
                        "component's %(name)s is your own organization unless an "
                        "administrator of the area sets it."
                    )
                    % {"name": name},
                )
        owners = (current or new).owner, (current or new).maintainer
        owned = grant.organization_id in owners
        if _ownership_only(grant):
            covered = owned
        elif grant.class_codes:
            covered = grant.covers_class(new.class_code) or (owned and current is not None)
        else:
            covered = True
        if not covered:
            return WriteRefusal(
                "properties.class",
                _("properties.class: you may not create or change components of class %(code)s.")
                % {"code": new.class_code},
            )
        return None

    def refusal(self, action: Action, new: Row, current: Row | None = None) -> WriteRefusal | None:
        """None if the user may write ``new`` (from ``current``, for a change); else why
        not, for the grant that came closest (area, then organizations, then class)."""
        if self.superuser:
            return None
        key = (action, new, current)
        if key in self._cache:
            return self._cache[key]
        order = {
            "": -1,
            "geometry": 0,
            **{f"properties.{name}": 1 + n for n, name in enumerate(ORGANIZATION_FIELDS)},
            "properties.class": 1 + len(ORGANIZATION_FIELDS),
        }
        found: WriteRefusal | None = WriteRefusal(
            None, _("You may not create or change components.")
        )
        best = -1
        for grant in access.grants(self.user):
            if not grant.allows(action):
                continue
            refusal = self._check(grant, new, current)
            if refusal is None:
                found = None
                break
            rank = order[refusal.field or ""]
            if rank > best:
                best, found = rank, refusal
        self._cache[key] = found
        return found


def write_refusal(
    user: User, action: Action, new: Row, current: Row | None = None
) -> WriteRefusal | None:
    """:meth:`WriteRules.refusal` for one question."""
    return WriteRules(user).refusal(action, new, current)
