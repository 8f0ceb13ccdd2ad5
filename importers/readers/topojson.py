"""TopoJSON (.topojson, or .json whose top-level type is "Topology").

Decoded here in plain Python + numpy rather than by GDAL, because GDAL's TopoJSON driver
drops the geometries whose type is null, and with them their rows; an importer must keep
and count every row. The decoder follows the TopoJSON 1.0 specification: arcs are
delta-encoded when the topology has a ``transform`` (then positions are quantized too),
a negative arc index ``~i`` means arc ``i`` reversed, and consecutive arcs of a line or ring
share their joining point.

Layers are the topology's ``objects``; a GeometryCollection object gives one row per member
(as GDAL does), any other object is a single row. Rows: ``properties`` as columns (the union
of keys, in order of appearance) plus ``id`` when members have one. CRS: a ``crs`` member
(a GeoJSON-style extension) is honoured; otherwise TopoJSON coordinates are lon/lat (CRS84,
``crs_source = "format"``) unless they do not fit lon/lat, in which case there is no CRS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._crs import CrsFound, from_definition, lonlat_name, option_or, unrecognised_note
from .base import BATCH_ROWS, Batch, ImportFileError, Reader, SourceInfo, register

Arcs = list[np.ndarray]


class _Topology:
    def __init__(self, data: dict[str, Any]) -> None:
        transform = data.get("transform")
        self.scale = self.translate = None
        if transform:
            self.scale = np.asarray(transform["scale"], dtype=float)[:2]
            self.translate = np.asarray(transform["translate"], dtype=float)[:2]
        self.arcs: Arcs = [self._arc(arc) for arc in data.get("arcs", [])]

    def _arc(self, arc: list[list[float]]) -> np.ndarray:
        points = np.asarray([p[:2] for p in arc], dtype=float).reshape(-1, 2)
        if self.scale is not None and self.translate is not None:
            points = np.cumsum(points, axis=0) * self.scale + self.translate
        return points

    def position(self, p: list[float]) -> np.ndarray:
        point = np.asarray(p[:2], dtype=float)
        if self.scale is not None and self.translate is not None:
            point = point * self.scale + self.translate
        return point

    def line(self, indexes: list[int]) -> np.ndarray:
        parts = []
        for k, i in enumerate(indexes):
            arc = self.arcs[i] if i >= 0 else self.arcs[~i][::-1]
            parts.append(arc if k == 0 else arc[1:])
        return np.concatenate(parts) if parts else np.empty((0, 2))

    def geometry(self, obj: dict[str, Any]) -> BaseGeometry | None:
        kind = obj.get("type")
        if kind is None:
            return None
        arcs, coords = obj.get("arcs", []), obj.get("coordinates", [])
        if kind == "Point":
            return shapely.Point(self.position(coords)) if coords else shapely.Point()
        if kind == "MultiPoint":
            return shapely.MultiPoint([self.position(p) for p in coords])
        if kind == "LineString":
            return shapely.LineString(self.line(arcs))
        if kind == "MultiLineString":
            return shapely.MultiLineString([self.line(a) for a in arcs])
        if kind == "Polygon":
            return _polygon([self.line(ring) for ring in arcs])
        if kind == "MultiPolygon":
            return shapely.MultiPolygon(
                [_polygon([self.line(ring) for ring in rings]) for rings in arcs]
            )
        if kind == "GeometryCollection":
            members = [self.geometry(g) for g in obj.get("geometries", [])]
            return shapely.GeometryCollection([g for g in members if g is not None])
        raise ValueError(f"unknown geometry type {kind!r}")


def _polygon(rings: list[np.ndarray]) -> shapely.Polygon:
    if not rings:
        return shapely.Polygon()
    return shapely.Polygon(rings[0], rings[1:])


def _members(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj.get("type") == "GeometryCollection":
        return list(obj.get("geometries", []))
    return [obj]


@register
class TopoJSONReader(Reader):
    format = "TopoJSON"
    extensions = (".topojson",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._info: SourceInfo | None = None
        self._rows: list[dict[str, Any]] = []
        self._topology: _Topology | None = None

    def _load(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as handle:
                data = json.load(handle)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImportFileError(f"{self.path.name} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("type") != "Topology":
            raise ImportFileError(f"{self.path.name} is not TopoJSON (no type 'Topology').")
        if not isinstance(data.get("objects"), dict) or not data["objects"]:
            raise ImportFileError(f"{self.path.name} has no objects.")
        return data

    def info(self) -> SourceInfo:
        if self._info is not None:
            return self._info
        data = self._load()
        objects: dict[str, Any] = data["objects"]
        names = list(objects)
        layer = self.options.layer
        if layer is None and len(names) == 1:
            layer = names[0]
        if layer not in objects:
            given = f"has no object {layer!r}" if layer else f"has {len(names)} objects"
            raise ImportFileError(
                f"{self.path.name} {given}: "
                + ", ".join(repr(n) for n in names)
                + "; choose one with the layer option.",
                field="layer",
            )
        try:
            self._topology = _Topology(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportFileError(
                f"{self.path.name} has malformed arcs or transform: {exc}"
            ) from None
        self._rows = _members(objects[layer])
        fields: list[str] = []
        for member in self._rows:
            for key in member.get("properties") or {}:
                if key not in fields:
                    fields.append(key)
        if any("id" in member for member in self._rows):
            fields.insert(0, "id" if "id" not in fields else "topojson_id")
        found = self._crs(data)
        self._info = SourceInfo(
            format=self.format,
            layer=layer,
            crs=found.crs,
            crs_source=found.source,
            encoding="UTF-8",
            fields=fields,
            count=len(self._rows),
            notes=found.notes,
        )
        return self._info

    def _crs(self, data: dict[str, Any]) -> CrsFound:
        found = CrsFound(None, "none")
        declared = data.get("crs")
        if isinstance(declared, dict):
            name = (declared.get("properties") or {}).get("name")
            crs, description = from_definition(str(name) if name else None)
            if crs is not None:
                found = CrsFound(lonlat_name(crs), "metadata")
            else:
                found.notes.append(unrecognised_note("crs member", description or name))
        else:
            assert self._topology is not None
            arcs = [a for a in self._topology.arcs if len(a)]
            xy = np.concatenate(arcs) if arcs else np.empty((0, 2))
            if (
                not len(xy)
                or (np.abs(xy[:, 0]) <= 360.5).all()
                and (np.abs(xy[:, 1]) <= 90.5).all()
            ):
                found = CrsFound("CRS84", "format")
            else:
                found.notes.append(
                    "The coordinates are not longitude/latitude; give the CRS explicitly."
                )
        return option_or(self.options, found)

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        info = self.info()
        topology = self._topology
        assert topology is not None
        id_field = (
            info.fields[0] if info.fields and info.fields[0] in ("id", "topojson_id") else None
        )
        for offset in range(0, len(self._rows), size):
            chunk = self._rows[offset : offset + size]
            start = offset + 1
            geometries = np.full(len(chunk), None, dtype=object)
            errors: dict[int, tuple[str, str]] = {}
            for i, member in enumerate(chunk):
                try:
                    geometries[i] = topology.geometry(member)
                except (
                    IndexError,
                    KeyError,
                    TypeError,
                    ValueError,
                    shapely.errors.GEOSException,
                ) as exc:
                    errors[start + i] = ("geometry", f"unreadable geometry: {exc}")
            columns: dict[str, list[Any]] = {}
            for name in info.fields:
                if name == id_field:
                    columns[name] = [member.get("id") for member in chunk]
                else:
                    columns[name] = [(m.get("properties") or {}).get(name) for m in chunk]
            yield Batch(start=start, geometries=geometries, columns=columns, errors=errors)
