"""DRF parsers of the platform (``DEFAULT_PARSER_CLASSES``): the shared JSON parser of
``gis_app.parsing`` (depth limit, control characters) and form parsers that refuse control
characters in any field, each with a 400 naming the field."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers

from gis_app import parsing


class JSONParser(parsers.JSONParser):
    """JSON bodies through ``gis_app.parsing.loads``: at most MAX_JSON_DEPTH levels, no
    control characters in strings or member names."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return parsing.loads(stream.read() if stream is not None else b"", "body")


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        parsing.check_fields(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        parsing.check_fields(result.data)
        return result
