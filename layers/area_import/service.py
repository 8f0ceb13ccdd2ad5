"""``import_areas``: load one level of the administrative hierarchy (city, district,
street, community) or grid cells from features, checked and reported feature by feature,
stored in one transaction only when no feature is refused.

The checks, in order: a code per feature (features sharing one are merged), polygons
only, valid polygons (repaired on request), the parent (explicit, from a parent field
holding a standard or stored source code, from a standard code's prefix, or the stored
area one level up covering most of the feature), the code (standard, or mapped:
``codes``), the child inside its parent within the tolerance, no sibling overlapping
another beyond it, gaps between siblings (warnings), and the user's right to manage
areas under each parent (refusals audited). Then every area is created or updated as a
versioned edit (``editables``), and the rows of other apps inside changed communities and
grid cells are re-derived (``layers.area_links``)."""

from __future__ import annotations

import copy
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from gis_app import access, editing
from gis_app.editing import EditContext
from gis_app.errors import InvalidInput, PermissionDenied
from gis_app.roles import Action, Role
from gis_app.types import User
from layers import area_links
from layers.area_import import geometry as geo
from layers.area_import.codes import (
    CodeBook,
    CodeRefused,
    check_standard,
    implied_parent,
    looks_standard,
)
from layers.area_import.editables import (
    ADMIN_AREAS,
    GRID_CELLS,
    AdminAreas,
    GridCells,
    boundary_digest,
)
from layers.area_import.features import LEVELS, PARENT_LEVEL, AreaFeature
from layers.area_import.metric import Metric
from layers.area_import.report import (
    CREATE,
    REFUSED,
    UNCHANGED,
    UPDATE,
    AreaImportReport,
    FeatureReport,
    Problem,
    level_label,
)
from layers.models import SRID, AdminArea, GridCell

SLACK_M2 = 1.0  # numeric noise of reprojected boundaries
PUBLIC_LEVELS = ("city", "district", "street")  # new areas anyone may see (as the demo's)
NAME_LENGTH = 100


@dataclass
class _Group:
    """The features of one source code: merged into one area."""

    report: FeatureReport
    parent_value: str | None
    source_code: str
    parts: list[BaseGeometry] = field(default_factory=list)
    geometry: MultiPolygon | None = None
    metric: BaseGeometry | None = None
    parent: AdminArea | None = None
    existing: Any = None

    @property
    def usable(self) -> bool:
        return self.geometry is not None and not self.report.refused


def import_areas(
    features: Iterable[AreaFeature],
    level: str,
    *,
    user: User | None,
    comment: str,
    tolerance_m: float = 30.0,
    repair: bool = False,
    dry_run: bool = False,
    code_map: Mapping[str, str] | None = None,
    codes_by_name: bool = False,
    address: str | None = None,
) -> AreaImportReport:
    """Check ``features`` as areas of ``level`` and, unless ``dry_run`` or any feature is
    refused, store them in one transaction (new areas created, stored ones updated in place
    with history and a new version), re-derive the community and grid cell of what lies in
    changed communities or grid cells, and return the report. ``code_map`` maps source
    codes to standard ones; ``codes_by_name`` matches names against the reference list of
    divisions (and generates codes for committees it lacks). Grid cells whose codes are not
    standard always get generated codes, stable across re-imports by source code.

    ``user`` is who imports, checked row by row (``MANAGE`` on the parent); ``None`` is a
    trusted system job (the demo loader), recorded without an actor and not checked."""
    started = time.perf_counter()
    if level not in LEVELS:
        raise InvalidInput(
            _("Unknown level %(level)s: one of %(levels)s.")
            % {"level": level, "levels": ", ".join(LEVELS)},
            field="level",
        )
    if not math.isfinite(tolerance_m) or tolerance_m < 0:
        raise InvalidInput(
            _("The tolerance is a distance in metres, 0 or more."), field="tolerance"
        )
    ctx = EditContext(user=user, address=address, comment=comment, source="import")  # type: ignore[arg-type]  # None: a system job
    if not dry_run:
        editing.require_comment(ctx)
    report = AreaImportReport(level=level, dry_run=dry_run)
    groups = _group(list(features), report, repair)
    if not groups:
        report.errors.append(Problem("empty", _("The file holds no features.")))
        return _done(report, started)
    located = [g.geometry for g in groups if g.geometry is not None]
    metric = Metric(located[0].centroid.x if located else 120.0)
    for group in groups:
        if group.geometry is not None:
            group.metric = metric(group.geometry)
            group.report.area_m2 = round(group.metric.area, 1)
    _resolve_parents(groups, level, metric)
    _resolve_codes(groups, level, code_map or {}, codes_by_name)
    _check_within_parents(groups, metric, tolerance_m)
    _check_siblings(groups, level, metric, tolerance_m, report)
    _check_access(groups, level, ctx, report)
    _compare_with_stored(groups, level)
    _check_children(groups, level, metric, tolerance_m, report)
    if report.ok and not dry_run:
        _store(groups, level, ctx, report)
    return _done(report, started)


