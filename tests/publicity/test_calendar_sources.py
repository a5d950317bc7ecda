"""The working-day calendar checked against an independent data set: the `holidays` package's China calendar.

The service counts 公示 working days on the chinese-calendar package (with publicity's corrections). `holidays`
is maintained apart, from the same State Council notices. Every day of every year the service covers must agree.

They disagreed on one day, 2005-12-31 (a Saturday), and the official arrangement decides it: 国务院办公厅关于2006年
部分节假日安排的通知 made it a working day (元旦: 2006年1月1日至3日放假, 2005年12月31日上班; its rest moved to
Tuesday 1月3日). `holidays` has it (China's 2006 substitution: JAN 3 from DEC 31 2005); chinese-calendar 1.11.0 counts
it as a rest day because its 2005 data holds the 2005 notice only (reported upstream as issues #17 and #125). So
the service corrects the package there (domain.calendar.PACKAGE_CORRECTIONS).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import holidays
import pytest

from services.publicity import domain
from services.publicity.domain.calendar import PACKAGE_CORRECTIONS


def covered_years() -> list[int]:
    """The years the package has an official arrangement for (the service refuses the others)."""
    years = []
    for year in range(1990, 2100):
        try:
            domain.day_kind(date(year, 6, 1), {})
        except domain.CalendarUnknown:
            continue
        years.append(year)
    return years


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def test_the_covered_years_are_2004_to_2026_without_a_gap():
    years = covered_years()
    assert years[0] <= 2004 and years[-1] >= 2026
    assert years == list(range(years[0], years[-1] + 1))


@pytest.mark.parametrize("year", covered_years())
def test_every_day_agrees_with_the_holidays_package(year):
    china = holidays.China(years=year)
    disagree = [(d.isoformat(), domain.day_kind(d, {}), china.get(d))
                for d in days_of(year) if domain.is_working_day(d, {}) != china.is_working_day(d)]
    assert disagree == []


def test_2005_12_31_was_a_working_day_by_the_2006_arrangement():
    d = date(2005, 12, 31)
    assert d.weekday() == 5 and domain.day_kind(d, {}) == "makeup_workday"
    assert holidays.China(years=2006).is_working_day(d)
    # The correction stays only while the package still has it wrong: drop it once chinese-calendar is fixed.
    assert chinese_calendar.is_holiday(d), "chinese-calendar now has 2005-12-31 right: remove PACKAGE_CORRECTIONS"
    assert set(PACKAGE_CORRECTIONS) == {d}
    # the 2006 New Year holiday itself: Jan 1-3 off, Jan 4 back at work
    assert [domain.day_kind(date(2006, 1, i), {}) for i in (1, 2, 3, 4)] == ["weekend", "holiday", "holiday",
                                                                             "workday"]


def test_a_period_into_a_year_not_loaded_names_the_year_and_how_to_load_it():
    last = covered_years()[-1]
    start = datetime(last, 12, 28, 9, tzinfo=domain.SHANGHAI)
    with pytest.raises(domain.CalendarUnknown) as caught:
        domain.publicity_period(start, 10)
    message = str(caught.value)
    assert str(last + 1) in message and "POST /calendars" in message and "JSON or YAML" in message
    assert "fallback_weekends_only" in message
