"""Administrative areas and grid cells as versioned edits (``gis_app.editing``): every
import that creates or changes one bumps its version and writes an ``AreaHistory`` row
(with the boundary of that version), the tile announcement and an audit event, in the
import's transaction."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils.translation import gettext_lazy

from gis_app import editing
from gis_app.types import User
from layers import changes
from layers.models import AdminArea, AreaHistory, GridCell, Layer, LayerKind


def boundary_digest(geom: Any) -> str:
    """A short fingerprint of a boundary (what the history's ``changes`` compare)."""
    if geom is None:
        return ""
    return hashlib.sha256(bytes(geom.wkb)).hexdigest()[:16]


class _AreaEditable(editing.Editable[Any]):
    history_kind = ""
    layer_kind = ""

    def object_id(self, obj: Any) -> str:
        return str(obj.code)

    def current(self, obj: Any, user: User) -> dict[str, Any]:
        return {"code": obj.code, "name": obj.name, "version": obj.version}

    def history(self, obj: Any, entry: editing.Entry) -> AreaHistory:
        return AreaHistory(
            kind=self.history_kind,
            code=obj.code,
            version=entry.version,
            action=entry.action,
            actor=entry.actor,
            actor_username=entry.actor_username,
            changes=entry.changes,
            comment=str(entry.note),
            boundary=obj.boundary,
        )

    def __init__(self, *, batched: bool = False) -> None:
        # An import announces all its boundaries once (``flush``): the tile cache then
        # works out the touched tiles of the whole import in one pass, not per area.
        self.pending: list[Any] | None = [] if batched else None

    def announce(self, before: Any, after: Any) -> None:
        shapes = [o.boundary for o in (before, after) if o is not None]
        if self.pending is not None:
            self.pending.extend(shapes)
        else:
            self._announce(shapes)

    def flush(self) -> None:
        """Announce what a batched instance collected."""
        if self.pending:
            self._announce(self.pending)
            self.pending = []

    def _announce(self, shapes: list[Any]) -> None:
        layers = Layer.objects.filter(kind=self.layer_kind).values_list("code", flat=True)
        changes.geometries_changed(list(layers), shapes)


class AdminAreas(_AreaEditable):
    object_type = "layers.adminarea"
    name = "adminarea"
    history_kind = "area"
    layer_kind = LayerKind.ADMIN_AREA
    stale_text = gettext_lazy("Area %(id)s was changed by someone else: now version %(v)d.")

    def queryset(self) -> Any:
        return AdminArea.objects.all()

    def snapshot(self, obj: AdminArea) -> dict[str, Any]:
        return {
            "name": obj.name,
            "parent": obj.parent_id,
            "source_code": obj.source_code,
            "boundary": boundary_digest(obj.boundary),
        }


class GridCells(_AreaEditable):
    object_type = "layers.gridcell"
    name = "gridcell"
    history_kind = "grid"
    layer_kind = LayerKind.GRID_CELL
    stale_text = gettext_lazy("Grid cell %(id)s was changed by someone else: now version %(v)d.")

    def queryset(self) -> Any:
        return GridCell.objects.all()

    def snapshot(self, obj: GridCell) -> dict[str, Any]:
        return {
            "name": obj.name,
            "community": obj.community_id,
            "source_code": obj.source_code,
            "boundary": boundary_digest(obj.boundary),
        }


ADMIN_AREAS = AdminAreas()
GRID_CELLS = GridCells()
