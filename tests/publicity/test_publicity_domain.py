"""Table-driven tests of the publicity rules: working days, the calendar file, windows, closing, resolution."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from services.publicity import domain
from services.publicity.domain import SHANGHAI, YearCalendar


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# (case, start (Shanghai), working days, expected counted days, expected last day)
PERIODS = [
    ("plain week", sh(2025, 11, 10), 5, ["2025-11-10", "2025-11-11", "2025-11-12", "2025-11-13", "2025-11-14"]),
    ("skips a weekend", sh(2025, 11, 13), 5, ["2025-11-13", "2025-11-14", "2025-11-17", "2025-11-18", "2025-11-19"]),
    ("opened after noon: day 1 is the next working day", sh(2025, 11, 10, 14), 3,
     ["2025-11-11", "2025-11-12", "2025-11-13"]),
    ("opened on a Saturday", sh(2025, 11, 15), 2, ["2025-11-17", "2025-11-18"]),
    # National Day + Mid-Autumn 2025: Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are make-up working days (调休)
    ("National Day 2025 with Sep 28 make-up day", sh(2025, 9, 26), 5,
     ["2025-09-26", "2025-09-28", "2025-09-29", "2025-09-30", "2025-10-09"]),
    ("National Day 2025 with Oct 11 make-up day", sh(2025, 10, 9), 3, ["2025-10-09", "2025-10-10", "2025-10-11"]),
    ("starts inside the National Day holiday", sh(2025, 10, 3), 2, ["2025-10-09", "2025-10-10"]),
    ("seven working days over National Day 2025", sh(2025, 9, 25), 7,
     ["2025-09-25", "2025-09-26", "2025-09-28", "2025-09-29", "2025-09-30", "2025-10-09", "2025-10-10"]),
    # Spring Festival 2026: Feb 15-23 off; Sat Feb 14 and Sat Feb 28 are make-up working days
    ("Spring Festival 2026 with Feb 14 make-up day", sh(2026, 2, 12), 5,
     ["2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25"]),
    ("Spring Festival 2026 with Feb 28 make-up day", sh(2026, 2, 26), 3, ["2026-02-26", "2026-02-27", "2026-02-28"]),
    ("New Year 2026: Jan 1-3 off, Sun Jan 4 worked", sh(2025, 12, 31), 3, ["2025-12-31", "2026-01-04", "2026-01-05"]),
]


@pytest.mark.parametrize("case,start,n,days", PERIODS, ids=[p[0] for p in PERIODS])
def test_working_day_periods(case, start, n, days):
    period = domain.publicity_period(start, n)
    assert [d.isoformat() for d in period.days] == days
    assert period.ends_at == datetime.combine(date.fromisoformat(days[-1]), domain.PERIOD_ENDS_AT,
                                              tzinfo=SHANGHAI).astimezone(UTC)
    assert period.starts_at == start.astimezone(UTC)
    assert period.warning == ""


DAY_KINDS = [
    (date(2025, 9, 28), "makeup_workday"), (date(2025, 10, 1), "holiday"), (date(2025, 10, 8), "holiday"),
    (date(2025, 10, 11), "makeup_workday"), (date(2025, 10, 12), "weekend"), (date(2026, 2, 14), "makeup_workday"),
    (date(2026, 2, 16), "holiday"), (date(2026, 2, 24), "workday"), (date(2026, 2, 28), "makeup_workday"),
]


@pytest.mark.parametrize("day,kind", DAY_KINDS, ids=[d.isoformat() for d, _ in DAY_KINDS])
def test_day_kinds_from_the_package(day, kind):
    assert domain.day_kind(day, {}) == kind


def test_unknown_year_is_refused_clearly():
    with pytest.raises(domain.CalendarUnknown, match="2030"):
        domain.publicity_period(sh(2030, 3, 4), 5)


def test_unknown_year_falls_back_to_weekends_with_a_warning():
    period = domain.publicity_period(sh(2030, 3, 7), 3, fallback_weekends_only=True)
    assert [d.isoformat() for d in period.days] == ["2030-03-07", "2030-03-08", "2030-03-11"]
    assert "2030年节假日安排尚未公布" in period.warning


def test_an_uploaded_calendar_overrides_and_extends_the_package():
    cal = YearCalendar(2030, holidays=frozenset({date(2030, 3, 8), date(2030, 3, 11)}),
                       workdays=frozenset({date(2030, 3, 9)}))
    period = domain.publicity_period(sh(2030, 3, 7), 3, {2030: cal})
    assert [d.isoformat() for d in period.days] == ["2030-03-07", "2030-03-09", "2030-03-12"]
    # an override replaces the package's data for its year: 2025-10-01 becomes a working day if not listed
    override_2025 = YearCalendar(2025, holidays=frozenset({date(2025, 10, 2)}), workdays=frozenset())
    assert domain.day_kind(date(2025, 10, 1), {2025: override_2025}) == "workday"


CALENDAR_FILES = [
    ("yaml with ranges", "cal.yaml",
     "year: 2027\nholidays:\n  - 2027-01-01\n  - 2027-02-06..2027-02-12\n  - {from: 2027-10-01, to: 2027-10-07}\n"
     "workdays: [2027-02-13, 2027-10-09]\n", None),
    ("json", "cal.json", '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}', None),
    ("not a mapping", "cal.yaml", "- 1\n- 2\n", "file"),
    ("bad year", "cal.yaml", "year: twenty\nholidays: [2027-01-01]\n", "year"),
    ("bad date", "cal.json", '{"year": 2027, "holidays": ["2027-13-01"]}', "holidays[0]"),
    ("date outside the year", "cal.json", '{"year": 2027, "holidays": ["2026-12-31"]}', "holidays"),
    ("both holiday and workday", "cal.json", '{"year": 2027, "holidays": ["2027-02-13"], "workdays": ["2027-02-13"]}',
     "workdays"),
    ("weekday make-up day", "cal.json", '{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-10"]}',
     "workdays"),
    ("no holidays", "cal.json", '{"year": 2027, "holidays": []}', "holidays"),
    ("reversed range", "cal.yaml", "year: 2027\nholidays: [2027-02-12..2027-02-06]\n", "holidays[0]"),
    ("broken json", "cal.json", "{year:", "file"),
]


@pytest.mark.parametrize("case,filename,text,bad_field", CALENDAR_FILES, ids=[c[0] for c in CALENDAR_FILES])
def test_calendar_files(case, filename, text, bad_field):
    if bad_field is None:
        cal = domain.parse_calendar_file(text.encode(), filename)
        assert cal.year == 2027 and date(2027, 1, 1) in cal.holidays
        if "ranges" in case:
            assert len(cal.holidays) == 1 + 7 + 7 and cal.workdays == {date(2027, 2, 13), date(2027, 10, 9)}
    else:
        with pytest.raises(domain.CalendarFileError) as err:
            domain.parse_calendar_file(text.encode(), filename)
        assert err.value.field == bad_field


WINDOWS = [
    (sh(2025, 9, 26, 8, 59), "before"), (sh(2025, 9, 26, 9, 0), "open"), (sh(2025, 10, 9, 17, 29), "open"),
    (sh(2025, 10, 9, 17, 30), "after"), (sh(2025, 10, 20), "after"),
]


@pytest.mark.parametrize("t,state", WINDOWS, ids=[w[1] + str(i) for i, w in enumerate(WINDOWS)])
def test_filing_window(t, state):
    period = domain.publicity_period(sh(2025, 9, 26, 9, 0), 5)
    assert domain.window_state(t, period.starts_at, period.ends_at) == state


def test_closing_confirms_blocks_and_skips_removed():
    entries = [{"nomination_id": "a", "status": "in_publicity"}, {"nomination_id": "b", "status": "in_publicity"},
               {"nomination_id": "c", "status": "removed"}, {"nomination_id": "d", "status": "confirmed"}]
    out = domain.close_notice(entries, {"b": 1, "c": 0})
    assert (out.confirm, out.blocked, out.removed) == (["a"], ["b"], ["c"])


RESOLUTIONS = [
    ("sustained during the period removes", "sustained", "in_publicity", False, 0, "remove"),
    ("sustained after the end removes a blocked nominee", "sustained", "blocked", True, 0, "remove"),
    ("dismissed during the period: wait for the end", "dismissed", "in_publicity", False, 0, "none"),
    ("dismissed after the end confirms", "dismissed", "blocked", True, 0, "confirm"),
    ("dismissed but another objection still open", "dismissed", "blocked", True, 1, "none"),
    ("already removed", "dismissed", "removed", True, 0, "none"),
]


@pytest.mark.parametrize("case,outcome,status,ended,other,effect", RESOLUTIONS, ids=[r[0] for r in RESOLUTIONS])
def test_resolution_effects(case, outcome, status, ended, other, effect):
    assert domain.resolution_effect(outcome, entry_status=status, period_ended=ended, other_open=other) == effect


def test_shortlist_and_next_ranked():
    ranked = [domain.Ranked("x3", 3, 80), domain.Ranked("x1", 1, 95), domain.Ranked("x2", 2, 90),
              domain.Ranked("x4", 4, 70)]
    assert [r.nomination_id for r in domain.shortlist(ranked, 2)] == ["x1", "x2"]
    assert [r.nomination_id for r in domain.shortlist(ranked, 2, ["x4", "x1"])] == ["x4", "x1"]
    assert [r.nomination_id for r in domain.shortlist(ranked, 2, excluded=["x1"])] == ["x2", "x3"]
    assert domain.next_ranked(ranked, {"x1", "x2", "x3"}).nomination_id == "x4"
    assert domain.next_ranked(ranked, {"x1", "x2", "x3", "x4"}) is None


CONTACTS = [
    ("张三", "13800138000", "", None), ("李 四", "", "li.si@example.cn", None), ("王五", "010-12345678", "", None),
    ("王五", "+86 138 0013 8000", "", None),
    ("", "13800138000", "", "name"), ("匿名1", "13800138000", "", "name"), ("张三", "", "", "phone"),
    ("张三", "12345", "", "phone"), ("张三", "", "not-an-email", "email"), ("张三", "13800138000", "a@b", "email"),
]


@pytest.mark.parametrize("name,phone,email,field", CONTACTS)
def test_contact_validation(name, phone, email, field):
    problem = domain.contact_problem(name, phone, email)
    assert (problem[0] if problem else None) == field


def test_notice_text_lists_names_units_period_and_contact():
    period = domain.publicity_period(sh(2025, 9, 26), 5)
    text = domain.notice_text(programme_name="2025年度创先争优评选", year=2025, category_name="模范机关",
                              nominee_kind="organ", rows=[("市发改委机关", "市发展和改革委员会"), ("市财政局机关", "")],
                              period=period, contact_office="市直机关工委组织部", contact_phone="0571-12345678",
                              contact_email="", issuer="市直机关工作委员会", issued_on=date(2025, 9, 26))
    plain = text.plain()
    assert text.title == "关于2025年度“模范机关”评选结果的公示"
    assert "1. 市发改委机关（市发展和改革委员会）" in plain and "2. 市财政局机关" in plain
    assert "公示期为2025年9月26日至2025年10月9日（共5个工作日" in plain and "17:30" in plain
    assert "联系单位：市直机关工委组织部；联系电话：0571-12345678" in plain
    assert "真实姓名" in plain and "2个单位" in plain


@hsettings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 30)),
       n=st.integers(min_value=1, max_value=10))
def test_periods_count_exactly_the_working_days_and_skip_none(start, n):
    start = start.replace(tzinfo=SHANGHAI)
    period = domain.publicity_period(start, n)
    assert len(period.days) == n and list(period.days) == sorted(set(period.days))
    assert all(chinese_calendar.is_workday(d) for d in period.days)
    first = start.date() if start.time() < domain.DAY_ONE_CUTOFF else start.date() + timedelta(days=1)
    d, between = first, []
    while d <= period.last_day:
        if chinese_calendar.is_workday(d):
            between.append(d)
        d += timedelta(days=1)
    assert between == list(period.days)
    assert period.ends_at > period.starts_at
