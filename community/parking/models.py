"""Parking data: lots (keyed to their component), floors, gates, spaces, devices, passage
events (partitioned by month), vehicle presence, live occupancy and its history.

Privacy: plate and card numbers are never stored in clear. ``credential_hash`` is a keyed
HMAC-SHA256 (``community.parking.privacy``) used for matching, ``credential_masked`` the
display form (浙A·***5B).
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layers.models import SRID

LOT_CLASSES = ("0201", "0215")  # 停车场, 路边停车场


class SpaceKind(models.TextChoices):
    STANDARD = "standard", _("Standard")
    CHARGING = "charging", _("Charging")
    ACCESSIBLE = "accessible", _("Accessible")


KINDS: tuple[str, ...] = tuple(SpaceKind.values)


class Direction(models.TextChoices):
    IN = "in", _("Entry")
    OUT = "out", _("Exit")


class CredentialType(models.TextChoices):
    PLATE = "plate", _("Plate (camera)")
    RFID = "rfid", _("RFID tag")
    IC_CARD = "ic_card", _("IC card")


class Channel(models.TextChoices):
    HTTP = "http", _("HTTP")
    MQTT = "mqtt", _("MQTT")
    DEMO = "demo", _("Demo loader")


class ParkingLot(models.Model):
    """Parking data of one lot component (class 0201 or 0215): operator and capacity by
    kind. The component holds geometry, name, address, community and ownership."""

    component = models.OneToOneField(
        "component_catalog.Component",
        on_delete=models.PROTECT,
        related_name="parking_lot",
        verbose_name=_("component"),
    )
    operator = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="operated_parking_lots",
        verbose_name=_("operator"),
    )
    capacity_standard = models.PositiveIntegerField(_("standard spaces"), default=0)
    capacity_charging = models.PositiveIntegerField(_("charging spaces"), default=0)
    capacity_accessible = models.PositiveIntegerField(_("accessible spaces"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("parking lot")
        verbose_name_plural = _("parking lots")

    def __str__(self) -> str:
        return str(self.component)

    @property
    def capacity(self) -> dict[str, int]:
        return {
            SpaceKind.STANDARD: self.capacity_standard,
            SpaceKind.CHARGING: self.capacity_charging,
            SpaceKind.ACCESSIBLE: self.capacity_accessible,
        }

    @property
    def capacity_total(self) -> int:
        return self.capacity_standard + self.capacity_charging + self.capacity_accessible


class Floor(models.Model):
    lot = models.ForeignKey(ParkingLot, on_delete=models.CASCADE, related_name="floors")
    code = models.CharField(_("code"), max_length=8, help_text=_("e.g. B2, B1, 1F"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    ordinal = models.SmallIntegerField(_("level"), default=0, help_text=_("-2, -1, 0, 1 ..."))

    class Meta:
        ordering = ["lot", "ordinal"]
        verbose_name = _("floor")
        verbose_name_plural = _("floors")
        constraints = [models.UniqueConstraint(fields=["lot", "code"], name="floor_code_unique")]

    def __str__(self) -> str:
        return self.code


class Gate(models.Model):
    lot = models.ForeignKey(ParkingLot, on_delete=models.CASCADE, related_name="gates")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=50, blank=True)
    location = models.PointField(_("location"), srid=SRID, null=True, blank=True)

    class Meta:
        ordering = ["lot", "code"]
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        constraints = [models.UniqueConstraint(fields=["lot", "code"], name="gate_code_unique")]

    def __str__(self) -> str:
        return self.code


class ParkingSpace(models.Model):
    lot = models.ForeignKey(ParkingLot, on_delete=models.CASCADE, related_name="spaces")
    code = models.CharField(_("code"), max_length=16)
    floor = models.ForeignKey(
        Floor, on_delete=models.PROTECT, null=True, blank=True, related_name="spaces"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=SpaceKind.choices, default=SpaceKind.STANDARD
    )
    geometry = models.PolygonField(_("geometry"), srid=SRID)

    class Meta:
        ordering = ["lot", "code"]
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        constraints = [
            models.UniqueConstraint(fields=["lot", "code"], name="space_code_unique"),
            models.CheckConstraint(
                condition=Q(geometry__isvalid=True), name="space_geometry_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class DeviceKind(models.TextChoices):
    GATE_READER = "gate_reader", _("Gate reader (RFID, IC card or plate camera)")
    SPACE_CAMERA = "space_camera", _("Space camera or sensor")


class Device(models.Model):
    """Where a device of the registry (``community.devices``: id, place, owner, secret)
    works in parking: its lot, and its gate (a gate reader) or the space it watches. It
    shares the registry device's primary key, so a passage event's ``device_id`` is the
    registry's."""

    registered = models.OneToOneField(
        "devices.Device",
        on_delete=models.CASCADE,
        primary_key=True,
        db_column="id",
        related_name="parking",
        verbose_name=_("device"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    lot = models.ForeignKey(ParkingLot, on_delete=models.PROTECT, related_name="devices")
    gate = models.ForeignKey(
        Gate, on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    space = models.OneToOneField(
        ParkingSpace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sensor",
        verbose_name=_("space (per-space sensor)"),
    )

    class Meta:
        ordering = ["registered__device_id"]
        verbose_name = _("parking device")
        verbose_name_plural = _("parking devices")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="gate_reader") | Q(gate__isnull=False),
                name="device_gate_reader_has_gate",
            )
        ]

    def __str__(self) -> str:
        return str(self.registered)


