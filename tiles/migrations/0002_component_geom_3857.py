"""Components get an indexed Web Mercator copy of their geometry for the tile queries:
``geom_3857``, a STORED generated column (``ST_Transform(geometry, 3857)``, kept by
PostgreSQL on every insert and update, whatever the writer: ORM, importer SQL, the
benchmark generator) with a GiST index. Tile SQL filters ``geom_3857 && ST_TileEnvelope``
and feeds it to ``ST_AsMVTGeom`` without a per-row transform.

The column is not a field of the ``Component`` model (Django never writes it; the tile SQL
names it), so the component catalog's model and migrations stay as they are. Adding it
rewrites the table once.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE component_catalog_component
    ADD COLUMN IF NOT EXISTS geom_3857 geometry(Geometry, 3857)
    GENERATED ALWAYS AS (ST_Transform(geometry, 3857)) STORED;
CREATE INDEX IF NOT EXISTS component_geom_3857
    ON component_catalog_component USING gist (geom_3857);
"""
BACKWARD = """
DROP INDEX IF EXISTS component_geom_3857;
ALTER TABLE component_catalog_component DROP COLUMN IF EXISTS geom_3857;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0001_initial"),
        ("component_catalog", "0006_class_id_in_use_index"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
