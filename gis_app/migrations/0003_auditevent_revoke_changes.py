"""No role but the owner keeps UPDATE, DELETE, TRUNCATE, REFERENCES or TRIGGER on the
audit log, whatever a DBA's default privileges or earlier GRANTs gave: revoked from every
grantee other than the table's owner, so it holds whoever migrates. The application's role
keeps SELECT and INSERT (``manage.py migrate`` grants them, see gis_app/db_roles.py); the
triggers of 0002 still refuse changes to the owner itself."""

from django.db import migrations

FORWARD = """
DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole::text
        FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE c.oid = 'core_auditevent'::regclass AND a.grantee <> 0
          AND a.grantee <> c.relowner
    LOOP
        EXECUTE format(
            'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON core_auditevent FROM %s',
            grantee);
    END LOOP;
    REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON core_auditevent FROM PUBLIC;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_auditevent_append_only")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
