"""Arena contests (擂台赛) on the in-memory store, no server: create, score, freeze, reveal, close."""
from __future__ import annotations

from services.scoring.actions import arena
from services.scoring.actions.judges import register_judge
from services.scoring.models import ArenaIn, ArenaScoreIn, FreezeIn, JudgeIn
from shared.contracts.scoring import ArenaBoardUpdated
from shared.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from tests.scoring.fixtures import CAT, P
from tests.scoring.world import judge, learned, refused, settle

TEAMS = [("发改委代表队", "fgw", 80), ("财政局代表队", "czj-b1", 70), ("司法局代表队", "sfj", None)]
ROUNDS = [{"round_id": "r1", "name": "必答题", "max_points": 10, "step": 0.5},
          {"round_id": "r2", "name": "风采展示", "max_points": 20, "step": 0.5}]
JUDGES = (("a-czj", "czj"), ("a-sfj", "sfj-b1"), ("a-tj", "jyj-b1"))


def contest(**kw) -> ArenaIn:
    return ArenaIn.model_validate({
        "arena_id": "arena-1", "name": "大比武擂台赛", "rounds": ROUNDS, "judge_ids": [j for j, _ in JUDGES],
        "live_weight": 0.5,
        "contestants": [{"contestant_id": f"c{i}", "name": n, "unit_id": u, "prior_score": p}
                        for i, (n, u, p) in enumerate(TEAMS, 1)]} | kw)


async def judges_registered():
    uow = await learned()
    for jid, unit in JUDGES:
        await uow.run(lambda tx, jid=jid, unit=unit: register_judge(tx, P, JudgeIn(judge_id=jid, name=jid,
                                                                                    unit_id=unit)))
    return settle(uow)


async def created():
    uow = await judges_registered()
    await uow.run(lambda tx: arena.create_arena(tx, P, contest()))
    return settle(uow)


async def score(uow, jid: str, round_id: str, contestant_id: str, value: float):
    return await uow.run(lambda tx: arena.arena_score(tx, "arena-1", ArenaScoreIn(
        round_id=round_id, contestant_id=contestant_id, score=value), judge(jid)))


class TestCreateArena:
    async def test_the_first_board_is_published(self):
        uow = await judges_registered()
        board = await uow.run(lambda tx: arena.create_arena(tx, P, contest()))
        assert board["sequence"] == 1 and board["status"] == "open" and len(board["rows"]) == 3
        assert [r["prior"] for r in sorted(board["rows"], key=lambda r: r["order"])] == [80, 70, None]
        [event] = uow.of_type(ArenaBoardUpdated)
        assert (event.arena_id, event.sequence, event.frozen) == ("arena-1", 1, False)

    async def test_a_contestant_s_prior_is_its_nomination_s_composite(self):
        uow = await judges_registered()
        uow.store.standing_docs[f"{P}:{CAT}"] = {"_id": f"{P}:{CAT}", "standings": [
            {"nomination_id": "n3", "composite": 85.0}]}
        board = await uow.run(lambda tx: arena.create_arena(tx, P, contest(category_id=CAT, contestants=[
            {"name": "教育局", "nomination_id": "n3"}, {"name": "卫健委", "nomination_id": "n4"}])))
        assert [r["prior"] for r in sorted(board["rows"], key=lambda r: r["order"])] == [85.0, None]

    async def test_refusals(self):
        uow = await judges_registered()
        await uow.run(lambda tx: arena.create_arena(tx, P, contest()))
        rounds_twice = [ROUNDS[0], ROUNDS[0]]
        cases = [
            ("p-none", contest(arena_id="a2"), NotFound, "programme_id"),
            (P, contest(arena_id="a2", category_id="nope"), NotFound, "category_id"),
            (P, contest(arena_id="a2", judge_ids=["a-czj", "nobody"]), Invalid, "judge_ids"),
            (P, contest(arena_id="a2", rounds=rounds_twice), Invalid, "rounds"),
            (P, contest(arena_id="a2", contestants=[{"name": "x", "unit_id": "nowhere"}, {"name": "y"}]), Invalid,
             "contestants"),
            (P, contest(arena_id="a2", contestants=[{"name": "x", "nomination_id": "n-none"}, {"name": "y"}]),
             NotFound, "nomination_id"),
            (P, contest(), Conflict, "arena_id"),
        ]
        for programme_id, body, error, field in cases:
            await refused(uow, lambda tx: arena.create_arena(tx, programme_id, body), error, field=field)


