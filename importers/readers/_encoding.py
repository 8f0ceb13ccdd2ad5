"""Text encodings of attribute data: names, .cpg values, DBF language-driver ids, detection.

Names are reported in one canonical spelling (``UTF-8``, ``GB18030``, ``GBK``, ``CP1252``,
``ISO-8859-1``, ...), which both Python's codecs and GDAL (iconv) understand.

Detection (no .cpg, no useful LDID, no option) decides between UTF-8 and GB18030 only, the
two encodings Chinese attribute data comes in: strict UTF-8 decoding of every non-ASCII value
succeeds -> UTF-8, else strict GB18030 decoding succeeds -> GB18030 (a superset of GBK and
GB2312), else the file is refused with a request for an explicit encoding. Western 8-bit text
(CP1252) usually also decodes as GB18030, so such files need ``encoding=`` (or a .cpg).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

UTF8: Final = "UTF-8"
GB18030: Final = "GB18030"
GBK: Final = "GBK"

# dBase / ESRI language-driver ids (DBF header byte 29) -> Windows/DOS code page. The table is
# the one GDAL's Shapefile driver uses (from the dBase documentation), plus 0x7D/0x7E from
# ESRI's list; ids whose code page Python or iconv lacks (620 Mazovia, 895 Kamenicky, 10029
# Mac Central European) are left out. 0x57 ("ANSI": the writer's current Windows code page,
# GBK on a Chinese Windows) is deliberately absent: it does not say which code page, so
# detection decides.
LDID_CODEPAGES: Final[dict[int, int]] = {
    0x01: 437, 0x02: 850, 0x03: 1252, 0x04: 10000, 0x08: 865, 0x0A: 850, 0x0B: 437,
    0x0D: 437, 0x0E: 850, 0x0F: 437, 0x10: 850, 0x11: 437, 0x12: 850, 0x13: 932,
    0x14: 850, 0x15: 437, 0x16: 850, 0x17: 865, 0x18: 437, 0x19: 437, 0x1A: 850,
    0x1B: 437, 0x1C: 863, 0x1D: 850, 0x1F: 852, 0x22: 852, 0x23: 852, 0x24: 860,
    0x25: 850, 0x26: 866, 0x37: 850, 0x40: 852,
    0x4D: 936, 0x4E: 949, 0x4F: 950, 0x50: 874,  # Chinese GBK (PRC), Korean, Big5, Thai
    0x58: 1252, 0x59: 1252, 0x64: 852, 0x65: 866, 0x66: 865, 0x67: 861, 0x6A: 737,
    0x6B: 857, 0x6C: 863,
    0x78: 950, 0x79: 949, 0x7A: 936, 0x7B: 932, 0x7C: 874,  # Big5, Korean, GBK, SJIS, Thai
    0x7D: 1255, 0x7E: 1256, 0x86: 737, 0x87: 852, 0x88: 857, 0x96: 10007,
    0xC8: 1250, 0xC9: 1251, 0xCA: 1254, 0xCB: 1253, 0xCC: 1257,
}  # fmt: skip
LDID_ANSI: Final = 0x57

_CODEPAGE_NAMES: Final[dict[int, str]] = {
    936: GBK, 950: "BIG5", 949: "CP949", 932: "CP932", 65001: UTF8, 54936: GB18030,
    10000: "MACINTOSH", 10007: "MAC-CYRILLIC",
}  # fmt: skip

# Python codec name -> canonical name, where upper-casing the codec name is not enough.
_CANONICAL: Final[dict[str, str]] = {
    "utf-8": UTF8,
    "gb2312": GBK,  # labels say GB2312 loosely; GBK is its superset and what writers produce
    "iso8859-1": "ISO-8859-1",
    "mac-roman": "MACINTOSH",  # the name iconv (hence GDAL) knows
    "mac-cyrillic": "MAC-CYRILLIC",
    "shift_jis": "SHIFT_JIS",
    "euc_kr": "EUC-KR",
    "euc_jp": "EUC-JP",
    "big5hkscs": "BIG5-HKSCS",
}
_ISO8859_RE: Final = re.compile(r"iso8859-(\d+)")


def canonical(name: str) -> str:
    """The canonical spelling of an encoding name; LookupError if Python has no such codec."""
    codec = codecs.lookup(name.strip()).name  # e.g. 'cp936' -> 'gbk', 'latin1' -> 'iso8859-1'
    if codec in _CANONICAL:
        return _CANONICAL[codec]
    match = _ISO8859_RE.fullmatch(codec)
    if match:
        return f"ISO-8859-{match.group(1)}"
    return codec.upper()


def codepage_name(codepage: int) -> str:
    """Canonical encoding name of a Windows/DOS code page number."""
    return _CODEPAGE_NAMES.get(codepage) or canonical(f"cp{codepage}")


def from_ldid(ldid: int) -> str | None:
    """Encoding named by a DBF language-driver id, or None when it names none (0, 0x57, ...)."""
    codepage = LDID_CODEPAGES.get(ldid)
    return codepage_name(codepage) if codepage is not None else None


_UNINFORMATIVE_CPG: Final = frozenset({"", "system", "ansi", "oem", "default"})


def from_cpg(text: str) -> str | None:
    """Encoding named by a .cpg file's text (as ESRI and GDAL read it).

    None when the .cpg names no particular encoding ("ANSI", "System", empty). LookupError
    when it names one Python does not know.
    """
    value = text.strip().strip("\x00").strip()
    lowered = value.lower()
    if lowered in _UNINFORMATIVE_CPG:
        return None
    if lowered.startswith(("utf-8", "utf8")):
        return UTF8
    if lowered.startswith("8859"):
        return canonical("iso8859-" + lowered[4:].lstrip("-_ "))
    if lowered.startswith("ansi "):
        lowered = lowered[5:].strip()
    if lowered.isdigit():
        return codepage_name(int(lowered))
    return canonical(value)


@dataclass
class DecodeCheck:
    """Which candidate encodings decode every value strictly, with a failing sample for each."""

    ok: dict[str, bool]
    failures: dict[str, bytes] = field(default_factory=dict)
    non_ascii: int = 0  # how many values had bytes >= 0x80


_CUT: Final = frozenset({"unexpected end of data", "incomplete multibyte sequence"})


def _decodes(value: bytes, codec: str) -> bool:
    try:
        value.decode(codec)
    except UnicodeDecodeError as exc:
        # A DBF field is a fixed number of BYTES: a writer may cut the last multi-byte
        # character in half. Tolerate exactly that (an incomplete sequence at the very end).
        return exc.end == len(value) and exc.start >= len(value) - 3 and exc.reason in _CUT
    return True


def _block_decodes(block: np.ndarray, codec: str) -> tuple[bool, bytes]:
    """Whether every row (a fixed-width value) of a uint8 block decodes; a failing value."""
    separated = np.hstack([block, np.full((len(block), 1), 0x0A, dtype=np.uint8)])
    try:
        separated.tobytes().decode(codec)  # fast path: the whole block at once
        return True, b""
    except UnicodeDecodeError:
        pass
    for row in block:
        value = row.tobytes().rstrip(b" \x00")
        if not _decodes(value, codec):
            return False, value
    return True, b""


def check(blocks: Iterable[np.ndarray], candidates: Iterable[str]) -> DecodeCheck:
    """Decode each block of values with each candidate; a candidate is dropped at its first
    failure. Blocks are 2D uint8 arrays with one fixed-width value per row."""
    names = list(dict.fromkeys(candidates))
    result = DecodeCheck(ok=dict.fromkeys(names, True))
    for block in blocks:
        result.non_ascii += len(block)
        alive = [name for name in names if result.ok[name]]
        if not alive:
            break
        for name in alive:
            ok, failure = _block_decodes(block, name)
            if not ok:
                result.ok[name] = False
                result.failures[name] = failure
    return result


def detect(result: DecodeCheck) -> str | None:
    """UTF-8 or GB18030 from a :func:`check` over both; None when neither decodes."""
    if result.ok.get(UTF8):
        return UTF8
    if result.ok.get(GB18030):
        return GB18030
    return None


def looks_like(result: DecodeCheck) -> str:
    """A phrase for error messages: which common encoding the bytes do decode as."""
    guess = detect(result)
    if guess is None:
        return "it is neither UTF-8 nor GB18030"
    return f"it looks like {guess}"


def sample(value: bytes, limit: int = 24) -> str:
    """A short, printable rendering of undecodable bytes for messages."""
    shown = value[:limit]
    return shown.hex(" ") + (" ..." if len(value) > limit else "")
