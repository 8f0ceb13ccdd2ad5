"""Area files: read a file of areas through the importer's readers (formats, encodings,
coordinate systems) into ``layers.area_import.AreaFeature``s and run ``import_areas``."""

from importers.areas.reading import AreaFileOptions, load_code_map, read_area_features, run

__all__ = ["AreaFileOptions", "load_code_map", "read_area_features", "run"]
