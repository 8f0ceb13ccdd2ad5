"""The CJK font the server-side renderings use (the PDF text and the matplotlib images).

Chinese text needs a font with CJK glyphs; reportlab embeds TrueType outlines only (not the
CFF outlines of Noto CJK), so a TrueType CJK font is looked for: ``REPORTS_CJK_FONT`` (a
font file) if set, else the fonts fontconfig knows for Chinese, preferring WenQuanYi Zen
Hei (Debian ``fonts-wqy-zenhei``, installed by ``scripts/install_system.sh``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

PREFERRED = ("wqy-zenhei", "wqy-microhei", "uming", "ukai", "droidsansfallback")
FONT_NAME = "ReportCJK"


class FontMissing(RuntimeError):
    """No usable CJK font: the reports cannot draw Chinese text."""


def _candidates() -> list[str]:
    configured = settings.REPORTS_CJK_FONT
    if configured:
        return [configured]
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":", 1)[0].strip() for line in listed.splitlines() if line})

    def rank(path: str) -> tuple[int, str]:
        name = Path(path).name.lower()
        hits = [i for i, p in enumerate(PREFERRED) if p in name]
        return (hits[0] if hits else len(PREFERRED), path)

    return sorted((f for f in files if f.lower().endswith((".ttf", ".ttc"))), key=rank)


@functools.cache
def cjk_font() -> str:
    """Path of a TrueType CJK font, registered with reportlab as ``FONT_NAME``."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path in _candidates():
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
        except (TTFError, OSError, ValueError):
            continue
        return path
    raise FontMissing(
        "no TrueType font with Chinese glyphs found: install fonts-wqy-zenhei "
        "(scripts/install_system.sh does) or set REPORTS_CJK_FONT to a .ttf/.ttc file"
    )
