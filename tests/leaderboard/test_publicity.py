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

from .events import CAT, P, confirmed, line, opened, standing, standings, submitted
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
        # a nomination not seen yet (its topic is read later): the notice is kept until its events fill it in
        assert board.store.entries["ghost"] == {"_id": "ghost", "programme_id": P, "category_id": CAT,
                                                "status": "in_publicity", "notice_id": "x1",
                                                "publicity_ends_at": opened().ends_at}

    async def test_nominations_read_after_the_notice_fill_the_entry_and_keep_it_in_publicity(self):
        board = FakeProjector()
        await board.apply(opened("n1"))
        await approved(board, "n1")
        entry = board.store.entries["n1"]
        assert (entry["status"], entry["notice_id"], entry["nominee_name"], entry["unit_name"]) == (
            "in_publicity", "x1", "市财政局机关", "市财政局")

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


class TestPublishedList:
    """A notice with its frozen list publishes the category: the board shows that list and keeps it."""

    async def published(self) -> FakeProjector:
        board = FakeProjector()
        await approved(board, "n1", "n2", "n3")
        # sequence 7: the standings the list was frozen from (opened's standings_sequence)
        await board.apply(standings(7, standing("n1", 1, 90.0), standing("n2", 2, 80.0), standing("n3", 3, 70.0)))
        await board.apply(opened("n1", "n2", listing=[line("n1", 1, 88.0), line("n2", 2, 81.5)]))
        return board

    async def test_the_standings_it_was_frozen_from_read_after_the_notice_leave_the_same_board(self):
        """Topics are read in any order (a replay reads them in another one than the live run did)."""
        board = FakeProjector()
        await approved(board, "n1", "n2", "n3")
        await board.apply(opened("n1", "n2", listing=[line("n1", 1, 88.0), line("n2", 2, 81.5)]))
        await board.apply(standings(7, standing("n1", 1, 90.0), standing("n2", 2, 80.0), standing("n3", 3, 70.0)))
        before = await self.published()
        ranked = ("rank", "composite", "components", "tie_break", "programme_version")
        assert {n: {f: board.store.entries[n].get(f) for f in ranked} for n in ("n1", "n2", "n3")} == {
            n: {f: before.store.entries[n].get(f) for f in ranked} for n in ("n1", "n2", "n3")}
        assert board.store.entries["n3"]["rank"] == 3

    async def test_the_listing_gives_the_ranks_composites_and_explanations(self):
        board = await self.published()
        n1, n2 = board.store.entries["n1"], board.store.entries["n2"]
        assert (n1["rank"], n1["composite"], n1["status"]) == (1, 88.0, "in_publicity")
        assert (n2["rank"], n2["composite"], n2["components"][0]["contribution"]) == (2, 81.5, 81.5)
        assert board.store.entries["n3"]["rank"] == 3  # not on the list: as it was when the list was frozen

    async def test_the_category_says_it_is_published_with_the_notice_and_when(self):
        board = FakeProjector()
        await approved(board, "n1")
        env, = await board.apply(opened("n1", listing=[line("n1", 1, 88.0)]))
        cat = board.store.categories[f"{P}/{CAT}"]
        assert (cat["published"], cat["notice_id"], cat["published_at"], cat["programme_id"], cat["category_id"]) == (
            True, "x1", env.occurred_at, P, CAT)
        assert (cat["standings_sequence"], cat["programme_version"]) == (7, 1)

    async def test_later_standings_of_the_category_change_nothing(self):
        board = await self.published()
        before = {n: dict(board.store.entries[n]) for n in ("n1", "n2", "n3")}
        await board.apply(standings(8, standing("n3", 1, 99.0), standing("n2", 2, 1.0)))
        await board.apply(standings(9, standing("n2", 1, 95.0)))
        assert {n: board.store.entries[n] for n in ("n1", "n2", "n3")} == before

    async def test_standings_of_another_programme_s_category_still_apply(self):
        board = await self.published()
        await board.apply(standings(4, standing("m1", 1, 99.0)), programme_id="p2")
        assert board.store.entries["m1"]["rank"] == 1

    async def test_a_notice_without_a_listing_publishes_nothing(self):
        board = FakeProjector()
        await approved(board, "n1")
        await board.apply(opened("n1"))
        await board.apply(standings(1, standing("n1", 1, 70.0)))
        assert board.store.categories == {}
        assert board.store.entries["n1"]["rank"] == 1

    async def test_removal_replacement_and_revocation_still_change_it(self):
        board = await self.published()
        await board.apply(NomineeRemoved(notice_id="x1", nomination_id="n2", reason="查实"))
        assert board.store.entries["n2"]["status"] == "removed"
        await board.apply(opened("n3", notice_id="x2", replaces=["n2"], listing=[line("n3", 3, 70.0)]))
        n3 = board.store.entries["n3"]
        assert (n3["status"], n3["notice_id"], n3["rank"], n3["composite"]) == ("in_publicity", "x2", 3, 70.0)
        cat = board.store.categories[f"{P}/{CAT}"]
        assert (cat["published"], cat["notice_id"], cat["replacement_notice_id"]) == (True, "x1", "x2")
        await board.apply(confirmed("n1"), HonourRevoked(honour_id="h1", nomination_id="n1", reason="弄虚作假"))
        assert board.store.entries["n1"]["status"] == "revoked"
        await board.apply(standings(9, standing("n1", 1, 1.0)))
        assert board.store.entries["n1"]["composite"] == 88.0


class TestReplayOrder:
    """A rebuild reads each topic from its start, in whatever order the partitions come: the publicity topic may
    be read wholly before the nominations' and the scoring topics. The board it builds is the live one."""

    async def test_every_topic_read_in_another_order_builds_the_same_board(self):
        live = FakeProjector()
        envs = []
        for nid in ("n1", "n2", "n3"):
            envs += await live.apply(submitted(nid), NominationApproved(nomination_id=nid, category_id=CAT))
        envs += await live.apply(standings(7, standing("n1", 1, 90.0), standing("n2", 2, 80.0),
                                           standing("n3", 3, 70.0)))
        envs += await live.apply(
            opened("n1", "n2", listing=[line("n1", 1, 88.0), line("n2", 2, 81.5)]),
            filed("n2"), NomineeRemoved(notice_id="x1", nomination_id="n2", reason="查实"), resolved("n2"),
            opened("n3", notice_id="x2", replaces=["n2"], listing=[line("n3", 3, 70.0)]),
            PublicityClosed(notice_id="x1", category_id=CAT, confirmed=["n1"], blocked=[], removed=["n2"]),
            confirmed("n1", nominee_name="市财政局机关", unit_name="市财政局"),  # as the service emits it
            HonourRevoked(honour_id="h1", nomination_id="n1", reason="弄虚作假"))
        assert [live.store.entries[n]["status"] for n in ("n1", "n2", "n3")] == ["revoked", "removed",
                                                                                 "in_publicity"]
        topic = {env.topic for env in envs}
        assert len(topic) == 3  # nominations, scoring, publicity
        for first in sorted(topic):  # each topic read first, then the others in their live order
            rebuilt = FakeProjector()
            await rebuilt.deliver([e for e in envs if e.topic == first] + [e for e in envs if e.topic != first])
            for name in ("entries", "categories", "notices", "honours"):
                assert getattr(rebuilt.store, name) == getattr(live.store, name), (first, name)
