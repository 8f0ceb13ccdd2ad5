"""Editing a component in the admin through the same service as the API
(``services.update_component``): the version the form was opened at is checked (a stale
form is refused, never saved over a newer edit), the edit bumps the version, records
history under a changeset with the user's comment, writes the audit event and invalidates
the tiles. The class's attributes are typed form fields (``admin_attributes``), not JSON.

The form calls the service last in its validation, after the admin's own scope check
(``GuardedAdmin``): an error the service finds (a stale version, a place outside the
user's area, a value the schema refuses) is shown on the field it names, and nothing is
saved.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import shapely
from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from component_catalog import admin_attributes, services
from component_catalog.inputs import DESCRIPTIVE_FIELDS, ORGANIZATION_FIELDS, ComponentInput
from component_catalog.models import ChangesetSource, Component
from gis_app import access, audit, editing
from gis_app.errors import Conflict, DomainError
from gis_app.roles import Action

#: Model fields the form edits (the rest is derived or read-only).
EDITED_FIELDS = [*DESCRIPTIVE_FIELDS, *ORGANIZATION_FIELDS, "geometry"]
# given as is; the change date only when changed (else the service stamps today's)
_PLAIN_FIELDS = [name for name in DESCRIPTIVE_FIELDS if name != "change_date"]


class ComponentAdminForm(forms.ModelForm):
    """The component's editable fields, its class's attributes as typed fields, the version
    the page was opened at (hidden) and the reason for the change (the changeset comment)."""

    base_version = forms.IntegerField(
        label=_("Version you started from"), widget=forms.HiddenInput, min_value=1
    )
    retire = forms.BooleanField(
        label=_("Retire this component"),
        required=False,
        help_text=_(
            "It stays in the records as retired and leaves the maps and lists; the history "
            "keeps it."
        ),
    )
    comment = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        help_text=_("Recorded in the component's history with your name."),
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = Component
        fields = EDITED_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        component = self.instance
        self.schema = component.component_class.attribute_schema if component.pk else {}
        stored = component.attributes or {} if component.pk else {}
        for name, field in admin_attributes.schema_fields(self.schema).items():
            key = name[len(admin_attributes.PREFIX) :]
            field.initial = admin_attributes.initial_value(stored.get(key), field)
            self.fields[name] = field
        if component.pk:
            self.fields["base_version"].initial = component.version
            if "geometry" in self.fields and component.geometry is not None:
                # the map's drawing tools offer the class's kind of geometry only
                kind = component.geometry.geom_type.upper()
                self.fields["geometry"].widget.attrs["geom_type"] = kind
        self.saved_through_services = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in admin_attributes.missing_required(cleaned, self.schema):
            self.add_error(name, forms.ValidationError(gettext("This field is required.")))
        return cleaned

    def edit(self) -> ComponentInput:
        """The form's values as the services' input (every field; the service writes only
        what differs from the stored component)."""
        cleaned = self.cleaned_data
        fields: dict[str, Any] = {name: cleaned.get(name) for name in _PLAIN_FIELDS}
        fields["name"] = fields["name"] or ""
        fields["address"] = fields["address"] or ""
        fields["notes"] = fields["notes"] or ""
        if "change_date" in self.changed_data:  # else the service stamps today's
            fields["change_date"] = cleaned.get("change_date")
        fields["attributes"] = admin_attributes.submitted(cleaned, self.schema)
        data = ComponentInput(
            version=cleaned.get("base_version"),
            fields=fields,
            organizations={name: cleaned[name] for name in ORGANIZATION_FIELDS},
        )
        geometry = cleaned.get("geometry")
        if geometry is not None and "geometry" in self.changed_data:
            data.geometry = shapely.from_wkb(bytes(geometry.wkb))
        return data

    def error_field(self, name: str | None) -> str | None:
        """The form field an error of the services (``properties.attributes.depth_m``,
        ``geometry`` ...) belongs on; None: the top of the form."""
        if not name:
            return None
        name = name.removeprefix("properties.")
        if name.startswith("attributes."):
            name = admin_attributes.PREFIX + name.split(".", 1)[1]
        return name if name in self.fields and name != "base_version" else None

    def save_through_services(self, request: HttpRequest) -> None:
        """Apply the edit with ``services.update_component``; errors go onto the form."""
        ctx = editing.EditContext(
            user=request.user,
            address=audit.source_address(request),
            comment=self.cleaned_data.get("comment") or "",
            source=ChangesetSource.UI,
        )
        retire = bool(self.cleaned_data.get("retire"))
        if retire and not access.can(request.user, Action.RETIRE, self.instance):
            self.add_error("retire", gettext("Your role does not allow retiring components."))
            return
        try:
            # an edit and a retirement together: both or neither (an edit alone keeps the
            # audit of a refusal, which the services write before raising)
            with transaction.atomic() if retire else nullcontext():
                updated = services.update_component(
                    ctx, self.instance.identifier, self.edit(), partial=True
                )
                if retire:
                    updated = services.retire_component(ctx, updated.identifier, updated.version)
        except Conflict as exc:
            current = exc.extra.get("current") or {}
            version = (current.get("properties") or {}).get("version", "?")
            self.add_error(
                None,
                gettext(
                    "Someone else changed this component while you were editing it: it is "
                    "now at version %(version)s. Nothing was saved. Open the component again "
                    "to see the current values, then make your change."
                )
                % {"version": version},
            )
            return
        except DomainError as exc:
            self.add_error(self.error_field(exc.field), str(exc.message))
            return
        self.instance = updated
        self.saved_through_services = True
