"""The device registry: every device that sends signed events, whatever it measures.

A device has a kind (registered by the app that consumes its events, see ``kinds.py``), a
place (a point in CGCS2000, a building and a floor), an owner organization and a signing
secret. The secret is sealed at rest (AES-GCM, ``sealing.py``): the column holds only
ciphertext, the key comes from the environment (``DEVICES_SECRET_KEY``).

A device's area, for the access module, is the community holding its point, else its
building's community (``area`` is derived on every save).
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from layers.models import SRID, AdminArea, AreaLevel


class Device(models.Model):
    device_id = models.SlugField(_("device id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    kind = models.CharField(
        _("kind"), max_length=64, help_text=_("Registered by the app that uses its events.")
    )
    location = models.PointField(_("location"), srid=SRID, null=True, blank=True)
    building = models.ForeignKey(
        "layers.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("building"),
    )
    floor = models.CharField(_("floor"), max_length=16, blank=True, help_text=_("e.g. B1, 1F, 12F"))
    owner = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("owner organization"),
    )
    area = models.ForeignKey(
        AdminArea,
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Derived from the location, else from the building."),
    )
    # AES-GCM ciphertext of the signing secret (sealing.py); never shown, never plaintext.
    secret_sealed = models.BinaryField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    secret_rotated_at = models.DateTimeField(_("secret rotated"), null=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["device_id"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["kind"], name="device_kind")]

    def __str__(self) -> str:
        return self.device_id

    def clean(self) -> None:
        """Known kind; the area follows the place (before the access check sees it)."""
        from community.devices import kinds

        if self.kind and not kinds.is_registered(self.kind):
            raise ValidationError({"kind": _("Unknown device kind.")})
        self.area_id = area_of(self.location, self.building)


def area_of(location: object, building: object) -> str | None:
    """The community holding the point, else the building's community, else None."""
    if location is not None:
        code: str | None = (
            AdminArea.objects.at_level(AreaLevel.COMMUNITY)
            .containing(location)  # type: ignore[arg-type]
            .order_by("code")
            .values_list("code", flat=True)
            .first()
        )
        if code is not None:
            return code
    if building is not None:
        return str(building.community_id)  # type: ignore[attr-defined]
    return None


class DeviceNonce(models.Model):
    """Nonces of accepted signed requests and messages, kept for the replay window."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "nonce"], name="devices_nonce_unique")
        ]
