"""Pure rules of publicity: the working-day calendar, the 公示 period, filing windows, closing and resolution,
the shortlist, contact validation and the Chinese notice text. No I/O here.

Period rules (documented for organisers):
- Times are Asia/Shanghai. A notice is open for objections from its start moment until its end moment.
- Day 1 of the period is the start date when that date is a working day and the notice opens before 12:00;
  otherwise day 1 is the next working day. Working days skip weekends and public holidays and count the
  make-up working days (调休).
- The period ends at 17:30 (office closing time) on its last working day.
- A year's calendar comes from the organiser's uploaded override when there is one (it is authoritative for that
  year), else from the maintained `chinese-calendar` package. A date in a year neither knows is refused with a clear
  message, unless the organiser asks for the weekends-only fallback, which puts a warning on the notice.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

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


class CalendarUnknown(ValueError):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"the holiday calendar for {year} is not known (the chinese-calendar package has no data for it and no "
            f"calendar was uploaded); upload the {year} schedule at POST /calendars, or open the notice with "
            f"fallback_weekends_only=true to count weekends only")
        self.year = year


class CalendarFileError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def day_kind(d: date, overrides: Mapping[int, YearCalendar]) -> str:
    """'workday', 'makeup_workday' (调休), 'holiday' or 'weekend'; raises CalendarUnknown for an unknown year."""
    cal = overrides.get(d.year)
    if cal is not None:
        if d in cal.workdays:
            return "makeup_workday"
        if d in cal.holidays:
            return "holiday"
        return "weekend" if d.weekday() >= 5 else "workday"
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
    raise CalendarFileError(f"{where}: {value!r} is not a date (use YYYY-MM-DD)", where)


def _dates(items: Any, where: str) -> set[date]:
    if items is None:
        return set()
    if not isinstance(items, list):
        raise CalendarFileError(f"{where} must be a list of dates or ranges", where)
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
            raise CalendarFileError(f"{at}: the range ends before it starts", at)
        if (hi - lo).days > 60:
            raise CalendarFileError(f"{at}: a range longer than 60 days is not a holiday", at)
        while lo <= hi:
            out.add(lo)
            lo += timedelta(days=1)
    return out


def parse_calendar_file(content: bytes, filename: str = "") -> YearCalendar:
    """A JSON or YAML calendar: {year, holidays: [dates | "A..B" | {from, to}], workdays: [make-up dates]}."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarFileError("the calendar file must be UTF-8 text (JSON or YAML)", "file") from None
    try:
        data = json.loads(text) if filename.lower().endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CalendarFileError(f"the calendar file is not valid JSON/YAML: {str(exc).splitlines()[0]}", "file") from None
    if not isinstance(data, Mapping):
        raise CalendarFileError("the calendar file must be a mapping with year, holidays and workdays", "file")
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CalendarFileError("year must be a whole number between 2000 and 2100", "year")
    holidays = _dates(data.get("holidays"), "holidays")
    workdays = _dates(data.get("workdays", data.get("makeup_workdays")), "workdays")
    if not holidays:
        raise CalendarFileError("holidays must list at least one public holiday", "holidays")
    for name, ds in (("holidays", holidays), ("workdays", workdays)):
        stray = sorted(d for d in ds if d.year != year)
        if stray:
            raise CalendarFileError(f"{name}: {stray[0].isoformat()} is not in {year}", name)
    both = sorted(holidays & workdays)
    if both:
        raise CalendarFileError(f"workdays: {both[0].isoformat()} is listed both as a holiday and a workday", "workdays")
    weekday_workdays = sorted(d for d in workdays if d.weekday() < 5)
    if weekday_workdays:
        raise CalendarFileError(f"workdays: {weekday_workdays[0].isoformat()} is a weekday; make-up workdays fall on "
                                f"a Saturday or Sunday", "workdays")
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


