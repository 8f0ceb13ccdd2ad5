"""Import of the administrative hierarchy and grid cells (``import_areas``); file reading
is the importer's (``importers.areas``)."""

from layers.area_import.features import LEVELS, AreaFeature
from layers.area_import.report import AreaImportReport, FeatureReport, Problem
from layers.area_import.service import import_areas

__all__ = ["LEVELS", "AreaFeature", "AreaImportReport", "FeatureReport", "Problem", "import_areas"]
