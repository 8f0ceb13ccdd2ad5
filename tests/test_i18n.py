"""Simplified Chinese first, English on request: pages, API errors and the catalogue itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.reloader import translation_file_changed

LOCATE_BAD_LON = "/api/v1/areas/locate/?lon=abc&lat=30"
ZH_PO = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """The Makefile compiles the .mo files before pytest; compile them here too if they are
    missing or stale, so this module also passes when run on its own."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.fail("GNU gettext (msgfmt) is required to compile the translations")
    compiled = False
    for po in Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run([msgfmt, "--check-format", "-o", str(mo), str(po)], check=True)
            compiled = True
    if compiled:  # drop catalogues a previous test may have loaded without the new .mo
        translation_file_changed(None, Path("django.mo"))


@pytest.mark.django_db
def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "智慧社区" in html
    assert "登录" in html
    assert "Smart community platform" not in html


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Smart community platform" in html
    assert "Log in" in html
    assert "智慧社区" not in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "智慧社区" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "lang", "expected"),
    [
        ("en", "en", "Smart community platform"),
        ("en-US,en;q=0.9", "en", "Smart community platform"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans", "智慧社区"),
        ("fr-FR,fr;q=0.9", "zh-hans", "智慧社区"),  # unsupported: the default language
    ],
)
def test_home_page_follows_accept_language(client, accept_language, lang, expected):
    html = client.get("/", headers={"accept-language": accept_language}).content.decode()
    assert f'lang="{lang}"' in html
    assert expected in html


@pytest.mark.django_db
def test_api_error_is_chinese_by_default(client):
    response = client.get(LOCATE_BAD_LON)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert body["field"] == "lon"
    assert body["detail"] == "参数 lon 必须是数字，不能是 'abc'。"
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_api_error_is_english_on_request(client):
    response = client.get(LOCATE_BAD_LON, headers={"accept-language": "en"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert body["field"] == "lon"
    assert body["detail"] == "Parameter lon must be a number, not 'abc'."
    assert response["Content-Language"] == "en"


def test_chinese_catalogue_is_complete():
    """Every msgid is translated, nothing is fuzzy and the %(name)s placeholders match."""
    result = subprocess.run(
        [shutil.which("msgfmt") or "msgfmt", "--check", "--statistics", "-o", os.devnull, ZH_PO],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},  # untranslated/fuzzy are counted in English
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "translated message" in output, output
    assert "untranslated" not in output, output
    assert "fuzzy" not in output, output
