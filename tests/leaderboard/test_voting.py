"""Rounds and tallies into the leaderboard read model, on the in-memory read model: tallies are snapshots."""
from __future__ import annotations

from services.leaderboard.projections.voting import HISTORY, TALLIES_PER_POINT
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
        await board.apply(round_opened(), tally(1), tally(2), tally(TALLIES_PER_POINT))
        rnd = board.store.rounds["r1"]
        assert (rnd["sequence"], rnd["ballots_cast"]) == (TALLIES_PER_POINT, 10 * TALLIES_PER_POINT)
        assert rnd["turnout_by_unit"] == {"u1": TALLIES_PER_POINT / 10}
        assert rnd["candidates"] == [tally(TALLIES_PER_POINT).candidates[0].model_dump(mode="json")]
        # one turnout point per span of tally sequences: the latest of each
        assert [h["ballots_cast"] for h in rnd["history"]] == [20, 10 * TALLIES_PER_POINT]

    async def test_the_turnout_history_is_the_same_whichever_tallies_a_batch_skipped(self):
        """A consumer applies only the newest tally of each round and span in a batch: the live run and a replay
        batch them differently, and apply other tallies, but the latest of each span always."""
        k = TALLIES_PER_POINT
        every = list(range(1, 3 * k))
        one_batch = [k - 1, 2 * k - 1, 3 * k - 1]  # the newest of each span
        two_batches = [1, k - 1, k + 1, 2 * k - 1, 2 * k, 3 * k - 1]
        histories = []
        for sequences in (every, one_batch, two_batches):
            board = FakeProjector()
            await board.apply(round_opened(), *[tally(s) for s in sequences])
            histories.append([(h["span"], h["ballots_cast"]) for h in board.store.rounds["r1"]["history"]])
        assert histories[0] == histories[1] == histories[2] == [(0, 10 * (k - 1)), (1, 10 * (2 * k - 1)),
                                                                 (2, 10 * (3 * k - 1))]

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
        k = TALLIES_PER_POINT
        await board.apply(round_opened(), *[tally(s) for s in range(k - 1, k * (HISTORY + 3), k)])
        history = board.store.rounds["r1"]["history"]  # spans 0 .. HISTORY + 2: the first three are gone
        assert len(history) == HISTORY and history[0]["span"] == 3 and history[-1]["span"] == HISTORY + 2
        assert history[-1]["ballots_cast"] == 10 * (k * (HISTORY + 3) - 1)
