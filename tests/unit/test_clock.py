"""shared.clock: real time unless EXEMPLAR_CLOCK_OFFSET_FILE names a file; the offset read again on every call."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import clock as clocks

T0 = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


def fixed() -> datetime:
    return T0


def test_no_variable_is_real_time():
    clock = clocks.from_env({})
    assert clock is clocks.utc_now and clocks.offset_note(clock) is None
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)
    assert clocks.from_env({clocks.OFFSET_FILE_ENV: "  "}) is clocks.utc_now  # set but blank: not set


def test_missing_or_empty_file_is_no_offset(tmp_path):
    path = tmp_path / "offset"
    clock = clocks.OffsetClock(path, now=fixed)
    assert clock() == T0
    path.write_text("\n")
    assert clock() == T0


def test_the_offset_is_read_on_every_call(tmp_path):
    path = tmp_path / "offset"
    clock = clocks.from_env({clocks.OFFSET_FILE_ENV: str(path)})
    assert isinstance(clock, clocks.OffsetClock)
    clock = clocks.OffsetClock(path, now=fixed)
    path.write_text("864000\n")  # ten days, written while the service runs
    assert clock() == T0 + timedelta(days=10)
    path.write_text("90.5")
    assert clock() == T0 + timedelta(seconds=90.5)


@pytest.mark.parametrize("text", ["ten days", "-60", "nan", "inf"])
def test_a_bad_offset_is_refused_naming_the_file(tmp_path, text):
    path = tmp_path / "offset"
    path.write_text(text)
    clock = clocks.OffsetClock(path, now=fixed)
    with pytest.raises(clocks.ClockError) as err:
        clock()
    assert str(path) in str(err.value) and clocks.OFFSET_FILE_ENV in str(err.value)
    assert "refused" in clocks.offset_note(clock)


def test_the_startup_note_says_how_far_ahead(tmp_path):
    path = tmp_path / "offset"
    path.write_text("3600")
    note = clocks.offset_note(clocks.OffsetClock(path))
    assert note is not None and "3600 s ahead" in note and "never in production" in note and str(path) in note
