"""The registry version: one counter row, raised by statement-level triggers on every
change to the layer registry (``layers_layer``) and the component classes (their
attribute schemas decide a tile's key attributes). Tile requests read it in the same
statement as the tile and rebuild their in-memory registry when it moved (``tiles.registry``).
"""

from django.db import migrations, models

# The new version comes from a sequence, not ``version + 1``: a rolled-back change must
# never leave a version number that a later, different change reuses (a process that saw
# the rolled-back state inside its transaction would take the later state for it).
FORWARD = """
INSERT INTO tiles_registrystate (id, version) VALUES (1, 0);
CREATE SEQUENCE tiles_registry_version;
CREATE FUNCTION tiles_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tiles_registrystate SET version = nextval('tiles_registry_version') WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER tiles_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON layers_layer
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_registry_changed();
CREATE TRIGGER tiles_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON component_catalog_componentclass
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_registry_changed();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS tiles_registry_changed ON layers_layer;
DROP TRIGGER IF EXISTS tiles_registry_changed ON component_catalog_componentclass;
DROP FUNCTION IF EXISTS tiles_registry_changed();
DROP SEQUENCE IF EXISTS tiles_registry_version;
DELETE FROM tiles_registrystate;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0002_component_geom_3857"),
        ("layers", "0004_basemap"),
        ("component_catalog", "0006_class_id_in_use_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistryState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
