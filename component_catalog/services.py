"""Typed, transactional service functions for components: create, update, retire,
hard delete, batch. Views parse the request, call one of these and serialize.

The edits are versioned edits of ``gis_app.editing`` (``COMPONENTS`` describes the model
to it): every update names the version it started from; the row is locked and compared
inside the transaction, so of two surveyors starting from the same version exactly one
wins and the other gets ``Conflict`` carrying the current state. Denied attempts are
audited (committed before the error is raised). What is particular to components is here:
identifiers from the class and district, changesets, the derived community and grid cell,
the review of measured positions, idempotency keys and batches.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from component_catalog import inputs, policies, representation, sql
from component_catalog.inputs import ComponentInput
from component_catalog.models import (
    Changeset,
    Component,
    ComponentHistory,
    ComponentQuerySet,
    Currency,
    DataSource,
    HistoryAction,
    IdempotencyKey,
)
from gis_app import access, audit, editing
from gis_app.edit_rules import refuse_changed_read_only
from gis_app.editing import Claim as Claim  # re-exported: the API builds it
from gis_app.editing import EditContext as EditContext
from gis_app.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from gis_app.roles import Action
from gis_app.types import User
from layers import changes
from layers.models import SRID

MAX_BATCH = 1000


def base_queryset() -> Any:
    return Component.objects.select_related(
        "component_class", "competent_department", "owner", "maintainer"
    )


# --- the model, as the edit module sees it -----------------------------------------------


class ComponentEditable(editing.Editable[Component]):
    """Components in ``gis_app.editing``: named by identifier, history rows grouped in
    changesets, the tiles of their class announced, identifiers reserved on insert."""

    object_type = "component_catalog.component"
    name = "component"
    stale_text = gettext_lazy(
        "Component %(id)s was changed by someone else: it is now at version %(v)d."
    )

    def queryset(self) -> ComponentQuerySet:
        return base_queryset()

    def object_id(self, obj: Component) -> str:
        return obj.identifier

    def snapshot(self, obj: Component) -> dict[str, Any]:
        return representation.snapshot(obj)

    def diff(self, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
        return representation.diff(before, after)

    def current(self, obj: Component, user: User) -> dict[str, Any]:
        return representation.feature(obj)

    def note(self, ctx: EditContext) -> Changeset:
        return _changeset(ctx)

    def history(self, obj: Component, entry: editing.Entry) -> ComponentHistory:
        return ComponentHistory(
            identifier=obj.identifier,
            version=entry.version,
            action=entry.action,
            changeset=entry.note,
            actor=entry.actor,
            actor_username=entry.actor_username,
            changes=entry.changes,
            snapshot=entry.snapshot,
        )

    def announce(self, before: Component | None, after: Component | None) -> None:
        both = [c for c in (before, after) if c is not None]
        changes.components_changed([both[0].component_class_id], [c.geometry for c in both])

    def insert(self, ctx: EditContext, objs: list[Component]) -> None:
        """Reserve each new component's serial in its district and class, in one
        statement per (district, class), then store them all."""
        groups: dict[tuple[str, str], list[Component]] = defaultdict(list)
        for c in objs:
            groups[(c.county_code, c.component_class_id)].append(c)
        for (county, klass), members in sorted(groups.items()):
            serials = sql.reserve_serials(county, klass, len(members))
            for c, serial in zip(members, serials, strict=True):
                c.serial = serial
                c.identifier = f"{county}{klass}{serial:06d}"
        Component.objects.bulk_create(objs)

    def remove(self, obj: Component) -> None:
        obj.photos.all().delete()
        obj.delete()

    def audit_detail(self, verb: str, obj: Component, entry: editing.Entry) -> dict[str, Any]:
        detail: dict[str, Any] = {"changeset": entry.note.pk}
        if verb == "update":
            detail["fields"] = sorted(entry.changes)
        elif verb == "delete":
            detail["snapshot"] = entry.snapshot
        return detail


COMPONENTS = ComponentEditable()


def get_for_edit(ctx: EditContext, identifier: str, action: Action, audit_action: str) -> Component:
    """The component if the user may see it and do ``action`` on it; otherwise an audited
    404 (hidden or missing alike) or 403 (visible but not theirs to change)."""
    return editing.get_for_edit(ctx, COMPONENTS, action, audit_action, identifier=identifier)


def get_visible_component(user: User, identifier: str) -> Component:
    return access.get_visible(user, base_queryset(), identifier=identifier)


# --- changesets --------------------------------------------------------------------------


def _changeset(ctx: EditContext) -> Changeset:
    if ctx.changeset_id is not None:
        found = Changeset.objects.filter(
            pk=ctx.changeset_id, user=ctx.actor, closed_at__isnull=True
        ).first()
        if found is None:
            raise InvalidInput(
                _("changeset %(id)s is not an open changeset of yours.") % {"id": ctx.changeset_id},
                field="changeset",
            )
        return found
    comment = editing.require_comment(
        ctx, _("A changeset comment is required: say what you changed and why.")
    )
    return Changeset.objects.create(user=ctx.actor, comment=comment, source=ctx.source)


def open_changeset(user: User, comment: str, source: str = "api") -> Changeset:
    """Open a changeset for edits to come: only for users who may edit something."""
    access.require_any(user, *access.EDIT_ACTIONS)
    if not comment.strip():
        raise InvalidInput(_("A changeset comment is required."), field="comment")
    return Changeset.objects.create(
        user=editing.actor_of(user),
        comment=comment.strip()[: editing.COMMENT_LENGTH],
        source=source,
    )


def close_changeset(user: User, changeset_id: int) -> Changeset:
    access.require_any(user, *access.EDIT_ACTIONS)
    found = Changeset.objects.filter(pk=changeset_id, user=editing.actor_of(user)).first()
    if found is None:
        raise NotFound()
    if found.closed_at is None:
        found.closed_at = timezone.now()
        found.save(update_fields=["closed_at"])
    return found


# --- preparing a new state ---------------------------------------------------------------


def _geos(geom: shapely.Geometry) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=SRID)


def _review(component: Component) -> None:
    """Flag a field-measured position whose GNSS accuracy is unknown or worse than the
    class's threshold: it is kept, but not silently accepted as surveyed (实测)."""
    if component.data_source != DataSource.MEASURED:
        component.needs_review, component.review_reason = False, ""
        return
    threshold = component.component_class.accuracy_threshold_m
    accuracy = component.gnss_accuracy_m
    if accuracy is None:
        component.needs_review = True
        component.review_reason = _("measured position without GNSS accuracy")
    elif accuracy > threshold:
        component.needs_review = True
        component.review_reason = _(
            "GNSS accuracy %(acc).2f m is worse than the class threshold %(max).2f m"
        ) % {"acc": accuracy, "max": threshold}
    else:
        component.needs_review, component.review_reason = False, ""


