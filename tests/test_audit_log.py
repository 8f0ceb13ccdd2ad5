"""The audit log is append-only in the database, for the application's own role."""

import pytest
from django.db import DatabaseError, connection, transaction

from gis_app import audit
from gis_app.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit.record("test.event", object_type="test", object_id="1", detail={"k": "v"})


def run_sql(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_application_role_is_not_superuser():
    """The tests below prove something only if the connection is an ordinary role (the
    suite runs as the application role, which owns nothing: docs/SECURITY.md)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        (is_super,) = cursor.fetchone()
    assert is_super is False


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ],
)
def test_update_or_delete_of_an_audit_row_fails(event, sql):
    with pytest.raises(DatabaseError, match="append-only|permission denied"):
        run_sql(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "test.event"


def test_truncate_fails(event):
    with pytest.raises(DatabaseError, match="append-only|permission denied"):
        run_sql("TRUNCATE core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_fail_too(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(result="denied")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).result == "success"


def test_insert_still_works_and_records_actor(django_user_model):
    user = django_user_model.objects.get(username="auditor")
    row = audit.record("test.other", actor=user, address="10.0.0.7", detail={"n": 1})
    fresh = AuditEvent.objects.get(pk=row.pk)
    assert (fresh.actor_username, fresh.actor_id, fresh.source_address) == (
        "auditor",
        user.pk,
        "10.0.0.7",
    )


def test_deleting_a_user_keeps_their_audit_rows(django_user_model):
    user = django_user_model.objects.create_user("temp_user", password="x-long-password-1")
    row = audit.record("test.by_temp", actor=user)
    user.delete()
    assert AuditEvent.objects.get(pk=row.pk).actor_username == "temp_user"
