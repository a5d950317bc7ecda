"""A large category's standings arrive in parts (StandingsUpdated part/parts, one sequence): the leaderboard ranks
each part as it comes and drops nominees that left only once the sequence is complete; publicity keeps the last
complete ranking until every part of the next one is in."""
from __future__ import annotations

from services.leaderboard.app import create_service as create_leaderboard
from services.publicity.app import create_service as create_publicity
from shared.contracts import Envelope
from shared.contracts.scoring import Standing, StandingsUpdated
from tests.support import eventually, publish_envelopes, running

P, CAT = "p-parts", "organ"


def board(sequence: int, ranked: list[str], per_part: int) -> list[Envelope]:
    rows = [Standing(nomination_id=n, rank=i + 1, composite=100.0 - i, components=[]) for i, n in enumerate(ranked)]
    parts = [rows[i:i + per_part] for i in range(0, len(rows), per_part)]
    return [Envelope.wrap(StandingsUpdated(category_id=CAT, programme_version=1, sequence=sequence, standings=chunk,
                                           part=k + 1, parts=len(parts)), programme_id=P, key=f"{P}:{CAT}")
            for k, chunk in enumerate(parts)]


async def test_standings_in_parts_are_assembled_by_the_leaderboard_and_publicity(settings):
    async with running(create_leaderboard, settings) as (lb, _), running(create_publicity, settings) as (pub, _):
        async def ranks() -> dict[str, int | None]:
            return {e["_id"]: e.get("rank") for e in await lb.db.entries.find({"category_id": CAT}).to_list()}

        async def shortlist() -> tuple[int | None, list[str]]:
            doc = await pub.store.board(f"{P}:{CAT}") or {}
            return doc.get("sequence"), [r["nomination_id"] for r in doc.get("standings", [])]

        first = board(1, ["n1", "n2", "n3", "n4", "n5"], per_part=2)
        assert [e.payload["parts"] for e in first] == [3, 3, 3]
        await publish_envelopes(settings, first)
        await eventually(lambda: _eq(ranks(), {"n1": 1, "n2": 2, "n3": 3, "n4": 4, "n5": 5}))
        await eventually(lambda: _eq(shortlist(), (1, ["n1", "n2", "n3", "n4", "n5"])))

        # The next board, n5 gone and n4 first; only its first part arrives (plus a repeat of that part).
        second = board(2, ["n4", "n1", "n2", "n3"], per_part=2)
        repeat = Envelope.wrap(StandingsUpdated.model_validate(second[0].payload), programme_id=P, key=f"{P}:{CAT}")
        await publish_envelopes(settings, [second[0], repeat])
        await eventually(lambda: _eq(ranks(), {"n4": 1, "n1": 2, "n2": 2, "n3": 3, "n5": 5}))
        assert await shortlist() == (1, ["n1", "n2", "n3", "n4", "n5"])  # half a ranking never becomes the list

        await publish_envelopes(settings, second[1:])
        await eventually(lambda: _eq(ranks(), {"n4": 1, "n1": 2, "n2": 3, "n3": 4, "n5": None}))
        await eventually(lambda: _eq(shortlist(), (2, ["n4", "n1", "n2", "n3"])))

        # A late part of the older board changes nothing.
        await publish_envelopes(settings, [Envelope.wrap(StandingsUpdated.model_validate(first[2].payload),
                                                         programme_id=P, key=f"{P}:{CAT}")])
        await publish_envelopes(settings, board(3, ["n4", "n1", "n2", "n3"], per_part=10))
        await eventually(lambda: _eq(shortlist(), (3, ["n4", "n1", "n2", "n3"])))
        assert await ranks() == {"n4": 1, "n1": 2, "n2": 3, "n3": 4, "n5": None}


async def _eq(value, expected) -> bool:
    return await value == expected


async def test_a_refresh_rewrites_only_the_standings_that_changed(settings):
    async with running(create_leaderboard, settings) as (lb, _):
        async def stamps() -> dict[str, tuple]:
            # (rank, the whole document): that an unchanged standing is not written at all is proven on the fakes,
            # which record each write (tests/leaderboard/test_scoring.py::test_an_unchanged_standing_is_not_written_
            # again); an entry carries no time of the standing that last wrote it (it would follow the batching)
            return {e["_id"]: (e.get("rank"), e) for e in await lb.db.entries.find({"category_id": CAT}).to_list()}

        await publish_envelopes(settings, board(1, ["a", "b", "c", "d"], per_part=10))
        before = await eventually(lambda: _all_ranked(stamps(), 4))
        # The next refresh swaps c and d only: a and b keep their documents as they were.
        await publish_envelopes(settings, board(2, ["a", "b", "d", "c"], per_part=10))
        after = await eventually(lambda: _ranked_as(stamps(), {"a": 1, "b": 2, "d": 3, "c": 4}))
        assert after["a"] == before["a"] and after["b"] == before["b"]
        assert after["c"][1]["composite"] != before["c"][1]["composite"] or after["c"][0] != before["c"][0]
        assert after["d"][0] == 3 and before["d"][0] == 4
        seq = await lb.db.standings_seq.find_one({"_id": f"{P}:{CAT}"})
        assert seq["sequence"] == 2


async def _all_ranked(value, n: int):
    got = await value
    return got if len(got) == n and all(r is not None for r, _ in got.values()) else None


async def _ranked_as(value, ranks: dict[str, int]):
    got = await value
    return got if {k: r for k, (r, _) in got.items()} == ranks else None
