"""Shared machinery of the readers that go through GDAL (pyogrio): layers, info, Arrow batches.

Batches stream through ``pyogrio.raw.open_arrow`` (one open dataset, GDAL's columnar Arrow
interface), geometries come as WKB and are decoded with ``shapely.from_wkb`` for the whole
batch at once; Z and M are dropped with ``shapely.force_2d`` (pyogrio's ``force_2d`` is not
available on the Arrow path). A WKB that GEOS refuses becomes a per-row error on
``"geometry"`` and a None geometry, never a silent drop.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyogrio
import shapely
from pyogrio.raw import open_arrow

from ._crs import CrsFound
from .base import BATCH_ROWS, Batch, ImportFileError, Reader, SourceInfo


def gdal_call(reader: Reader, func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a pyogrio function; turn GDAL's failures into ImportFileError without server paths."""
    try:
        return func(*args, **kwargs)
    except ImportFileError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ... and OSError
        raise ImportFileError(
            f"{reader.path.name} cannot be read as {reader.format}: {_clean(reader, exc)}"
        ) from None


def _clean(reader: Reader, exc: BaseException) -> str:
    return str(exc).replace(str(reader.path.parent) + "/", "").strip() or type(exc).__name__


def layers(reader: Reader) -> list[tuple[str, str | None]]:
    """(name, geometry type or None for a plain table) of each layer."""
    listed = gdal_call(reader, pyogrio.list_layers, reader.path)
    return [(str(name), None if kind is None else str(kind)) for name, kind in listed]


def choose_layer(reader: Reader, candidates: list[str], all_layers: list[str]) -> str:
    """``options.layer`` if it exists, else the only candidate; ImportFileError otherwise."""
    wanted = reader.options.layer
    if wanted:
        if wanted in all_layers:
            return wanted
        raise ImportFileError(
            f"{reader.path.name} has no layer {wanted!r}; its layers are: "
            + ", ".join(repr(name) for name in all_layers),
            field="layer",
        )
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ImportFileError(f"{reader.path.name} has no layer with features.")
    raise ImportFileError(
        f"{reader.path.name} has {len(candidates)} layers: "
        + ", ".join(repr(name) for name in candidates)
        + "; choose one with the layer option.",
        field="layer",
    )


def decode_wkb(values: np.ndarray, first_row: int) -> tuple[np.ndarray, dict[int, tuple[str, str]]]:
    """Object array of WKB (or None) -> 2D shapely geometries, plus per-row errors."""
    errors: dict[int, tuple[str, str]] = {}
    try:
        geometries = shapely.from_wkb(values)
    except (shapely.errors.GEOSException, ValueError, TypeError):
        geometries = np.empty(len(values), dtype=object)
        for index, value in enumerate(values):
            try:
                geometries[index] = None if value is None else shapely.from_wkb(value)
            except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
                geometries[index] = None
                errors[first_row + index] = ("geometry", f"unreadable geometry: {exc}")
    return force_2d(geometries), errors


def force_2d(geometries: np.ndarray) -> np.ndarray:
    """Drop Z and M (only when some geometry has them)."""
    if len(geometries) and (shapely.has_z(geometries).any() or shapely.has_m(geometries).any()):
        return np.asarray(shapely.force_2d(geometries), dtype=object)
    return np.asarray(geometries, dtype=object)


def column_values(column: pa.ChunkedArray | pa.Array, encoding: str | None = None) -> list[Any]:
    """Python values of an Arrow column.

    Text GDAL could not recode (an encoding name iconv does not know, a value cut inside a
    character) is decoded here: as UTF-8 if it is, else with the source ``encoding``, with
    U+FFFD for what still does not decode.
    """
    try:
        return list(column.to_pylist())
    except (UnicodeDecodeError, pa.ArrowInvalid):
        raw = column.cast(pa.large_binary()).to_pylist()
        return [None if v is None else _decode(bytes(v), encoding) for v in raw]


