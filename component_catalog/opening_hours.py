"""Opening hours in words: the common forms of OpenStreetMap's ``opening_hours`` syntax
("24/7", "Mo-Su 05:00-24:00", "Mo-Fr 08:00-12:00,13:30-17:30; Sa,Su off", "PH off",
overnight spans such as "Fr,Sa 18:00-02:00") read as "每天 05:00-24:00" / "Daily
05:00-24:00", and whether the place is open at a given moment in Asia/Shanghai time.

Written by hand: the maintained OSM evaluators are JavaScript; the Python ones are either
unmaintained or pull in far more than the facility page needs. Anything outside the
subset below (sunrise/sunset, months, weeks, "+" open ends, comments, fallbacks "||") is
not guessed at: ``describe`` says it could not parse it and the page shows the raw text.

Semantics kept from the specification: rules apply in order, and a later rule replaces
what an earlier one said for the days it names ("Mo-Su 08:00-20:00; Su off" is closed on
Sundays); a rule without days applies to every day; a span past midnight continues into
the next morning. Public holidays (PH) are described but not known on a date, so the
open-now answer treats every date as an ordinary day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_MINUTES = 24 * 60

_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)"
_DAY_ITEM = rf"{_DAY}(?:-{_DAY})?"
_DAYS_RE = re.compile(rf"^{_DAY_ITEM}(?:,{_DAY_ITEM})*$")
_TIME = r"(\d{1,2}):(\d{2})"
_SPAN_RE = re.compile(rf"^{_TIME}-{_TIME}$")


class Unparsed(ValueError):
    """The text is outside the supported subset."""


@dataclass(frozen=True)
class Rule:
    """One rule: the weekdays it names (0 = Monday), whether it names public holidays,
    and its spans in minutes since midnight (end may pass 24:00); no spans = closed."""

    days: tuple[int, ...]
    holidays: bool
    spans: tuple[tuple[int, int], ...]
    all_days: bool = False


@dataclass
class Hours:
    """What the page shows: ``lines`` in words (empty when not parsed, then ``raw``), and
    ``open_now`` (None when not known)."""

    raw: str
    lines: list[str] = field(default_factory=list)
    open_now: bool | None = None

    @property
    def parsed(self) -> bool:
        return bool(self.lines)


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 48 or (h * 60 + m) > 48 * 60:
        raise Unparsed("time")
    return h * 60 + m


def _days(selector: str) -> tuple[tuple[int, ...], bool]:
    days: list[int] = []
    holidays = False
    for item in selector.split(","):
        if item == "PH":
            holidays = True
            continue
        if "PH" in item:
            raise Unparsed("holiday range")
        first, _dash, last = item.partition("-")
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days.extend(d for d in span if d not in days)
    return tuple(days), holidays


def _spans(text: str) -> tuple[tuple[int, int], ...]:
    if text in ("off", "closed"):
        return ()
    spans = []
    for part in text.split(","):
        match = _SPAN_RE.match(part.strip())
        if not match:
            raise Unparsed(part)
        start = _minutes(match[1], match[2])
        end = _minutes(match[3], match[4])
        if start >= DAY_MINUTES:
            raise Unparsed(part)
        if end <= start:
            end += DAY_MINUTES  # past midnight: "22:00-02:00"
        if end - start > DAY_MINUTES:
            raise Unparsed(part)
        spans.append((start, end))
    return tuple(spans)


def _rule(text: str) -> Rule:
    text = text.strip()
    head, _space, rest = text.partition(" ")
    if _DAYS_RE.match(head):
        days, holidays = _days(head)
        rest = rest.strip()
        spans = _spans(rest) if rest else ((0, DAY_MINUTES),)
        # Every weekday named: "daily" (holidays fall on one of them anyway).
        return Rule(days, holidays, spans, all_days=sorted(days) == list(range(7)))
    return Rule(tuple(range(7)), False, _spans(text), all_days=True)


def parse(text: str) -> list[Rule]:
    """The rules of ``text`` (``Unparsed`` when it is outside the supported subset)."""
    text = (text or "").strip()
    if not text:
        raise Unparsed("empty")
    if text == "24/7":
        return [Rule(tuple(range(7)), False, ((0, DAY_MINUTES),), all_days=True)]
    parts = [p for p in re.split(r"\s*;\s*", text) if p]
    # An OSM "additional rule" separator: ", " followed by a day selector.
    rules_text: list[str] = []
    for part in parts:
        rules_text.extend(re.split(rf",\s+(?={_DAY_ITEM}(?:,{_DAY_ITEM})*\s)", part))
    return [_rule(p) for p in rules_text]


def week(rules: list[Rule]) -> list[tuple[tuple[int, int], ...]]:
    """Each weekday's spans after applying the rules in order (PH rules left out)."""
    days: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
    for rule in rules:
        for day in rule.days:
            days[day] = rule.spans
    return days


