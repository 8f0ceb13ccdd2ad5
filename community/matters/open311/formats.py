"""Answers in the two formats of GeoReport v2: JSON, and XML built with ElementTree (every
value escaped by the library), each with its ``Content-Type``; errors in the spec's shape
(a list of ``{code, description}``; ``<errors><error><code/><description/></error></errors>``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 (building, not parsing)
from typing import Any

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The element of each member of a list, by the list's element name.
ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "keywords": "keyword",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            tag = ITEM_TAGS.get(key, "item")
            for item in value:
                member = ET.SubElement(child, tag)
                if isinstance(item, dict):
                    _fill(member, item)
                else:
                    member.text = _text(item)
        else:
            child.text = _text(value)


def xml_bytes(root: str, item: str | None, data: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    """``data`` under ``<root>``: a list as ``<item>`` elements, a dict as the root's
    children."""
    element = ET.Element(root)
    if isinstance(data, dict):
        _fill(element, data)
    else:
        assert item is not None  # noqa: S101
        for member in data:
            _fill(ET.SubElement(element, item), member)
    return bytes(ET.tostring(element, encoding="utf-8", xml_declaration=True))


def answer(
    fmt: str,
    data: list[dict[str, Any]] | dict[str, Any],
    root: str,
    item: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """``data`` in ``fmt`` (JSON as is; XML under ``root``/``item``)."""
    if fmt == "xml":
        body = xml_bytes(root, item, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """One error in the spec's format; ``code`` is the HTTP status, as in the spec's
    examples."""
    return answer(fmt, [{"code": status, "description": description}], "errors", "error", status)
