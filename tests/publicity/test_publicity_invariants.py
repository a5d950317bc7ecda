"""Tables of cases for the invariants the publicity actions check before they change anything (pure, no I/O)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.publicity import domain
from shared.errors import Closed, Conflict, Invalid, NotFound

NOW = datetime(2025, 9, 29, 2, tzinfo=UTC)
NOTICE = {"state": "open", "starts_at": datetime(2025, 9, 26, 1), "ends_at": datetime(2025, 10, 9, 9, 30),
          "days": ["2025-09-26"], "entries": [{"nomination_id": "a", "nominee_name": "甲", "status": "in_publicity"},
                                              {"nomination_id": "b", "nominee_name": "乙", "status": "removed"}]}
CATEGORY = {"category_id": "c", "name": "模范机关", "quota": 2}
BOARD = {"standings": [{"nomination_id": n, "rank": i + 1} for i, n in enumerate("xyz")]}


@pytest.mark.parametrize("board, listed, ids, expected", [
    (BOARD, set(), None, ["x", "y"]),
    (BOARD, set(), ["z", "x", "z"], ["z", "x"]),
    (None, set(), ["q"], ["q"]),
    (BOARD, {"x"}, ["y"], ["y"]),
])
def test_pick(board, listed, ids, expected):
    assert [p.nomination_id for p in domain.pick(CATEGORY, board, listed, ids)] == expected


@pytest.mark.parametrize("board, listed, ids, error, field", [
    (None, set(), None, Conflict, "category_id"),
    (None, set(), [], Conflict, "category_id"),
    (BOARD, set(), [], Invalid, "nomination_ids"),
    (BOARD, {"x"}, None, Conflict, "category_id"),
    ({"standings": []}, set(), None, Conflict, "category_id"),
])
def test_pick_refusals(board, listed, ids, error, field):
    with pytest.raises(error) as caught:
        domain.pick(CATEGORY, board, listed, ids)
    assert caught.value.field == field


# Issue 15: no backdating. A notice starts when it is published (a start in the past was accepted up to 60 days
# before, so its objection window could be over the moment it opened); a client clock behind by at most
# CLOCK_SKEW counts as now.
@pytest.mark.parametrize("delta, starts", [
    (timedelta(days=-60), None), (timedelta(days=-1), None), (-domain.CLOCK_SKEW - timedelta(seconds=1), None),
    (-domain.CLOCK_SKEW, timedelta(0)), (timedelta(0), timedelta(0)), (timedelta(hours=3), timedelta(hours=3)),
    (timedelta(days=90), timedelta(days=90)), (timedelta(days=90, seconds=1), None)])
def test_check_start(delta, starts):
    if starts is not None:
        assert domain.check_start(NOW + delta, NOW) == NOW + starts
    else:
        with pytest.raises(Invalid) as caught:
            domain.check_start(NOW + delta, NOW)
        assert caught.value.field == "starts_at"
        assert "backdated" in str(caught.value) or "90 days" in str(caught.value)


@pytest.mark.parametrize("now, nomination_id, error", [
    (NOW, "a", None),
    (datetime(2025, 9, 26, 0, 59, tzinfo=UTC), "a", Closed),
    (datetime(2025, 10, 9, 9, 30, tzinfo=UTC), "a", Closed),
    (NOW, "ghost", NotFound),
    (NOW, "b", Conflict),
])
def test_entry_open_to_objection(now, nomination_id, error):
    if error is None:
        assert domain.entry_open_to_objection(NOTICE, nomination_id, now)["nominee_name"] == "甲"
    else:
        with pytest.raises(error):
            domain.entry_open_to_objection(NOTICE, nomination_id, now)


@pytest.mark.parametrize("statuses, replaced, expected", [
    (["removed", "in_publicity"], 0, ["n0"]), (["removed", "removed"], 1, ["n1"]),
    (["in_publicity"], 0, Conflict), (["removed"], 1, Conflict)])
def test_awaiting_replacement(statuses, replaced, expected):
    n = {"entries": [{"nomination_id": f"n{i}", "status": s} for i, s in enumerate(statuses)]}
    if expected is Conflict:
        with pytest.raises(Conflict):
            domain.awaiting_replacement(n, replaced)
    else:
        assert domain.awaiting_replacement(n, replaced) == expected


@pytest.mark.parametrize("state, step, ok", [
    ("filed", "assign", True), ("filed", "findings", False), ("assigned", "findings", True),
    ("investigating", "resolve", True), ("sustained", "assign", False), ("dismissed", "resolve", False)])
def test_ensure_step(state, step, ok):
    o = {"_id": "o1", "state": state}
    if ok:
        domain.ensure_step(o, step)
    else:
        with pytest.raises(Conflict):
            domain.ensure_step(o, step)


@pytest.mark.parametrize("name, phone, email, contacts", [
    ("张三", "138 0013 8000", "", ["13800138000"]), ("李四", "", " LiSi@Example.cn ", ["lisi@example.cn"]),
    ("王五", "+8613800138000", "a@b.cn", ["13800138000", "a@b.cn"])])
def test_check_identity(name, phone, email, contacts):
    assert domain.check_identity(name, phone, email) == contacts


@pytest.mark.parametrize("status, due, error", [
    ("confirmed", date(2025, 10, 10), None), ("confirmed", date(2025, 10, 9), Invalid),
    ("revoked", date(2026, 1, 1), Conflict)])
def test_ensure_reviewable(status, due, error):
    h = {"_id": "h1", "status": status, "confirmed_at": datetime(2025, 10, 9, 16, tzinfo=UTC)}  # 10/10 in Shanghai
    if error is None:
        domain.ensure_reviewable(h, due)
    else:
        with pytest.raises(error):
            domain.ensure_reviewable(h, due)
