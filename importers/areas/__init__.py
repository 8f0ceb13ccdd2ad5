"""Area files: read a file of areas through the importer's readers (formats, encodings,
coordinate systems) into ``layers.area_import.AreaFeature``s and run ``import_areas``."""

from importers.areas.reading import (
    AreaFileOptions,
    describe,
    load_code_map,
    read_area_features,
    read_upload,
    run,
)

__all__ = [
    "AreaFileOptions",
    "describe",
    "load_code_map",
    "read_area_features",
    "read_upload",
    "run",
]
