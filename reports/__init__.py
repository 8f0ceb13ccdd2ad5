"""Spatial reports for planners and officials: counts and density, condition, data quality,
service coverage and edits per month, by street or community, with CSV, XLSX, GeoPackage
and PDF exports."""