# ---- shortlist, closing, resolution --------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranked:
    nomination_id: str
    rank: int
    composite: float = 0.0


def shortlist(standings: Iterable[Ranked], quota: int, listed: list[str] | None = None,
              excluded: Iterable[str] = ()) -> list[Ranked]:
    """The organiser's listed nominations (in their order), or the top `quota` by rank not already excluded."""
    ranked = sorted(standings, key=lambda s: (s.rank, -s.composite, s.nomination_id))
    by_id = {s.nomination_id: s for s in ranked}
    if listed:
        return [by_id.get(n, Ranked(nomination_id=n, rank=0)) for n in dict.fromkeys(listed)]
    skip = set(excluded)
    return [s for s in ranked if s.nomination_id not in skip][:max(quota, 0)]


def next_ranked(standings: Iterable[Ranked], excluded: Iterable[str]) -> Ranked | None:
    skip = set(excluded)
    for s in sorted(standings, key=lambda s: (s.rank, -s.composite, s.nomination_id)):
        if s.nomination_id not in skip:
            return s
    return None


@dataclass(frozen=True)
class Closing:
    confirm: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def close_notice(entries: list[dict], open_objections: Mapping[str, int]) -> Closing:
    """At the end of the period: confirm each nominee still listed with no open objection; block the others."""
    out = Closing()
    for e in entries:
        nid, status = e["nomination_id"], e.get("status", "in_publicity")
        if status == "removed":
            out.removed.append(nid)
        elif status == "confirmed":
            continue
        elif open_objections.get(nid, 0) > 0:
            out.blocked.append(nid)
        else:
            out.confirm.append(nid)
    return out


def resolution_effect(outcome: str, *, entry_status: str, period_ended: bool, other_open: int) -> str:
    """What resolving one objection does to its nominee: 'remove', 'confirm' or 'none'."""
    if entry_status in ("removed", "confirmed"):
        return "none"
    if outcome == "sustained":
        return "remove"
    if outcome == "dismissed" and period_ended and other_open == 0:
        return "confirm"
    return "none"


OBJECTION_FLOW = {
    "filed": {"assign", "resolve"},
    "assigned": {"assign", "findings", "resolve"},
    "investigating": {"assign", "findings", "resolve"},
    "sustained": set(),
    "dismissed": set(),
}
OBJECTION_LABELS = {"filed": "已受理", "assigned": "已分派核查", "investigating": "核查中",
                    "sustained": "经核查，反映问题属实", "dismissed": "经核查，反映问题不属实"}
OPEN_OBJECTION_STATES = ("filed", "assigned", "investigating")


def objection_step_allowed(state: str, step: str) -> bool:
    return step in OBJECTION_FLOW.get(state, set())


# ---- contact validation ------------------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•.\s\-]{2,40}$")


def normalise_phone(phone: str) -> str:
    p = re.sub(r"[\s()]", "", phone or "")
    if p.startswith("+86"):
        p = p[3:]
    return p


def phone_is_valid(phone: str) -> bool:
    p = normalise_phone(phone)
    return bool(_MOBILE.match(p) or _LANDLINE.match(p))


def email_is_valid(email: str) -> bool:
    return bool(email) and len(email) <= 254 and bool(_EMAIL.match(email.strip()))


def real_name_is_valid(name: str) -> bool:
    return bool(_NAME.match((name or "").strip()))


def contact_problem(name: str, phone: str | None, email: str | None) -> tuple[str, str] | None:
    """(field, message) for the first problem with an objector's identity and contact, or None."""
    if not real_name_is_valid(name):
        return "name", "name: give your real name (2–40 characters, letters or Chinese characters); anonymous " \
                       "objections are not accepted"
    if not (phone or "").strip() and not (email or "").strip():
        return "phone", "phone or email: give at least one way to contact you"
    if (phone or "").strip() and not phone_is_valid(phone):
        return "phone", "phone: not a valid mainland mobile (11 digits, 1[3-9]…) or landline (0area-number)"
    if (email or "").strip() and not email_is_valid(email):
        return "email", "email: not a valid e-mail address"
    return None


