"""Who may see and change webhook subscriptions and their deliveries: a city-wide setting
(a subscription receives notifications from the whole city), so a city-level grant that may
manage (``access.manages_city_settings``), like the layer registry. Inbox messages are not
rows of anyone's area: each user reads only their own (``services.inbox``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from community.notify.models import Delivery, DeliveryAttempt, Message, WebhookSubscription
from gis_app import access
from gis_app.access import AccessPolicy, Action, Grant, manages_city_settings


class CitySettingPolicy(AccessPolicy):
    def scope_q(self, grant: Grant, action: Action) -> Q:
        return Q() if manages_city_settings(grant) else Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return manages_city_settings(grant)

    def applies(self, grant: Grant, action: Action) -> bool:
        return manages_city_settings(grant)


class NobodysPolicy(AccessPolicy):
    """Messages: no grant reaches another user's inbox (the defaults: nothing in scope)."""

    def applies(self, grant: Grant, action: Action) -> bool:
        return False


def register() -> None:
    for model in (WebhookSubscription, Delivery, DeliveryAttempt):
        access.register(model, CitySettingPolicy())
    access.register(Message, NobodysPolicy())
