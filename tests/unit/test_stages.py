"""shared.stages: which stage is open, by the organiser or by the dates, and the refusal that names it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import Closed
from shared.stages import ensure_open, overview, state_of

WINDOWS = [{"stage": "voting", "opens_at": "2026-06-01T09:00:00+08:00", "closes_at": "2026-06-05T17:00:00+08:00"}]


@pytest.mark.parametrize("programme, now, state", [
    (None, None, "closed"),
    ({}, None, "closed"),
    ({"stage_state": {"voting": "open"}}, None, "open"),
    ({"stage_state": {"voting": "closed"}}, None, "closed"),
    ({"stage_state": {"nomination": "open"}}, None, "closed"),
    # by dates (Asia/Shanghai): open from opens_at up to, not including, closes_at
    ({"stage_control": "dates", "stages": WINDOWS}, datetime(2026, 6, 1, 0, 59, tzinfo=UTC), "closed"),
    ({"stage_control": "dates", "stages": WINDOWS}, datetime(2026, 6, 1, 1, 0, tzinfo=UTC), "open"),
    ({"stage_control": "dates", "stages": WINDOWS}, datetime(2026, 6, 5, 8, 59, tzinfo=UTC), "open"),
    ({"stage_control": "dates", "stages": WINDOWS}, datetime(2026, 6, 5, 9, 0, tzinfo=UTC), "closed"),
    # by dates, the organiser's state does not count; a stage with no window never opens
    ({"stage_control": "dates", "stages": [], "stage_state": {"voting": "open"}}, None, "closed"),
])
def test_state_of(programme, now, state):
    assert state_of(programme, "voting", now) == state


def test_a_closed_stage_is_refused_with_409_naming_it():
    with pytest.raises(Closed) as refused:
        ensure_open({"stage_state": {}}, "voting", "ballots cannot be cast")
    assert refused.value.status == 409 and refused.value.field == "stage" and refused.value.code == "stage_closed"
    assert refused.value.message == "the voting stage (民主测评) is not open: ballots cannot be cast"


def test_an_open_stage_passes():
    ensure_open({"stage_state": {"judging": "open"}}, "judging", "scores cannot be entered")


def test_overview_lists_every_stage_in_order_with_its_window():
    rows = overview({"stages": WINDOWS, "stage_state": {"voting": "open"}})
    assert [r["stage"] for r in rows] == ["nomination", "review", "voting", "judging", "publicity"]
    voting = rows[2]
    assert voting["state"] == "open" and voting["label"] == "民主测评"
    assert voting["opens_at"].startswith("2026-06-01T09:00:00+08:00")
    assert rows[0] == {"stage": "nomination", "label": "申报", "state": "closed", "opens_at": None, "closes_at": None}
