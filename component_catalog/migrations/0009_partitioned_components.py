"""The components table becomes a table partitioned by id (RANGE), its rows the first
partition ``component_catalog_component_main`` (ids below 10^12).

Why: a big import builds its rows as a table of their own (no index to maintain per row),
then attaches it as a partition, which builds each index in one pass (``importers.sql``);
row-by-row inserts into the live, indexed table cost ~10x more per row.

What stays the same: the table name, columns, defaults, the generated 3857 geometry, every
CHECK constraint, every index (now defined on the parent, so every partition has it), the
foreign keys in and out, and the geometry-kind trigger. What changes: PostgreSQL keeps
unique indexes per partition, so identifiers are made unique across partitions by the
primary key of ``component_catalog_componentidentifier`` (kept by a trigger); the old
unique constraints on identifier and (county, class, serial) stay on the main partition
under names ending in ``_main``. Ids from the identity stay below 10^12; partitions of
imports take ranges of 10^8 above it, numbered by ``component_catalog_component_bulk_seq``.

Later migrations that alter the unique ``identifier`` field through Django would find no
such constraint on the parent: write them by hand.
"""

from typing import Any

from django.db import migrations, models

TABLE = "component_catalog_component"
MAIN = "component_catalog_component_main"
REGISTRY = "component_catalog_componentidentifier"
FIRST_BULK_ID = 10**12

REGISTRY_TRIGGER = f"""
CREATE FUNCTION component_identifier_registry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {REGISTRY} (identifier, component_id) VALUES (NEW.identifier, NEW.id);
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.identifier IS DISTINCT FROM OLD.identifier OR NEW.id <> OLD.id THEN
            DELETE FROM {REGISTRY} WHERE identifier = OLD.identifier;
            INSERT INTO {REGISTRY} (identifier, component_id) VALUES (NEW.identifier, NEW.id);
        END IF;
    ELSE
        DELETE FROM {REGISTRY} WHERE identifier = OLD.identifier;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER component_identifier_registry
AFTER INSERT OR UPDATE OF identifier, id OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION component_identifier_registry();
"""  # noqa: S608 (constant names only)


def _renamed(name: str) -> str:
    return name[:58] + "_main"


def partition(apps: Any, schema_editor: Any) -> None:
    run = schema_editor.execute
    with schema_editor.connection.cursor() as cursor:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql, [TABLE])
            return list(cursor.fetchall())

        outgoing = rows(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname"
        )
        incoming = rows(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f' ORDER BY 1, 2"
        )
        indexes = rows(
            "SELECT i.relname, pg_get_indexdef(i.oid), x.indisunique, x.indisprimary "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass ORDER BY 1"
        )
        triggers = rows(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY 1"
        )
        cursor.execute(
            f"SELECT greatest(coalesce(max(id), 0), "  # noqa: S608
            f"(SELECT last_value FROM {TABLE}_id_seq)) FROM {TABLE}"
        )
        last_id = int(cursor.fetchone()[0])

    for table, name, _definition in incoming:
        run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in outgoing:
        run(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
    for name, _definition in triggers:
        run(f'DROP TRIGGER "{name}" ON {TABLE}')
    run(f"ALTER TABLE {TABLE} RENAME TO {MAIN}")
    for name, _definition, _unique, _primary in indexes:
        run(f'ALTER INDEX "{name}" RENAME TO "{_renamed(name)}"')

    run(
        f"CREATE TABLE {TABLE} (LIKE {MAIN} INCLUDING DEFAULTS INCLUDING GENERATED "
        "INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING STORAGE) PARTITION BY RANGE (id)"
    )
    with schema_editor.connection.cursor() as cursor:  # the parent's new identity sequence
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        sequence = cursor.fetchone()[0]
    run(f"ALTER TABLE {MAIN} ALTER COLUMN id DROP IDENTITY")  # drops the old sequence
    run(
        f"ALTER SEQUENCE {sequence} RENAME TO {TABLE}_id_seq; "
        f"ALTER TABLE {TABLE} ALTER COLUMN id SET MAXVALUE {FIRST_BULK_ID - 1}"
    )
    if last_id:
        run(f"SELECT setval('{TABLE}_id_seq', {last_id})")
    run(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {MAIN} FOR VALUES FROM (MINVALUE) TO ({FIRST_BULK_ID})"
    )

    for name, definition, unique, primary in indexes:
        if primary:
            run(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" PRIMARY KEY (id)')
        elif not unique:
            run(definition)  # on the parent (the old name is free): attaches MAIN's index
    for name, definition in outgoing:
        run(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in triggers:
        run(definition)
    for table, name, definition in incoming:
        run(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    run(f"INSERT INTO {REGISTRY} (identifier, component_id) SELECT identifier, id FROM {TABLE}")  # noqa: S608
    run(REGISTRY_TRIGGER)
    run(f"CREATE SEQUENCE {TABLE}_bulk_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("component_catalog", "0008_creation_key"),
        # (the tables and columns that hang on the components table exist first)
        ("parking", "0001_initial"),
        ("tiles", "0002_component_geom_3857"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComponentIdentifier",
            fields=[
                (
                    "identifier",
                    models.CharField(max_length=16, primary_key=True, serialize=False),
                ),
                ("component_id", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(partition, elidable=False),
    ]
