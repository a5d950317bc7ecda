"""Pure rules of the publicity calendar: working days, the 公示 period, the calendar file and the filing window.

Period rules (documented for organisers):
- Times are Asia/Shanghai. A notice is open for objections from its start moment until its end moment.
- Day 1 of the period is the start date when that date is a working day and the notice opens before 12:00;
  otherwise day 1 is the next working day. Working days skip weekends and public holidays and count the
  make-up working days (调休).
- The period ends at 17:30 (office closing time) on its last working day.
- A year's calendar comes from the organiser's uploaded override when there is one (it is authoritative for that
  year), else from the maintained `chinese-calendar` package with the corrections below. A date in a year neither
  knows is refused with a clear message naming the year and how to load it, unless the organiser asks for the
  weekends-only fallback, which puts a warning on the notice.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from shared.errors import Invalid

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_ONE_CUTOFF = time(12, 0)
PERIOD_ENDS_AT = time(17, 30)
MAX_WORKING_DAYS = 30


# ---- the calendar ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearCalendar:
    """An organiser's calendar for one year: public holidays and make-up working days (调休)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = "upload"


# Days on which the chinese-calendar package (1.11.0) contradicts the State Council's published arrangement, with
# the official kind. Checked against the independent `holidays` package day by day for 2004-2026
# (tests/publicity/test_calendar_sources.py); they disagree on this day only:
# - 2005-12-31 (Saturday) was a working day: 国务院办公厅关于2006年部分节假日安排的通知 moved that Saturday's rest to
#   Tuesday 2006-01-03 (元旦: 1月1日至3日放假，12月31日上班). chinese-calendar's data holds each year's own notice, and
#   its 2005 arrangement lacks this day, which comes from the 2006 notice; it was reported there as issues #17 (2018)
#   and #125 (2025, still open). `holidays` has it: China's 2006 substitution (JAN 3 from DEC 31 2005).
PACKAGE_CORRECTIONS: dict[date, str] = {date(2005, 12, 31): "makeup_workday"}


class CalendarUnknown(ValueError):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"the official holiday arrangement for {year} is not loaded (the chinese-calendar package has no data "
            f"for {year} and no calendar was uploaded for it): an organiser loads it by uploading the {year} "
            f"schedule (a JSON or YAML file with year, holidays and workdays) at POST /calendars, or by upgrading "
            f"the chinese-calendar package once it has {year}; or open the notice with fallback_weekends_only=true "
            f"to count weekends only")
        self.year = year


class CalendarFileError(ValueError):
    """A refused calendar file: the message, the field and the refusal's own code (with its params)."""

    def __init__(self, message: str, field: str, code: str,
                 params: dict[str, str | int | float] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.params = params


def day_kind(d: date, overrides: Mapping[int, YearCalendar]) -> str:
    """'workday', 'makeup_workday' (调休), 'holiday' or 'weekend'; raises CalendarUnknown for an unknown year."""
    cal = overrides.get(d.year)
    if cal is not None:
        if d in cal.workdays:
            return "makeup_workday"
        if d in cal.holidays:
            return "holiday"
        return "weekend" if d.weekday() >= 5 else "workday"
    if d in PACKAGE_CORRECTIONS:
        return PACKAGE_CORRECTIONS[d]
    try:
        holiday, _name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        raise CalendarUnknown(d.year) from None
    if d.weekday() >= 5:
        return "weekend" if holiday else "makeup_workday"
    return "holiday" if holiday else "workday"


def is_working_day(d: date, overrides: Mapping[int, YearCalendar], *, fallback_weekends_only: bool = False) -> bool:
    try:
        return day_kind(d, overrides) in ("workday", "makeup_workday")
    except CalendarUnknown:
        if not fallback_weekends_only:
            raise
        return d.weekday() < 5


@dataclass(frozen=True)
class Period:
    starts_at: datetime           # aware, UTC
    ends_at: datetime             # aware, UTC
    days: tuple[date, ...]        # the counted working days, Shanghai dates
    warning: str = ""

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def last_day(self) -> date:
        return self.days[-1]


def publicity_period(start: datetime, working_days: int, overrides: Mapping[int, YearCalendar] | None = None, *,
                     fallback_weekends_only: bool = False) -> Period:
    """The period that opens at `start` (aware) and lasts `working_days` working days."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise ValueError(f"working_days must be between 1 and {MAX_WORKING_DAYS}")
    overrides = overrides or {}
    local = start.astimezone(SHANGHAI)
    d = local.date()
    if local.time() >= DAY_ONE_CUTOFF:
        d += timedelta(days=1)
    days: list[date] = []
    unknown_years: set[int] = set()
    while len(days) < working_days:
        try:
            working = is_working_day(d, overrides)
        except CalendarUnknown:
            if not fallback_weekends_only:
                raise
            unknown_years.add(d.year)
            working = d.weekday() < 5
        if working:
            days.append(d)
        d += timedelta(days=1)
    warning = ""
    if unknown_years:
        years = "、".join(str(y) for y in sorted(unknown_years))
        warning = (f"{years}年节假日安排尚未公布，本公示期按周末休息（未计法定节假日和调休）计算，"
                   f"如有调整以正式安排为准。")
    ends = datetime.combine(days[-1], PERIOD_ENDS_AT, tzinfo=SHANGHAI)
    return Period(starts_at=start.astimezone(ZoneInfo("UTC")), ends_at=ends.astimezone(ZoneInfo("UTC")),
                  days=tuple(days), warning=warning)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarFileError(f"{where}: {value!r} is not a date (use YYYY-MM-DD)", where, code="calendar_bad_date")


def _dates(items: Any, where: str) -> set[date]:
    if items is None:
        return set()
    if not isinstance(items, list):
        raise CalendarFileError(f"{where} must be a list of dates or ranges", where, code="calendar_not_list")
    out: set[date] = set()
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if isinstance(item, Mapping):
            lo, hi = _date(item.get("from"), f"{at}.from"), _date(item.get("to"), f"{at}.to")
        elif isinstance(item, str) and ".." in item:
            a, b = item.split("..", 1)
            lo, hi = _date(a, at), _date(b, at)
        else:
            lo = hi = _date(item, at)
        if hi < lo:
            raise CalendarFileError(f"{at}: the range ends before it starts", at, code="calendar_range_reversed")
        if (hi - lo).days > 60:
            raise CalendarFileError(f"{at}: a range longer than 60 days is not a holiday", at,
                                    code="calendar_range_too_long", params={"days": 60})
        while lo <= hi:
            out.add(lo)
            lo += timedelta(days=1)
    return out


def parse_calendar_file(content: bytes, filename: str = "") -> YearCalendar:
    """A JSON or YAML calendar: {year, holidays: [dates | "A..B" | {from, to}], workdays: [make-up dates]}."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarFileError("the calendar file must be UTF-8 text (JSON or YAML)", "file",
                                code="file_not_utf8") from None
    try:
        data = json.loads(text) if filename.lower().endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CalendarFileError(f"the calendar file is not valid JSON/YAML: {str(exc).splitlines()[0]}",
                                "file", code="file_not_yaml_json") from None
    if not isinstance(data, Mapping):
        raise CalendarFileError("the calendar file must be a mapping with year, holidays and workdays", "file",
                                code="calendar_not_mapping")
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CalendarFileError("year must be a whole number between 2000 and 2100", "year", code="calendar_year",
                                params={"min": 2000, "max": 2100})
    holidays = _dates(data.get("holidays"), "holidays")
    workdays = _dates(data.get("workdays", data.get("makeup_workdays")), "workdays")
    if not holidays:
        raise CalendarFileError("holidays must list at least one public holiday", "holidays",
                                code="calendar_no_holidays")
    for name, ds in (("holidays", holidays), ("workdays", workdays)):
        stray = sorted(d for d in ds if d.year != year)
        if stray:
            raise CalendarFileError(f"{name}: {stray[0].isoformat()} is not in {year}", name,
                                    code="calendar_other_year", params={"day": stray[0].isoformat(), "year": year})
    both = sorted(holidays & workdays)
    if both:
        raise CalendarFileError(f"workdays: {both[0].isoformat()} is listed both as a holiday and a workday",
                                "workdays", code="calendar_day_twice", params={"day": both[0].isoformat()})
    weekday_workdays = sorted(d for d in workdays if d.weekday() < 5)
    if weekday_workdays:
        raise CalendarFileError(f"workdays: {weekday_workdays[0].isoformat()} is a weekday; make-up workdays fall on "
                                f"a Saturday or Sunday", "workdays", code="calendar_workday_weekday",
                                params={"day": weekday_workdays[0].isoformat()})
    return YearCalendar(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays))


