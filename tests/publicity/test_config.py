"""The publicity settings: EXEMPLAR_PUBLICITY_* values with their defaults; a bad value stops the start-up."""
from __future__ import annotations

import pytest

from services.publicity import config
from services.publicity.app import create_service


def test_defaults(monkeypatch):
    for name in ("TICK_SECONDS", "OBJECTION_RATE_PER_MINUTE", "OBJECTION_BURST", "CONTACT_RATE_PER_MINUTE",
                 "CONTACT_BURST"):
        monkeypatch.delenv(f"EXEMPLAR_PUBLICITY_{name}", raising=False)
    s = config.load()
    assert (s.tick_seconds, s.objection_rate_per_minute, s.objection_burst, s.contact_rate_per_minute,
            s.contact_burst) == (5.0, 10, 5, 2, 3)


def test_the_environment_sets_the_tick(monkeypatch):
    monkeypatch.setenv("EXEMPLAR_PUBLICITY_TICK_SECONDS", "0.25")
    assert config.load().tick_seconds == 0.25


@pytest.mark.parametrize("name, value", [("TICK_SECONDS", "soon"), ("TICK_SECONDS", "0"),
                                         ("CONTACT_BURST", "-1"), ("OBJECTION_RATE_PER_MINUTE", "many")])
def test_a_bad_value_is_a_clear_start_up_error(monkeypatch, name, value):
    monkeypatch.setenv(f"EXEMPLAR_PUBLICITY_{name}", value)
    with pytest.raises(config.ConfigError) as caught:
        create_service()
    assert f"EXEMPLAR_PUBLICITY_{name}" in str(caught.value) and repr(value) in str(caught.value)


def test_the_clock_offset_file_moves_the_service_clock_and_is_warned_about(monkeypatch, tmp_path, capfd):
    from datetime import UTC, datetime, timedelta

    offset = tmp_path / "clock-offset"
    monkeypatch.setenv("EXEMPLAR_CLOCK_OFFSET_FILE", str(offset))
    svc = create_service()
    started = capfd.readouterr()
    clock = svc.api.state.publicity.actions.clock
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)  # no file yet: real time
    offset.write_text(str(8 * 86400))
    assert clock() - datetime.now(UTC) > timedelta(days=8) - timedelta(seconds=5)  # read again, while it runs
    warned = [line for line in (started.err + started.out).splitlines() if "EXEMPLAR_CLOCK_OFFSET_FILE" in line]
    assert warned and "warning" in warned[0] and "never in production" in warned[0] and str(offset) in warned[0]


def test_without_the_variable_the_service_clock_is_real_time(monkeypatch):
    from shared.clock import utc_now

    monkeypatch.delenv("EXEMPLAR_CLOCK_OFFSET_FILE", raising=False)
    assert create_service().api.state.publicity.actions.clock is utc_now
