"""History names the person who edited, as a colleague knows them: their full name (the
login only where no name is recorded), for those who may see editors at all; strangers
still see the role and organization only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

URL = "/api/v1/components/"


@pytest.fixture
def edited() -> str:
    water = Api("surveyor_water")
    made = water.create(manhole(at=inside(shift=0.00051)), comment="新增")
    assert made.status_code == 201, made.content
    ident = made.json()["id"]
    admin = Api("district_admin")
    changed = admin.patch(
        f"{URL}{ident}/",
        {"properties": {"status": "damaged"}, "comment": "复核"},
        HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200, changed.content
    return str(ident)


def rows(username: str | None, ident: str) -> list[dict]:
    response = Api(username).get(f"{URL}{ident}/history/")
    assert response.status_code == 200, response.content
    return list(response.json())


def test_insiders_read_full_names_not_logins(edited: str) -> None:
    history = rows("surveyor_water", edited)
    assert [r["actor_name"] for r in history] == ["水务普查员", "西湖区管理员"]
    assert [r["actor"] for r in history] == ["surveyor_water", "district_admin"]  # unchanged
    assert history[1]["changes"]["status"] == ["good", "damaged"]


def test_a_user_without_a_recorded_name_is_named_by_login(edited: str) -> None:
    get_user_model().objects.filter(username="district_admin").update(first_name="", last_name="")
    assert rows("surveyor_water", edited)[1]["actor_name"] == "district_admin"


def test_strangers_still_see_role_and_organization(edited: str) -> None:
    for row in rows("planner", edited):
        assert row["actor_name"] == row["actor"] == row["actor_role"]
        assert "普查员" not in row["actor_name"] and "surveyor_water" not in row["actor_name"]
