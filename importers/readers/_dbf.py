"""Just enough of the dBase (.dbf) format to check a Shapefile's table and find its encoding.

GDAL reads the table; this module only looks at the raw bytes: the header (record count,
lengths, language-driver id at offset 29), the field descriptors, and the non-ASCII values of
the character fields and field names, which is what encoding detection and validation need.
Hand-written because no library exposes the undecoded bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CHUNK_BYTES = 8 * 1024 * 1024


class DbfError(ValueError):
    """The .dbf is not a dBase table or is cut short (message says which)."""


@dataclass(frozen=True)
class DbfField:
    name: bytes
    type: str
    offset: int  # within the record, after the deletion flag
    length: int


@dataclass(frozen=True)
class DbfHeader:
    version: int
    records: int
    header_length: int
    record_length: int
    ldid: int
    fields: tuple[DbfField, ...]

    @property
    def expected_size(self) -> int:
        return self.header_length + self.records * self.record_length


def read_header(path: Path) -> DbfHeader:
    """Parse and sanity-check the header; DbfError when it is not a usable dBase table."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(32)
        if len(head) < 32:
            raise DbfError(f"{path.name} is too short to be a dBase table ({size} bytes).")
        version = head[0]
        records, header_length, record_length = struct.unpack("<IHH", head[4:12])
        ldid = head[29]
        if header_length < 33 or record_length < 1 or version & 0x07 not in (2, 3, 4, 5):
            raise DbfError(f"{path.name} is not a dBase table (its header makes no sense).")
        descriptors = handle.read(header_length - 32)
    fields: list[DbfField] = []
    offset = 1  # byte 0 of a record is the deletion flag
    for start in range(0, len(descriptors) - 31, 32):
        raw = descriptors[start : start + 32]
        if raw[0] == 0x0D:
            break
        name = raw[:11].split(b"\x00", 1)[0]
        ftype = chr(raw[11])
        # As shapelib reads it: numeric fields keep decimals in byte 17; other types use
        # bytes 16-17 as a 16-bit width (character fields wider than 255).
        length = raw[16] if ftype in ("N", "F") else raw[16] | (raw[17] << 8)
        fields.append(DbfField(name=name, type=ftype, offset=offset, length=length))
        offset += length
    header = DbfHeader(version, records, header_length, record_length, ldid, tuple(fields))
    if offset > record_length:
        raise DbfError(f"{path.name}: the field widths add up to more than the record length.")
    if size < header.expected_size:
        raise DbfError(
            f"{path.name} is truncated: its header announces {records:,} records "
            f"({header.expected_size:,} bytes) but the file has only {size:,} bytes."
        )
    return header


def non_ascii_blocks(path: Path, header: DbfHeader) -> Iterator[np.ndarray]:
    """The field names, then the character-field values, that contain a byte >= 0x80.

    Each block is a 2D uint8 array, one fixed-width value (blank/NUL padded) per row; the
    table is read in chunks of whole records, and numpy skips pure-ASCII values.
    """
    names = [d.name.ljust(11, b" ") for d in header.fields if any(b >= 0x80 for b in d.name)]
    if names:
        yield np.frombuffer(b"".join(names), dtype=np.uint8).reshape(len(names), 11)
    text_fields = [f for f in header.fields if f.type in ("C", "V", "W")]
    if not text_fields or header.records == 0:
        return
    per_chunk = max(1, _CHUNK_BYTES // header.record_length)
    with path.open("rb") as handle:
        handle.seek(header.header_length)
        remaining = header.records
        while remaining > 0:
            count = min(per_chunk, remaining)
            data = handle.read(count * header.record_length)
            count = len(data) // header.record_length
            if count == 0:
                return
            remaining -= count
            table = np.frombuffer(data, dtype=np.uint8, count=count * header.record_length)
            table = table.reshape(count, header.record_length)
            for descriptor in text_fields:
                block = table[:, descriptor.offset : descriptor.offset + descriptor.length]
                rows = (block >= 0x80).any(axis=1)
                if rows.any():
                    yield block[rows]
