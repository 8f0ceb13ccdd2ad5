"""Register devices, rotate or revoke their secrets, reseal secrets under a new key, list
devices. A new secret is printed once: it is what the device signs with."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.devices import kinds, services
from community.devices.models import Device
from gis_app.errors import DomainError
from gis_app.models import Organization
from layers.models import SRID, Building


class Command(BaseCommand):
    help = "Register a device (prints its secret once), rotate or revoke a secret, reseal, list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="a new device")
        register.add_argument("device_id")
        register.add_argument("--kind", required=True, help="a registered kind (see 'kinds')")
        register.add_argument("--owner", required=True, help="the owner organization's code")
        register.add_argument("--lon", type=float)
        register.add_argument("--lat", type=float)
        register.add_argument("--building", type=int, help="the building's id")
        register.add_argument("--floor", default="")
        register.add_argument("--name", default="")
        for name, text in (("rotate", "a new secret"), ("revoke", "stop a device for good")):
            sub.add_parser(name, help=text).add_argument("device_id")
        sub.add_parser("reseal", help="seal every secret under the current key")
        sub.add_parser("kinds", help="the registered kinds")
        listing = sub.add_parser("list", help="devices")
        listing.add_argument("--kind")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (DomainError, Device.DoesNotExist, Organization.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        except Building.DoesNotExist as exc:
            raise CommandError(str(exc)) from None

    def _register(self, options: dict[str, Any]) -> None:
        if (options["lon"] is None) != (options["lat"] is None):
            raise CommandError("give both --lon and --lat (CGCS2000 degrees)")
        point = None
        if options["lon"] is not None:
            point = Point(options["lon"], options["lat"], srid=SRID)
        building = Building.objects.get(pk=options["building"]) if options["building"] else None
        device, secret = services.register(
            options["device_id"],
            options["kind"],
            Organization.objects.get(code=options["owner"]),
            name=options["name"],
            location=point,
            building=building,
            floor=options["floor"],
        )
        self.stdout.write(f"device {device.device_id} registered; secret (shown once): {secret}")

    def _rotate(self, options: dict[str, Any]) -> None:
        device = Device.objects.get(device_id=options["device_id"])
        secret = services.rotate(device)
        self.stdout.write(f"device {device.device_id}: new secret (shown once): {secret}")

    def _revoke(self, options: dict[str, Any]) -> None:
        device = Device.objects.get(device_id=options["device_id"])
        services.revoke(device)
        self.stdout.write(f"device {device.device_id} revoked")

    def _reseal(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"secrets resealed: {services.reseal()}")

    def _kinds(self, options: dict[str, Any]) -> None:
        for kind in kinds.registered():
            self.stdout.write(f"{kind.code}\t{kind.topic}/+/events\t{kind.label}")

    def _list(self, options: dict[str, Any]) -> None:
        devices = Device.objects.order_by("device_id")
        if options["kind"]:
            devices = devices.filter(kind=options["kind"])
        for d in devices:
            state = "revoked" if d.revoked_at else f"active={d.active}"
            self.stdout.write(f"{d.device_id}\t{d.kind}\t{d.area_id or '-'}\t{state}")
