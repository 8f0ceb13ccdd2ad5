"""The access module: the one place that answers

* ``can(user, action, obj)``: may this user do this action on this object?
* ``visible(user, queryset)``: which rows of this queryset may this user see?

Every entry point (REST API, OGC API, tiles, exports, reports, admin, UI) asks it.
A user's power is the union of their active memberships (grants); each grant is
role x area subtree (or one grid cell) x optional component-class scope x (for
organization-bound roles) the organization. What a grant's place covers (an area subtree,
or a grid cell) is answered by ``Grant.place_q`` and ``Grant.covers_place`` alone. How a
grant applies to a model is that model's ``AccessPolicy``, registered by the model's app
in ``AppConfig.ready``. Hidden objects must answer 404, never 403, so callers use
``get_visible`` which raises ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q

from gis_app import areacodes
from gis_app.errors import NotAuthenticated, NotFound, PermissionDenied
from gis_app.roles import ORGANIZATION_BOUND_ROLES, ROLE_ACTIONS, Action
from gis_app.types import User

M = TypeVar("M", bound=models.Model)
QS = TypeVar("QS", bound=models.QuerySet[Any])


NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Grant:
    """One active membership, reduced to what access decisions need.

    ``area_code`` is the membership's area, or its grid cell's code (15 digits) when the
    membership is scoped to a grid cell. A cell code is the prefix of no community, so a
    comparison of community codes with ``area_prefix``/``covers_area`` covers nothing for
    a cell grant: what a cell covers is asked through ``place_q``/``covers_place``."""

    role: str
    area_code: str
    organization_id: int
    organization_kind: str
    class_codes: tuple[str, ...]

    @property
    def area_prefix(self) -> str:
        return areacodes.prefix_of(self.area_code)

    @property
    def grid_cell(self) -> str | None:
        """The grid cell the grant is scoped to, if it is."""
        return self.area_code if len(self.area_code) == GRID_CODE_LENGTH else None

    @property
    def organization_bound(self) -> bool:
        return self.role in ORGANIZATION_BOUND_ROLES

    def allows(self, action: Action) -> bool:
        return action in ROLE_ACTIONS.get(self.role, frozenset())

    def covers_area(self, code: str | None) -> bool:
        """Is the area ``code`` (a city ... community, or a grid cell) inside the grant's
        area subtree? A cell grant covers its own cell's code and no area."""
        return bool(code) and areacodes.contains(self.area_code, code or "")

    def covers_class(self, class_code: str | None) -> bool:
        return not self.class_codes or class_code in self.class_codes

    def place_q(self, community: str, grid: str | None = None, geometry: str | None = None) -> Q:
        """Rows whose place is within the grant: ``community`` is the lookup path of the
        row's community code (``community_id``, ``component__community_id``), ``grid`` that
        of its grid cell code when the model has one, ``geometry`` that of its geometry.

        An area grant covers the rows whose community lies in its subtree. A cell grant
        covers the rows of its cell (``grid``); for a model without a grid cell, the rows
        of the cell's community whose geometry meets the cell's boundary; for a model with
        neither, nothing."""
        cell = self.grid_cell
        if cell is None:
            return Q(**{f"{community}__startswith": self.area_prefix})
        if grid is not None:
            return Q(**{grid: cell})
        if geometry is not None:
            inside = _grid_cells().filter(code=cell, boundary__intersects=OuterRef(geometry))
            return Q(**{community: cell[:COMMUNITY_CODE_LENGTH]}) & Q(Exists(inside))
        return NOTHING

    def covers_place(
        self, community: str | None, grid_cell: str | None = None, geometry: Any = None
    ) -> bool:
        """Is a row with this community, grid cell and geometry within the grant (the
        same rule as ``place_q``, for one row in memory)? For a cell grant the row's grid
        cell decides when it has one, else its geometry."""
        cell = self.grid_cell
        if cell is None:
            return self.covers_area(community)
        if grid_cell:
            return grid_cell == cell
        if geometry is None or community != cell[:COMMUNITY_CODE_LENGTH]:
            return False
        return bool(_grid_cells().filter(code=cell, boundary__intersects=geometry).exists())

    @property
    def city_wide(self) -> bool:
        """A grant at city level: the only kind that may change city-wide settings (the
        layer registry, the component catalog, raster layers)."""
        return areacodes.level_of(self.area_code) == "city"


GRID_CODE_LENGTH = areacodes.LEVEL_CODE_LENGTH["grid"]
COMMUNITY_CODE_LENGTH = areacodes.LEVEL_CODE_LENGTH["community"]


def _grid_cells() -> models.QuerySet[Any]:
    """Grid cells, looked up by name: the cell model lives in ``layers``, above this app."""
    return apps.get_model("layers", "GridCell").objects.all()


