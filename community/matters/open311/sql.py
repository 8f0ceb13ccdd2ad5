"""The one query by public id: ``ids.public_id`` computed in PostgreSQL (indexed by
migration ``0005_open311``)."""

from __future__ import annotations

from django.db import connection

# decode(.., 'escape') is immutable (convert_to is not) and the identity on tracking codes
# (letters, digits and dashes), so the expression can be indexed.
PUBLIC_ID_SQL = "left(encode(sha256(decode(tracking_code, 'escape')), 'hex'), 20)"


def request_pks(public_ids: list[str]) -> list[int]:
    """Database ids of the requests with these public ids."""
    if not public_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM matters_servicerequest WHERE {PUBLIC_ID_SQL} = ANY(%s)",  # noqa: S608
            [public_ids],
        )
        return [row[0] for row in cursor.fetchall()]
