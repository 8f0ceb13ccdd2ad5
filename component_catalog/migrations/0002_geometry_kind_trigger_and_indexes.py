"""Database-side rules the ORM cannot express:

* a component's geometry type must match its class's geometry kind (trigger, since a
  CHECK constraint cannot look at another table);
* a geography index for metric nearest-neighbour search (KNN with ``<->``);
* trigram indexes for the ``q`` text search on name and address.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION component_geometry_matches_class() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kind text;
    gtype text := GeometryType(NEW.geometry);
BEGIN
    SELECT geometry_kind INTO kind FROM component_catalog_componentclass
        WHERE code = NEW.component_class_id;
    IF kind = 'point' AND gtype = 'POINT'
       OR kind = 'line' AND gtype IN ('LINESTRING', 'MULTILINESTRING')
       OR kind = 'polygon' AND gtype IN ('POLYGON', 'MULTIPOLYGON') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'geometry type % does not match class % (%)', gtype, NEW.component_class_id, kind
        USING ERRCODE = 'check_violation';
END;
$$;

CREATE TRIGGER component_geometry_matches_class
    BEFORE INSERT OR UPDATE OF geometry, component_class_id ON component_catalog_component
    FOR EACH ROW EXECUTE FUNCTION component_geometry_matches_class();

CREATE INDEX component_geography_gist
    ON component_catalog_component USING gist ((geometry::geography));

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX component_name_trgm
    ON component_catalog_component USING gin (name gin_trgm_ops);
CREATE INDEX component_address_trgm
    ON component_catalog_component USING gin (address gin_trgm_ops);
"""

BACKWARD = """
DROP INDEX IF EXISTS component_address_trgm;
DROP INDEX IF EXISTS component_name_trgm;
DROP INDEX IF EXISTS component_geography_gist;
DROP TRIGGER IF EXISTS component_geometry_matches_class ON component_catalog_component;
DROP FUNCTION IF EXISTS component_geometry_matches_class();
"""


class Migration(migrations.Migration):
    dependencies = [("component_catalog", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