class PassageEvent(models.Model):
    """One passage (entry or exit at a gate, or at a space). The table is partitioned by
    month on ``occurred_at`` (migration 0001, SQL), so Django does not manage it; its
    primary key is (id, occurred_at) and an event is unique per (device, event id,
    occurred_at). ``flags`` records what processing found: ``late`` (older than the
    vehicle's latest event), ``repeated_entry``, ``exit_without_entry``, ``over_capacity``."""

    id = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(_("received"))
    processed_at = models.DateTimeField(_("processed"))
    device = models.ForeignKey("devices.Device", on_delete=models.DO_NOTHING, related_name="+")
    event_id = models.CharField(_("event id"), max_length=64)
    lot = models.ForeignKey(ParkingLot, on_delete=models.DO_NOTHING, related_name="+")
    gate = models.ForeignKey(Gate, on_delete=models.DO_NOTHING, null=True, related_name="+")
    space = models.ForeignKey(
        ParkingSpace, on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    credential_type = models.CharField(
        _("credential type"), max_length=8, choices=CredentialType.choices
    )
    credential_hash = models.BinaryField(_("credential hash"))
    credential_masked = models.CharField(_("credential"), max_length=24)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    flags = models.JSONField(_("flags"), default=list)

    class Meta:
        managed = False
        db_table = "parking_passageevent"
        ordering = ["occurred_at", "id"]
        verbose_name = _("passage event")
        verbose_name_plural = _("passage events")


class Presence(models.Model):
    """Where a vehicle (a credential) stands in one lot: inside or not, since when, and at
    which space. The latest event by time decides; older (late) events change nothing."""

    lot = models.ForeignKey(ParkingLot, on_delete=models.CASCADE, related_name="+")
    credential_hash = models.BinaryField()
    credential_type = models.CharField(max_length=8, choices=CredentialType.choices)
    credential_masked = models.CharField(max_length=24)
    inside = models.BooleanField(default=False)
    entered_at = models.DateTimeField(null=True)
    last_event_at = models.DateTimeField()
    last_direction = models.CharField(max_length=3, choices=Direction.choices)
    space = models.ForeignKey(ParkingSpace, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=16, choices=SpaceKind.choices, default=SpaceKind.STANDARD)
    # The latest event was an exit with no entry before it; a late entry resolves it.
    unmatched_exit = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lot", "credential_hash"], name="presence_unique"),
            models.CheckConstraint(
                condition=Q(inside=False) | Q(entered_at__isnull=False),
                name="presence_inside_has_entry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["credential_hash"], name="presence_inside", condition=Q(inside=True)
            )
        ]


class LotOccupancy(models.Model):
    """Live occupancy of a lot by kind: vehicles inside, from the presence table. Never
    negative (CHECK); above capacity only with ``over_capacity`` set."""

    lot = models.OneToOneField(
        ParkingLot, on_delete=models.CASCADE, primary_key=True, related_name="occupancy"
    )
    occupied_standard = models.IntegerField(default=0)
    occupied_charging = models.IntegerField(default=0)
    occupied_accessible = models.IntegerField(default=0)
    over_capacity = models.BooleanField(default=False)
    last_event_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancy")
        constraints = [
            models.CheckConstraint(
                condition=Q(occupied_standard__gte=0)
                & Q(occupied_charging__gte=0)
                & Q(occupied_accessible__gte=0),
                name="occupancy_not_negative",
            )
        ]

    @property
    def occupied(self) -> dict[str, int]:
        return {
            SpaceKind.STANDARD: self.occupied_standard,
            SpaceKind.CHARGING: self.occupied_charging,
            SpaceKind.ACCESSIBLE: self.occupied_accessible,
        }


class OccupancySample(models.Model):
    """Occupancy history: the state after each processed batch that touched the lot, at
    the time of the latest event applied (so reports follow event time, not arrival)."""

    lot = models.ForeignKey(ParkingLot, on_delete=models.CASCADE, related_name="samples")
    time = models.DateTimeField()
    occupied_standard = models.IntegerField()
    occupied_charging = models.IntegerField()
    occupied_accessible = models.IntegerField()

    class Meta:
        ordering = ["lot", "time", "id"]
        indexes = [models.Index(fields=["lot", "time"], name="sample_lot_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(occupied_standard__gte=0)
                & Q(occupied_charging__gte=0)
                & Q(occupied_accessible__gte=0),
                name="sample_not_negative",
            )
        ]

    @property
    def occupied_total(self) -> int:
        return self.occupied_standard + self.occupied_charging + self.occupied_accessible