def _apply(component: Component, data: ComponentInput, *, merge_attributes: bool) -> None:
    """Copy the input's values onto a (new or existing) component object, in memory."""
    for name, value in data.fields.items():
        if name == "attributes" and merge_attributes:
            component.attributes = editing.merge_attributes(component.attributes, value)
        else:
            setattr(component, name, value)
    for name, org in data.organizations.items():
        setattr(component, name, org)
    if data.gnss is not None:
        component.gnss_fix = data.gnss.fix
        component.gnss_accuracy_m = data.gnss.accuracy_m
        component.gnss_satellites = data.gnss.satellites
        component.gnss_time = data.gnss.time
        component.gnss_device = data.gnss.device
    if data.geometry is not None:
        component.geometry = _geos(data.geometry)


def _place(components: list[tuple[int, Component, shapely.Geometry]]) -> None:
    """Derive community and grid cell from the geometries (one query for all)."""
    found = sql.locate_many([shapely.to_wkb(g) for _, _, g in components])
    for (index, component, _geom), (community, grid) in zip(components, found, strict=True):
        if community is None:
            raise InvalidInput(
                _("geometry lies outside every community of the platform."),
                field="geometry",
                item=index + 1 if index >= 0 else None,
            )
        component.community_id = community
        component.grid_cell_id = grid


@dataclass
class Prepared:
    index: int  # position in a batch (0-based); -1 for a single edit
    component: Component
    version: int | None = None  # the version the client started from (updates)
    before: dict[str, Any] | None = None
    stamp_change_date: bool = False  # an update without a change date: today's, if effective


