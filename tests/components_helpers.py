"""Helpers for component tests: demo places, feature bodies, API clients."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from component_catalog.models import (
    Changeset,
    Component,
    ComponentHistory,
    ComponentPhoto,
    IdentifierCounter,
)
from layers.models import AdminArea, GridCell


def inside(community: str = "330106001001", grid: int = 1, shift: float = 0.0) -> list[float]:
    """A lon/lat point inside a demo grid cell (and so inside its community)."""
    cell = GridCell.objects.get(code=f"{community}{grid:03d}")
    p = cell.boundary.point_on_surface
    return [round(p.x + shift, 8), round(p.y, 8)]


def community_center(code: str) -> list[float]:
    p = AdminArea.objects.get(code=code).boundary.point_on_surface
    return [p.x, p.y]


def manhole(
    klass: str = "0101",
    at: list[float] | None = None,
    owner: str = "HZ-SW",
    **props: Any,
) -> dict[str, Any]:
    properties = {
        "class": klass,
        "name": "上水井盖",
        "competent_department": "XH-CGJ",
        "owner": owner,
        "maintainer": owner,
        "attributes": {"material": "球墨铸铁", "shape": "圆形", "size_mm": 700, "depth_m": 1.5},
        "gnss": {"fix": "rtk_fixed", "accuracy_m": 0.02, "satellites": 21},
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": at or inside()},
        "properties": properties,
    }


class Api:
    """A JSON client for one demo user (or anonymous)."""

    def __init__(self, username: str | None) -> None:
        self.client = Client()
        self.username = username
        if username:
            response = self.client.post(
                "/api/v1/auth/token/", {"username": username, "password": "demo-pass-2019"}
            )
            assert response.status_code == 200, response.content
            self.client = Client(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")

    def get(self, url: str, **headers: Any) -> Any:
        return self.client.get(url, **headers)

    def send(self, method: str, url: str, body: Any = None, **headers: Any) -> Any:
        return getattr(self.client, method)(
            url,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            **headers,
        )

    def post(self, url: str, body: Any = None, **headers: Any) -> Any:
        return self.send("post", url, body, **headers)

    def patch(self, url: str, body: Any = None, **headers: Any) -> Any:
        return self.send("patch", url, body, **headers)

    def put(self, url: str, body: Any = None, **headers: Any) -> Any:
        return self.send("put", url, body, **headers)

    def delete(self, url: str, body: Any = None, **headers: Any) -> Any:
        return self.send("delete", url, body, **headers)

    def create(self, feature: dict[str, Any], comment: str = "新增部件", **query: str) -> Any:
        url = "/api/v1/components/"
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return self.post(url, {**feature, "comment": comment})


def last_component_id() -> int:
    return Component.objects.order_by("-id").values_list("id", flat=True).first() or 0


def remove_components_after(start: int) -> None:
    """Undo what committed tests made: components with an id above ``start``, their
    photos, history and empty changesets, and the identifier counters they advanced."""
    made = Component.objects.filter(id__gt=start)
    identifiers = list(made.values_list("identifier", flat=True))
    keys = set(made.values_list("county_code", "component_class_id"))
    ComponentPhoto.objects.filter(component__in=made).delete()
    ComponentHistory.objects.filter(identifier__in=identifiers).delete()
    made.delete()
    Changeset.objects.filter(edits__isnull=True).delete()
    for county, klass in keys:
        last = (
            Component.objects.filter(county_code=county, component_class_id=klass)
            .order_by("-serial")
            .values_list("serial", flat=True)
            .first()
        )
        IdentifierCounter.objects.filter(county_code=county, class_code=klass).update(
            last_serial=last or 0
        )
