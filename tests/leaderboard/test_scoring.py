"""Composite standings (whole or in parts) and arena boards into the leaderboard read model, in memory."""
from __future__ import annotations

from shared.contracts.nominations import NominationWithdrawn
from shared.contracts.scoring import ArenaBoardUpdated

from .events import CAT, P, programme, standing, standings, submitted
from .fakes import FakeProjector, InMemoryReadModel


def ranks(board: FakeProjector) -> dict[str, int | None]:
    return {_id: e.get("rank") for _id, e in sorted(board.store.entries.items())}


class TestStandings:
    async def test_standings_rank_the_entries_with_their_explanation(self):
        board = FakeProjector()
        await board.apply(programme(), submitted("n1"), submitted("n2"))
        await board.apply(standings(1, standing("n2", 1, 90.0), standing("n1", 2, 80.0)))
        assert ranks(board) == {"n1": 2, "n2": 1}
        n2 = board.store.entries["n2"]
        assert (n2["composite"], n2["programme_version"], n2["components"][0]["component"]) == (90.0, 1, "peer_vote")
        assert n2["status"] == "submitted"

    async def test_a_standing_before_its_nomination_makes_the_entry_and_the_nomination_fills_it_in(self):
        board = FakeProjector()
        await board.apply(standings(1, standing("n1", 1, 90.0, name="市财政局机关")))
        entry = board.store.entries["n1"]
        assert (entry["programme_id"], entry["category_id"], entry["nominee_name"], entry["rank"]) == (
            P, CAT, "市财政局机关", 1)
        await board.apply(programme(), submitted("n1"))
        assert (board.store.entries["n1"]["rank"], board.store.entries["n1"]["status"],
                board.store.entries["n1"]["category_name"]) == (1, "submitted", "模范机关")

    async def test_an_older_sequence_arriving_late_changes_nothing(self):
        board = FakeProjector()
        await board.apply(standings(2, standing("n1", 1, 90.0), standing("n2", 2, 80.0)))
        await board.apply(standings(1, standing("n2", 1, 99.0), standing("n1", 2, 50.0)))
        assert ranks(board) == {"n1": 1, "n2": 2}

    async def test_a_nomination_that_left_the_standings_loses_its_rank(self):
        board = FakeProjector()
        await board.apply(standings(1, standing("n1", 1, 90.0), standing("n2", 2, 80.0)))
        await board.apply(NominationWithdrawn(nomination_id="n2", category_id=CAT),
                          standings(2, standing("n1", 1, 91.0)))
        assert ranks(board) == {"n1": 1, "n2": None}
        assert not {"composite", "components", "tie_break"} & set(board.store.entries["n2"])

    async def test_an_unchanged_standing_is_not_written_again(self, monkeypatch):
        board = FakeProjector()
        written: list[list[str]] = []
        save = InMemoryReadModel.save_entries

        async def recording(store, rows):
            written.append([r[0] for r in rows])
            await save(store, rows)

        monkeypatch.setattr(InMemoryReadModel, "save_entries", recording)
        await board.apply(standings(1, standing("n1", 1, 90.0), standing("n2", 2, 80.0)))
        await board.apply(standings(2, standing("n1", 1, 90.0), standing("n2", 2, 85.0)))
        assert written == [["n1", "n2"], ["n2"]]
        assert board.store.entries["n2"]["composite"] == 85.0

    async def test_standings_do_not_set_an_entry_s_time(self):
        """Which standing last wrote an entry depends on batching (a replay reads in other batches than the live
        run): its time is that of its own events."""
        board = FakeProjector()
        first, = await board.apply(submitted("n1"))
        await board.apply(standings(1, standing("n1", 1, 90.0)), standings(2, standing("n1", 1, 95.0)))
        assert board.store.entries["n1"]["composite"] == 95.0
        assert board.store.entries["n1"]["updated_at"] == first.occurred_at


class TestStandingsInParts:
    async def test_each_part_ranks_its_own_and_the_last_takes_the_rank_from_those_who_left(self):
        board = FakeProjector()
        await board.apply(standings(1, standing("n1", 1, 90.0), standing("n2", 2, 80.0), standing("n3", 3, 70.0)))
        # Sequence 2 in two parts: n3 left the standings.
        await board.apply(standings(2, standing("n2", 1, 95.0), part=1, parts=2))
        assert ranks(board) == {"n1": 1, "n2": 1, "n3": 3}  # the board is live: part 1 shows at once
        await board.apply(standings(2, standing("n1", 2, 85.0), part=2, parts=2))
        assert ranks(board) == {"n1": 2, "n2": 1, "n3": None}

    async def test_the_parts_may_arrive_in_any_order(self):
        board = FakeProjector()
        await board.apply(standings(1, standing("n1", 1, 90.0), standing("n3", 2, 70.0)))
        await board.apply(standings(2, standing("n1", 2, 85.0), part=2, parts=2),
                          standings(2, standing("n2", 1, 95.0), part=1, parts=2))
        assert ranks(board) == {"n1": 2, "n2": 1, "n3": None}

    async def test_a_part_delivered_twice_is_applied_once(self):
        board = FakeProjector()
        await board.apply(standings(1, standing("n1", 1, 90.0), standing("n3", 2, 70.0)))
        await board.apply(standings(2, standing("n1", 1, 85.0), part=1, parts=2),
                          standings(2, standing("n1", 1, 85.0), part=1, parts=2))
        assert ranks(board) == {"n1": 1, "n3": 2}  # still waiting for part 2
        assert board.store.standings_seq[f"{P}:{CAT}"]["parts"] == [1]

    async def test_a_newer_sequence_replaces_an_unfinished_one(self):
        board = FakeProjector()
        await board.apply(standings(1, standing("n1", 1, 90.0), standing("n2", 2, 80.0)))
        await board.apply(standings(2, standing("n2", 1, 95.0), part=1, parts=2),
                          standings(3, standing("n1", 1, 99.0)))
        assert ranks(board) == {"n1": 1, "n2": None}
        await board.apply(standings(2, standing("n2", 2, 50.0), part=2, parts=2))  # late: ignored
        assert ranks(board) == {"n1": 1, "n2": None}


def arena_board(sequence: int, frozen: bool = False) -> ArenaBoardUpdated:
    return ArenaBoardUpdated(arena_id="a1", name="擂台赛", sequence=sequence, frozen=frozen, rounds=["r1"],
                             rows=[{"nomination_id": "n1", "score": sequence}])


class TestArenas:
    async def test_a_newer_board_replaces_and_an_older_or_repeated_one_does_not(self):
        board = FakeProjector()
        env, = await board.apply(arena_board(2))
        await board.apply(arena_board(1), arena_board(2, frozen=True))
        arena = board.store.arenas["a1"]
        assert (arena["programme_id"], arena["sequence"], arena["frozen"], arena["rows"], arena["updated_at"]) == (
            P, 2, False, [{"nomination_id": "n1", "score": 2}], env.occurred_at)
        await board.apply(arena_board(3, frozen=True))
        assert (board.store.arenas["a1"]["sequence"], board.store.arenas["a1"]["frozen"]) == (3, True)
