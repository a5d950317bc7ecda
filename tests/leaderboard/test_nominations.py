"""Programmes and nominations into the leaderboard read model, on the in-memory read model (no server)."""
from __future__ import annotations

import pytest

from services.leaderboard.projections.nominations import LATER_STATUSES
from shared.contracts.nominations import (
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationWithdrawn,
    StageChanged,
)
from shared.contracts.publicity import HonourRevoked, NomineeRemoved, PublicityClosed

from .events import CAT, P, confirmed, opened, programme, submitted
from .fakes import FakeProjector


class TestSubmitted:
    async def test_an_entry_takes_its_category_from_the_programme(self):
        board = FakeProjector()
        await board.apply(programme(), submitted("n1"))
        entry = board.store.entries["n1"]
        assert (entry["programme_id"], entry["category_id"], entry["category_name"], entry["board"]) == (
            P, CAT, "模范机关", "model_organ")
        assert (entry["nominee_name"], entry["unit_name"], entry["status"]) == ("市财政局机关", "市财政局", "submitted")

    async def test_without_its_programme_an_entry_shows_the_category_id_on_the_other_board(self):
        board = FakeProjector()
        await board.apply(submitted("n1"))
        assert (board.store.entries["n1"]["category_name"], board.store.entries["n1"]["board"]) == (CAT, "other")


class TestProgrammeAfterEntries:
    async def test_the_programme_names_the_entries_projected_before_it(self):
        board = FakeProjector()
        await board.apply(submitted("n1"), submitted("n2"), programme())
        assert {(e["category_name"], e["board"]) for e in board.store.entries.values()} == {("模范机关", "model_organ")}
        assert board.store.programmes[P]["version"] == 1

    async def test_a_newer_version_renames_and_an_older_one_arriving_late_does_not(self):
        board = FakeProjector()
        await board.apply(submitted("n1"), programme(2, "模范机关（新）"), programme(1, "旧名"))
        assert board.store.entries["n1"]["category_name"] == "模范机关（新）"
        assert board.store.programmes[P]["version"] == 2

    async def test_the_programme_renames_no_other_programmes_entries(self):
        board = FakeProjector()
        await board.apply(submitted("n9"), programme_id="p2")
        await board.apply(programme())
        assert board.store.entries["n9"]["category_name"] == CAT

    async def test_a_stage_change_is_kept_beside_the_programme(self):
        board = FakeProjector()
        await board.apply(programme())
        env, = await board.apply(StageChanged(programme_id=P, stage="nomination", state="open"))
        assert board.store.programmes[P]["stage_state"] == {"nomination": "open"}
        assert board.store.programmes[P]["stage_changed_at"] == env.occurred_at
        assert board.store.programmes[P]["name"] == "2026年度评选"


class TestReviewed:
    @pytest.mark.parametrize("event, status", [
        (NominationApproved(nomination_id="n1", category_id=CAT), "approved"),
        (NominationReturned(nomination_id="n1", category_id=CAT, comments="补充材料"), "returned"),
        (NominationRejected(nomination_id="n1", category_id=CAT, reason="材料不全"), "rejected"),
        (NominationWithdrawn(nomination_id="n1", category_id=CAT), "withdrawn"),
    ])
    async def test_each_review_sets_the_status(self, event, status):
        board = FakeProjector()
        await board.apply(submitted("n1"))
        env, = await board.apply(event)
        assert (board.store.entries["n1"]["status"], board.store.entries["n1"]["updated_at"]) == (
            status, env.occurred_at)

    async def test_a_review_of_an_unknown_nomination_creates_no_entry(self):
        board = FakeProjector()
        await board.apply(NominationApproved(nomination_id="n1", category_id=CAT))
        assert board.store.entries == {}

    async def test_a_resubmission_after_a_return_is_submitted_again(self):
        board = FakeProjector()
        await board.apply(submitted("n1"), NominationReturned(nomination_id="n1", category_id=CAT, comments="补充"),
                          submitted("n1", resubmission=True))
        assert board.store.entries["n1"]["status"] == "submitted"


LATE = [submitted("n1"), NominationApproved(nomination_id="n1", category_id=CAT),
        NominationRejected(nomination_id="n1", category_id=CAT, reason="迟到"),
        NominationWithdrawn(nomination_id="n1", category_id=CAT)]
LATER = {
    "in_publicity": [opened("n1")],
    "blocked": [opened("n1"), PublicityClosed(notice_id="x1", category_id=CAT, confirmed=[], blocked=["n1"],
                                              removed=[])],
    "confirmed": [confirmed("n1")],
    "removed": [NomineeRemoved(notice_id="x1", nomination_id="n1", reason="查实")],
    "revoked": [confirmed("n1"), HonourRevoked(honour_id="h1", nomination_id="n1", reason="撤销")],
}


class TestLateNominationEvents:
    def test_every_later_status_is_covered(self):
        assert sorted(LATER) == sorted(LATER_STATUSES)

    @pytest.mark.parametrize("status", sorted(LATER))
    @pytest.mark.parametrize("late", LATE, ids=lambda e: type(e).__name__)
    async def test_a_late_nomination_event_never_takes_an_entry_back(self, status, late):
        board = FakeProjector()
        await board.apply(submitted("n1"), NominationApproved(nomination_id="n1", category_id=CAT), *LATER[status])
        assert board.store.entries["n1"]["status"] == status
        await board.apply(late)
        assert board.store.entries["n1"]["status"] == status

    async def test_a_late_submission_still_refreshes_the_nominee_details(self):
        board = FakeProjector()
        await board.apply(submitted("n1"), confirmed("n1"), submitted("n1", name="市财政局机关（更名）"))
        assert (board.store.entries["n1"]["status"], board.store.entries["n1"]["nominee_name"]) == (
            "confirmed", "市财政局机关（更名）")
