"""System check: the reports need a CJK font to render Chinese in PDFs and images."""

from __future__ import annotations

from typing import Any

from django.core import checks

from reports import fonts


@checks.register()
def cjk_font_available(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        fonts.cjk_font()
    except fonts.FontMissing as exc:
        return [checks.Warning(str(exc), id="reports.W001")]
    return []
