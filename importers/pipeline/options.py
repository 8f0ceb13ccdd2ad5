"""What a run is asked to do: the options of one import, the row outcomes it counts, and
the error that refuses a file as a whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final

from gis_app.errors import InvalidInput
from importers.readers import BATCH_ROWS, ReadOptions

# The outcome of each row, as the report counts them.
ERROR: Final = "error"
SKIP: Final = "skip"
INSERT: Final = "insert"
UPDATE: Final = "update"

# (rows done, rows in the file if known, phase): "validate" per batch, then "load"
Progress = Callable[[int, int | None, str], None]


@dataclass
class ImportOptions:
    """How to read and load a file (the command-line flags, the web form's fields)."""

    crs: str | None = None
    encoding: str | None = None
    layer: str | None = None
    lon_field: str | None = None
    lat_field: str | None = None
    wkt_field: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    repair: bool = False
    dedupe_metres: float = 1.0
    on_duplicate: str = UPDATE  # update | skip
    batch_rows: int = BATCH_ROWS
    member: str | None = None  # the data file inside a zip holding several
    file_name: str | None = None  # the name to record (an upload's original name)
    address: str | None = None  # the client's address, for the audit log

    def read_options(self) -> ReadOptions:
        return ReadOptions(
            encoding=self.encoding,
            crs=self.crs,
            layer=self.layer,
            lon_field=self.lon_field,
            lat_field=self.lat_field,
            wkt_field=self.wkt_field,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("address")
        return data


class ImportRefused(InvalidInput):
    """The run is refused as a whole (no CRS, unreadable file, bad mapping ...)."""

    code = "import_refused"