# ---- filing window ----------------------------------------------------------------------------------------

def window_state(now: datetime, starts_at: datetime, ends_at: datetime) -> str:
    """'before', 'open' or 'after'; the end moment itself is already closed."""
    if now < starts_at:
        return "before"
    if now >= ends_at:
        return "after"
    return "open"


def cn_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = d.astimezone(SHANGHAI).date()
    return f"{d.year}年{d.month}月{d.day}日"


def cn_moment(t: datetime) -> str:
    local = t.astimezone(SHANGHAI)
    return f"{cn_date(local.date())}{local.hour:02d}:{local.minute:02d}"


def as_utc(t: datetime) -> datetime:
    """A stored time in UTC (MongoDB gives naive UTC datetimes back)."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def given_time(t: datetime) -> datetime:
    """A time given by a user: without a zone it is Asia/Shanghai time."""
    return t.replace(tzinfo=SHANGHAI).astimezone(UTC) if t.tzinfo is None else t.astimezone(UTC)


def overrides_of(docs: list[dict[str, Any]]) -> dict[int, YearCalendar]:
    """The uploaded calendars as stored (year as _id, ISO date strings) -> the overrides the rules take."""
    return {doc["_id"]: YearCalendar(
        year=doc["_id"], holidays=frozenset(date.fromisoformat(d) for d in doc["holidays"]),
        workdays=frozenset(date.fromisoformat(d) for d in doc["workdays"]), source="upload") for doc in docs}


def period_for(start: datetime, working_days: int, overrides: Mapping[int, YearCalendar], fallback: bool) -> Period:
    """The period of a notice, or the shared errors a user sees for a bad length or an unknown year."""
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise Invalid(f"working_days: must be between 1 and {MAX_WORKING_DAYS}", field="working_days",
                      code="working_days_range", params={"max": MAX_WORKING_DAYS})
    try:
        return publicity_period(as_utc(start), working_days, overrides, fallback_weekends_only=fallback)
    except CalendarUnknown as exc:
        raise Invalid(str(exc), field="starts_at", code="calendar_unknown", params={"year": exc.year}) from None


def package_year(year: int) -> dict[str, list[str]]:
    """A year's holidays and make-up workdays from the chinese-calendar package; CalendarUnknown if it has none."""
    day_kind(date(year, 1, 1), {})
    days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    kinds = {d: day_kind(d, {}) for d in days}
    return {"holidays": [d.isoformat() for d in days if kinds[d] == "holiday"],
            "workdays": [d.isoformat() for d in days if kinds[d] == "makeup_workday"]}
