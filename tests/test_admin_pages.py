"""The admin reads in the user's language: every field label, column heading and section
title of every admin page a city administrator opens is Chinese on a Chinese page and
English on an English one (names in the data aside), and a page the user may not open
answers with the admin's own translated "not allowed" page, not a bare "403 Forbidden"."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client

from tests.components_helpers import Api, manhole

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# Texts of the admin's chrome that are labels: field labels, column headings, section titles.
LABELS = re.compile(
    r'<label[^>]*for="id_[^"]*"[^>]*>([^<]+)</label>'
    r'|<th scope="col"[^>]*>\s*(?:<div class="text">)?(?:<a [^>]*>|<span>)([^<]+)<'
    r'|<h2 [^>]*class="fieldset-heading"[^>]*>([^<]+)</h2>',
    re.S,
)
# Labels that are data (names of accounts, GeoTIFF, GNSS ...) or codes, in either language.
NOT_WORDS = {"GeoTIFF", "GNSS", "JSON", "GeoJSON", "API"}


def labels_of(html: str) -> list[str]:
    return [next(g for g in m if g).strip().rstrip(":：") for m in LABELS.findall(html)]


def admin_pages(client: Client) -> list[str]:
    urls = []
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls += [base, base + "add/"]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(f"{base}{first.pk}/change/")
    return urls


def words(text: str) -> list[str]:
    return [w for w in LATIN_WORD.findall(text) if w not in NOT_WORDS]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_label_of_the_admin_is_in_the_page_language(language: str) -> None:
    assert Api("city_admin").create(manhole()).status_code == 201  # a component page too
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username="city_admin", password="demo-pass-2019")
    wrong: dict[str, str] = {}
    seen = 0
    for url in admin_pages(client):
        response = client.get(url)
        if response.status_code != 200:
            continue
        for label in labels_of(response.content.decode()):
            seen += 1
            if language == "zh-hans" and words(label) and not HAN.search(label):
                wrong.setdefault(label, url)
            if language == "en" and HAN.search(label) and "/component/" not in url:
                wrong.setdefault(label, url)  # (attribute labels of a class are data there)
    assert wrong == {}
    assert seen > 100


def test_the_component_page_sections_are_translated() -> None:
    assert Api("city_admin").create(manhole()).status_code == 201
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.login(username="city_admin", password="demo-pass-2019")
    from component_catalog.models import Component

    component = Component.objects.order_by("-pk").first()
    assert component is not None
    html = client.get(f"/admin/component_catalog/component/{component.pk}/change/")
    sections = [s for s in labels_of(html.content.decode()) if s]
    for title in ("位置", "类别属性", "权属与养护", "本次修改", "修改原因"):
        assert title in sections, sections


@pytest.mark.parametrize(
    ("language", "title", "home"),
    [
        ("zh-hans", "没有权限", "返回管理后台首页"),
        ("en", "Not allowed", "Back to the administration home page"),
    ],
)
def test_a_refused_admin_page_is_the_admins_own_translated_page(
    language: str, title: str, home: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username="street_admin", password="demo-pass-2019")
    response = client.get("/admin/core/auditevent/")  # the audit log: auditors only
    assert response.status_code == 403
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert 'id="site-name"' in html  # the admin's header, with the user's links
    assert 'href="/admin/"' in html and home in html
    assert "Forbidden" not in html
    if language == "en":  # (the user's own name aside)
        chrome = re.sub(r'<div id="user-tools">.*?</div>', "", html, flags=re.S)
        text = re.sub(r"<[^>]+>", "", chrome)
        assert not HAN.search(text), HAN.findall(text)