def _prepare_create(ctx: EditContext, data: ComponentInput, index: int = -1) -> Prepared:
    assert data.component_class is not None and data.geometry is not None
    today = timezone.localdate()
    component = Component(component_class=data.component_class, attributes={})
    component.change_date = data.fields.get("change_date") or today
    component.initial_date = component.change_date  # not given: the date it was recorded
    _apply(component, data, merge_attributes=False)
    _check_dates(component)
    inputs.validate_attributes(component.attributes, data.component_class)
    _review(component)
    return Prepared(index, component)


def _check_dates(component: Component) -> None:
    if component.initial_date > component.change_date:
        raise InvalidInput(
            _("properties.change_date %(change)s is before properties.initial_date %(initial)s.")
            % {"change": component.change_date, "initial": component.initial_date},
            field="properties.change_date",
        )


def _check_read_only(current: Component, data: ComponentInput) -> None:
    """Read-only properties echoed from GET must equal the stored ones."""
    if not data.read_only:
        return
    stored = representation.properties(current)
    stored["county_code"] = current.county_code
    stored["created_at"] = current.created_at.isoformat() if current.created_at else None
    refuse_changed_read_only(data.read_only, stored)


def _settle(prepared: Prepared) -> bool:
    """After the new state is complete (placed): whether it differs from the stored one. An
    edit that changes nothing writes nothing (no version, no history); one that does
    stamps today's change date unless the client gave one."""
    changes = representation.diff(prepared.before, representation.snapshot(prepared.component))
    if not changes:
        return False
    if prepared.stamp_change_date:
        prepared.component.change_date = timezone.localdate()
    return True


def _refuse_write(
    ctx: EditContext,
    rules: policies.WriteRules,
    action: Action,
    new: Component,
    current: Component | None = None,
) -> None:
    """Ask the one write rule (``policies.WriteRules``) about this row; an audited 403
    naming the field at fault if it says no."""
    refusal = rules.refusal(
        action, policies.Row.of(new), policies.Row.of(current) if current is not None else None
    )
    if refusal is None:
        return
    raise editing.deny(
        ctx,
        COMPONENTS,
        "create" if current is None else "update",
        PermissionDenied(refusal.message, field=refusal.field),
        current.identifier if current is not None else "",
        field=refusal.field,
        klass=new.component_class_id,
        community=new.community_id,
    )


def _check_create_allowed(ctx: EditContext, prepared: Prepared, rules: policies.WriteRules) -> None:
    component = prepared.component
    component.county_code = component.community_id[:6]
    _refuse_write(ctx, rules, Action.CREATE, component)


def _prepare_update(
    ctx: EditContext, current: Component, data: ComponentInput, *, partial: bool, index: int = -1
) -> Prepared:
    if data.component_class is not None and data.component_class.code != current.component_class_id:
        raise InvalidInput(
            _(
                "properties.class cannot change: the identifier contains the class. "
                "Retire this component and create a new one."
            ),
            field="properties.class",
        )
    if data.version is None:
        raise InvalidInput(
            _(
                "version is required: send the version you started from (If-Match header or "
                "properties.version)."
            ),
            field="version",
        )
    if current.currency == Currency.RETIRED:
        raise InvalidInput(_("A retired component cannot be edited."), field="currency")
    before = representation.snapshot(current)
    new = copy.copy(current)
    if not partial:
        # PUT replaces: properties not given go back to their defaults.
        new.name = new.address = new.notes = ""
        new.attributes = {}
    _check_read_only(current, data)
    _apply(new, data, merge_attributes=partial)  # change_date: stamped by ``_settle``
    _check_dates(new)
    inputs.validate_attributes(new.attributes, current.component_class)
    if data.geometry is not None:
        inputs.check_geometry(data.geometry, current.component_class)
        _review(new)
    elif "data_source" in data.fields or data.gnss is not None:
        _review(new)
    return Prepared(index, new, data.version, before, "change_date" not in data.fields)


def _check_update_allowed(
    ctx: EditContext, current: Component, prepared: Prepared, rules: policies.WriteRules
) -> None:
    new = prepared.component
    if new.community_id[:6] != current.county_code:
        raise InvalidInput(
            _(
                "geometry: moving a component to another district changes its identifier; "
                "retire it and create a new one there."
            ),
            field="geometry",
        )
    _refuse_write(ctx, rules, Action.CHANGE, new, current)


