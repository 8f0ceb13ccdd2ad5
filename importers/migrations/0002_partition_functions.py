"""The schema changes of an import loaded as a partition (importers/sql.py), as narrow
SECURITY DEFINER functions of the owner, so that the application's role, which owns
nothing, can run them (gis_app/db_roles.py):

- ``component_import_partition_create()`` takes the next number of
  ``component_catalog_component_bulk_seq``, creates the table
  ``component_catalog_component_import_<n>`` like the components table, installs the
  bulk-creation history trigger on it and lets the caller fill it; returns ``n``.
- ``component_import_partition_attach(n)`` analyses that table, bounds its ids and attaches
  it as a partition of the components table (ids ``10^12 + n * 10^8`` up to the next
  ``10^8``: importers/sql.py's PARTITION_FIRST_ID and PARTITION_SPAN).
- ``component_import_ensure_statistics()`` analyses the tables an import's checks join
  with, if they were never analysed.

No table name comes from the caller; ``search_path`` is pinned; EXECUTE is revoked from
PUBLIC (``manage.py migrate`` grants it to the application's role)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION component_import_partition_create() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    n bigint := nextval('public.component_catalog_component_bulk_seq');
    t text := 'component_catalog_component_import_' || n;
BEGIN
    EXECUTE format('CREATE TABLE public.%I (LIKE public.component_catalog_component '
                   'INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)', t);
    EXECUTE format('CREATE TRIGGER component_bulk_creation_history AFTER UPDATE OR DELETE '
                   'ON public.%I FOR EACH ROW WHEN (OLD.version = 1) '
                   'EXECUTE FUNCTION public.component_bulk_creation_history()', t);
    EXECUTE format('GRANT SELECT, INSERT ON public.%I TO SESSION_USER', t);
    RETURN n;
END
$$;

CREATE FUNCTION component_import_partition_attach(n bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
SET maintenance_work_mem = '256MB' AS $$
DECLARE
    t text := 'component_catalog_component_import_' || n;
    low bigint := 1000000000000 + n * 100000000;
    found regclass;
BEGIN
    IF n IS NULL OR n < 1 THEN
        RAISE EXCEPTION 'no import partition number %', n USING ERRCODE = 'invalid_parameter_value';
    END IF;
    found := to_regclass('public.' || quote_ident(t));
    IF found IS NULL OR (SELECT relispartition OR relkind <> 'r' FROM pg_class WHERE oid = found)
    THEN
        RAISE EXCEPTION 'no import table % waiting to be attached', t
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ANALYZE public.%I', t);
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (id >= %s AND id < %s)',
                   t, t || '_ids', low, low + 100000000);
    EXECUTE format('ALTER TABLE public.component_catalog_component ATTACH PARTITION public.%I '
                   'FOR VALUES FROM (%s) TO (%s)', t, low, low + 100000000);
END
$$;

CREATE FUNCTION component_import_ensure_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT relname FROM pg_class
        WHERE relname IN ('component_catalog_component', 'layers_adminarea', 'layers_gridcell')
          AND relkind IN ('r', 'p') AND reltuples < 0
          AND relnamespace = 'public'::regnamespace
    LOOP
        EXECUTE format('ANALYZE public.%I', t);
    END LOOP;
END
$$;

REVOKE EXECUTE ON FUNCTION component_import_partition_create() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION component_import_partition_attach(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION component_import_ensure_statistics() FROM PUBLIC;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS component_import_ensure_statistics();
DROP FUNCTION IF EXISTS component_import_partition_attach(bigint);
DROP FUNCTION IF EXISTS component_import_partition_create();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("importers", "0001_initial"),
        ("component_catalog", "0012_registry_numeric_identifier"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