def is_open(rules: list[Rule], moment: dt.datetime) -> bool:
    """Whether the rules say open at ``moment`` (taken in Asia/Shanghai time)."""
    local = moment.astimezone(SHANGHAI)
    now = local.hour * 60 + local.minute
    schedule = week(rules)
    today = local.weekday()
    yesterday = (today - 1) % 7
    if any(start <= now < end for start, end in schedule[today]):
        return True
    return any(start <= now + DAY_MINUTES < end for start, end in schedule[yesterday])


def _day_names() -> list[str]:
    return [
        pgettext("weekday", "Mon"),
        pgettext("weekday", "Tue"),
        pgettext("weekday", "Wed"),
        pgettext("weekday", "Thu"),
        pgettext("weekday", "Fri"),
        pgettext("weekday", "Sat"),
        pgettext("weekday", "Sun"),
    ]


def _days_words(rule: Rule) -> str:
    if rule.all_days:
        return _("Daily")
    names = _day_names()
    groups: list[str] = []
    days = list(rule.days)
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1:
            j += 1
        if j - i >= 2:
            groups.append(
                _("%(first)s to %(last)s") % {"first": names[days[i]], "last": names[days[j]]}
            )
            i = j + 1
        else:
            groups.append(names[days[i]])
            i += 1
    if rule.holidays:
        groups.append(_("public holidays"))
    return pgettext("list separator", ", ").join(groups)


def _clock(minutes: int) -> str:
    return (
        f"{minutes // 60 % 24 if minutes > DAY_MINUTES else minutes // 60:02d}:{minutes % 60:02d}"
    )


def _spans_words(spans: tuple[tuple[int, int], ...]) -> str:
    if not spans:
        return pgettext("opening hours", "closed")
    if spans == ((0, DAY_MINUTES),):
        return pgettext("opening hours", "all day")
    words = []
    for start, end in spans:
        text = f"{_clock(start)}-{_clock(end)}"
        if end > DAY_MINUTES:
            text = _("%(span)s (next day)") % {"span": text}
        words.append(text)
    return pgettext("list separator", ", ").join(words)


def describe(text: str, moment: dt.datetime | None = None) -> Hours:
    """``text`` in words in the active language, and open now at ``moment`` (default:
    now). Text outside the supported subset comes back with no lines: show it raw."""
    hours = Hours(raw=text or "")
    try:
        rules = parse(text)
    except (Unparsed, ValueError):
        return hours
    if len(rules) == 1 and rules[0].all_days and rules[0].spans == ((0, DAY_MINUTES),):
        hours.lines = [_("Open 24 hours")]
    else:
        hours.lines = [
            _("%(days)s %(hours)s") % {"days": _days_words(r), "hours": _spans_words(r.spans)}
            for r in rules
        ]
    hours.open_now = is_open(rules, moment or dt.datetime.now(tz=SHANGHAI))
    return hours


def in_words(attributes: dict[str, object] | None) -> dict[str, object] | None:
    """A component's ``opening_hours`` attribute for a list of results: ``{"lines": [...],
    "open_now": bool | None}`` in the active language (no lines: show the attribute as
    written), or None when it has none."""
    raw = (attributes or {}).get("opening_hours")
    if not isinstance(raw, str) or not raw.strip():
        return None
    hours = describe(raw)
    return {"lines": hours.lines, "open_now": hours.open_now}
