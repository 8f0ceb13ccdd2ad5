"""A month's partition of the passage events as a narrow SECURITY DEFINER function of the
owner, so that the application's role, which owns nothing, can create it (the MQTT worker
does at start, see community/parking/partitions.py): ``parking_passageevent_create_partition
(month)`` creates ``parking_passageevent_p<YYYYMM>`` for the month starting on ``month``
(bounds at midnight in the platform's time zone, +08), moves that month's rows out of the
default partition and attaches it; nothing when it exists. The table name is built from
the date alone; ``search_path`` is pinned; EXECUTE is revoked from PUBLIC (``manage.py
migrate`` grants it to the application's role). Then the partitions around today, which
migration 0001 used to create with the same statements."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION parking_passageevent_create_partition(month date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    t text;
    low timestamptz;
    high timestamptz;
BEGIN
    IF month IS NULL OR month <> date_trunc('month', month)::date
       OR month < date '2000-01-01' OR month >= date '2200-01-01' THEN
        RAISE EXCEPTION 'not the first day of a month between 2000 and 2199: %', month
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    t := 'parking_passageevent_p' || to_char(month, 'YYYYMM');
    IF to_regclass('public.' || t) IS NOT NULL THEN
        RETURN;
    END IF;
    low := (to_char(month, 'YYYY-MM-DD') || ' 00:00:00+08')::timestamptz;
    high := (to_char((month + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+08')
            ::timestamptz;
    EXECUTE format('CREATE TABLE public.%I (LIKE public.parking_passageevent '
                   'INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', t);
    EXECUTE format('INSERT INTO public.%I SELECT * FROM public.parking_passageevent_default '
                   'WHERE occurred_at >= $1 AND occurred_at < $2', t) USING low, high;
    DELETE FROM public.parking_passageevent_default
    WHERE occurred_at >= low AND occurred_at < high;
    EXECUTE format('ALTER TABLE public.parking_passageevent ATTACH PARTITION public.%I '
                   'FOR VALUES FROM (%L) TO (%L)', t, low, high);
END
$$;

REVOKE EXECUTE ON FUNCTION parking_passageevent_create_partition(date) FROM PUBLIC;
"""

BACKWARD = "DROP FUNCTION IF EXISTS parking_passageevent_create_partition(date);"


def create_partitions(apps, schema_editor):
    from community.parking import partitions

    partitions.ensure()


class Migration(migrations.Migration):
    dependencies = [("parking", "0001_initial")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(create_partitions, migrations.RunPython.noop),
    ]
