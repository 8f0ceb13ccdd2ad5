"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded
browser) against the live test server (``live_url``), with a watcher that fails a test if
any request leaves 127.0.0.1, and screenshots saved as test artifacts.

Artifacts go to ``$TEST_ARTIFACTS_DIR`` or ``.local/test-artifacts/`` (git-ignored)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connections

from tests.components_helpers import last_component_id, remove_components_after
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
TIMEOUT_MS = 15_000

if not CHROMIUM.exists():  # pragma: no cover - the machine set-up installs it
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@contextmanager
def db_access(django_db_blocker: Any) -> Iterator[None]:
    """Database access from a browser test (setting data up, checking answers). While
    Playwright's loop runs, Django hands this code a connection of its own (per async
    context), which the test database's teardown would not close: close it here."""
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            connections.close_all()


def in_thread(work: Callable[[], Any]) -> Any:
    """Run database work in a thread of its own and close its connection after. Playwright
    runs the test thread inside a greenlet with its own context, where Django would open
    another connection that nothing closes, and the test database could then not be
    dropped at the end of the session ("being accessed by other users")."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # re-raised in the calling thread
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS_DIR") or REPO / ".local" / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class RequestWatcher:
    """Every URL the browser asked for; :meth:`outside` lists those not on 127.0.0.1.
    :meth:`problems` lists the page errors and failed requests of the pages it watches
    (:meth:`watch`): a request the network refused, or an answer of 400 or more, unless a
    test said it expects it (``page.allow_failures(pattern)``, a regular expression on
    ``"STATUS URL"``)."""

    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def record(self, request: Any) -> None:
        self.urls.append(request.url)

    def watch(self, page: Any) -> None:
        """Record ``page``'s uncaught errors and failed requests; give it ``allow_failures``
        and ``js_errors`` (the page's own error list, for tests that read it)."""
        errors: list[str] = []

        def error(exc: Any) -> None:
            errors.append(str(exc))
            self.page_errors.append(f"{page.url}: {exc}")

        page.on("pageerror", error)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.js_errors = errors
        page.allow_failures = lambda *patterns: self.allowed.extend(patterns)

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.status} {response.url}")

    def _failed(self, request: Any) -> None:
        reason = request.failure or ""
        # a tile or image the page itself cancelled (zooming on, leaving): not a failure
        if "ERR_ABORTED" not in reason:
            self.failures.append(f"failed {request.url} ({reason})")

    def problems(self) -> list[str]:
        unexpected = [f for f in self.failures if not any(re.search(p, f) for p in self.allowed)]
        return [*self.page_errors, *unexpected]

    def outside(self) -> list[str]:
        found = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if (
                parts.scheme not in {"http", "https", "ws", "wss"}
                or parts.hostname not in LOCAL_HOSTS
            ):
                found.append(url)
        return found

    def matching(self, pattern: str) -> list[str]:
        return [url for url in self.urls if re.search(pattern, url)]


@pytest.fixture(scope="module")
def browser(live_url: str) -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API keeps an asyncio loop in this
    thread, which makes Django refuse ORM calls here (its guard against async code); the
    tests call the ORM only between browser steps, never concurrently, so the guard is
    lifted while the browser is open and restored after."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def close_pages(
    request: Any, pages: list[Any], contexts: list[Any], requests_seen: RequestWatcher
) -> None:
    """End of a page fixture: screenshots of a failed test's pages, contexts closed, and
    every request must have gone to 127.0.0.1."""
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, page in enumerate(pages):
            shot(page, f"FAILED-{request.node.name}-{i}")
    for context in contexts:
        context.close()
    outside = requests_seen.outside()
    assert not outside, f"requests left 127.0.0.1: {outside[:10]}"
    if failed is None or not failed.failed:
        problems = requests_seen.problems()
        assert not problems, f"page errors or failed requests: {problems[:10]}"


@pytest.fixture
def requests_seen() -> RequestWatcher:
    return RequestWatcher()


@pytest.fixture
def open_page(
    browser: Any, live_url: str, requests_seen: RequestWatcher, request: Any
) -> Iterator[Callable[..., Any]]:
    """``open_page(path, viewport=(w, h), language="zh-hans", **context_options)`` -> a page
    of a fresh browser context with the request watcher attached. After the test, every
    request must have gone to 127.0.0.1, and no page may have thrown an uncaught error or
    had a request fail (``page.allow_failures(pattern)`` for those a test expects); a
    failing test leaves a screenshot."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def make(
        path: str = "/",
        viewport: tuple[int, int] = (1280, 800),
        language: str = "zh-hans",
        **options: Any,
    ) -> Any:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="en-US" if language == "en" else "zh-CN",
            extra_http_headers={"Accept-Language": language},
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", requests_seen.record)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        requests_seen.watch(page)
        page.goto(live_url + path)
        return page

    yield make
    close_pages(request, pages, contexts, requests_seen)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def shot(page: Any, name: str, full_page: bool = False) -> Path:
    """Save a screenshot of ``page`` as an artifact and return its path."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = artifacts_dir() / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def screen_point(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Where a lon/lat (CGCS2000) is drawn on the page's common map, in page pixels
    (through the map's display datum: shifted on the Amap basemap)."""
    x, y = page.evaluate(
        "([lat, lon]) => { const p = SCMap.current.map.latLngToContainerPoint("
        "SCMap.current.toDisplay([lat, lon])); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator(".sc-map").bounding_box()
    return box["x"] + x, box["y"] + y


def wait_for_map(page: Any) -> None:
    """Until the common map has set up its basemaps and layers."""
    page.wait_for_function("() => window.SCMap && SCMap.current && SCMap.current.activeBasemap")


def open_layer_switcher(page: Any) -> None:
    """Open Leaflet's layer switcher the way a keyboard user does (Enter on its button)."""
    page.locator(".leaflet-control-layers-toggle").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-control-layers-expanded")


def choose_layer(page: Any, label: str) -> None:
    """Pick a basemap or toggle an overlay in the layer switcher with the keyboard."""
    if not page.locator(".leaflet-control-layers-expanded").count():
        open_layer_switcher(page)
    page.get_by_label(label, exact=True).focus()
    page.keyboard.press("Space")


@pytest.fixture
def committed(live_url: str, django_db_blocker: Any) -> Iterator[None]:
    """The browser's edits are real commits: remove the components made meanwhile."""
    with db_access(django_db_blocker):
        start = last_component_id()
    yield
    with db_access(django_db_blocker):
        remove_components_after(start)