class AccessPolicy:
    """How grants apply to one model. Subclasses override what differs from
    'nothing is public, nothing is in anyone's scope'."""

    def public_q(self) -> Q:
        """Rows anyone, anonymous included, may view."""
        return Q(pk__in=[])

    def is_public(self, obj: Any) -> bool:
        return False

    def scope_q(self, grant: Grant, action: Action) -> Q:
        """Rows within the grant's scope for the action."""
        return Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return False

    def applies(self, grant: Grant, action: Action) -> bool:
        """Can the grant do ``action`` on some row of this model at all (e.g. to offer an
        "add" button)? Policies of city-wide settings narrow this to city-level grants."""
        return True


def manages_city_settings(grant: Grant) -> bool:
    """City-wide settings (layer registry, component catalog, raster layers) are changed
    only through a city-level grant that may manage."""
    return grant.allows(Action.MANAGE) and grant.city_wide


_policies: dict[type[models.Model], AccessPolicy] = {}


def register(model: type[models.Model], policy: AccessPolicy) -> None:
    _policies[model] = policy


def policy_for(model: type[models.Model]) -> AccessPolicy:
    try:
        return _policies[model]
    except KeyError:
        raise LookupError(f"no access policy registered for {model.__name__}") from None


def grants(user: User) -> tuple[Grant, ...]:
    """The user's active grants, loaded once per user object (that is, per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    cached = getattr(user, "_access_grants", None)
    if cached is None:
        from gis_app.models import Membership

        rows = Membership.objects.filter(
            user=user, active=True, organization__active=True
        ).values_list(
            "role",
            "area_id",
            "grid_cell_id",
            "organization_id",
            "organization__kind",
            "class_codes",
        )
        # a membership scoped to a grid cell is a grant of that cell (see ``Grant``)
        cached = tuple(
            Grant(role, str(cell or area), org, kind, tuple(codes or ()))
            for role, area, cell, org, kind, codes in rows
        )
        user._access_grants = cached  # type: ignore[union-attr,attr-defined]  # a cache
    return cached


def forget_grants(user: User) -> None:
    """Drop the cached grants after the user's memberships changed."""
    if hasattr(user, "_access_grants"):
        del user._access_grants


def is_superuser(user: User) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def can(user: User, action: Action, obj: Any) -> bool:
    """May ``user`` do ``action`` on ``obj``?"""
    if is_superuser(user):
        return True
    policy = policy_for(type(obj))
    if action == Action.VIEW and policy.is_public(obj):
        return True
    return any(g.allows(action) and policy.in_scope(g, action, obj) for g in grants(user))


def can_anywhere(user: User, action: Action, model: type[models.Model] | None = None) -> bool:
    """Does any of the user's grants allow ``action`` at all (e.g. to show a menu)? With
    ``model``, on some row of that model (its policy may narrow which grants apply)."""
    if is_superuser(user):
        return True
    policy = policy_for(model) if model is not None else None
    return any(
        g.allows(action) and (policy is None or policy.applies(g, action)) for g in grants(user)
    )


def visible(user: User, queryset: QS, action: Action = Action.VIEW) -> QS:
    """The rows of ``queryset`` the user may see (or, with ``action``, act on)."""
    if is_superuser(user):
        return queryset
    policy = policy_for(queryset.model)
    parts = [policy.public_q()] if action == Action.VIEW else []
    parts += [policy.scope_q(grant, action) for grant in grants(user) if grant.allows(action)]
    # An empty Q() means "every row"; Django would drop it from an OR, so test for it.
    if any(not part for part in parts):
        return queryset
    condition = Q(pk__in=[])
    for part in parts:
        condition |= part
    return queryset.filter(condition)


def get_visible(user: User, queryset: models.QuerySet[M], **lookup: Any) -> M:
    """One visible row, or ``NotFound`` whether it is missing or hidden (no existence leak)."""
    try:
        return visible(user, queryset).get(**lookup)
    except ObjectDoesNotExist:
        raise NotFound() from None


# Actions that change data (a role with none of them only reads).
EDIT_ACTIONS = (Action.CREATE, Action.CHANGE, Action.RETIRE, Action.DELETE)


def require_any(
    user: User, *actions: Action, audit_as: str = "", address: str | None = None
) -> None:
    """Refuse (``NotAuthenticated`` 401, ``PermissionDenied`` 403) a caller none of whose
    grants allows any of ``actions`` anywhere. Write endpoints ask this before reading the
    body, so read-only roles are refused whatever they send; the service then checks
    each object with ``can``. A refusal of a logged-in user is audited as ``audit_as``."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated()
    wanted = actions or EDIT_ACTIONS
    if any(can_anywhere(user, action) for action in wanted):
        return
    if audit_as:
        from gis_app import audit
        from gis_app.models import AuditResult

        audit.record(
            audit_as,
            actor=user,
            result=AuditResult.DENIED,
            address=address,
            detail={"reason": "permission_denied", "needs": [str(a) for a in wanted]},
        )
    raise PermissionDenied()
