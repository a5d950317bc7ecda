"""Rounds and tallies into the leaderboard read model, on the in-memory read model: tallies are snapshots."""
from __future__ import annotations

from services.leaderboard.projections.voting import HISTORY
from shared.contracts.voting import RoundClosed

from .events import P, round_opened, tally
from .fakes import FakeProjector


class TestRounds:
    async def test_an_opened_round_starts_with_nothing_cast(self):
        board = FakeProjector()
        await board.apply(round_opened())
        rnd = board.store.rounds["r1"]
        assert (rnd["programme_id"], rnd["state"], rnd["eligible"], rnd["sequence"], rnd["ballots_cast"],
                rnd["history"]) == (P, "open", 100, 0, 0, [])

    async def test_a_tally_seen_before_its_round_is_not_reset_by_the_opening(self):
        board = FakeProjector()
        await board.apply(tally(3), round_opened())
        rnd = board.store.rounds["r1"]
        assert (rnd["sequence"], rnd["ballots_cast"], rnd["state"], rnd["name"]) == (3, 30, "open", "民主测评")
        assert len(rnd["history"]) == 1

    async def test_a_closed_round_keeps_its_bulletin_root(self):
        board = FakeProjector()
        await board.apply(round_opened(), tally(1), RoundClosed(round_id="r1", bulletin_root="ab12", ballots_cast=10))
        assert (board.store.rounds["r1"]["state"], board.store.rounds["r1"]["bulletin_root"]) == ("closed", "ab12")


class TestTallies:
    async def test_each_tally_replaces_the_counts_whole(self):
        board = FakeProjector()
        await board.apply(round_opened(), tally(1), tally(2))
        rnd = board.store.rounds["r1"]
        assert (rnd["sequence"], rnd["ballots_cast"], rnd["turnout_by_unit"]) == (2, 20, {"u1": 0.2})
        assert rnd["candidates"] == [tally(2).candidates[0].model_dump(mode="json")]
        assert [h["ballots_cast"] for h in rnd["history"]] == [10, 20]

    async def test_an_older_or_repeated_tally_arriving_late_changes_nothing(self):
        board = FakeProjector()
        await board.apply(round_opened(), tally(5))
        before = dict(board.store.rounds["r1"])
        await board.apply(tally(4), tally(5))
        assert board.store.rounds["r1"] == before

    async def test_hidden_counts_are_never_written(self):
        board = FakeProjector()
        await board.apply(round_opened(hidden=True), tally(1, hidden=True))
        rnd = board.store.rounds["r1"]
        assert "candidates" not in rnd and rnd["counts_hidden"] is True and rnd["ballots_cast"] == 10

    async def test_the_turnout_history_keeps_the_latest_points(self):
        board = FakeProjector()
        await board.apply(round_opened(), *[tally(s) for s in range(1, HISTORY + 6)])
        history = board.store.rounds["r1"]["history"]
        assert len(history) == HISTORY and history[0]["ballots_cast"] == 60 and history[-1]["ballots_cast"] == 5050
