"""One versioned edit, whatever the model (DESIGN.md section 7): components, buildings, base
features, and every editable model a community app adds.

An edit names the version it started from; the row is locked (``SELECT ... FOR UPDATE``)
and compared inside the transaction, so of two editors starting from the same version
exactly one wins and the other gets ``Conflict`` (409) carrying the current state. An
accepted edit bumps the version and writes, in the same transaction, the new row, one
history entry (who, what: field -> [old, new], why: the comment or changeset), the
"changed" announcement (tiles, notifications) and the audit event. A refusal is audited
(committed before the error is raised). An edit that changes nothing writes nothing.

A model plugs in by describing itself with a subclass of :class:`Editable` (its audit
name, how it is shown, how it is stored in history, what it announces) and calling
:func:`get_for_edit`, :func:`create`, :func:`update` and :func:`delete` from its services;
batches and special cases compose the same steps (:func:`insert`, :func:`write`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gis_app import access, audit
from gis_app.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from gis_app.models import AuditResult
from gis_app.roles import Action
from gis_app.types import User

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")
A = TypeVar("A")

COMMENT_LENGTH = 500  # the history's comment column


@dataclass(frozen=True)
class Claim:
    """An ``Idempotency-Key`` and the fingerprint of the request that carries it."""

    key: str
    request_sha256: str


@dataclass
class EditContext:
    """Who edits, from where (the audit's address), why (``comment``, or an open
    ``changeset_id`` where the model groups edits in changesets), through what
    (``source``: api, ui, import, demo) and, where the model supports it, the request's
    idempotency key (remembered with the answer in the edit's own transaction)."""

    user: User
    address: str | None = None
    comment: str = ""
    changeset_id: int | None = None
    source: str = "api"
    claim: Claim | None = None

    @property
    def actor(self) -> Any:
        """The signed-in user, or None (anonymous visitors and system jobs): what the
        model's ``created_by``/``updated_by`` and the history's actor hold."""
        return actor_of(self.user)

    @property
    def actor_username(self) -> str:
        actor = self.actor
        return actor.get_username() if actor is not None else ""


def actor_of(user: User | None) -> Any:
    """``user`` if signed in, else None: the value of a foreign key to the user model."""
    return user if user is not None and user.is_authenticated else None


@dataclass
class Entry:
    """One accepted change as its history records it; the model's :meth:`Editable.history`
    turns it into a row of its own history table."""

    action: str  # create, update, retire, delete ...
    version: int
    changes: dict[str, list[Any]]  # field -> [old, new]
    snapshot: dict[str, Any]  # the state after the change (before it, for a delete)
    actor: Any
    actor_username: str
    note: Any  # what ``Editable.note`` gave: the comment, or the model's changeset


# --- the rules every edit shares ---------------------------------------------------------


def require_comment(ctx: EditContext, message: str | None = None) -> str:
    """The context's comment, stripped and cut to the history's length; a clear error
    naming ``comment`` when there is none."""
    comment = (ctx.comment or "").strip()
    if not comment:
        raise InvalidInput(
            message or _("A comment is required: say what you changed and why."),
            field="comment",
        )
    return comment[:COMMENT_LENGTH]


def require_version(version: int | None) -> int:
    """The version the client started from, which every change of a stored object needs."""
    if version is None:
        raise InvalidInput(
            _(
                "version is required: send the version you started from (If-Match header or "
                "properties.version)."
            ),
            field="version",
        )
    return version


def merge_attributes(stored: dict[str, Any] | None, given: dict[str, Any]) -> dict[str, Any]:
    """A partial edit of a JSON attribute object: given keys replace stored ones, a key
    given as null is removed, the others stay."""
    merged = dict(stored or {})
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """field -> [old, new] between two flat snapshots (a geometry compared as a whole)."""
    old = before or {}
    return {k: [old.get(k), v] for k, v in after.items() if old.get(k) != v}


# --- how a model takes part --------------------------------------------------------------


class Editable(Generic[M]):
    """What the edit module needs to know about one editable model. Subclass it once per
    model, next to the model's services; the defaults suit a model with ``version``,
    ``created_by`` and ``updated_by`` columns and a comment in its history."""

    #: The audit log's object type, e.g. ``layers.building``.
    object_type: str = ""
    #: The audit actions' prefix, e.g. ``building`` for ``building.update``.
    name: str = ""
    #: The 409's text (``gettext_lazy``), with ``%(id)s`` (:meth:`object_id`) and ``%(v)d``
    #: (the current version), e.g. "Building %(id)s was changed by someone else ...".
    stale_text: str | Promise = ""

    def queryset(self) -> QuerySet[M]:
        """The rows, as the services read them (``select_related`` ...)."""
        raise NotImplementedError

    def object_id(self, obj: M) -> str:
        """How the audit log and conflicts name the object."""
        return str(obj.pk)

    def snapshot(self, obj: M) -> dict[str, Any]:
        """The state the history keeps and compares (without the version)."""
        raise NotImplementedError

    def diff(self, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
        return diff(before, after)

    def current(self, obj: M, user: User) -> dict[str, Any]:
        """The current state a 409 answer carries, as ``user`` may see it."""
        raise NotImplementedError

    def stale_message(self, obj: M) -> str:
        """The 409's text for ``obj`` as it is now."""
        version = getattr(obj, "version")  # noqa: B009
        return str(self.stale_text) % {"id": self.object_id(obj), "v": version}

    def note(self, ctx: EditContext) -> Any:
        """Why the edit is made, asked inside the edit's transaction before anything is
        written: the required comment (models with changesets open or join one here)."""
        return require_comment(ctx)

    def history(self, obj: M, entry: Entry) -> models.Model:
        """The unsaved history row of one accepted change."""
        raise NotImplementedError

    def announce(self, before: M | None, after: M | None) -> None:
        """Tell the "changed" port (``layers.changes``) what changed; called inside the
        transaction (``before`` None: created; ``after`` None: deleted)."""

    def insert(self, ctx: EditContext, objs: list[M]) -> None:
        """Store new rows (their version, creator and editor already set)."""
        for obj in objs:
            obj.save()

    def remove(self, obj: M) -> None:
        obj.delete()

    def audit_detail(self, verb: str, obj: M, entry: Entry) -> dict[str, Any]:
        """The audit event's detail for an accepted ``verb`` (create, update ...)."""
        return {"version": entry.version, "fields": sorted(entry.changes)}


# --- idempotency ------------------------------------------------------------------------


def once(ctx: EditContext, recall: Callable[[], A | None], run: Callable[[], R]) -> A | R:
    """Run an edit at most once per user and ``ctx.claim`` key: ``recall()`` gives the
    answer remembered for the key (None: a new key; it raises for a key reused with another
    request), ``run()`` makes the edit and remembers its answer in its own transaction. A
    retry of the same request (its first answer lost on a weak signal) gets the first
    answer again, not a second object nor a 409 against its own edit. A retry racing the
    original: the loser's version check (or the key's unique index) fails, and it then
    finds the winner's answer."""
    found = recall() if ctx.claim is not None else None
    if found is not None:
        return found
    try:
        return run()
    except (Conflict, IntegrityError):
        found = recall() if ctx.claim is not None else None
        if found is None:
            raise
        return found


# --- refusals ----------------------------------------------------------------------------


def deny(
    ctx: EditContext,
    kind: Editable[Any],
    verb: str,
    error: DomainError,
    object_id: str = "",
    /,
    **detail: Any,
) -> DomainError:
    """Audit a refused ``verb`` (``<kind.name>.<verb>``, result denied, the error's code as
    the reason) and hand back the error for the caller to raise. The audit event is
    written outside any transaction the caller may roll back."""
    audit.record(
        f"{kind.name}.{verb}",
        actor=ctx.user,
        object_type=kind.object_type,
        object_id=object_id,
        result=AuditResult.DENIED,
        address=ctx.address,
        detail={"reason": error.code, **detail},
    )
    return error


def get_for_edit(
    ctx: EditContext, kind: Editable[M], action: Action, verb: str, /, **lookup: Any
) -> M:
    """The object if the user may see it and do ``action`` on it; otherwise an audited 404
    (hidden or missing alike: nothing tells them apart) or 403 (visible, not theirs to
    change)."""
    object_id = str(next(iter(lookup.values()), ""))
    try:
        obj = access.get_visible(ctx.user, kind.queryset(), **lookup)
    except NotFound as exc:
        raise deny(ctx, kind, verb, exc, object_id) from None
    if not access.can(ctx.user, action, obj):
        raise deny(ctx, kind, verb, PermissionDenied(), object_id)
    return obj


def stale(kind: Editable[M], current: M, user: User, index: int = -1) -> Conflict:
    """The 409 for an edit made from an older version: names ``version`` and carries the
    current state (and, in a batch, the 1-based item)."""
    extra: dict[str, Any] = {"current": kind.current(current, user)}
    if index >= 0:
        extra["item"] = index + 1
    return Conflict(kind.stale_message(current), field="version", **extra)


def check_version(
    ctx: EditContext, kind: Editable[M], stored: M, version: int | None, index: int = -1
) -> None:
    """``Conflict`` unless ``stored`` is still at the version the edit started from."""
    if getattr(stored, "version") != version:  # noqa: B009  # every editable model has one
        raise stale(kind, stored, ctx.user, index)


# --- the steps of an accepted edit -------------------------------------------------------


def change(
    ctx: EditContext,
    kind: Editable[M],
    obj: M,
    action: str,
    before: dict[str, Any] | None,
    note: Any,
) -> Entry:
    """The history entry of ``obj``'s change from the snapshot ``before`` (None: created)."""
    after = kind.snapshot(obj)
    version = getattr(obj, "version")  # noqa: B009  # every editable model has one
    return Entry(
        action, version, kind.diff(before, after), after, ctx.actor, ctx.actor_username, note
    )


def insert(ctx: EditContext, kind: Editable[M], objs: list[M], note: Any) -> list[Entry]:
    """Store new objects at version 1 and return their creation entries; call inside the
    edit's transaction."""
    for obj in objs:
        setattr(obj, "version", 1)  # noqa: B010
        setattr(obj, "created_by", ctx.actor)  # noqa: B010
        setattr(obj, "updated_by", ctx.actor)  # noqa: B010
    kind.insert(ctx, objs)
    return [change(ctx, kind, obj, "create", None, note) for obj in objs]


def write(
    ctx: EditContext,
    kind: Editable[M],
    locked: M,
    new: M,
    version: int | None,
    note: Any,
    action: str = "update",
    *,
    before: dict[str, Any] | None = None,
    index: int = -1,
) -> Entry:
    """Save ``new`` (an edited copy of the row) over the locked row it was made from: the
    version checked (``index``: the item of a batch), then bumped. Returns the change's
    entry; call inside the transaction that locked the row."""
    check_version(ctx, kind, locked, version, index)
    if before is None:
        before = kind.snapshot(locked)
    new.pk = locked.pk
    setattr(new, "version", getattr(locked, "version") + 1)  # noqa: B009,B010
    setattr(new, "updated_by", ctx.actor)  # noqa: B010
    new.save()
    return change(ctx, kind, new, action, before, note)


def store_history(kind: Editable[M], pairs: Iterable[tuple[M, Entry]]) -> None:
    """The history rows of accepted changes, stored in one statement."""
    rows = [kind.history(obj, e) for obj, e in pairs]
    if rows:
        type(rows[0])._default_manager.bulk_create(rows)


def lock(kind: Editable[M], /, **lookup: Any) -> M:
    """The row, locked for the rest of the transaction."""
    return kind.queryset().select_for_update(of=("self",)).get(**lookup)


def recorded(ctx: EditContext, kind: Editable[M], verb: str, obj: M, e: Entry) -> None:
    """The audit event of an accepted edit (inside its transaction)."""
    audit.record(
        f"{kind.name}.{verb}",
        actor=ctx.user,
        object_type=kind.object_type,
        object_id=kind.object_id(obj),
        address=ctx.address,
        detail=kind.audit_detail(verb, obj, e),
    )


# --- whole edits -------------------------------------------------------------------------


def create(ctx: EditContext, kind: Editable[M], obj: M) -> M:
    """Store a new object (checked, and refused with :func:`deny`, by the caller), with
    its history, announcement and audit event, in one transaction."""
    with transaction.atomic():
        note = kind.note(ctx)
        (created,) = insert(ctx, kind, [obj], note)
        kind.history(obj, created).save()
        kind.announce(None, obj)
        recorded(ctx, kind, "create", obj, created)
    return obj


def update(
    ctx: EditContext,
    kind: Editable[M],
    new: M,
    version: int | None,
    *,
    action: str = "update",
    changed: Callable[[M], bool] | None = None,
) -> M:
    """Save ``new`` (an edited, checked copy of a stored object) if the stored row is still
    at ``version``, else ``Conflict`` with the current state; history, announcement and
    audit in the same transaction. An edit that changes nothing writes nothing and answers
    the stored row (``changed(locked)`` may decide instead of comparing snapshots, e.g. to
    stamp a change date only on a real change)."""
    with transaction.atomic():
        locked = lock(kind, pk=new.pk)
        check_version(ctx, kind, locked, version)
        before = kind.snapshot(locked)
        if changed is not None:
            effective = changed(locked)
        else:
            effective = bool(kind.diff(before, kind.snapshot(new)))
        if not effective:
            return locked
        note = kind.note(ctx)
        done = write(ctx, kind, locked, new, version, note, action, before=before)
        kind.history(new, done).save()
        kind.announce(locked, new)
        recorded(ctx, kind, action, new, done)
    return new


def delete(ctx: EditContext, kind: Editable[M], obj: M, version: int | None) -> dict[str, Any]:
    """Remove a stored object at ``version`` (else ``Conflict``); its history keeps a
    ``delete`` entry with the last state. Returns that state."""
    with transaction.atomic():
        note = kind.note(ctx)
        locked = lock(kind, pk=obj.pk)
        check_version(ctx, kind, locked, version)
        before = kind.snapshot(locked)
        version_after = getattr(locked, "version") + 1  # noqa: B009
        removal = Entry(
            "delete",
            version_after,
            {"deleted": [False, True]},
            before,
            ctx.actor,
            ctx.actor_username,
            note,
        )
        kind.history(locked, removal).save()
        kind.remove(locked)
        kind.announce(locked, None)
        recorded(ctx, kind, "delete", obj, removal)
    return before
