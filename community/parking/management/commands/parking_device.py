"""Register parking devices and rotate their secrets. The secret is printed once: it is
what the device signs with (see docs/PARKING.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.parking import services
from community.parking.models import Device, Gate, ParkingLot, ParkingSpace
from gis_app.errors import DomainError


class Command(BaseCommand):
    help = "Register a parking device (prints its secret once), rotate a secret, or list devices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="a new device of a lot")
        register.add_argument("device_id")
        register.add_argument("--lot", required=True, help="the lot's component identifier")
        register.add_argument("--gate", help="gate code (a gate reader)")
        register.add_argument("--space", help="space code (a per-space sensor)")
        register.add_argument("--name", default="")
        rotate = sub.add_parser("rotate", help="a new secret for a device")
        rotate.add_argument("device_id")
        listing = sub.add_parser("list", help="the devices of a lot")
        listing.add_argument("--lot", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (DomainError, Device.DoesNotExist, ParkingLot.DoesNotExist) as exc:
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

    def _rotate(self, options: dict[str, Any]) -> None:
        device = Device.objects.get(device_id=options["device_id"])
        secret = services.rotate_secret(device)
        self.stdout.write(f"device {device.device_id}: new secret (shown once): {secret}")

    def _list(self, options: dict[str, Any]) -> None:
        for device in Device.objects.filter(lot__component__identifier=options["lot"]):
            gate = device.gate.code if device.gate else "-"
            self.stdout.write(f"{device.device_id}\t{device.kind}\t{gate}\tactive={device.active}")