def _done(report: AreaImportReport, started: float) -> AreaImportReport:
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# --- grouping and geometry ---------------------------------------------------------------


def _group(features: list[AreaFeature], report: AreaImportReport, repair: bool) -> list[_Group]:
    by_code: dict[str, _Group] = {}
    groups: list[_Group] = []
    for feature in features:
        code = (feature.code or "").strip()
        name = " ".join((feature.name or "").split())
        group = by_code.get(code) if code else None
        if group is None:
            entry = FeatureReport(rows=[feature.row], source_code=code, name=name[:NAME_LENGTH])
            parent = (feature.parent or "").strip() or None
            source = (feature.source_code or "").strip() if looks_standard(code) else code
            group = _Group(entry, parent, source)
            groups.append(group)
            report.features.append(entry)
            if code:
                by_code[code] = group
            else:
                entry.refuse("code", _("the feature has no code."))
        else:
            group.report.rows.append(feature.row)
            if not group.report.name and name:
                group.report.name = name[:NAME_LENGTH]
            parent = (feature.parent or "").strip() or None
            if parent and group.parent_value and parent != group.parent_value:
                group.report.refuse(
                    "parent",
                    _("row %(row)d names parent %(other)s, the other parts %(parent)s.")
                    % {"row": feature.row, "other": parent, "parent": group.parent_value},
                )
            group.parent_value = group.parent_value or parent
        part = _checked_part(feature, group.report, repair)
        if part is not None:
            group.parts.append(part)
    for group in groups:
        if group.report.refused or not group.parts:
            continue
        group.geometry = geo.merge(group.parts)
        if len(group.parts) > 1:
            group.report.notes.append(
                _("%(n)d parts merged into one multi-polygon.") % {"n": len(group.parts)}
            )
        if group.geometry.is_empty:
            group.report.refuse("geometry", _("the merged geometry is empty."))
            group.geometry = None
    return groups


def _checked_part(feature: AreaFeature, entry: FeatureReport, repair: bool) -> BaseGeometry | None:
    geom = feature.geometry
    if geom is None or geom.is_empty:
        entry.refuse("geometry", _("row %(row)d has no geometry.") % {"row": feature.row})
        return None
    if not geo.is_polygonal(geom):
        entry.refuse(
            "geometry_type",
            _("row %(row)d is a %(type)s, not an area: only polygons can be imported as areas.")
            % {"row": feature.row, "type": geom.geom_type},
            type=geom.geom_type,
        )
        return None
    geom = shapely.force_2d(geom)
    reason = geo.invalid_reason(geom)
    if reason is None:
        return geom
    if not repair:
        entry.refuse(
            "invalid",
            _("row %(row)d: invalid polygon: %(reason)s (repair makes it valid).")
            % {"row": feature.row, "reason": reason},
            reason=reason,
        )
        return None
    fixed = geo.repair(geom)
    if fixed.is_empty:
        entry.refuse(
            "invalid",
            _("row %(row)d: invalid polygon: %(reason)s; nothing polygonal is left after repair.")
            % {"row": feature.row, "reason": reason},
            reason=reason,
        )
        return None
    entry.notes.append(
        _("row %(row)d repaired (%(reason)s): %(parts)d polygon(s) kept.")
        % {"row": feature.row, "reason": reason, "parts": len(fixed.geoms)}
    )
    return fixed


# --- parents and codes -------------------------------------------------------------------


