"""The statement limit is sent once per session or transaction, and again whenever a
rollback has undone it (gis_app.timeouts)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from component_catalog.models import Component
from gis_app import timeouts

pytestmark = pytest.mark.django_db


def shown() -> str:
    """The session's statement_timeout, read past the execute wrappers."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return str(cursor.fetchone()[0])


def overwrite(value: str) -> None:
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [value])


class Undo(Exception):
    pass


def test_sent_once_in_a_transaction_and_again_after_a_rollback_undid_it():
    with timeouts.limited(4321):
        Component.objects.exists()
        assert shown() == "4321ms"
        overwrite("0")  # had the limit been sent again, the next statement would show it
        Component.objects.exists()
        assert shown() == "0"
    with pytest.raises(Undo), transaction.atomic():
        with timeouts.limited(5555):
            Component.objects.exists()  # sent inside the savepoint
            assert shown() == "5555ms"
        raise Undo
    assert shown() == "0"  # the savepoint's rollback undid the setting ...
    with timeouts.limited(5555):
        Component.objects.exists()
        assert shown() == "5555ms"  # ... so it was sent again


def test_an_aborted_transaction_gets_nothing_before_its_rollback():
    """An error caught in a savepoint: the rollback to the savepoint must run (a statement
    sent before it would fail and turn the caught error into a server error)."""
    with timeouts.limited(4321):
        with (
            pytest.raises(Exception),  # noqa: B017, PT011
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1/0")
        assert Component.objects.exists() in (True, False)