# --- idempotency -------------------------------------------------------------------------


class KeyReused(InvalidInput):
    """The same Idempotency-Key sent with a different request."""

    status_code = 422
    code = "idempotency_key_reused"


@dataclass
class Answer:
    """What an edit answers: the status, the feature (None for a delete), and whether it
    is the remembered answer of an earlier request with the same key."""

    status: int
    feature: dict[str, Any] | None
    replayed: bool = False


_STATUS = {"create": 201, "update": 200, "retire": 200, "delete": 204}


def _remember(
    ctx: EditContext,
    operation: str,
    component: Component | None,
    status: int,
    identifier: str = "",
) -> None:
    """Keep the key, the request's fingerprint and the answer, inside the edit's
    transaction: the edit and its key commit together or not at all."""
    if ctx.claim is None:
        return
    IdempotencyKey.objects.create(
        user=ctx.actor,
        key=ctx.claim.key,
        operation=operation,
        identifier=component.identifier if component is not None else identifier,
        request_sha256=ctx.claim.request_sha256,
        status=status,
        response=None if component is None else representation.feature(component),
    )


def _recall(ctx: EditContext, operation: str) -> Answer | None:
    """The remembered answer for the context's key, None if the key is new; a key used
    for a different request is refused, naming the header."""
    if ctx.claim is None:
        return None
    row = IdempotencyKey.objects.filter(user=ctx.actor, key=ctx.claim.key).first()
    if row is None:
        return None
    same = row.request_sha256 == ctx.claim.request_sha256 and row.operation == operation
    if row.operation == operation == IdempotencyKey.Operation.CREATE and not same:
        # the client may apply its changes to what the first request made, as an edit
        current = get_visible_component(ctx.user, row.identifier)
        raise Conflict(
            _(
                "This Idempotency-Key already created %(id)s from a different request; "
                "send the changes as an edit of %(id)s, or use a new key."
            )
            % {"id": row.identifier},
            field="Idempotency-Key",
            current=representation.feature(current),
        )
    if not same:
        raise KeyReused(
            _(
                "This Idempotency-Key was already used for a different request (%(op)s of "
                "%(id)s); send a new Idempotency-Key with each new edit."
            )
            % {"op": row.operation, "id": row.identifier},
            field="Idempotency-Key",
        )
    feature = row.response
    if feature is None and row.operation == IdempotencyKey.Operation.CREATE:
        feature = representation.feature(get_visible_component(ctx.user, row.identifier))
    status = 204 if row.operation == IdempotencyKey.Operation.DELETE else 200
    return Answer(status, feature, replayed=True)


def edit_once(ctx: EditContext, operation: str, run: Callable[[], Component | None]) -> Answer:
    """Run an edit at most once per user and ``ctx.claim`` key (``editing.once``), keys and
    answers kept in ``IdempotencyKey``."""
    component = editing.once(ctx, lambda: _recall(ctx, operation), run)
    if isinstance(component, Answer):  # the remembered answer of the first request
        return component
    feature = None if component is None else representation.feature(component)
    return Answer(_STATUS[operation], feature)


# --- writing -----------------------------------------------------------------------------


def _lock(identifiers: list[str]) -> dict[str, Component]:
    rows = base_queryset().select_for_update(of=("self",)).filter(identifier__in=identifiers)
    return {c.identifier: c for c in rows.order_by("id")}


def create_component(ctx: EditContext, data: ComponentInput) -> Component:
    """Create one component; its identifier is assigned in the same transaction."""
    prepared = _prepare_create(ctx, data)
    _place([(-1, prepared.component, data.geometry)])
    _check_create_allowed(ctx, prepared, policies.WriteRules(ctx.user))
    with transaction.atomic():
        editing.create(ctx, COMPONENTS, prepared.component)
        answer = get_visible_component(ctx.user, prepared.component.identifier)
        _remember(ctx, IdempotencyKey.Operation.CREATE, answer, 201)
    return answer