def _resolve_parents(groups: list[_Group], level: str, metric: Metric) -> None:
    # A standard-looking code of the wrong shape is the feature's first problem.
    for group in groups:
        code = group.report.source_code
        if group.report.refused or not looks_standard(code):
            continue
        try:
            check_standard(level, code, None)
        except CodeRefused as refused:
            group.report.refuse(refused.kind, refused.text)
    if level == "city":
        return
    parent_level = PARENT_LEVEL[level]
    wanted = {g.parent_value for g in groups if g.parent_value}
    wanted |= {
        implied
        for g in groups
        if looks_standard(g.report.source_code)
        and (implied := implied_parent(level, g.report.source_code))
    }
    prefixes = {
        g.report.source_code: prefix
        for g in groups
        if not g.parent_value
        and not looks_standard(g.report.source_code)
        and (prefix := _code_prefix(g.report.source_code))
    }
    wanted |= set(prefixes.values())
    named = list(AdminArea.objects.filter(level=parent_level).filter(code__in=wanted)) + list(
        AdminArea.objects.filter(level=parent_level, source_code__in=wanted)
    )
    by_code = {a.code: a for a in named}
    by_source: dict[str, list[AdminArea]] = defaultdict(list)
    for area in {a.code: a for a in named}.values():
        if area.source_code:
            by_source[area.source_code].append(area)
    unplaced = [
        g
        for g in groups
        if g.usable
        and not g.parent_value
        and not looks_standard(g.report.source_code)
        and len(by_source.get(prefixes.get(g.report.source_code, ""), [])) != 1
    ]
    candidates: list[tuple[AdminArea, BaseGeometry]] = []
    if unplaced:
        envelope = shapely.union_all([g.geometry for g in unplaced]).envelope
        box = GEOSGeometry(envelope.wkt, srid=SRID)
        if not isinstance(box, Polygon):
            box = box.buffer(1e-6)
        for area in AdminArea.objects.filter(level=parent_level, boundary__intersects=box):
            candidates.append((area, metric(shapely.from_wkb(bytes(area.boundary.wkb)))))
    label = level_label(parent_level)
    for group in groups:
        if group.report.refused:
            continue
        value = group.parent_value
        if value:
            parent = by_code.get(value)
            if parent is None:
                matches = by_source.get(value, [])
                if len(matches) > 1:
                    group.report.refuse(
                        "parent",
                        _(
                            "parent %(value)s is the source code of several stored %(level)s "
                            "areas: %(codes)s."
                        )
                        % {
                            "value": value,
                            "level": label,
                            "codes": ", ".join(a.code for a in matches),
                        },
                    )
                    continue
                parent = matches[0] if matches else None
            if parent is None:
                group.report.refuse(
                    "parent",
                    _(
                        "parent %(value)s: no stored %(level)s has this code or source code; "
                        "import the %(level)s level first."
                    )
                    % {"value": value, "level": label},
                )
                continue
        elif looks_standard(group.report.source_code):
            code = implied_parent(level, group.report.source_code) or ""
            parent = by_code.get(code)
            if parent is None:
                group.report.refuse(
                    "parent",
                    _(
                        "parent %(value)s (from the code) is not stored: import the %(level)s "
                        "level first."
                    )
                    % {"value": code, "level": label},
                )
                continue
        elif len(by_source.get(prefixes.get(group.report.source_code, ""), [])) == 1:
            parent = by_source[prefixes[group.report.source_code]][0]
            group.report.notes.append(
                _("parent %(code)s %(name)s found by the code's prefix %(prefix)s.")
                % {
                    "code": parent.code,
                    "name": parent.name,
                    "prefix": prefixes[group.report.source_code],
                }
            )
        else:
            parent = _by_location(group, candidates)
            if parent is None:
                group.report.refuse(
                    "parent",
                    _(
                        "the feature lies in no stored %(level)s: give its parent or import the "
                        "%(level)s level first."
                    )
                    % {"level": label},
                )
                continue
            group.report.notes.append(
                _("parent %(code)s %(name)s found by location.")
                % {"code": parent.code, "name": parent.name}
            )
        group.parent = parent
        group.report.parent = parent.code


def _code_prefix(code: str) -> str:
    """The source code of the parent a hierarchical source code names ("SQ-3-2" -> "SQ-3"),
    or ""; used only when exactly one stored parent has that source code."""
    cut = max(code.rfind(sep) for sep in "-_./")
    return code[:cut] if cut > 0 else ""


