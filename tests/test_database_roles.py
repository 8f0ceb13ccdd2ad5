"""The application's database role owns nothing (DESIGN.md section 10): connected as the
role the web and worker processes use, an attacker with SQL of their own (an injection)
can neither rewrite the audit log nor change the schema, while the application's own
work -- components, audit events, imports loaded as partitions, parking partitions --
goes through. The whole suite runs as that role (tests/conftest.py), so every other test
shows it suffices; these tests show what it may not do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import errors, sql

from component_catalog.models import Component
from gis_app.models import AuditEvent
from tests.components_helpers import Api, manhole

pytestmark = pytest.mark.django_db

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def connect(credentials: dict[str, Any]) -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=credentials["USER"],
        password=credentials["PASSWORD"],
        host=credentials["HOST"] or "127.0.0.1",
        port=credentials["PORT"] or 5432,
        autocommit=False,
    )


@pytest.fixture
def app_conn() -> Iterator[psycopg.Connection[Any]]:
    """A real connection as the tests' (the application's) role; rolled back at the end,
    in case something it must not do went through."""
    conn = connect(connection.settings_dict)
    conn.execute("SELECT 1")  # an open transaction: each statement below in a savepoint
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def refused(conn: psycopg.Connection[Any], statement: str | sql.Composable) -> bool:
    """Run ``statement`` in a savepoint: True if the server refused it for lack of rights."""
    try:
        with conn.transaction():
            conn.execute(statement)
    except errors.InsufficientPrivilege as exc:
        return "permission denied" in str(exc) or "must be owner" in str(exc)
    return False


def test_the_application_role_owns_nothing_and_is_not_superuser(app_conn):
    role, superuser, owned, create_public, create_db = app_conn.execute(
        "SELECT current_user, rolsuper, "
        "(SELECT count(*) FROM pg_class WHERE relowner = r.oid), "
        "has_schema_privilege('public', 'CREATE'), "
        "has_database_privilege(current_database(), 'CREATE') "
        "FROM pg_roles r WHERE rolname = current_user"
    ).fetchone()
    assert (superuser, owned, create_public, create_db) == (False, 0, False, False), role


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET action = 'forged'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent",
        "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_update_delete",
        "DROP TRIGGER core_auditevent_no_update_delete ON core_auditevent",
        "DROP TRIGGER core_auditevent_no_truncate ON core_auditevent",
        "CREATE OR REPLACE FUNCTION core_auditevent_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "DROP TABLE core_auditevent",
        "ALTER TABLE core_auditevent RENAME TO core_auditevent_old",
        "CREATE TABLE public.core_auditevent_copy (id bigint)",
        "CREATE TABLE core_auditevent_copy AS SELECT * FROM core_auditevent",
        "CREATE SCHEMA attacker",
        "CREATE VIEW core_auditevent_view AS SELECT * FROM core_auditevent",
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    ],
)
def test_the_audit_log_and_schema_are_out_of_the_application_roles_reach(app_conn, statement):
    # refused for lack of rights, whether or not a row would be touched
    assert refused(app_conn, statement), statement


def test_no_project_table_can_be_altered_by_the_application_role(app_conn):
    tables = [
        name
        for (name,) in app_conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind IN ('r', 'p') AND relname NOT IN ('spatial_ref_sys') ORDER BY relname"
        ).fetchall()
    ]
    assert "core_auditevent" in tables and "component_catalog_component" in tables
    altered = [
        name
        for name in tables
        if not refused(
            app_conn,
            sql.SQL("ALTER TABLE {} ADD COLUMN attacker integer").format(sql.Identifier(name)),
        )
    ]
    assert altered == []


def test_the_audit_log_accepts_inserts_and_reads_from_the_application_role(app_conn):
    with app_conn.transaction():
        app_conn.execute(
            "INSERT INTO core_auditevent (time, actor_username, action, object_type, "
            "object_id, result, source_address, detail) VALUES (now(), '', 'test.direct', "
            "'test', '1', 'success', NULL, '{}')"
        )
        (count,) = app_conn.execute(
            "SELECT count(*) FROM core_auditevent WHERE action = 'test.direct'"
        ).fetchone()
    assert count == 1


def test_the_owners_functions_take_no_table_from_the_caller(app_conn):
    """The SECURITY DEFINER functions do one schema change each, on names they build."""
    assert not refused(app_conn, "SELECT component_import_ensure_statistics()")
    with pytest.raises(errors.InvalidParameterValue), app_conn.transaction():
        app_conn.execute("SELECT component_import_partition_attach(%s)", [10**9])
    with pytest.raises(errors.InvalidParameterValue), app_conn.transaction():
        app_conn.execute("SELECT parking_passageevent_create_partition(%s)", ["2026-12-15"])
    # what such a function creates is the owner's, not the application's (rolled back)
    app_conn.execute("SELECT parking_passageevent_create_partition('2030-01-01')")
    not_mine, attached = app_conn.execute(
        "SELECT relowner::regrole::text <> current_user, relispartition FROM pg_class "
        "WHERE relname = 'parking_passageevent_p203001'"
    ).fetchone()
    assert (not_mine, attached) == (True, True)
    assert refused(app_conn, "DROP TABLE parking_passageevent_p203001")


def test_the_application_work_runs_as_that_role():
    """The tests' own connection is the application's role (not the owner), and with it a
    component is created through the API and its creation audited."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (role,) = cursor.fetchone()
    owner = getattr(settings, "DATABASE_OWNER", None)
    if owner:
        assert role != owner["USER"]
    assert role == connection.settings_dict["USER"]
    response = Api("surveyor_water").create(manhole())
    assert response.status_code == 201, response.content
    ident = response.json()["id"]
    assert Component.objects.filter(identifier=ident).exists()
    assert AuditEvent.objects.filter(action="component.create", object_id=ident).exists()


