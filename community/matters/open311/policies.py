"""Client applications are a city-wide setting: seen and changed through a city-level grant
that may manage (``access.manages_city_settings``); nothing of them is public."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from community.matters.open311.models import ClientApplication
from gis_app import access
from gis_app.access import AccessPolicy, Action, Grant, manages_city_settings


class ClientApplicationPolicy(AccessPolicy):
    def scope_q(self, grant: Grant, action: Action) -> Q:
        return Q() if manages_city_settings(grant) else Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return manages_city_settings(grant)

    def applies(self, grant: Grant, action: Action) -> bool:
        return manages_city_settings(grant)


def register() -> None:
    access.register(ClientApplication, ClientApplicationPolicy())
