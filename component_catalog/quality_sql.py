"""Hand-written SQL of the data-quality measures (``component_catalog.quality``), with bound
parameters only.

One aggregate query per report: every feature is counted once, with ``count(*) FILTER``
per measure, grouped by the requested key. Only constant SQL fragments chosen from the
tables below are put into the statement text; every value (dates, codes, the visible-rows
subquery's own parameters) is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction

# The required attribute keys of each class, as a text[] for the jsonb ``?&`` operator: the
# schema's ``required`` list when it has one, else every key of its ``properties``
# (a class without class-specific attributes requires nothing: ``x ?& '{}'`` is true).
_CLASSES_CTE = """
classes AS MATERIALIZED (
    SELECT
        cc.code,
        cc.name_zh,
        cc.name_en,
        cc.accuracy_threshold_m AS threshold_m,
        CASE
            WHEN jsonb_typeof(cc.attribute_schema -> 'required') = 'array'
                THEN ARRAY(SELECT jsonb_array_elements_text(cc.attribute_schema -> 'required'))
            WHEN jsonb_typeof(cc.attribute_schema -> 'properties') = 'object'
                THEN ARRAY(SELECT jsonb_object_keys(cc.attribute_schema -> 'properties'))
            ELSE ARRAY[]::text[]
        END AS required_keys
    FROM component_catalog_componentclass cc
)"""

# The effective maintenance steward of the feature's layer at its community: the closest
# stewardship up the area tree (community, street, district, city). District and city codes
# both have 6 digits, so the district (the community's first six digits) sorts first.
_STEWARD_JOIN = """
LEFT JOIN LATERAL (
    SELECT s.organization_id
    FROM layers_stewardship s
    WHERE s.layer_id = l.id
      AND s.role = 'maintain'
      AND s.area_id IN (
          c.community_id,
          left(c.community_id, 9),
          left(c.community_id, 6),
          left(c.community_id, 4) || '00'
      )
    ORDER BY length(s.area_id) DESC, s.area_id <> left(c.community_id, 6)
    LIMIT 1
) st ON true
LEFT JOIN core_organization o ON o.id = st.organization_id"""


@dataclass(frozen=True)
class Grouping:
    key: str  # SQL expression of the group key
    label_zh: str  # SQL expression of the group's Chinese label
    label_en: str  # ... and of its English label (falls back to Chinese)
    joins: str = ""  # extra joins the expressions need


def _org(column: str) -> Grouping:
    return Grouping(
        key="o.code",
        label_zh="o.name",
        label_en="COALESCE(NULLIF(o.name_en, ''), o.name)",
        joins=f"JOIN core_organization o ON o.id = c.{column}",
    )


GROUPINGS: dict[str, Grouping] = {
    "layer": Grouping(
        key="COALESCE(l.code, 'component-' || c.component_class_id)",
        label_zh="COALESCE(l.name_zh, k.name_zh)",
        label_en="COALESCE(NULLIF(l.name_en, ''), NULLIF(k.name_en, ''), l.name_zh, k.name_zh)",
    ),
    "maintainer": _org("maintainer_id"),
    "owner": _org("owner_id"),
    "steward": Grouping(
        key="o.code",
        label_zh="o.name",
        label_en="COALESCE(NULLIF(o.name_en, ''), o.name)",
        joins=_STEWARD_JOIN,
    ),
    "community": Grouping(
        key="c.community_id",
        label_zh="a.name",
        label_en="COALESCE(NULLIF(a.name_en, ''), a.name)",
    ),
    "street": Grouping(
        key="left(c.community_id, 9)",
        label_zh="sa.name",
        label_en="COALESCE(NULLIF(sa.name_en, ''), sa.name)",
        joins="LEFT JOIN layers_adminarea sa ON sa.code = left(c.community_id, 9)",
    ),
}

# Layers without an expected interval (a class whose layer row is missing) use the model's
# default, one year.
DEFAULT_INTERVAL_DAYS = 365

# Two steps: the flags of every feature are counted per community, class and organizations
# (a hash aggregate of narrow rows: no sort of wide component rows, which spilled to disk),
# then the few resulting rows are labelled and summed per requested grouping, all groupings
# from the same first step (the steward's lookup runs once per community and class, not
# once per feature).
_QUERY = """
WITH {classes},
per AS MATERIALIZED (
    SELECT
        c.community_id,
        c.component_class_id,
        c.maintainer_id,
        c.owner_id,
        count(*) AS total,
        count(*) FILTER (
            WHERE c.change_date >= %s::date - COALESCE(l.update_interval_days, %s)
        ) AS timely,
        count(*) FILTER (WHERE c.attributes ?& k.required_keys) AS complete,
        count(*) FILTER (
            WHERE CASE WHEN ST_IsValid(c.geometry) THEN ST_Covers(a.boundary, c.geometry)
                       ELSE false END
        ) AS geometry_ok,
        count(*) FILTER (WHERE c.data_source = 'measured') AS measured,
        count(*) FILTER (
            WHERE c.data_source = 'measured' AND c.gnss_accuracy_m <= k.threshold_m
        ) AS gnss_ok
    FROM component_catalog_component c
    JOIN classes k ON k.code = c.component_class_id
    LEFT JOIN layers_layer l ON l.kind = 'component' AND l.source = c.component_class_id
    LEFT JOIN layers_adminarea a ON a.code = c.community_id
    WHERE c.id IN ({visible})
    GROUP BY 1, 2, 3, 4
)
{branches}
ORDER BY 1, 2 NULLS LAST, 3
"""

# One grouping over the first step's rows (aliased ``c``, as the grouping expressions are).
_BRANCH = """
SELECT
    %s::text AS grouping_name,
    {key} AS key,
    {label} AS label,
    sum(c.total)::bigint,
    sum(c.timely)::bigint,
    sum(c.complete)::bigint,
    sum(c.geometry_ok)::bigint,
    sum(c.measured)::bigint,
    sum(c.gnss_ok)::bigint
