"""Register parking devices, rotate or revoke their secrets, list a lot's devices. The
secret is printed once: it is what the device signs with (see docs/PARKING.md). The
device registry's own command (``manage.py devices``) does the same for every kind."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.devices import services as device_services
from community.devices.models import Device as Registered
from community.parking import services
from community.parking.models import Device, Gate, ParkingLot, ParkingSpace
from gis_app.errors import DomainError


class Command(BaseCommand):
    help = "Register a parking device (prints its secret once), rotate or revoke, list devices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="a new device of a lot")
        register.add_argument("device_id")
        register.add_argument("--lot", required=True, help="the lot's component identifier")
        register.add_argument("--gate", help="gate code (a gate reader)")
        register.add_argument("--space", help="space code (a per-space sensor)")
        register.add_argument("--name", default="")
        sub.add_parser("rotate", help="a new secret for a device").add_argument("device_id")
        sub.add_parser("revoke", help="stop a device for good").add_argument("device_id")
        listing = sub.add_parser("list", help="the devices of a lot")
        listing.add_argument("--lot", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (DomainError, Registered.DoesNotExist, ParkingLot.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        except (Gate.DoesNotExist, ParkingSpace.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None

    def _register(self, options: dict[str, Any]) -> None:
        lot = ParkingLot.objects.get(component__identifier=options["lot"])
        gate = Gate.objects.get(lot=lot, code=options["gate"]) if options["gate"] else None
        space = (
            ParkingSpace.objects.get(lot=lot, code=options["space"]) if options["space"] else None
        )
        device, secret = services.register_device(
            options["device_id"], lot, gate=gate, space=space, name=options["name"]
        )
        self.stdout.write(f"device {device.device_id} registered; secret (shown once): {secret}")

    def _registered(self, options: dict[str, Any]) -> Registered:
        return Registered.objects.get(device_id=options["device_id"], parking__isnull=False)

    def _rotate(self, options: dict[str, Any]) -> None:
        device = self._registered(options)
        secret = device_services.rotate(device)
        self.stdout.write(f"device {device.device_id}: new secret (shown once): {secret}")

    def _revoke(self, options: dict[str, Any]) -> None:
        device = self._registered(options)
        device_services.revoke(device)
        self.stdout.write(f"device {device.device_id} revoked")

    def _list(self, options: dict[str, Any]) -> None:
        devices = Device.objects.select_related("registered", "gate").filter(
            lot__component__identifier=options["lot"]
        )
        for device in devices:
            gate = device.gate.code if device.gate else "-"
            active = device.registered.active
            self.stdout.write(f"{device.registered}\t{device.kind}\t{gate}\tactive={active}")