def test_the_triggers_still_refuse_the_owner():
    """Even the owner, who runs the migrations, cannot truncate the audit log in passing."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    if not owner:
        pytest.skip("no database owner configured (DATABASE_URL only)")
    with connect(owner) as conn, pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        conn.execute("TRUNCATE core_auditevent")


def manage_check(credentials: dict[str, Any]) -> str:
    db = connection.settings_dict
    url = "postgis://{}:{}@{}:{}/{}".format(
        quote(credentials["USER"], safe=""),
        quote(credentials["PASSWORD"], safe=""),
        credentials["HOST"] or "127.0.0.1",
        credentials["PORT"] or 5432,
        db["NAME"],
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "gis_app.settings"}
    env.pop("DATABASE_OWNER_URL", None)
    env.pop("MIGRATE_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_check_warns_when_the_application_connects_as_the_owner():
    """With DATABASE_URL only, pointing at the owner, the platform still runs, and
    ``manage.py check`` says why that is risky and what to set (core.W001)."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    if not owner:
        pytest.skip("no database owner configured (DATABASE_URL only)")
    assert "core.W001" not in manage_check(connection.settings_dict)
    output = manage_check(owner)
    assert "core.W001" in output
    assert "audit log" in output and "DATABASE_OWNER_URL" in output


def test_migrate_takes_back_whatever_was_granted_on_the_audit_log():
    """A DBA's broad GRANT (or default privileges) on the audit log does not survive: the
    migration core 0003 revokes changes from every grantee but the owner, and the grants
    ``manage.py migrate`` makes after each run leave the application SELECT and INSERT."""
    import importlib

    from gis_app import sql as role_sql

    owner = getattr(settings, "DATABASE_OWNER", None)
    if not owner:
        pytest.skip("no database owner configured (DATABASE_URL only)")
    app = connection.settings_dict["USER"]
    seal = importlib.import_module("gis_app.migrations.0003_auditevent_revoke_changes")
    rights = (
        "SELECT has_table_privilege(%(r)s, 'core_auditevent', 'UPDATE'), "
        "has_table_privilege(%(r)s, 'core_auditevent', 'DELETE'), "
        "has_table_privilege(%(r)s, 'core_auditevent', 'TRUNCATE'), "
        "has_table_privilege(%(r)s, 'core_auditevent', 'INSERT'), "
        "has_table_privilege(%(r)s, 'core_auditevent', 'SELECT')"
    )
    broad = sql.SQL("GRANT ALL ON core_auditevent TO PUBLIC, {}").format(sql.Identifier(app))
    with connect(owner) as conn:
        try:
            conn.execute(broad)
            assert conn.execute(rights, {"r": app}).fetchone() == (True,) * 5
            conn.execute(seal.FORWARD)
            assert conn.execute(rights, {"r": app}).fetchone()[:3] == (False,) * 3
            conn.execute(broad)
            params = {
                "role": app,
                "append_only": list(role_sql.APPEND_ONLY),
                "read_only": list(role_sql.READ_ONLY),
            }
            for _step, statement in conn.execute(role_sql.GRANTS, params).fetchall():
                conn.execute(statement)
            # PUBLIC's broad grant is the DBA's to take back; the application's own is not
            conn.execute("REVOKE ALL ON core_auditevent FROM PUBLIC")
            assert conn.execute(rights, {"r": app}).fetchone() == (False, False, False, True, True)
        finally:
            conn.rollback()
