"""Two database roles (DESIGN.md section 10): the owner owns the schema and runs the
migrations; the web and worker processes connect as the application's role, which owns
nothing, may not create anything in schema public, changes rows only through DML and may
only read and append to the audit log. So no code path of the application -- nor an SQL
injection -- can disable the audit log's triggers, alter a table or rewrite history.

``settings.DATABASES["default"]`` is the application's connection (DATABASE_URL);
``settings.DATABASE_OWNER`` the owner's credentials (DATABASE_OWNER_URL, or the local
cluster's owner), used by ``as_owner``: by ``manage.py migrate`` (which then grants the
application's role its privileges) and by the test database's creation. The few schema
changes made at run time (an import loaded as a partition, a month's parking partition)
go through narrow SECURITY DEFINER functions that the owner's migrations create.

Without an owner (DATABASE_URL only) one role does both, as before; ``manage.py check``
warns (``core.W001``) when the connection's role could undo the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections

from gis_app import sql

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
# The application's credentials while ``as_owner`` has replaced them.
_swapped: dict[str, dict[str, Any]] = {}


def owner_credentials() -> dict[str, Any] | None:
    """The owner's USER, PASSWORD, HOST and PORT, if configured."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    return dict(owner) if owner else None


def app_role() -> str | None:
    """The application's role, when an owner distinct from it is configured."""
    owner = owner_credentials()
    user = _swapped.get("default", settings.DATABASES["default"]).get("USER")
    if owner is None or not user or owner["USER"] == user:
        return None
    return str(user)


@contextmanager
def as_owner(alias: str = "default") -> Iterator[None]:
    """Connect ``alias`` as the owner inside the block (no-op without an owner, or when it
    already does); the application's credentials come back afterwards. The connection is
    closed on the way in and out: no transaction may span the switch."""
    owner = owner_credentials()
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    if alias != "default" or owner is None or saved == owner:
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("as_owner() would end the open transaction")
    connection.close()
    connection.settings_dict.update(owner)
    _swapped[alias] = saved
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        del _swapped[alias]


def grant_app_role(alias: str = "default") -> int:
    """As the owner, give the application's role its privileges on everything the owner
    owns, and the same as default privileges for what it creates later. Idempotent;
    returns the number of statements run (0 without a distinct application role)."""
    role = app_role()
    if role is None:
        return 0
    with as_owner(alias):
        return sql.grant_app_role(connections[alias], role)


@checks.register(checks.Tags.security, checks.Tags.database)
def check_app_role(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """core.W001: the application connects as a role that could rewrite the audit log.
    Runs with ``manage.py check`` (not only with ``--database``); silent when the
    database cannot be reached (``check_database`` reports that)."""
    try:
        role, superuser, owned, create = sql.excess_privileges(connections["default"])
    except DatabaseError:
        return []
    finally:
        connections["default"].close()
    problems = []
    if superuser:
        problems.append("is a superuser")
    if owned:
        problems.append(f"owns {owned} tables or sequences in schema public")
    if create:
        problems.append("may create tables in schema public")
    if not problems:
        return []
    return [
        checks.Warning(
            f"the application connects to the database as {role!r}, which "
            + " and ".join(problems)
            + ": it could disable the audit log's triggers and rewrite it.",
            hint="Set DATABASE_URL to a role that owns nothing and DATABASE_OWNER_URL to the "
            "owner, for migrations only (README: Database roles).",
            id="core.W001",
        )
    ]