def update_component(
    ctx: EditContext, identifier: str, data: ComponentInput, *, partial: bool
) -> Component:
    """Apply an edit made from ``data.version``; ``Conflict`` if someone else was first.
    An edit that changes nothing writes nothing (no version, no history)."""
    current = get_for_edit(ctx, identifier, Action.CHANGE, "update")
    prepared = _prepare_update(ctx, current, data, partial=partial)
    if data.geometry is not None:
        _place([(-1, prepared.component, data.geometry)])
    _check_update_allowed(ctx, current, prepared, policies.WriteRules(ctx.user))
    with transaction.atomic():
        editing.update(
            ctx, COMPONENTS, prepared.component, data.version, changed=lambda _: _settle(prepared)
        )
        answer = get_visible_component(ctx.user, identifier)
        _remember(ctx, IdempotencyKey.Operation.UPDATE, answer, 200)
    return answer


def retire_component(ctx: EditContext, identifier: str, version: int | None) -> Component:
    """Retire (作废): the component stays, with currency 'retired', out of maps and lists."""
    current = get_for_edit(ctx, identifier, Action.RETIRE, "retire")
    if version is None:
        raise InvalidInput(_("version is required."), field="version")
    if current.currency == Currency.RETIRED:
        raise InvalidInput(_("The component is already retired."), field="currency")
    new = copy.copy(current)
    new.currency = Currency.RETIRED
    new.change_date = timezone.localdate()
    with transaction.atomic():
        editing.update(ctx, COMPONENTS, new, version, action=HistoryAction.RETIRE)
        answer = base_queryset().get(identifier=identifier)
        _remember(ctx, IdempotencyKey.Operation.RETIRE, answer, 200)
    return answer


def delete_component(ctx: EditContext, identifier: str, version: int | None) -> None:
    """Hard delete: district or city admins only, always audited; history is kept."""
    current = get_for_edit(ctx, identifier, Action.DELETE, "delete")
    if version is None:
        raise InvalidInput(_("version is required."), field="version")
    with transaction.atomic():
        editing.delete(ctx, COMPONENTS, current, version)
        _remember(ctx, IdempotencyKey.Operation.DELETE, None, 204, identifier)


# --- batch -------------------------------------------------------------------------------


@dataclass
class BatchItemError:
    item: int  # 1-based position in the request
    field: str | None
    detail: str
    error: str


class BatchInvalid(InvalidInput):
    def __init__(self, errors: list[BatchItemError]) -> None:
        first = errors[0]
        super().__init__(
            _(
                "%(n)d of the items are invalid; nothing was stored. First: item %(item)d, "
                "%(field)s: %(detail)s"
            )
            % {
                "n": len(errors),
                "item": first.item,
                "field": first.field or "-",
                "detail": first.detail,
            },
            field=f"features[{first.item - 1}].{first.field}" if first.field else None,
            errors=[e.__dict__ for e in errors],
        )


