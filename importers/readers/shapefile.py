"""ESRI Shapefile (.shp with its .shx, .dbf and optional .prj, .cpg).

Encoding of the attribute table, in order of precedence:

1. ``ReadOptions.encoding`` -> ``encoding_source = "option"``;
2. the ``.cpg`` file -> ``"cpg"`` (an uninformative one such as "ANSI" is skipped);
3. the DBF language-driver id (header byte 29), e.g. 0x4D or 0x7A = CP936/GBK -> ``"ldid"``;
4. detection between UTF-8 and GB18030 over every non-ASCII value -> ``"detected"``.

Whatever the source, every non-ASCII field name and character value is decoded strictly with
the chosen encoding first; a mismatch (typically a .cpg saying UTF-8 over GBK bytes) refuses
the file with a message naming the encoding the bytes do look like, instead of reading
mojibake. CRS: the ``.prj`` (ESRI or OGC WKT) through pyproj, matched to an EPSG code with at
least 70% confidence; no .prj means no CRS.
"""

from __future__ import annotations

from typing import Any

from . import _encoding as enc
from ._crs import CrsFound, from_definition, option_or, unrecognised_note
from ._dbf import DbfError, non_ascii_blocks, read_header
from ._gdal import GdalReader
from ._sniff import check_shapefile, sibling
from .base import ImportFileError, register


@register
class ShapefileReader(GdalReader):
    format = "Shapefile"
    extensions = (".shp",)
    gdal_encoding = True

    def encoding(self) -> tuple[str | None, str, list[str]]:
        check_shapefile(self.path)
        dbf = sibling(self.path, ".dbf")
        assert dbf is not None
        try:
            header = read_header(dbf)
        except DbfError as exc:
            raise ImportFileError(str(exc)) from None
        notes: list[str] = []
        declared, source = self._declared(header.ldid, notes)
        candidates = [name for name in (declared, enc.UTF8, enc.GB18030) if name]
        checked = enc.check(non_ascii_blocks(dbf, header), candidates)
        if declared is None:
            detected = enc.detect(checked)
            if detected is None:
                bad = checked.failures.get(enc.GB18030, b"")
                raise ImportFileError(
                    f"Cannot tell the text encoding of {dbf.name}: it is neither UTF-8 nor "
                    f"GB18030 (e.g. bytes {enc.sample(bad)}). Give the encoding explicitly, "
                    "e.g. encoding=CP1252 or encoding=BIG5.",
                    field="encoding",
                )
            if checked.non_ascii == 0:
                notes.append(f"{dbf.name} holds only ASCII text; read as UTF-8.")
            return detected, "detected", notes
        if not checked.ok[declared]:
            raise ImportFileError(self._mismatch(declared, source, checked), field="encoding")
        return declared, source, notes

    def _declared(self, ldid: int, notes: list[str]) -> tuple[str | None, str]:
        """(encoding, source) from the option, the .cpg or the LDID; (None, "") if none."""
        if self.options.encoding:
            try:
                return enc.canonical(self.options.encoding), "option"
            except LookupError:
                raise ImportFileError(
                    f"Unknown encoding {self.options.encoding!r}; use a name such as UTF-8, "
                    "GB18030, GBK, BIG5 or CP1252.",
                    field="encoding",
                ) from None
        cpg = sibling(self.path, ".cpg")
        if cpg is not None:
            text = cpg.read_bytes()[:200].decode("ascii", "replace")
            try:
                named = enc.from_cpg(text)
            except LookupError:
                raise ImportFileError(
                    f"{cpg.name} names the encoding {text.strip()!r}, which is not known here; "
                    "give the encoding explicitly (e.g. encoding=GB18030).",
                    field="encoding",
                ) from None
            if named is not None:
                return named, "cpg"
            notes.append(f"{cpg.name} says {text.strip()!r}, which names no code page.")
        named = enc.from_ldid(ldid)
        if named is not None:
            return named, "ldid"
        if ldid == enc.LDID_ANSI:
            notes.append(
                "The .dbf language driver is 0x57 ('ANSI', code page not stated); detected."
            )
        return None, ""

    def _mismatch(self, declared: str, source: str, checked: enc.DecodeCheck) -> str:
        bad = checked.failures.get(declared, b"")
        where = {"option": "the encoding option", "cpg": "the .cpg"}.get(
            source, "the .dbf language-driver byte"
        )
        hint = enc.detect(checked)
        advice = (
            f"pass encoding={hint} if that is right"
            if hint and hint != declared
            else "give the right encoding explicitly"
        )
        return (
            f"{where.capitalize()} says {declared} but the attribute table is not {declared} "
            f"(e.g. bytes {enc.sample(bad)}); {enc.looks_like(checked)} — {advice}."
        )

    def crs(self, gdal_info: dict[str, Any]) -> CrsFound:
        prj = sibling(self.path, ".prj")
        found = CrsFound(None, "none")
        if prj is not None:
            text = prj.read_bytes()[:65536].decode("utf-8", "replace")
            crs, description = from_definition(text)
            if crs is not None:
                found = CrsFound(crs, "prj")
            else:
                found.notes.append(unrecognised_note(prj.name, description))
        return option_or(self.options, found)