def _by_location(
    group: _Group, candidates: list[tuple[AdminArea, BaseGeometry]]
) -> AdminArea | None:
    best: tuple[float, AdminArea | None] = (0.0, None)
    assert group.metric is not None
    for area, shape in candidates:
        if not shape.intersects(group.metric):
            continue
        covered = shape.intersection(group.metric).area
        if covered > best[0]:
            best = (covered, area)
    return best[1]


def _resolve_codes(
    groups: list[_Group], level: str, code_map: Mapping[str, str], by_name: bool
) -> None:
    parents = {g.parent.code for g in groups if g.parent is not None}
    listed: list[tuple[str, str, str]]
    if level == "grid":
        cells = GridCell.objects.filter(community_id__in=parents)
        listed = [
            (str(p), s, c) for p, s, c in cells.values_list("community_id", "source_code", "code")
        ]
    else:
        areas = AdminArea.objects.filter(level=level)
        if level != "city":
            areas = areas.filter(parent_id__in=parents)
        listed = [
            (str(p or ""), s, c)
            for p, s, c in areas.values_list("parent_id", "source_code", "code")
        ]
    book = CodeBook(
        level,
        code_map=code_map,
        by_name=by_name,
        stored_by_source={(p, s): c for p, s, c in listed if s},
        stored_codes={c for _p, _s, c in listed},
    )
    for group in groups:
        if group.report.refused or (level != "city" and group.parent is None):
            continue
        parent = group.parent.code if group.parent is not None else None
        try:
            code, how = book.resolve(group.report.source_code, group.report.name, parent)
        except CodeRefused as refused:
            group.report.refuse(refused.kind, refused.text)
            continue
        group.report.code = code
        group.report.mapping = how


# --- geometry against parents and siblings -----------------------------------------------


def _check_within_parents(groups: list[_Group], metric: Metric, tolerance_m: float) -> None:
    shapes: dict[str, tuple[BaseGeometry, BaseGeometry]] = {}
    for group in groups:
        if not group.usable or group.parent is None or group.metric is None:
            continue
        parent = group.parent
        if parent.code not in shapes:
            shape = metric(shapely.from_wkb(bytes(parent.boundary.wkb)))
            shapes[parent.code] = (shape, shape.buffer(tolerance_m) if tolerance_m else shape)
        shape, grown = shapes[parent.code]
        out = geo.outside(group.metric, shape, grown)
        figures = {
            "parent": parent.code,
            "name": parent.name,
            "area": out.area_m2,
            "share": 100 * out.share,
            "tol": tolerance_m,
        }
        if out.beyond_m2 > SLACK_M2:
            group.report.refuse(
                "outside_parent",
                _(
                    "lies partly outside its parent %(parent)s %(name)s: %(area).0f m2 outside "
                    "(%(share).1f%% of the feature), more than the tolerance of %(tol)g m allows."
                )
                % figures,
                area_m2=round(out.area_m2, 1),
                share=round(out.share, 4),
            )
        elif out.area_m2 > SLACK_M2:
            group.report.notes.append(
                _(
                    "%(area).0f m2 (%(share).2f%%) outside its parent %(parent)s, within the "
                    "tolerance of %(tol)g m."
                )
                % figures
            )


