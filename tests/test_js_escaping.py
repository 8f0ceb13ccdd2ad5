"""No data reaches HTML through the project's own JavaScript except through SCHtml
(gis_app/static/gis_app/safe_html.js), and no template carries inline script.

The scan reads every JavaScript file of the project (static modules of every app, the
survey's service-worker template; never vendor or node_modules) and every template, and
fails on:

* HTML string sinks at all: ``innerHTML``, ``outerHTML``, ``insertAdjacentHTML``,
  ``document.write``/``writeln``, ``createContextualFragment``, ``srcdoc``, ``DOMParser``;
* Leaflet content sinks (``bindTooltip``, ``bindPopup``, ``setContent``,
  ``setTooltipContent``, ``setPopupContent``) whose content is not ``SCHtml.content(...)``
  (a DOM node: data shows as text);
* Leaflet's HTML labels: ``addOverlay``/``addBaseLayer`` labels not built by the
  ``SCHtml.html`` template tag (values escaped), ``L.control.layers`` given labelled
  layers directly, ``html:``/``attribution:`` options or ``.attribution =`` that are not
  a plain string literal or an ``SCHtml`` call;
* in templates: ``<script>`` elements with a body (other than JSON data blocks) and
  ``on...=`` event-handler attributes (both would need 'unsafe-inline' in the CSP).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

SKIP_DIRS = {"node_modules", "vendor", ".venv", ".git", ".local", "__pycache__", "bench"}
FORBIDDEN = re.compile(
    r"\.innerHTML\b|\.outerHTML\b|\binsertAdjacentHTML\b|\bdocument\s*\.\s*write(ln)?\b"
    r"|\bcreateContextualFragment\b|\bsrcdoc\b|\bDOMParser\b|\.writeln\s*\("
)
CONTENT_SINK = re.compile(
    r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\s*\("
)
LABEL_SINK = re.compile(r"\.(addOverlay|addBaseLayer)\s*\(")
LAYERS_CONTROL = re.compile(r"\bcontrol\s*\.\s*layers\s*\(")
HTML_OPTION = re.compile(r"(?<![\w$.])(html|attribution)\s*:|\.attribution\s*=(?!=)")
PLAIN_STRING = re.compile(r"""^("([^"\\\n]|\\.)*"|'([^'\\\n]|\\.)*'|`[^`$]*`)$""")
INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)


def project_files(suffixes: tuple[str, ...]) -> Iterator[Path]:
    for path in sorted(REPO.rglob("*")):
        if path.suffix not in suffixes or not path.is_file():
            continue
        if SKIP_DIRS.intersection(path.relative_to(REPO).parts):
            continue
        if path.suffix == ".js" or "templates" in path.parts:
            yield path


