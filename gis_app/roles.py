"""Roles and what each role may do. The access module combines these with area scope."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    SURVEYOR = "surveyor", _("Surveyor")
    MAINTAINER = "maintainer", _("Maintainer")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    STREET_ADMIN = "street_admin", _("Street administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    CITY_ADMIN = "city_admin", _("City administrator")
    PLANNER = "planner", _("Planner")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"
    RETIRE = "retire"
    DELETE = "delete"  # hard delete: admins only, always audited
    MANAGE = "manage"  # organizations, memberships, layers, stewardship
    REPORT = "report"
    VIEW_AUDIT = "view_audit"
    VIEW_PERSONAL = "view_personal"  # unmasked personal data, audited


_EDIT = {Action.VIEW, Action.CREATE, Action.CHANGE}
_ADMIN = _EDIT | {Action.RETIRE, Action.MANAGE, Action.REPORT, Action.VIEW_PERSONAL}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.RESIDENT: frozenset({Action.VIEW}),
    Role.SURVEYOR: frozenset(_EDIT | {Action.RETIRE}),
    Role.MAINTAINER: frozenset({Action.VIEW, Action.CHANGE}),
    Role.COMMUNITY_WORKER: frozenset(_EDIT | {Action.RETIRE, Action.REPORT, Action.VIEW_PERSONAL}),
    # 网格员: patrols its grid cells and records what it finds (no retiring, no personal data)
    Role.GRID_WORKER: frozenset(_EDIT),
    Role.STREET_ADMIN: frozenset(_ADMIN),
    Role.DISTRICT_ADMIN: frozenset(_ADMIN | {Action.DELETE}),
    Role.CITY_ADMIN: frozenset(_ADMIN | {Action.DELETE}),
    Role.PLANNER: frozenset({Action.VIEW, Action.REPORT}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.REPORT, Action.VIEW_AUDIT}),
    Role.SYSTEM_ADMIN: frozenset(set(Action)),
}

# The admin-area level a role's scope must be at (None: any level).
# "grid": the membership names a grid cell (its area is then the cell's community).
ROLE_AREA_LEVEL: dict[str, str | None] = {
    Role.GRID_WORKER: "grid",
    Role.COMMUNITY_WORKER: "community",
    Role.STREET_ADMIN: "street",
    Role.DISTRICT_ADMIN: "district",
    Role.CITY_ADMIN: "city",
}

# Roles a membership may narrow to one grid cell: the grid worker (always) and the field
# roles that neither manage nor report (a surveyor or maintainer assigned to one cell).
# The others work on whole areas: a cell would only hide their reports and grants.
GRID_CELL_ROLES = frozenset({Role.GRID_WORKER, Role.SURVEYOR, Role.MAINTAINER, Role.RESIDENT})

# Roles whose scope is narrowed to what their organization owns or maintains.
ORGANIZATION_BOUND_ROLES = frozenset({Role.MAINTAINER})

# Which roles a grant of each role may give (create or change memberships with). A grant
# never gives a role above its own: the roles below it in the area hierarchy and the
# read-only or field roles whose actions it holds itself. The auditor reads the whole
# audit log, so only a system administrator appoints one.
_FIELD_ROLES = {Role.RESIDENT, Role.SURVEYOR, Role.MAINTAINER, Role.PLANNER, Role.GRID_WORKER}
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(Role.values),
    Role.CITY_ADMIN: frozenset(
        _FIELD_ROLES | {Role.COMMUNITY_WORKER, Role.STREET_ADMIN, Role.DISTRICT_ADMIN}
    ),
    Role.DISTRICT_ADMIN: frozenset(_FIELD_ROLES | {Role.COMMUNITY_WORKER, Role.STREET_ADMIN}),
    Role.STREET_ADMIN: frozenset(_FIELD_ROLES | {Role.COMMUNITY_WORKER}),
}


def may_grant(granter_role: str, role: str) -> bool:
    """May a grant of ``granter_role`` give ``role``? Never a role whose actions it lacks."""
    if role not in GRANTABLE_ROLES.get(granter_role, frozenset()):
        return False
    return ROLE_ACTIONS.get(role, frozenset()) <= ROLE_ACTIONS.get(granter_role, frozenset())