def batch(ctx: EditContext, features: Any, *, crs: str) -> list[Component]:
    """Create and update up to 1,000 features, all or nothing. A feature with an ``id``
    (identifier) and ``properties.version`` updates; one without creates. Every item is
    checked first and all item errors are reported together."""
    if not isinstance(features, list) or not features:
        raise InvalidInput(
            _("features must be a non-empty list of GeoJSON features."), field="features"
        )
    if len(features) > MAX_BATCH:
        raise InvalidInput(
            _("A batch holds at most %(max)d features, not %(n)d.")
            % {"max": MAX_BATCH, "n": len(features)},
            field="features",
        )
    errors: list[BatchItemError] = []
    creations: list[Prepared] = []
    updates: list[Prepared] = []
    currents: dict[str, Component] = {}
    to_place: list[tuple[int, Component, shapely.Geometry]] = []
    seen: set[str] = set()
    lookups = inputs.Lookups()
    for index, raw in enumerate(features):
        try:
            identifier = raw.get("id") if isinstance(raw, dict) else None
            if identifier is not None:
                if not isinstance(identifier, str) or identifier in seen:
                    raise InvalidInput(
                        _("id must be a component identifier, once per batch."), field="id"
                    )
                seen.add(identifier)
                data = inputs.parse_feature(
                    raw, crs=crs, creating=False, partial=True, lookups=lookups
                )
                current = get_for_edit(ctx, identifier, Action.CHANGE, "update")
                currents[identifier] = current
                p = _prepare_update(ctx, current, data, partial=True, index=index)
                updates.append(p)
            else:
                data = inputs.parse_feature(raw, crs=crs, creating=True, lookups=lookups)
                p = _prepare_create(ctx, data, index)
                creations.append(p)
            if data.geometry is not None:
                to_place.append((index, p.component, data.geometry))
        except DomainError as exc:
            errors.append(BatchItemError(index + 1, exc.field, str(exc.message), exc.code))
    if not errors and to_place:
        located = sql.locate_many([shapely.to_wkb(g) for _, _, g in to_place])
        for (index, component, _g), (community, grid) in zip(to_place, located, strict=True):
            if community is None:
                errors.append(
                    BatchItemError(
                        index + 1,
                        "geometry",
                        _("geometry lies outside every community of the platform."),
                        "invalid",
                    )
                )
            component.community_id = community  # type: ignore[assignment]  # checked above
            component.grid_cell_id = grid
    if not errors:
        rules = policies.WriteRules(ctx.user)
        for p in creations:
            try:
                _check_create_allowed(ctx, p, rules)
            except DomainError as exc:
                errors.append(BatchItemError(p.index + 1, exc.field, str(exc.message), exc.code))
        for p in updates:
            try:
                _check_update_allowed(ctx, currents[p.component.identifier], p, rules)
            except DomainError as exc:
                errors.append(BatchItemError(p.index + 1, exc.field, str(exc.message), exc.code))
    if errors:
        errors.sort(key=lambda e: e.item)
        raise BatchInvalid(errors)
    effective = {p.index: _settle(p) for p in updates}
    with transaction.atomic():
        changeset = COMPONENTS.note(ctx)
        made = [p.component for p in creations]
        history = list(zip(made, editing.insert(ctx, COMPONENTS, made, changeset), strict=True))
        locked = _lock([p.component.identifier for p in updates])
        touched: defaultdict[str, list[Any]] = defaultdict(list)
        for p in updates:
            old = locked[p.component.identifier]
            if not effective[p.index]:  # changes nothing: only its version is checked
                editing.check_version(ctx, COMPONENTS, old, p.version, p.index)
                continue
            done = editing.write(
                ctx,
                COMPONENTS,
                old,
                p.component,
                p.version,
                changeset,
                before=p.before,
                index=p.index,
            )
            history.append((p.component, done))
            touched[old.component_class_id] += [old.geometry, p.component.geometry]
        for p in creations:
            touched[p.component.component_class_id].append(p.component.geometry)
        for klass, geometries in touched.items():
            changes.components_changed([klass], geometries)
        editing.store_history(COMPONENTS, history)
        audit.record(
            "component.batch",
            actor=ctx.user,
            address=ctx.address,
            object_type="component_catalog.changeset",
            object_id=str(changeset.pk),
            detail={"created": len(creations), "updated": sum(effective.values())},
        )
    order = {p.index: p.component.identifier for p in creations + updates}
    identifiers = [order[i] for i in sorted(order)]
    found = {c.identifier: c for c in base_queryset().filter(identifier__in=identifiers)}
    return [found[i] for i in identifiers]


def history_of(user: User, identifier: str) -> tuple[Component, list[ComponentHistory]]:
    """A component the user may see (404 otherwise) and its history, oldest first."""
    component = get_visible_component(user, identifier)
    stored = list(
        ComponentHistory.objects.filter(identifier=identifier)
        .select_related("changeset")
        .order_by("version")
    )
    if stored and stored[0].version == 1:
        return component, stored
    return component, _implicit_creations([identifier]) + stored


def _implicit_creations(identifiers: list[str]) -> list[ComponentHistory]:
    """The creation entries of bulk-loaded components still at version 1 (``BulkCreation``),
    as unsaved history rows."""
    entries = [ComponentHistory(**row) for row in sql.implicit_creations(identifiers)]
    changesets = Changeset.objects.in_bulk({entry.changeset_id for entry in entries})
    for entry in entries:
        entry.changeset = changesets[entry.changeset_id]
    return entries


def today() -> dt.date:
    return timezone.localdate()
