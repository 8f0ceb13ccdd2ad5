"""Request parsing shared by the component endpoints: CRS, version, changeset, filters."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.request import Request

from component_catalog.models import ComponentStatus
from component_catalog.services import Claim, EditContext
from gis_app import params, parsing
from gis_app.api_common import if_match_version
from gis_app.audit import source_address
from gis_app.errors import InvalidInput

MAX_INT = 2**31 - 1  # a PostgreSQL integer (versions)
MAX_ID = 2**63 - 1  # a PostgreSQL bigint (ids)
CLASS_LIST = re.compile(r"^\d{4}(,\d{4})*$")
LAYER_LIST = re.compile(r"^[a-z0-9][a-z0-9_-]*(,[a-z0-9][a-z0-9_-]*)*$")
MAX_LAYERS = 200


def version_of(request: Request, body: dict[str, Any] | None = None) -> int | None:
    """The version the client started from: If-Match header, else the body's version."""
    header = if_match_version(request)
    if header is not None:
        return header
    body = body or {}
    properties = body.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise InvalidInput(_("properties must be a JSON object."), field="properties")
    raw = body.get("version", (properties or {}).get("version"))
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_INT:
        raise InvalidInput(_("version must be a positive whole number."), field="version")
    return raw


def edit_context(request: Request, body: dict[str, Any] | None = None) -> EditContext:
    body = body or {}
    comment = body.get("comment") or request.headers.get("X-Changeset-Comment") or ""
    if not isinstance(comment, str):
        raise InvalidInput(_("comment must be text."), field="comment")
    changeset = body.get("changeset")
    valid = isinstance(changeset, int) and not isinstance(changeset, bool)
    if changeset is not None and not (valid and 1 <= changeset <= MAX_ID):
        raise InvalidInput(_("changeset must be a changeset id."), field="changeset")
    return EditContext(
        user=request.user,
        address=source_address(request._request),
        comment=comment,
        changeset_id=changeset,
        source="api",
    )


def class_codes(query: Any, name: str = "class") -> list[str] | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    if not CLASS_LIST.match(raw):
        raise InvalidInput(
            _("Parameter %(name)s must be 4-digit class codes separated by commas, not %(v)r.")
            % {"name": name, "v": raw},
            field=name,
        )
    return raw.split(",")


def layer_codes(query: Mapping[str, str], name: str = "layers") -> list[str] | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    if not LAYER_LIST.match(raw):
        raise InvalidInput(
            _("Parameter %(name)s must be layer codes separated by commas, not %(value)r.")
            % {"name": name, "value": raw[:200]},
            field=name,
        )
    codes = list(dict.fromkeys(raw.split(",")))
    if len(codes) > MAX_LAYERS:
        raise InvalidInput(
            _("Parameter %(name)s names more than %(max)d layers.")
            % {"name": name, "max": MAX_LAYERS},
            field=name,
        )
    return codes


def as_of_date(query: Mapping[str, str], name: str = "as_of") -> date | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    return parsing.date_value(raw, name)


def updated_since(query: Any) -> Any:
    raw = query.get("updated_since")
    if raw in (None, ""):
        return None
    return parsing.datetime_value(raw, "updated_since")


def status(query: Any) -> str | None:
    return params.choice(query, "status", ComponentStatus.values)


_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header of an edit (8-64 letters, digits, ``_.:-``), or
    None when absent."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    if not _KEY.match(raw):
        raise InvalidInput(
            _("Idempotency-Key must be 8 to 64 letters, digits, '_', '.', ':' or '-'."),
            field="Idempotency-Key",
        )
    return raw


def request_sha256(request: Request, body: dict[str, Any]) -> str:
    """What a creation asked for (body and coordinate system), to tell a retry from a
    different request under the same key."""
    canonical = json.dumps(
        [body, request.query_params.get("crs") or ""], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def edit_sha256(request: Request, body: dict[str, Any]) -> str:
    """What an update, retirement or delete asked for: method, path, the version started
    from (If-Match), body and coordinate system."""
    canonical = json.dumps(
        [
            request.method,
            request.path,
            request.headers.get("If-Match") or "",
            body,
            request.query_params.get("crs") or "",
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(request: Request, body: dict[str, Any], *, creating: bool = False) -> Claim | None:
    """The request's ``Idempotency-Key`` with its fingerprint, or None without a key."""
    key = idempotency_key(request)
    if key is None:
        return None
    sha = request_sha256(request, body) if creating else edit_sha256(request, body)
    return Claim(key, sha)