def strip_comments(source: str) -> str:
    """The code with comments blanked (strings kept, line numbers kept)."""
    out: list[str] = []
    i, n = 0, len(source)
    quote = ""
    while i < n:
        c = source[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(source[i + 1])
                i += 2
                continue
            if c == quote:
                quote = ""
            i += 1
        elif c in "\"'`":
            quote = c
            out.append(c)
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join("\n" if ch == "\n" else " " for ch in source[i:end]))
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def outside_strings(code: str, start: int) -> Iterator[tuple[int, str, int]]:
    """(offset, character, bracket depth after it) of each character from ``start`` that is
    not inside a string literal; depth counts the brackets opened since ``start``."""
    depth, quote, i = 0, "", start
    while i < len(code):
        c = code[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        else:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            yield i, c, depth
        i += 1


def arguments(code: str, open_paren: int) -> list[str]:
    """The top-level arguments of the call whose "(" is at ``open_paren``."""
    start = open_paren + 1
    args: list[str] = []
    for i, c, depth in outside_strings(code, open_paren):
        if c in ")]}" and depth == 0:
            args.append(code[start:i].strip())
            return [a for a in args if a]
        if c == "," and depth == 1:
            args.append(code[start:i].strip())
            start = i + 1
    raise AssertionError(f"unbalanced call at offset {open_paren}")


def value_after(code: str, position: int) -> str:
    """The expression from ``position`` up to the next top-level , ; or closing bracket."""
    end = len(code)
    for i, c, depth in outside_strings(code, position):
        if depth < 0 or (c in ",;\n" and depth == 0):
            end = i
            break
    return code[position:end].strip()


def is_one_call(expr: str, name: str) -> bool:
    """Whether ``expr`` is exactly one call of ``name`` (not a call followed by more)."""
    m = re.match(re.escape(name) + r"\s*\(", expr)
    if not m:
        return False
    for i, c, depth in outside_strings(expr, m.end() - 1):
        if c in ")]}" and depth == 0:
            return i == len(expr) - 1
    return False


def problems_in_js(code: str) -> list[str]:
    """Every unsafe way into HTML in ``code`` (comments already removed)."""
    found: list[str] = []

    def line(pos: int) -> int:
        return code.count("\n", 0, pos) + 1

    for m in FORBIDDEN.finditer(code):
        found.append(f"line {line(m.start())}: {m.group(0).strip()} (build nodes with SCHtml)")
    for m in CONTENT_SINK.finditer(code):
        args = arguments(code, m.end() - 1)
        first = args[0] if args else ""
        if not is_one_call(first, "SCHtml.content"):
            found.append(f"line {line(m.start())}: {m.group(1)}({first[:60]}) not SCHtml.content")
    for m in LABEL_SINK.finditer(code):
        args = arguments(code, m.end() - 1)
        label = args[1] if len(args) > 1 else ""
        if not re.fullmatch(r"SCHtml\.html\s*`[^`]*`", label, re.S):
            found.append(f"line {line(m.start())}: {m.group(1)} label {label[:60]!r}")
    for m in LAYERS_CONTROL.finditer(code):
        for arg in arguments(code, m.end() - 1)[:2]:
            if arg not in {"{}", "null", "undefined"}:
                found.append(f"line {line(m.start())}: control.layers({arg[:40]}): use addOverlay")
    for m in HTML_OPTION.finditer(code):
        value = value_after(code, m.end())
        if not (PLAIN_STRING.match(value) or re.match(r"SCHtml\.(escape|html)\b", value)):
            found.append(f"line {line(m.start())}: {m.group(0)} {value[:60]!r}")
    return found


def inline_scripts(template: str) -> Iterator[tuple[str, str]]:
    for m in INLINE_SCRIPT.finditer(template):
        yield m.group("attrs"), m.group("body")


def js_sources() -> list[Path]:
    return [p for p in project_files((".js",))]


def test_the_scan_sees_the_project_javascript() -> None:
    names = {p.relative_to(REPO).as_posix() for p in js_sources()}
    for expected in (
        "community/parking/static/parking/parking.js",
        "community/parking/static/parking/findcar.js",
        "reports/static/reports/reports.js",
        "importers/static/importers/imports.js",
        "survey/static/survey/editor.js",
        "survey/templates/survey/sw.js",
        "gis_app/static/gis_app/safe_html.js",
    ):
        assert expected in names
    assert not [n for n in names if "vendor" in n or "node_modules" in n]


@pytest.mark.parametrize("path", js_sources(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_javascript_puts_data_in_html_only_through_schtml(path: Path) -> None:
    problems = problems_in_js(strip_comments(path.read_text(encoding="utf-8")))
    assert not problems, "\n".join(problems)


TEMPLATES = [p for p in project_files((".html",))]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_templates_carry_no_inline_script(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for attrs, body in inline_scripts(text):
        if "application/json" in attrs or "application/ld+json" in attrs:
            continue
        assert not body.strip(), f"inline <script> in {path.name}: {body.strip()[:80]!r}"
    assert not HANDLER_ATTRIBUTE.search(text), f"event-handler attribute in {path.name}"


@pytest.mark.parametrize(
    "code",
    [
        'marker.bindTooltip(lot.name + " · " + free);',
        "marker.bindTooltip(lot.name);",
        "layer.bindPopup(`<b>${name}</b>`);",
        "layer.bindPopup(SCHtml.content(a), SCHtml.content(b)); x.bindPopup(html);",
        'L.popup().setContent("<b>" + esc(x) + "</b>");',
        'list.innerHTML = "";',
        "el.insertAdjacentHTML('beforeend', row);",
        "document.write(x);",
        "ctl.addOverlay(group, '<span>' + name);",
        "L.control.layers(choices, {}).addTo(map);",
        "L.divIcon({ html: '<b>' + n + '</b>' });",
        "opts.attribution = basemap.attribution;",
        "L.tileLayer(u, { attribution: basemap.attribution });",
    ],
)
def test_the_scan_catches_unsafe_code(code: str) -> None:
    assert problems_in_js(strip_comments(code))


@pytest.mark.parametrize(
    "code",
    [
        "marker.bindTooltip(SCHtml.content(lot.name + ' · ' + free));",
        "marker.bindPopup(SCHtml.content(self.popup(lot)), { maxWidth: 200 });",
        "ctl.addOverlay(group, SCHtml.html`<i></i>${name}`);",
        "L.control.layers({}, {}, { collapsed: true });",
        "L.divIcon({ className: 'pin', html: '<span></span>' });",
        "var o = { attribution: SCHtml.escape(b.attribution) };",
        "// el.innerHTML = x;  (a comment)",
        "SCHtml.fill(list, SCHtml.el('li', null, name));",
    ],
)
def test_the_scan_passes_safe_code(code: str) -> None:
    assert problems_in_js(strip_comments(code)) == []


def test_the_scan_finds_inline_script_and_handlers() -> None:
    page = '<select onchange="this.form.submit()"></select><script>var a = 1;</script>'
    assert HANDLER_ATTRIBUTE.search(page)
    assert [body for _, body in inline_scripts(page)] == ["var a = 1;"]
    data = '<script id="c" type="application/json">{"a": 1}</script><script src="x.js"></script>'
    assert [(a, b) for a, b in inline_scripts(data) if "json" not in a and b.strip()] == []