def _decode(value: bytes, encoding: str | None) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode(encoding or "utf-8", "replace")


class GdalReader(Reader):
    """Base of the GDAL-backed readers. Subclasses decide layer, encoding and CRS."""

    gdal_encoding: ClassVar[bool] = False  # pass the chosen encoding to GDAL (Shapefile)
    info_options: ClassVar[dict[str, Any]] = {}  # extra pyogrio.read_info arguments

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._info: SourceInfo | None = None

    # --- hooks -------------------------------------------------------------------------
    def choose(self) -> str | None:
        """The layer to read (None: the only one)."""
        return None

    def encoding(self) -> tuple[str | None, str, list[str]]:
        """(encoding, encoding_source, notes)."""
        return None, "n/a", []

    @abstractmethod
    def crs(self, gdal_info: dict[str, Any]) -> CrsFound:
        """The CRS the file declares (each format reads it from its own place)."""

    # --- Reader ------------------------------------------------------------------------
    def info(self) -> SourceInfo:
        if self._info is not None:
            return self._info
        layer = self.choose()
        encoding, encoding_source, notes = self.encoding()
        kwargs: dict[str, Any] = {"layer": layer, **self.info_options}
        if self.gdal_encoding and encoding:
            kwargs["encoding"] = encoding
        raw = gdal_call(self, pyogrio.read_info, self.path, **kwargs)
        found = self.crs(raw)
        count = int(raw.get("features", -1))
        self._info = SourceInfo(
            format=self.format,
            layer=layer if layer is not None else raw.get("layer_name"),
            crs=found.crs,
            crs_source=found.source,
            encoding=encoding,
            encoding_source=encoding_source,
            fields=[str(name) for name in raw["fields"]],
            count=count if count >= 0 else None,
            notes=notes + found.notes,
        )
        return self._info

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        info = self.info()
        kwargs: dict[str, Any] = {"layer": info.layer}
        if self.gdal_encoding and info.encoding:
            kwargs["encoding"] = info.encoding
        start = 1
        try:
            with open_arrow(
                self.path, use_pyarrow=True, batch_size=size, return_fids=True, **kwargs
            ) as (meta, stream):
                geometry_column = meta["geometry_name"] or "wkb_geometry"
                fid_column = meta["fid_column"]
                fields = [str(name) for name in meta["fields"]]
                for record_batch in stream:
                    batch = self._batch(record_batch, start, geometry_column, fid_column, fields)
                    start += len(batch)
                    yield batch
        except ImportFileError:
            raise
        except Exception as exc:  # GDAL failing part-way through the file
            raise ImportFileError(
                f"{self.path.name} could not be read past row {start - 1}: {_clean(self, exc)}"
            ) from None

    def _batch(
        self,
        record_batch: pa.RecordBatch,
        start: int,
        geometry_column: str,
        fid_column: str | None,
        fields: list[str],
    ) -> Batch:
        # Columns by POSITION, not name: GDAL's Arrow stream is [FID], fields..., [geometry],
        # and the FID column may share a field's name (GeoJSON with an "id" property).
        names = record_batch.schema.names
        first = 1 if fid_column and names and names[0] == fid_column else 0
        fids = None
        if first:
            fids = record_batch.column(0).to_numpy(zero_copy_only=False)
        after = first + len(fields)
        if geometry_column in names[after:]:
            position = after + names[after:].index(geometry_column)
            wkb = record_batch.column(position).to_numpy(zero_copy_only=False)
            geometries, errors = decode_wkb(np.asarray(wkb, dtype=object), start)
        else:
            geometries, errors = np.full(record_batch.num_rows, None, dtype=object), {}
        encoding = self._info.encoding if self._info else None
        columns = {
            name: column_values(record_batch.column(first + i), encoding)
            for i, name in enumerate(fields)
        }
        return Batch(start=start, geometries=geometries, columns=columns, errors=errors, fids=fids)