class TestArenaScore:
    async def test_each_score_republishes_the_board(self):
        uow = await created()
        board = await score(uow, "a-tj", "r1", "c1", 8)
        assert board["accepted"] == {"round_id": "r1", "contestant_id": "c1", "score": 8}
        row = next(r for r in board["rows"] if r["contestant_id"] == "c1")
        assert row["live_total"] == 8 and row["final"] == round(0.5 * 8 / 30 * 100 + 0.5 * 80, 4)
        await score(uow, "a-tj", "r1", "c1", 9)
        doc = uow.store.arena_score_docs["arena-1:r1:c1:a-tj"]
        assert doc["revision"] == 2 and [h["score"] for h in doc["history"]] == [8, 9]
        assert [e.sequence for e in uow.of_type(ArenaBoardUpdated)] == [2, 3]

    async def test_refusals(self):
        uow = await created()
        cases = [
            ("a-sfj", "r9", "c1", 5, Invalid, "round_id"),
            ("a-sfj", "r1", "c9", 5, Invalid, "contestant_id"),
            ("a-sfj", "r1", "c1", 10.5, Invalid, "score"),
            ("a-sfj", "r1", "c1", 7.3, Invalid, "score"),
            ("stranger", "r1", "c1", 5, Forbidden, "judge_id"),
            (None, "r1", "c1", 5, Forbidden, "judge_id"),
            ("a-sfj", "r1", "c3", 5, Forbidden, "contestant_id"),  # 市司法局 is the superior of the judge's branch
            ("a-czj", "r1", "c2", 5, Forbidden, "contestant_id"),  # the team of the judge's own branch
        ]
        for jid, round_id, contestant_id, value, error, field in cases:
            body = ArenaScoreIn(round_id=round_id, contestant_id=contestant_id, score=value)
            await refused(uow, lambda tx: arena.arena_score(tx, "arena-1", body, judge(jid)), error, field=field)
        await refused(uow, lambda tx: arena.arena_score(tx, "nope", ArenaScoreIn(
            round_id="r1", contestant_id="c1", score=1), judge("a-tj")), NotFound, field="arena_id")


class TestFreezeAndReveal:
    async def test_a_frozen_round_is_hidden_until_revealed(self):
        uow = await created()
        await score(uow, "a-tj", "r2", "c1", 18)
        board = await uow.run(lambda tx: arena.freeze(tx, "arena-1", FreezeIn(round_id="r2")))
        assert board["frozen"] and board["rounds"] == ["必答题"] and board["frozen_from"] == "r2"
        # scores still count while frozen; the public board does not show them
        await score(uow, "a-czj", "r2", "c1", 16)
        public = await arena.read_board(uow.store, "arena-1")
        assert public["rounds"] == ["必答题"] and all(r["live_total"] is None for r in public["rows"])
        board = await uow.run(lambda tx: arena.reveal(tx, "arena-1"))
        assert not board["frozen"] and board["rounds"] == ["必答题", "风采展示"]
        assert next(r for r in board["rows"] if r["contestant_id"] == "c1")["live_total"] == 17
        assert [e.frozen for e in uow.of_type(ArenaBoardUpdated)] == [False, True, True, False]

    async def test_refusals(self):
        uow = await created()
        err = await refused(uow, lambda tx: arena.freeze(tx, "arena-1", FreezeIn(round_id="r9")), Invalid,
                            field="round_id")
        assert err.code == "unknown_arena_round"
        await refused(uow, lambda tx: arena.freeze(tx, "nope", FreezeIn(round_id="r1")), NotFound, field="arena_id")
        err = await refused(uow, lambda tx: arena.reveal(tx, "arena-1"), Conflict, field="arena_id", words="not frozen")
        assert err.code == "board_not_frozen"
        await refused(uow, lambda tx: arena.reveal(tx, "nope"), NotFound, field="arena_id")


class TestCloseArena:
    async def test_a_closed_contest_refuses_scores(self):
        uow = await created()
        board = await uow.run(lambda tx: arena.close_arena(tx, "arena-1"))
        assert board["status"] == "closed" and uow.of_type(ArenaBoardUpdated)[-1].sequence == 2
        await refused(uow, lambda tx: arena.arena_score(tx, "arena-1", ArenaScoreIn(
            round_id="r1", contestant_id="c1", score=5), judge("a-tj")), Closed, field="arena_id")

    async def test_an_unknown_contest(self):
        uow = await created()
        await refused(uow, lambda tx: arena.close_arena(tx, "nope"), NotFound, field="arena_id")
