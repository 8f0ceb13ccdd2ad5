"""``analyze_table(t)``: ANALYZE one table of schema public that the owner owns, for the
application's role, which owns nothing and so may not (bulk loads refresh the planner's
statistics at once instead of waiting for autovacuum). A SECURITY DEFINER function of the
owner; statistics only, no other change; ``search_path`` pinned; EXECUTE revoked from
PUBLIC (``manage.py migrate`` grants it to the application's role, gis_app/db_roles.py)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION analyze_table(t regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class
                   WHERE oid = t AND relnamespace = 'public'::regnamespace
                     AND relkind IN ('r', 'p') AND relowner = current_user::regrole) THEN
        RAISE EXCEPTION 'not a table of the platform: %', t
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ANALYZE %s', t);
END
$$;

REVOKE EXECUTE ON FUNCTION analyze_table(regclass) FROM PUBLIC;
"""

BACKWARD = "DROP FUNCTION IF EXISTS analyze_table(regclass);"


class Migration(migrations.Migration):
    dependencies = [("core", "0003_auditevent_revoke_changes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
