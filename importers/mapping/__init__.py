"""Mappings: how a source file's fields become component properties.

A mapping is a YAML or JSON object. Every value that comes from the file is a *source*:

* ``"FIELD"`` -- a string names a field of the file;
* ``{field: FIELD, map: {value: result, ...}, default: X, format: "%m/%d/%Y", by: code}``
  -- a field with an optional value map (values not in the map pass through unchanged), a
  default for empty cells, a date format, or how organizations are matched;
* ``{value: X}`` -- the same fixed value for every row.

Keys (all optional, but a class and the three organizations must come from somewhere)::

    class: "0301"                      # a fixed class code (quote it: 0301 unquoted is octal)
    class_field: 类别                  # ... or the class from a field's value
    class_map: {公共厕所: "0301", 公交站点: "0205"}
    unmapped: skip                     # rows whose value is not in class_map: skip | error
    name: 名称
    address: 地址
    status: {field: 状况, map: {好: good}}   # 完好/破损/丢失/占用 and good/... understood
    data_source: {value: other}        # 实测/地形图/调绘/其它 or measured/...; default other
    owner: {value: HZ-SW}              # organizations by code or by name
    maintainer: {field: 养护单位, by: name}
    competent_department: {value: 杭州市城市管理局}
    initial_date: {field: 建设日期}    # 2019-04-01, 2019/4/1, 2019.4.1, 2019年4月1日, 20190401
    attributes:                        # target attribute <- source, typed by the class schema
      capacity: 车位数
      fee: {field: 费用, map: {不收费: 免费}}
    source_key: station_id             # the source system's own key (re-imports update)
    identifier: 标识码                 # existing component identifiers: those rows update

Attribute values are converted by the target class's JSON Schema type (integer, number,
boolean -- 是/否, true/false, 1/0, Y/N --, string, enum) and then validated by the schema;
every problem is reported with the row and the field. With several classes, an attribute
applies to the classes whose schema has it.

The modules, one concern each:

- ``parse``: the mapping object -> ``Mapping`` (``parse_mapping``, ``load_mapping``,
  ``with_options``), ``MappingError``;
- ``convert``: source values -> typed values (``convert``, ``to_integer`` ...),
  ``ValueProblem``;
- ``schema``: the classes' attribute schemas and their quick and full checks;
- ``bind``: ``BoundMapping``, a mapping checked against the file, the catalog and the
  organizations;
- ``rows``: a batch's rows mapped column by column into ``RowValues``.
"""

from importers.mapping.bind import BoundMapping
from importers.mapping.convert import (
    DATA_SOURCE_WORDS,
    STATUS_WORDS,
    TEXT_LIMITS,
    ValueProblem,
    blank,
    convert,
    to_boolean,
    to_choice,
    to_date,
    to_integer,
    to_number,
    to_past_date,
    to_string,
)
from importers.mapping.parse import (
    ORGANIZATION_FIELDS,
    Mapping,
    MappingError,
    Source,
    load_mapping,
    parse_mapping,
    with_options,
)
from importers.mapping.rows import RowValues
from importers.mapping.schema import AttributeSchemas, PropertyCheck, property_check, quick_check

__all__ = [
    "DATA_SOURCE_WORDS",
    "ORGANIZATION_FIELDS",
    "STATUS_WORDS",
    "TEXT_LIMITS",
    "AttributeSchemas",
    "BoundMapping",
    "Mapping",
    "MappingError",
    "PropertyCheck",
    "RowValues",
    "Source",
    "ValueProblem",
    "blank",
    "convert",
    "load_mapping",
    "parse_mapping",
    "property_check",
    "quick_check",
    "to_boolean",
    "to_choice",
    "to_date",
    "to_integer",
    "to_number",
    "to_past_date",
    "to_string",
    "with_options",
]
