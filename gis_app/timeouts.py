"""Time limits of the database statements, set once per kind of work.

A request must never hold a web worker for long: every statement it runs is bounded by
PostgreSQL's ``statement_timeout``, set here per request kind:

* reads (``GET``, ``HEAD``, ``OPTIONS``: pages, API reads, tiles): ``STATEMENT_TIMEOUT_READ_MS``
  (default 5 s);
* writes (the other methods): ``STATEMENT_TIMEOUT_WRITE_MS`` (default 15 s);
* background jobs (report exports, run by the procrastinate worker):
  ``STATEMENT_TIMEOUT_JOB_MS`` (default 10 min), set by the job itself with :func:`job_limit`.

:class:`StatementTimeoutMiddleware` (last in ``MIDDLEWARE``) applies the limit before the
request's first statement (:func:`limited`: a request that never queries never connects)
and turns a statement cancelled by it into a clear JSON error (503, ``error``
``statement_timeout``) instead of a 500; the connection stays usable (in autocommit the
cancelled statement ends its own transaction; inside ``atomic`` Django rolls back). The
tile fast path (``tiles.fastpath``), which bypasses the middleware, uses :func:`limited` and
:func:`timeout_response` itself.

Persistent connections (``CONN_MAX_AGE``) keep a session setting across requests, so the
value set on a connection is remembered on its wrapper and not sent again while it is the
same; a new connection is set again. A setting made inside a transaction is sent once for
that transaction and remembered for the session when it commits (a rollback would undo it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Final

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

QUERY_CANCELED: Final = "57014"  # SQLSTATE of a statement cancelled (timeout or cancel)
_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_REMEMBERED: Final = "_gis_statement_timeout"  # attribute on the connection wrapper
_PENDING: Final = "_gis_statement_timeout_pending"  # set in a transaction not yet committed


def read_ms() -> int:
    return int(getattr(settings, "STATEMENT_TIMEOUT_READ_MS", 5000))


def write_ms() -> int:
    return int(getattr(settings, "STATEMENT_TIMEOUT_WRITE_MS", 15000))


def job_ms() -> int:
    return int(getattr(settings, "STATEMENT_TIMEOUT_JOB_MS", 600000))


def limit_for(request: HttpRequest) -> int:
    """The statement limit of a request, in milliseconds."""
    return read_ms() if request.method in _READ_METHODS else write_ms()


def _in_failed_transaction(raw: Any) -> bool:
    """Whether the driver's connection is in a transaction an error has aborted: the next
    statement is the rollback (to a savepoint) that ends it, and anything sent before it
    would fail. psycopg 3 and psycopg2 both."""
    info = getattr(raw, "info", None)
    if info is not None and hasattr(info, "transaction_status"):
        return int(info.transaction_status) == 3  # psycopg.pq.TransactionStatus.INERROR
    status = getattr(raw, "get_transaction_status", None)
    return status is not None and status() == 3  # psycopg2.extensions.TRANSACTION_STATUS_INERROR


def _set(limit_ms: int) -> None:
    """Send the limit unless the open connection already has it (or cannot take it now)."""
    raw = connection.connection
    if getattr(connection, _REMEMBERED, None) == (raw, limit_ms):
        return
    pending = getattr(connection, _PENDING, None)
    if pending is not None and pending[:2] == (raw, limit_ms) and _still_open(pending[2]):
        return  # sent earlier in this transaction, and nothing has undone it
    if raw is not None and _in_failed_transaction(raw):
        return
    # The driver's cursor (no execute wrappers, no query log), its errors as Django's.
    with connection.wrap_database_errors, raw.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{limit_ms}ms"])
    if not connection.in_atomic_block:
        setattr(connection, _REMEMBERED, (raw, limit_ms))
        return
    # Inside a transaction a rollback (of it, or of the savepoint the setting was made in)
    # undoes the setting: it holds for the session once committed; until then it holds
    # while the commit hook registered with it is still queued (Django drops the hooks of
    # what it rolls back).

    def settled() -> None:
        setattr(connection, _REMEMBERED, (raw, limit_ms))

    transaction.on_commit(settled)
    setattr(connection, _PENDING, (raw, limit_ms, settled))


def _still_open(hook: Callable[[], None]) -> bool:
    """Whether ``hook`` (a commit hook of this connection) is still queued: the transaction
    or savepoint it was registered in has been neither committed nor rolled back."""
    # entries are (savepoint ids, function, robust)
    return connection.in_atomic_block and any(
        entry[1] is hook for entry in connection.run_on_commit
    )


def apply(limit_ms: int) -> None:
    """Bound the statements of the current connection to ``limit_ms`` (0: no limit),
    connecting now if needed."""
    connection.ensure_connection()
    _set(limit_ms)


@contextmanager
def limited(limit_ms: int) -> Iterator[None]:
    """Bound every statement run in the block to ``limit_ms``; the limit is sent before the
    first statement, so a block that never queries never connects (``/healthz`` still
    answers its own 503 when the database is down)."""

    def wrapper(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        _set(limit_ms)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@contextmanager
def job_limit() -> Iterator[None]:
    """The background jobs' limit on the current connection for the duration of a job."""
    apply(job_ms())
    try:
        yield
    finally:
        with suppress(DatabaseError):  # a dead connection is closed and replaced anyway
            apply(0)


def is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is a statement cancelled by the limit."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if code == QUERY_CANCELED:
            return True
        seen = seen.__cause__
    return False


def timeout_response(request: HttpRequest, limit_ms: int) -> JsonResponse:
    """The answer to a request whose statement ran past the limit (503, JSON)."""
    seconds = f"{limit_ms / 1000:g}"
    detail = _(
        "The request took longer than the limit of %(seconds)s s and was stopped. "
        "Narrow it (a smaller area or fewer classes); for a large report, use the "
        "background export (POST to the export URL), which has no such limit."
    ) % {"seconds": seconds}
    response = JsonResponse(
        {"error": "statement_timeout", "detail": detail, "limit_s": limit_ms / 1000}, status=503
    )
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class StatementTimeoutMiddleware:
    """Applies the request's statement limit; answers a statement that ran past it with a
    503 JSON error (see the module docstring). Last in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = limit_for(request)
        request.statement_timeout_ms = limit  # type: ignore[attr-defined]
        with limited(limit):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not is_timeout(exception):
            return None
        return timeout_response(request, getattr(request, "statement_timeout_ms", read_ms()))
