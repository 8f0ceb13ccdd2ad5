"""Parking devices move to the device registry (community.devices).

Each ``parking_device`` row becomes a registry device with the same primary key (passage
events keep their ``device_id``), kind ``parking.gate_reader`` or ``parking.space_camera``,
its place (the gate, else the space, else a point inside the lot), the lot's operator as
owner, and its secret sealed under the current ``DEVICES_SECRET_KEY``: a device keeps
signing with the secret it has. The nonce store moves with it. ``parking_device`` keeps
only where the device works (lot, gate, space), keyed by the registry device.
"""

import django.db.models.deletion
from django.db import migrations, models

DEVICES_SQL = """
SELECT d.id, d.device_id, d.name, d.kind, d.secret, d.active, d.created_at, l.operator_id,
       f.code,
       ST_AsEWKB(p.point),
       (SELECT a.code FROM layers_adminarea a
         WHERE a.level = 'community' AND ST_Covers(a.boundary, p.point)
         ORDER BY a.code LIMIT 1)
FROM parking_device d
JOIN parking_parkinglot l ON l.id = d.lot_id
JOIN component_catalog_component c ON c.id = l.component_id
LEFT JOIN parking_gate g ON g.id = d.gate_id
LEFT JOIN parking_parkingspace s ON s.id = d.space_id
LEFT JOIN parking_floor f ON f.id = s.floor_id
CROSS JOIN LATERAL (
    SELECT COALESCE(g.location, ST_PointOnSurface(s.geometry), ST_PointOnSurface(c.geometry))
        AS point
) p
ORDER BY d.id
"""

INSERT_SQL = """
INSERT INTO devices_device (id, device_id, name, kind, floor, owner_id, location, area_id,
    secret_sealed, active, created_at)
VALUES (%s, %s, %s, %s, %s, %s, ST_GeomFromEWKB(%s), %s, %s, %s, %s)
"""

KINDS = {"gate_reader": "parking.gate_reader", "space_camera": "parking.space_camera"}


def copy_to_registry(apps, schema_editor):
    from community.devices import sealing

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DEVICES_SQL)
        rows = cursor.fetchall()
        for pk, device_id, name, kind, secret, active, created, owner, floor, point, area in rows:
            cursor.execute(
                INSERT_SQL,
                [
                    pk,
                    device_id,
                    name,
                    KINDS[kind],
                    floor or "",
                    owner,
                    point,
                    area,
                    sealing.seal(secret, device_id),
                    active,
                    created,
                ],
            )
        if rows:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('devices_device', 'id'), "
                "(SELECT max(id) FROM devices_device))"
            )
        cursor.execute(
            "INSERT INTO devices_devicenonce (device_id, nonce, seen_at) "
            "SELECT device_id, nonce, seen_at FROM parking_devicenonce"
        )


SCHEMA_SQL = """
ALTER TABLE parking_device ALTER COLUMN id DROP IDENTITY IF EXISTS;
ALTER TABLE parking_device ALTER COLUMN id DROP DEFAULT;
ALTER TABLE parking_device DROP COLUMN device_id, DROP COLUMN name, DROP COLUMN secret,
    DROP COLUMN active, DROP COLUMN created_at;
ALTER TABLE parking_device ADD CONSTRAINT parking_device_registered_fk
    FOREIGN KEY (id) REFERENCES devices_device (id) DEFERRABLE INITIALLY DEFERRED;
DROP TABLE parking_devicenonce;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("parking", "0002_partition_function"),
        ("devices", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_registry, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(SCHEMA_SQL)],
            state_operations=[
                migrations.AlterField(
                    model_name="passageevent",
                    name="device",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="devices.device",
                    ),
                ),
                migrations.DeleteModel(name="DeviceNonce"),
                migrations.DeleteModel(name="Device"),
                migrations.CreateModel(
                    name="Device",
                    fields=[
                        (
                            "registered",
                            models.OneToOneField(
                                db_column="id",
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="parking",
                                serialize=False,
                                to="devices.device",
                                verbose_name="device",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("gate_reader", "Gate reader (RFID, IC card or plate camera)"),
                                    ("space_camera", "Space camera or sensor"),
                                ],
                                max_length=16,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "gate",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="devices",
                                to="parking.gate",
                            ),
                        ),
                        (
                            "lot",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="devices",
                                to="parking.parkinglot",
                            ),
                        ),
                        (
                            "space",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="sensor",
                                to="parking.parkingspace",
                                verbose_name="space (per-space sensor)",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "parking device",
                        "verbose_name_plural": "parking devices",
                        "ordering": ["registered__device_id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("kind", "gate_reader"), _negated=True)
                                | models.Q(("gate__isnull", False)),
                                name="device_gate_reader_has_gate",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
