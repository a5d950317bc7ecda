"""Notices, objections, honours and revocations into the leaderboard read model, on the in-memory read model."""
from __future__ import annotations

from datetime import date

from shared.contracts.nominations import NominationApproved
from shared.contracts.publicity import (
    HonourReviewed,
    HonourReviewScheduled,
    HonourRevoked,
    NomineeRemoved,
    ObjectionFiled,
    ObjectionResolved,
    PublicityClosed,
)

from .events import CAT, P, confirmed, opened, submitted
from .fakes import FakeProjector


def filed(nid: str, oid: str = "o1") -> ObjectionFiled:
    return ObjectionFiled(objection_id=oid, notice_id="x1", nomination_id=nid, tracking_no=f"T-{oid}")


def resolved(nid: str, oid: str = "o1") -> ObjectionResolved:
    return ObjectionResolved(objection_id=oid, nomination_id=nid, outcome="dismissed", reason="不属实")


async def approved(board: FakeProjector, *nids: str) -> None:
    for nid in nids:
        await board.apply(submitted(nid), NominationApproved(nomination_id=nid, category_id=CAT))


class TestNotices:
    async def test_an_opened_notice_puts_its_entries_in_publicity(self):
        board = FakeProjector()
        await approved(board, "n1", "n2")
        await board.apply(opened("n1", "ghost"))
        notice = board.store.notices["x1"]
        assert (notice["programme_id"], notice["state"], notice["nomination_ids"]) == (P, "open", ["n1", "ghost"])
        assert board.store.entries["n1"]["status"] == "in_publicity"
        assert board.store.entries["n1"]["notice_id"] == "x1"
        assert board.store.entries["n2"]["status"] == "approved"
        assert "ghost" not in board.store.entries  # a notice makes no entry of its own

    async def test_a_closed_notice_blocks_only_the_entries_still_in_publicity(self):
        board = FakeProjector()
        await approved(board, "n1", "n2", "n3")
        await board.apply(opened("n1", "n2", "n3"), NomineeRemoved(notice_id="x1", nomination_id="n3", reason="查实"))
        env, = await board.apply(PublicityClosed(notice_id="x1", category_id=CAT, confirmed=["n1"],
                                                 blocked=["n2", "n3"], removed=["n3"]))
        notice = board.store.notices["x1"]
        assert (notice["state"], notice["closed_at"], notice["blocked"]) == ("closed", env.occurred_at, ["n2", "n3"])
        assert [board.store.entries[n]["status"] for n in ("n1", "n2", "n3")] == ["in_publicity", "blocked",
                                                                                  "removed"]


class TestObjections:
    async def test_an_objection_seen_before_its_nomination_is_still_counted(self):
        board = FakeProjector()
        await board.apply(filed("n2"))
        await board.apply(submitted("n2"))
        entry = board.store.entries["n2"]
        assert (entry["open_objections"], entry["status"], entry["nominee_name"]) == (1, "submitted", "市财政局机关")

    async def test_a_resolved_objection_is_no_longer_open(self):
        board = FakeProjector()
        await approved(board, "n1")
        await board.apply(filed("n1", "o1"), filed("n1", "o2"), resolved("n1", "o1"))
        assert board.store.entries["n1"]["open_objections"] == 1

    async def test_objectors_details_never_reach_the_read_model(self):
        board = FakeProjector()
        await approved(board, "n1")
        await board.apply(filed("n1"))
        assert board.store.entries["n1"]["open_objections"] == 1
        assert not {"objection_id", "tracking_no", "objector"} & set(board.store.entries["n1"])


class TestHonours:
    async def test_a_confirmed_honour_takes_the_names_from_the_entry_when_the_event_has_none(self):
        board = FakeProjector()
        await approved(board, "n1")
        env, = await board.apply(confirmed("n1"))
        honour = board.store.honours["h1"]
        assert (honour["nominee_name"], honour["unit_name"], honour["status"], honour["confirmed_at"]) == (
            "市财政局机关", "市财政局", "confirmed", env.occurred_at)
        assert honour["history"] == [{"at": env.occurred_at, "status": "confirmed"}]
        assert board.store.entries["n1"]["status"] == "confirmed"

    async def test_the_events_names_win_and_an_honour_needs_no_entry(self):
        board = FakeProjector()
        await board.apply(confirmed("n7", nominee_name="市教育局机关", unit_name="市教育局"))
        assert (board.store.honours["h1"]["nominee_name"], board.store.honours["h1"]["unit_name"]) == (
            "市教育局机关", "市教育局")
        assert board.store.entries["n7"] == {"_id": "n7", "status": "confirmed"}

    async def test_a_revocation_keeps_the_honour_with_its_history(self):
        board = FakeProjector()
        await approved(board, "n1")
        first, = await board.apply(confirmed("n1"))
        then, = await board.apply(HonourRevoked(honour_id="h1", nomination_id="n1", reason="弄虚作假"))
        honour = board.store.honours["h1"]
        assert (honour["status"], honour["revoked_reason"], honour["revoked_at"]) == ("revoked", "弄虚作假",
                                                                                       then.occurred_at)
        assert honour["history"] == [{"at": first.occurred_at, "status": "confirmed"},
                                     {"at": then.occurred_at, "status": "revoked", "reason": "弄虚作假"}]
        assert board.store.entries["n1"]["status"] == "revoked"

    async def test_a_revocation_of_an_unknown_honour_makes_none_but_marks_the_entry(self):
        board = FakeProjector()
        await approved(board, "n1")
        await board.apply(HonourRevoked(honour_id="h9", nomination_id="n1", reason="撤销"))
        assert board.store.honours == {}
        assert board.store.entries["n1"]["status"] == "revoked"

    async def test_a_scheduled_review_and_its_outcome(self):
        board = FakeProjector()
        await board.apply(confirmed("n1"))
        await board.apply(HonourReviewScheduled(honour_id="h1", review_id="rv1", nomination_id="n1",
                                                due_date=date(2027, 3, 1)))
        assert board.store.honours["h1"]["reviews"] == {"rv1": {"due_date": "2027-03-01", "outcome": None}}
        env, = await board.apply(HonourReviewed(honour_id="h1", review_id="rv1", nomination_id="n1",
                                                outcome="maintained", note="保持"))
        assert board.store.honours["h1"]["reviews"]["rv1"] == {
            "due_date": "2027-03-01", "outcome": "maintained", "note": "保持", "reviewed_at": env.occurred_at}

    async def test_a_review_of_an_unknown_honour_makes_none(self):
        board = FakeProjector()
        await board.apply(HonourReviewScheduled(honour_id="h1", review_id="rv1", nomination_id="n1",
                                                due_date=date(2027, 3, 1)))
        assert board.store.honours == {}