def _check_siblings(
    groups: list[_Group],
    level: str,
    metric: Metric,
    tolerance_m: float,
    report: AreaImportReport,
) -> None:
    """Overlaps between siblings (imported ones and stored ones not being replaced) beyond
    the tolerance refuse the imported features involved; gaps inside each parent are
    warnings."""
    # refused features take part too (so every problem of a feature is reported at once)
    placed = [
        g for g in groups if g.geometry is not None and g.metric is not None and g.report.code
    ]
    if not placed:
        return
    codes = {g.report.code for g in placed}
    parent_of = {g.report.code: (g.parent.code if g.parent else "") for g in placed}
    parents = set(parent_of.values())
    # (parent, label, metric geometry, group or None for stored)
    members: list[tuple[str, str, BaseGeometry, _Group | None]] = [
        (parent_of[g.report.code], g.report.label(), g.metric, g)
        for g in placed  # type: ignore[misc]
    ]
    for parent, code, name, boundary in _stored_siblings(level, parents, codes):
        label = _("stored %(name)s (%(code)s)") % {"name": name, "code": code}
        members.append((parent, label, metric(shapely.from_wkb(bytes(boundary.wkb))), None))
    tree = shapely.STRtree([m[2] for m in members])
    left, right = tree.query([m[2] for m in members], predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        a, b = members[i], members[j]
        if a[0] != b[0] or (a[3] is None and b[3] is None):
            continue
        overlap = a[2].intersection(b[2])
        if not geo.beyond_tolerance(overlap, tolerance_m):
            continue
        for mine, other in ((a, b), (b, a)):
            if mine[3] is not None:
                mine[3].report.refuse(
                    "overlap",
                    _(
                        "overlaps its sibling %(other)s by %(area).0f m2 (beyond the tolerance of "
                        "%(tol)g m)."
                    )
                    % {"other": other[1], "area": overlap.area, "tol": tolerance_m},
                    other=other[1],
                    area_m2=round(overlap.area, 1),
                )
    if level == "city":
        return
    by_parent: dict[str, list[BaseGeometry]] = defaultdict(list)
    for parent, _label, shape, _group in members:
        by_parent[parent].append(shape)
    names = dict(AdminArea.objects.filter(code__in=parents).values_list("code", "name"))
    outlines = {g.parent.code: g.parent for g in placed if g.parent is not None}
    for parent_code, shapes in sorted(by_parent.items()):
        outline = metric(shapely.from_wkb(bytes(outlines[parent_code].boundary.wkb)))
        gaps = geo.significant_parts(outline.difference(shapely.union_all(shapes)), tolerance_m)
        if not gaps:
            continue
        areas = sorted((g.area for g in gaps), reverse=True)
        report.warnings.append(
            Problem(
                "gaps",
                _(
                    "gaps between the areas inside %(parent)s %(name)s: %(n)d, %(total).0f m2 "
                    "in all (largest %(largest).0f m2)."
                )
                % {
                    "parent": parent_code,
                    "name": names.get(parent_code, ""),
                    "n": len(gaps),
                    "total": sum(areas),
                    "largest": areas[0],
                },
                {"parent": parent_code, "count": len(gaps), "area_m2": round(sum(areas), 1)},
            )
        )


def _stored_siblings(
    level: str, parents: set[str], codes: set[str]
) -> Iterable[tuple[str, str, str, Any]]:
    if level == "grid":
        cells = GridCell.objects.filter(community_id__in=parents).exclude(code__in=codes)
        for c in cells.only("code", "name", "community_id", "boundary"):
            yield c.community_id, c.code, c.name, c.boundary
        return
    areas = AdminArea.objects.filter(level=level).exclude(code__in=codes)
    if level != "city":
        areas = areas.filter(parent_id__in=parents)
    for a in areas.only("code", "name", "parent_id", "boundary"):
        yield a.parent_id or "", a.code, a.name, a.boundary


# --- access, comparison, storage ---------------------------------------------------------


def _may_manage(user: User | None, level: str, parent: AdminArea | None) -> bool:
    if user is None:
        return True  # a trusted system job (see import_areas)
    if parent is not None:
        return access.can(user, Action.MANAGE, parent)
    if access.is_superuser(user):
        return True
    return any(g.role == Role.SYSTEM_ADMIN for g in access.grants(user))


def _check_access(
    groups: list[_Group], level: str, ctx: EditContext, report: AreaImportReport
) -> None:
    kind = GRID_CELLS if level == "grid" else ADMIN_AREAS
    for group in groups:
        if group.report.refused or not group.report.code:
            continue
        if _may_manage(ctx.user, level, group.parent):
            continue
        where = group.parent.code if group.parent is not None else ""
        editing.deny(
            ctx,
            kind,
            "import",
            PermissionDenied(),
            group.report.code,
            rows=group.report.rows,
            parent=where,
        )
        if group.parent is not None:
            text = _("you may not create or change areas under %(parent)s %(name)s.") % {
                "parent": group.parent.code,
                "name": group.parent.name,
            }
        else:
            text = _("only a system administrator may create or change a city.")
        group.report.refuse("access", text)


def _compare_with_stored(groups: list[_Group], level: str) -> None:
    model: Any = GridCell if level == "grid" else AdminArea
    codes = [g.report.code for g in groups if g.report.code and not g.report.refused]
    stored = {row.code: row for row in model.objects.filter(code__in=codes)}
    for group in groups:
        if group.report.refused or not group.report.code:
            continue
        existing = stored.get(group.report.code)
        group.existing = existing
        if existing is None:
            group.report.status = CREATE
            continue
        if level != "grid" and getattr(existing, "level", level) != level:
            group.report.refuse(
                "code",
                _("code %(code)s is stored as a %(level)s.")
                % {"code": existing.code, "level": level_label(existing.level)},
            )
            continue
        same = (
            boundary_digest(existing.boundary) == boundary_digest(_geos(group))
            and existing.name == group.report.name
            and existing.source_code == group.source_code
        )
        group.report.status = UNCHANGED if same else UPDATE


def _check_children(
    groups: list[_Group],
    level: str,
    metric: Metric,
    tolerance_m: float,
    report: AreaImportReport,
) -> None:
    """Warn when a changed boundary leaves stored children (the level below, imported
    earlier) outside it beyond the tolerance: they are kept, and should be re-imported."""
    if level == "grid":
        return
    for group in groups:
        if group.report.status != UPDATE or group.metric is None:
            continue
        children: list[tuple[str, str, Any]]
        if level == "community":
            children = list(
                GridCell.objects.filter(community_id__in=[group.report.code]).values_list(
                    "code", "name", "boundary"
                )
            )
        else:
            children = list(
                AdminArea.objects.filter(parent_id__in=[group.report.code]).values_list(
                    "code", "name", "boundary"
                )
            )
        if not children:
            continue
        grown = group.metric.buffer(tolerance_m) if tolerance_m else group.metric
        outside = [
            code
            for code, _name, boundary in children
            if metric(shapely.from_wkb(bytes(boundary.wkb))).difference(grown).area > SLACK_M2
        ]
        if outside:
            report.warnings.append(
                Problem(
                    "children_outside",
                    _(
                        "%(n)d of the stored areas under %(code)s %(name)s lie partly outside "
                        "its new boundary (%(codes)s): import that level again."
                    )
                    % {
                        "n": len(outside),
                        "code": group.report.code,
                        "name": group.report.name,
                        "codes": ", ".join(outside[:5]) + (" ..." if len(outside) > 5 else ""),
                    },
                    {"code": group.report.code, "children": outside},
                )
            )


def _geos(group: _Group) -> Any:
    assert group.geometry is not None
    return GEOSGeometry(memoryview(shapely.to_wkb(group.geometry)), srid=SRID)


def _store(groups: list[_Group], level: str, ctx: EditContext, report: AreaImportReport) -> None:
    kind: Any = GridCells(batched=True) if level == "grid" else AdminAreas(batched=True)
    derives = level in ("community", "grid")
    changed: list[BaseGeometry] = []
    with transaction.atomic():
        for group in groups:
            entry = group.report
            if entry.status in (UNCHANGED, REFUSED):
                continue
            boundary: Any = _geos(group)
            if group.existing is None:
                obj = _new(level, group, boundary)
                editing.create(ctx, kind, obj)
                if derives and group.geometry is not None:
                    changed.append(group.geometry)
                continue
            new = copy.copy(group.existing)
            new.name = entry.name
            new.source_code = group.source_code
            new.boundary = boundary
            editing.update(ctx, kind, new, group.existing.version)
            if derives and group.geometry is not None:
                old = shapely.from_wkb(bytes(group.existing.boundary.wkb))
                changed.append(shapely.symmetric_difference(old, group.geometry))
        kind.flush()
        if changed:
            region = geo.polygonal_part(shapely.union_all(changed))
            if not region.is_empty:
                geos = GEOSGeometry(memoryview(shapely.to_wkb(region)), srid=SRID)
                report.moved = area_links.rederive_all(geos)
    report.stored = True


def _new(level: str, group: _Group, boundary: Any) -> Any:
    entry = group.report
    if level == "grid":
        return GridCell(
            code=entry.code,
            name=entry.name,
            community_id=entry.parent,
            boundary=boundary,
            source_code=group.source_code,
        )
    return AdminArea(
        code=entry.code,
        level=level,
        name=entry.name,
        parent_id=entry.parent or None,
        boundary=boundary,
        source_code=group.source_code,
        is_public=level in PUBLIC_LEVELS,
    )
