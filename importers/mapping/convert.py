"""Converting source values: text, numbers, yes/no, dates (several spellings, Chinese
included; not in the future), the status and data-source words, and an attribute value
to the JSON type its schema asks for. A value that cannot be converted raises
``ValueProblem``, whose message is shown to the user with the row and the field."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Generic, TypeVar

from django.utils import timezone
from django.utils.translation import gettext as _

from component_catalog.inputs import latest_date
from component_catalog.models import ComponentStatus, DataSource

TEXT_LIMITS: Final = {"name": 200, "address": 300, "source_key": 100, "identifier": 16}

STATUS_WORDS: Final = {
    "完好": ComponentStatus.GOOD,
    "良好": ComponentStatus.GOOD,
    "正常": ComponentStatus.GOOD,
    "破损": ComponentStatus.DAMAGED,
    "损坏": ComponentStatus.DAMAGED,
    "丢失": ComponentStatus.MISSING,
    "缺失": ComponentStatus.MISSING,
    "占用": ComponentStatus.OCCUPIED,
}
DATA_SOURCE_WORDS: Final = {
    "实测": DataSource.MEASURED,
    "地形图": DataSource.TOPOGRAPHIC,
    "调绘": DataSource.DIGITIZED,
    "其它": DataSource.OTHER,
    "其他": DataSource.OTHER,
}
TRUE_WORDS: Final = frozenset({"是", "有", "true", "t", "yes", "y", "1", "对", "√"})
FALSE_WORDS: Final = frozenset({"否", "无", "没有", "false", "f", "no", "n", "0", "不", "×"})
DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_DATETIME_PREFIX: Final = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[T ]")


class ValueProblem(ValueError):
    """A value that cannot be converted; the message is shown to the user."""


def attempt(do: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """(True, ``do(*args)``) or (False, the message of the ``ValueProblem`` it raised)."""
    try:
        return True, do(*args)
    except ValueProblem as exc:
        return False, str(exc)


Result = TypeVar("Result")


class DistinctCache(Generic[Result]):
    """Results computed once per distinct key (imports repeat the same few values many
    times), at most ``limit`` of them; a key holding an unhashable value (a list or an
    object from a JSON property) is computed each time."""

    def __init__(self, limit: int = 100_000) -> None:
        self._results: dict[Any, Result] = {}
        self.limit = limit

    def get(self, key: tuple[Any, ...], compute: Callable[[], Result]) -> Result:
        results = self._results
        try:
            if key in results:
                return results[key]
        except TypeError:  # unhashable
            return compute()
        result = compute()
        if len(results) < self.limit:
            results[key] = result
        return result


def blank(value: Any) -> bool:
    """An empty cell: None, blank text or NaN."""
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def show(value: Any) -> str:
    """A value as a message quotes it (cut at 60 characters)."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_integer(value: Any) -> int:
    """A whole number (1,000 and 15.0 accepted); not a boolean."""
    if isinstance(value, bool):
        raise ValueProblem(_("%(v)s is not a whole number") % {"v": show(value)})
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueProblem(_("%(v)s is not a whole number") % {"v": show(value)}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueProblem(_("%(v)s is not a whole number") % {"v": show(value)})
    return int(number)


def to_number(value: Any) -> int | float:
    """A finite number (thousands separators accepted), an int when written as one."""
    if isinstance(value, bool):
        raise ValueProblem(_("%(v)s is not a number") % {"v": show(value)})
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", ""))
        except ValueError:
            raise ValueProblem(_("%(v)s is not a number") % {"v": show(value)}) from None
    if not math.isfinite(number):
        raise ValueProblem(_("%(v)s is not a finite number") % {"v": show(value)})
    return int(number) if number.is_integer() and not isinstance(value, float) else number


def to_boolean(value: Any) -> bool:
    """A yes/no value: true/false, 1/0, or a word of ``TRUE_WORDS`` / ``FALSE_WORDS``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueProblem(
        _("%(v)s is not a yes/no value (是/否, true/false, 1/0, Y/N)") % {"v": show(value)}
    )


def to_string(value: Any) -> str:
    """Text, stripped (15.0 as "15", dates in ISO form)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def to_date(value: Any, fmt: str | None = None) -> dt.date:
    """A date in one of ``DATE_FORMATS`` (or ``fmt``), or the date of an ISO date-time."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = to_string(value)
    formats = (fmt,) if fmt else DATE_FORMATS
    for candidate in formats:
        try:
            return dt.datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    match = _DATETIME_PREFIX.match(text) if not fmt else None
    if match:
        return to_date(match.group(1))
    expected = fmt or "2019-04-01, 2019/4/1, 2019.4.1, 2019年4月1日 or 20190401"
    raise ValueProblem(_("%(v)s is not a date (%(fmt)s)") % {"v": show(value), "fmt": expected})


def to_past_date(value: Any, fmt: str | None = None) -> dt.date:
    """``to_date``, refusing a date after today (Asia/Shanghai, with the API's grace for a
    clock running ahead): the date a component was built or surveyed is in the past."""
    parsed = to_date(value, fmt)
    if parsed > latest_date():
        raise ValueProblem(
            _("%(v)s is in the future; today is %(today)s (China Standard Time)")
            % {"v": parsed.isoformat(), "today": timezone.localdate().isoformat()}
        )
    return parsed


def _schema_type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "enum"
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "string"
    return str(kind)


def convert(value: Any, spec: dict[str, Any]) -> Any:
    """A source value -> the JSON type the attribute's schema asks for."""
    kind = _schema_type(spec)
    if kind == "integer":
        return to_integer(value)
    if kind == "number":
        return to_number(value)
    if kind == "boolean":
        return to_boolean(value)
    if kind == "enum":
        options = list(spec["enum"])
        if value in options:
            return value
        text = to_string(value)
        if text in options:
            return text
        raise ValueProblem(
            _("%(v)s is not one of %(options)s")
            % {"v": show(value), "options": ", ".join(str(o) for o in options)}
        )
    return to_string(value)


def to_choice(value: Any, name: str) -> str:
    """A status or data source: its code, or a word for it (完好, 实测 ...)."""
    words = STATUS_WORDS if name == "status" else DATA_SOURCE_WORDS
    choices = ComponentStatus.values if name == "status" else DataSource.values
    key = to_string(value)
    if key in choices:
        return key
    if key.lower() in choices:
        return key.lower()
    if key in words:
        return str(words[key])
    raise ValueProblem(
        _("%(v)s is not a %(name)s (%(options)s)")
        % {
            "v": show(value),
            "name": name,
            "options": ", ".join([*choices, *words]),
        }
    )


def text_check(name: str) -> Callable[[Any], Any]:
    """A value -> its text for the field ``name`` ("" when not given), or a
    ``ValueProblem`` when longer than the field allows."""
    limit = TEXT_LIMITS[name]

    def check(value: Any) -> Any:
        if value is None:
            return ""
        text = value.strip() if type(value) is str else to_string(value)
        if len(text) > limit:
            return ValueProblem(
                _("longer than %(n)d characters (%(len)d)") % {"n": limit, "len": len(text)}
            )
        return text

    return check
