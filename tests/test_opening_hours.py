"""Opening hours in words (map_ui.opening_hours): the common OSM forms read as a person
would say them in Chinese and English, open or closed at a moment in Asia/Shanghai time,
and anything outside the supported subset handed back unparsed (the page shows it raw)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from component_catalog import opening_hours

SHANGHAI = opening_hours.SHANGHAI


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Monday 7 December 2026 is day 0; the time is Shanghai wall-clock time."""
    return dt.datetime(2026, 12, 7 + day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("24/7", ["24 小时开放"], ["Open 24 hours"]),
        ("Mo-Su 00:00-24:00", ["24 小时开放"], ["Open 24 hours"]),
        ("Mo-Su 05:00-24:00", ["每天 05:00-24:00"], ["Daily 05:00-24:00"]),
        ("05:30-23:00", ["每天 05:30-23:00"], ["Daily 05:30-23:00"]),
        ("Mo-Fr 08:00-18:00", ["周一至周五 08:00-18:00"], ["Mon to Fri 08:00-18:00"]),
        (
            "Mo-Fr 08:00-12:00,13:30-17:30; Sa,Su off",
            ["周一至周五 08:00-12:00、13:30-17:30", "周六、周日 休息"],
            ["Mon to Fri 08:00-12:00, 13:30-17:30", "Sat, Sun closed"],
        ),
        (
            "Mo-Fr 07:00-19:00, Sa 09:00-12:00",
            ["周一至周五 07:00-19:00", "周六 09:00-12:00"],
            ["Mon to Fri 07:00-19:00", "Sat 09:00-12:00"],
        ),
        (
            "Fr,Sa 18:00-02:00",
            ["周五、周六 18:00-02:00（次日）"],
            ["Fri, Sat 18:00-02:00 (next day)"],
        ),
        (
            "Mo-Su 08:00-20:00; PH off",
            ["每天 08:00-20:00", "法定节假日 休息"],
            ["Daily 08:00-20:00", "public holidays closed"],
        ),
    ],
)
def test_common_forms_read_as_words_in_both_languages(
    raw: str, zh: list[str], en: list[str]
) -> None:
    with translation.override("zh-hans"):
        assert opening_hours.describe(raw, at(0, 12)).lines == zh
    with translation.override("en"):
        assert opening_hours.describe(raw, at(0, 12)).lines == en


@pytest.mark.parametrize(
    ("raw", "moment", "expected"),
    [
        ("24/7", at(6, 3), True),
        ("Mo-Su 05:00-24:00", at(2, 4, 59), False),
        ("Mo-Su 05:00-24:00", at(2, 5, 0), True),
        ("Mo-Su 05:00-24:00", at(2, 23, 59), True),
        ("Mo-Fr 08:00-18:00", at(4, 17, 59), True),
        ("Mo-Fr 08:00-18:00", at(4, 18, 0), False),
        ("Mo-Fr 08:00-18:00", at(5, 10), False),  # Saturday
        ("Mo-Fr 08:00-12:00,13:30-17:30", at(1, 12, 30), False),  # lunch break
        ("Mo-Su 08:00-20:00; Su off", at(6, 10), False),  # the later rule wins on Sunday
        ("Mo-Su 08:00-20:00; Su off", at(5, 10), True),
        ("Fr 18:00-02:00", at(5, 1, 30), True),  # Saturday 01:30 is still Friday night
        ("Fr 18:00-02:00", at(5, 2, 0), False),
        ("Fr 18:00-02:00", at(3, 1, 30), False),  # Thursday night is not
    ],
)
def test_open_now_in_shanghai_time(raw: str, moment: dt.datetime, expected: bool) -> None:
    assert opening_hours.describe(raw, moment).open_now is expected


def test_the_moment_is_read_in_shanghai_time_whatever_its_zone() -> None:
    # 23:30 UTC on Sunday is 07:30 on Monday in Hangzhou: before an 08:00 opening.
    utc = dt.datetime(2026, 12, 13, 23, 30, tzinfo=dt.UTC)
    assert opening_hours.describe("Mo-Fr 08:00-18:00", utc).open_now is False
    assert opening_hours.describe("Mo-Fr 07:00-18:00", utc).open_now is True


@pytest.mark.parametrize(
    "raw",
    [
        "sunrise-sunset",
        "Mo-Fr 08:00+",
        'Mo-Su 06:00-22:00 "节假日照常"',
        "Jan-Mar Mo-Fr 08:00-17:00",
        "Mo-Fr 25:00-26:00",
        "Mo-Fr 08:70-18:00",
        "open when the keeper is in",
        "",
    ],
)
def test_anything_else_is_left_raw(raw: str) -> None:
    hours = opening_hours.describe(raw, at(0, 12))
    assert not hours.parsed and hours.lines == [] and hours.open_now is None
    assert hours.raw == raw