FROM per c
JOIN classes k ON k.code = c.component_class_id
LEFT JOIN layers_layer l ON l.kind = 'component' AND l.source = c.component_class_id
LEFT JOIN layers_adminarea a ON a.code = c.community_id
{joins}
GROUP BY 2, 3
"""


@dataclass(frozen=True)
class Counts:
    key: str | None
    label: str | None
    total: int
    timely: int
    complete: int
    geometry_ok: int
    measured: int
    gnss_ok: int


def quality_counts(
    group_by: str,
    as_of: date,
    visible_sql: str,
    visible_params: Sequence[Any],
    *,
    english: bool = False,
) -> list[Counts]:
    """Per-group counts over the components selected by ``visible_sql`` (a query that
    returns component ids, with its own bound ``visible_params``)."""
    return grouped_counts([group_by], as_of, visible_sql, visible_params, english=english)[group_by]


def grouped_counts(
    group_bys: Sequence[str],
    as_of: date,
    visible_sql: str,
    visible_params: Sequence[Any],
    *,
    english: bool = False,
) -> dict[str, list[Counts]]:
    """Per-group counts for each grouping of ``group_bys``, from one pass over the
    components selected by ``visible_sql`` (see ``quality_counts``)."""
    groupings = {g: GROUPINGS[g] for g in group_bys}  # KeyError: callers validate first
    branches = "UNION ALL".join(
        _BRANCH.format(
            key=grouping.key,
            label=grouping.label_en if english else grouping.label_zh,
            joins=grouping.joins,
        )
        for grouping in groupings.values()
    )
    sql = _QUERY.format(classes=_CLASSES_CTE.strip(), visible=visible_sql, branches=branches)
    result: dict[str, list[Counts]] = {g: [] for g in groupings}
    with transaction.atomic(), connection.cursor() as cursor:
        # PostGIS functions are costed high, so the planner's estimate passes jit_above_cost
        # and compiling the statement took longer than running it (3-5 s of 7 measured).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [as_of, DEFAULT_INTERVAL_DAYS, *visible_params, *groupings])
        for grouping, *counts in cursor.fetchall():
            result[grouping].append(Counts(*counts))
    return result
