"""Hand-written SQL of the core, with bound parameters only: the two database roles (see
``gis_app.db_roles``: the privileges the owner gives the application's role, and what the
application's role may do at all) and advisory locks.

Role names are bound parameters; the server quotes them (``format('%I')``) into the
statements it hands back, which are then run as they are."""

from __future__ import annotations

from typing import Any, Final

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

# Tables the application may only read and append to (their partitions too).
APPEND_ONLY: Final = ("core_auditevent",)
# Tables the application may only read.
READ_ONLY: Final = ("django_migrations",)

# One GRANT per relation the connected (owner) role owns in public, by kind: tables and
# partitions get the DML the application needs (SELECT and INSERT only on the append-only
# and read-only ones), sequences USAGE and SELECT, the owner's SECURITY DEFINER functions
# EXECUTE (their migrations revoke it from PUBLIC). Then the same as default privileges, so
# that what later migrations and the owner's functions create is usable at once, and the
# revocations that keep the append-only tables append-only whatever was granted before.
GRANTS: Final = """
WITH owned AS (
    SELECT c.oid, c.relname, c.relkind,
           c.relname = ANY(%(append_only)s::text[])
           OR c.oid IN (SELECT tree.relid FROM unnest(%(append_only)s::text[]) AS a(name)
                        CROSS JOIN LATERAL pg_partition_tree(a.name::regclass) tree) AS append,
           c.relname = ANY(%(read_only)s::text[]) AS readonly
    FROM pg_class c
    WHERE c.relowner = current_user::regrole AND c.relnamespace = 'public'::regnamespace
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
)
SELECT step, statement FROM (
    SELECT 1 AS step, format('GRANT USAGE ON SCHEMA public TO %%I', %(role)s::text) AS statement
    UNION ALL
    SELECT 2, CASE
        WHEN relkind = 'S' THEN format('GRANT USAGE, SELECT ON SEQUENCE %%I TO %%I',
                                       relname, %(role)s::text)
        WHEN append THEN format('GRANT SELECT, INSERT ON %%I TO %%I', relname, %(role)s::text)
        WHEN readonly THEN format('GRANT SELECT ON %%I TO %%I', relname, %(role)s::text)
        ELSE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %%I TO %%I', relname, %(role)s::text)
    END FROM owned
    UNION ALL
    SELECT 3, format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %%I FROM %%I',
                     relname, %(role)s::text)
    FROM owned WHERE (append OR readonly) AND relkind <> 'S'
    UNION ALL
    SELECT 3, format('REVOKE INSERT ON %%I FROM %%I', relname, %(role)s::text)
    FROM owned WHERE readonly
    UNION ALL
    SELECT 4, format('GRANT EXECUTE ON FUNCTION %%s TO %%I', p.oid::regprocedure, %(role)s::text)
    FROM pg_proc p
    WHERE p.proowner = current_user::regrole AND p.prosecdef
      AND p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 5, format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                     'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %%I', %(role)s::text)
    UNION ALL
    SELECT 5, format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                     'GRANT USAGE, SELECT ON SEQUENCES TO %%I', %(role)s::text)
) s ORDER BY step
"""


def grant_statements(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    """The statements giving ``role`` the application's privileges on what the connected
    role owns (run by ``grant_app_role``)."""
    params: dict[str, Any] = {
        "role": role,
        "append_only": list(APPEND_ONLY),
        "read_only": list(READ_ONLY),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(t) IS NOT NULL FROM unnest(%s::text[]) t", [list(APPEND_ONLY)]
        )
        if not all(present for (present,) in cursor.fetchall()):
            return []  # not migrated far enough yet
        cursor.execute(GRANTS, params)
        return [statement for _step, statement in cursor.fetchall()]


def grant_app_role(connection: BaseDatabaseWrapper, role: str) -> int:
    """Give ``role`` (the application's) its privileges; idempotent. Returns how many
    statements ran."""
    statements = grant_statements(connection, role)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


# What the connected role could do that the application's role must not: be a superuser,
# own relations (and so ALTER them, disable their triggers), or create in schema public.
_EXCESS: Final = """
SELECT current_user, r.rolsuper,
       (SELECT count(*) FROM pg_class c
        WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace),
       has_schema_privilege('public', 'CREATE')
FROM pg_roles r WHERE r.rolname = current_user
"""


def excess_privileges(connection: BaseDatabaseWrapper) -> tuple[str, bool, int, bool]:
    """(role, is superuser, relations owned in public, may CREATE in public) of the
    connection's role."""
    with connection.cursor() as cursor:
        cursor.execute(_EXCESS)
        role, superuser, owned, create = cursor.fetchone()
    return str(role), bool(superuser), int(owned), bool(create)


def lock_for_transaction(namespace: str, key: str) -> None:
    """Wait for, then hold until the current transaction ends, PostgreSQL's advisory lock on
    ``namespace:key``: work under the same key is serialized across processes and
    connections. Call inside ``transaction.atomic()``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{namespace}:{key}"]
        )
