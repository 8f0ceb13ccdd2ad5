"""Occupancy by weekday and hour (for planners): time-weighted within each hour, from the
occupancy history, per lot and per community."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from tests.components_helpers import Api
from tests.parking_support import make_lot, send

pytestmark = pytest.mark.django_db

URL = "/api/v1/parking/occupancy-profile/"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def visit(event_id: str, direction: str, when: dt.datetime, plate: str) -> dict:
    return {
        "id": event_id,
        "direction": direction,
        "time": when.isoformat(),
        "credential_type": "plate",
        "credential": plate,
        **({"gate": "G2"} if direction == "out" else {}),
    }


def test_hourly_means_are_time_weighted():
    lot = make_lot("规律停车场", "330106002002", 1, capacity=(10, 0, 0), spaces=False)
    start = (timezone.now() - dt.timedelta(days=3)).astimezone(SHANGHAI)
    start = start.replace(minute=0, second=0, microsecond=0)
    half = start + dt.timedelta(minutes=30)
    assert send(lot.gate, visit("h-1", "in", start, "浙A10001")).status_code == 200
    assert send(lot.gate, visit("h-2", "in", half, "浙A10002")).status_code == 200
    later = start + dt.timedelta(hours=1)
    assert send(lot.gate, visit("h-3", "out", later, "浙A10001")).status_code == 200

    body = Api("planner").get(f"{URL}?area=330106002").json()
    (mine,) = [p for p in body["lots"] if p["id"] == lot.identifier]
    weekday, hour = start.isoweekday(), start.hour
    matrix = mine["occupancy"]
    assert len(matrix) == 7 and all(len(row) == 24 for row in matrix)
    assert matrix[weekday - 1][hour] == pytest.approx(0.15)  # 1 car, then 2 for half an hour
    next_hour = start + dt.timedelta(hours=1)
    assert matrix[next_hour.isoweekday() - 1][next_hour.hour] == pytest.approx(0.1)
    before = start - dt.timedelta(hours=1)
    assert matrix[before.isoweekday() - 1][before.hour] is None  # no history yet
    assert mine["peak"] == {"weekday": weekday, "hour": hour, "occupancy": 0.15}
    (community,) = [c for c in body["communities"] if c["id"] == "330106002002"]
    assert community["capacity"] == 10
    assert community["occupancy"][weekday - 1][hour] == pytest.approx(0.15)


def test_profiles_need_a_login_and_report_scope():
    lot = make_lot("范围停车场", "330106002002", 2, spaces=False)
    assert Api(None).get(URL).status_code == 401
    seen = Api("surveyor_green").get(URL).json()
    assert lot.identifier not in {p["id"] for p in seen["lots"]}
    assert Api("planner").get(f"{URL}?days=3").status_code == 400


def test_the_parking_report_on_the_reports_page():
    lot = make_lot("报表停车场", "330106003002", 1, capacity=(4, 0, 0), spaces=False)
    start = (timezone.now() - dt.timedelta(days=2)).astimezone(SHANGHAI)
    start = start.replace(minute=0, second=0, microsecond=0)
    assert send(lot.gate, visit("r-1", "in", start, "浙A20001")).status_code == 200
    planner = Api("planner")
    body = planner.get(
        "/api/v1/reports/parking/?area=330106003&level=community", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert body["kind"] == "parking" and body["title"] == "Parking occupancy"
    areas = {row["code"]: row for row in body["tables"][0]["rows"]}
    assert areas["330106003002"]["lots"] == 1 and areas["330106003002"]["capacity"] == 4
    assert areas["330106003002"]["peak"] == pytest.approx(0.25)
    assert areas["330106003001"]["lots"] == 0 and areas["330106003001"]["mean"] is None
    lots = {row["id"]: row for row in body["tables"][2]["rows"]}
    assert lots[lot.identifier]["mean"] == pytest.approx(0.25)
    assert body["map"]["features"] and body["charts"][0]["key"] == "hours"
    csv_file = planner.get(
        "/api/v1/reports/parking.csv?area=330106003&level=community&table=lot_hours"
    )
    assert csv_file.status_code == 200
    text = csv_file.content.decode("utf-8-sig")
    assert lot.identifier in text and "浙A" not in text