# ---- honours and reviews --------------------------------------------------------------------------------------

def honour_title(year: int | None, category_name: str) -> str:
    return f"{year}年度{category_name}" if year else category_name


REVIEW_OUTCOMES = {"maintained": "复查合格，保留荣誉", "rectification": "限期整改", "revoke": "复查不合格，撤销荣誉"}


# ---- the notice text ---------------------------------------------------------------------------------------

KIND_WORD = {"organ": "个单位", "branch": "个党支部", "site": "个示范点", "team": "支服务队", "member": "名同志"}


@dataclass(frozen=True)
class NoticeText:
    title: str
    greeting: str
    intro: str
    rows: list[tuple[int, str, str]]      # (no., name, unit)
    period: str
    objections: str
    warning: str
    contact: str
    issuer: str
    dated: str

    def paragraphs(self) -> list[str]:
        out = [self.intro]
        out += [f"{n}. {name}（{unit}）" if unit else f"{n}. {name}" for n, name, unit in self.rows]
        out += [self.period, self.objections]
        if self.warning:
            out.append(self.warning)
        out.append(self.contact)
        return out

    def plain(self) -> str:
        return "\n".join([self.title, "", *self.paragraphs(), "", self.issuer, self.dated])


def notice_text(*, programme_name: str, year: int | None, category_name: str, nominee_kind: str,
                rows: list[tuple[str, str]], period: Period, contact_office: str, contact_phone: str,
                contact_email: str, issuer: str, issued_on: date, supplementary: bool = False,
                objection_url: str = "") -> NoticeText:
    label = f"{year}年度“{category_name}”" if year else f"“{category_name}”"
    title = f"关于{label}评选结果的{'补充' if supplementary else ''}公示"
    word = KIND_WORD.get(nominee_kind, "个")
    basis = f"根据《{programme_name}》工作安排，" if programme_name else ""
    if supplementary:
        intro = (f"{basis}因原拟表彰对象经核查不再列入，经评审委员会研究，按综合排名顺序递补以下"
                 f"{len(rows)}{word}为{label}拟表彰对象，现予以公示：")
    else:
        intro = (f"{basis}经单位申报、资格审查、民主测评和评审委员会综合评审，拟确定以下{len(rows)}{word}"
                 f"为{label}拟表彰对象（按综合排名顺序），现予以公示：")
    period_text = (f"公示期为{cn_date(period.first_day)}至{cn_date(period.last_day)}"
                   f"（共{len(period.days)}个工作日，法定节假日不计入），截止时间为{cn_date(period.last_day)}"
                   f"{PERIOD_ENDS_AT.strftime('%H:%M')}。")
    where = f"通过公示网页（{objection_url}）" if objection_url else "通过本系统公示页面"
    objections = (f"公示期间，如对公示对象有异议，请{where}或以书面形式向{contact_office}反映。反映问题应实事求是，"
                  f"须署真实姓名并提供有效联系方式（手机号码或电子邮箱）及具体事实依据，可附相关材料；"
                  f"匿名、超出公示期或无具体事实依据的反映不予受理。受理后将出具受理编号，可凭编号查询办理状态。"
                  f"我们将严格为反映人保密。")
    contact_bits = [f"联系单位：{contact_office}"]
    if contact_phone:
        contact_bits.append(f"联系电话：{contact_phone}")
    if contact_email:
        contact_bits.append(f"电子邮箱：{contact_email}")
    return NoticeText(
        title=title, greeting="", intro=intro,
        rows=[(i + 1, name, unit) for i, (name, unit) in enumerate(rows)],
        period=period_text, objections=objections, warning=period.warning, contact="；".join(contact_bits) + "。",
        issuer=issuer, dated=cn_date(issued_on),
    )
