"""Arena contests (擂台赛 / 大比武): create, score live, freeze, reveal, close; every change publishes the board."""
from __future__ import annotations

from shared.auth import Principal
from shared.contracts.scoring import ArenaBoardUpdated
from shared.errors import Conflict, Forbidden, Invalid, NotFound

from .. import domain as d
from ..models import ArenaIn, ArenaScoreIn, FreezeIn
from ..store import Doc, ScoringStore
from .common import (
    Tx,
    allowed,
    get_category,
    get_judge,
    get_nomination,
    get_programme,
    judge_facts,
    nominee_facts,
    now,
    scorer,
)
from .judges import check_panel_judges


async def get_arena(store: ScoringStore, arena_id: str) -> Doc:
    a = await store.arena(arena_id)
    if a is None:
        raise NotFound(f"arena contest {arena_id} does not exist", field="arena_id")
    return a


async def arena_priors(store: ScoringStore, arena: Doc) -> dict[str, float | None]:
    """Each contestant's earlier assessment: given, or the composite of its nomination's standing."""
    out: dict[str, float | None] = {}
    for c in arena["contestants"]:
        prior = c.get("prior_score")
        if prior is None and c.get("nomination_id"):
            nom = await store.nomination(c["nomination_id"], arena["programme_id"])
            if nom:
                st = await store.standings(f"{nom['programme_id']}:{nom['category_id']}")
                row = next((x for x in (st or {}).get("standings", []) if x["nomination_id"] == nom["_id"]), None)
                prior = row["composite"] if row else None
        out[c["contestant_id"]] = prior
    return out


async def board_of(store: ScoringStore, arena: Doc) -> tuple[list[str], list[Doc]]:
    scores: dict[tuple[str, str], dict[str, float]] = {}
    for x in await store.arena_scores(arena["_id"]):
        scores.setdefault((x["round_id"], x["contestant_id"]), {})[x["judge_id"]] = x["score"]
    priors = await arena_priors(store, arena)
    rounds = [d.ArenaRound(r["round_id"], r["name"], r["max_points"]) for r in arena["rounds"]]
    contestants = [d.Contestant(c["contestant_id"], c["name"], c["order"], priors.get(c["contestant_id"]))
                   for c in arena["contestants"]]
    return d.arena_board(rounds, contestants, scores, frozen_from=arena.get("frozen_from"),
                         live_weight=arena["live_weight"], min_judges_to_trim=arena["min_judges_to_trim"])


def board_view(arena: Doc, rounds: list[str], rows: list[Doc]) -> Doc:
    return {"arena_id": arena["_id"], "programme_id": arena["programme_id"], "name": arena["name"],
            "status": arena["status"], "sequence": arena["sequence"], "frozen": bool(arena.get("frozen_from")),
            "frozen_from": arena.get("frozen_from"), "live_weight": arena["live_weight"],
            "all_rounds": arena["rounds"], "contestants": arena["contestants"], "judge_ids": arena["judge_ids"],
            "rounds": rounds, "rows": rows}


async def read_board(store: ScoringStore, arena_id: str) -> Doc:
    """The board as the public sees it (frozen rounds hidden). Refused: unknown arena (404)."""
    arena = await get_arena(store, arena_id)
    rounds, rows = await board_of(store, arena)
    return board_view(arena, rounds, rows)


async def publish_board(tx: Tx, arena_id: str, change: Doc | None = None) -> Doc:
    """Bump the board's sequence, compute it and emit ArenaBoardUpdated in the caller's transaction."""
    arena = await tx.store.bump_arena(arena_id, change)
    rounds, rows = await board_of(tx.store, arena)
    await tx.emit(ArenaBoardUpdated(arena_id=arena_id, name=arena["name"], sequence=arena["sequence"],
                                    frozen=bool(arena.get("frozen_from")), rounds=rounds, rows=rows,
                                    frozen_from=arena.get("frozen_from"), live_weight=arena["live_weight"]),
                  programme_id=arena["programme_id"], key=arena_id)
    return board_view(arena, rounds, rows)


async def arena_doc(store: ScoringStore, programme_id: str, body: ArenaIn) -> Doc:
    """The new contest's document, checked: ids unique (422), units in the tree (422), nominations known (404)."""
    rounds = [{"round_id": r.round_id or f"r{i}", "name": r.name, "max_points": r.max_points, "step": r.step}
              for i, r in enumerate(body.rounds, 1)]
    contestants = [{"contestant_id": c.contestant_id or f"c{i}", "name": c.name, "order": i, "unit_id": c.unit_id,
                    "nomination_id": c.nomination_id, "prior_score": c.prior_score}
                   for i, c in enumerate(body.contestants, 1)]
    for what, items, key in (("rounds", rounds, "round_id"), ("contestants", contestants, "contestant_id")):
        if len({x[key] for x in items}) != len(items):
            raise Invalid(f"{what}: {key} must be unique", field=what)
    for c in contestants:
        if c["unit_id"] and not await store.unit_exists(programme_id, c["unit_id"]):
            raise Invalid(f"contestant {c['name']}: unit {c['unit_id']} is not in the organisation tree",
                          field="contestants")
        if c["nomination_id"]:
            await get_nomination(store, programme_id, c["nomination_id"], approved=False)
    return {"_id": body.arena_id, "programme_id": programme_id, "name": body.name, "category_id": body.category_id,
            "rounds": rounds, "contestants": contestants, "judge_ids": body.judge_ids,
            "live_weight": body.live_weight, "min_judges_to_trim": body.min_judges_to_trim, "frozen_from": None,
            "status": "open", "sequence": 0, "created_at": now()}


@allowed("organiser")
async def create_arena(tx: Tx, programme_id: str, body: ArenaIn) -> Doc:
    """Refused: unknown programme or category (404), judges unknown or repeated (422), a bad contestant or round
    (422, 404), the arena id taken (409)."""
    prog = await get_programme(tx.store, programme_id)
    if body.category_id:
        get_category(prog, body.category_id)
    await check_panel_judges(tx.store, programme_id, body.judge_ids)
    doc = await arena_doc(tx.store, programme_id, body)
    if not await tx.store.insert_arena(doc):
        raise Conflict(f"arena {body.arena_id} already exists", field="arena_id", code="arena_exists")
    return await publish_board(tx, body.arena_id)


async def check_not_recused(store: ScoringStore, arena: Doc, judge_id: str, contestant: Doc) -> None:
    """A judge in conflict with a contestant (its unit or its nomination) may not score it (403)."""
    if not (contestant.get("unit_id") or contestant.get("nomination_id")):
        return
    judge = await get_judge(store, arena["programme_id"], judge_id)
    if contestant.get("nomination_id"):
        facts = await nominee_facts(store, await get_nomination(store, arena["programme_id"],
                                                                contestant["nomination_id"], approved=False))
    else:
        facts = d.NomineeFacts(contestant["contestant_id"], "team", contestant["contestant_id"],
                               contestant["unit_id"])
    rule = d.conflict_rule(judge_facts(judge), facts, await store.parents(arena["programme_id"]))
    if rule:
        raise Forbidden(f"judge {judge_id} is recused from {contestant['name']}: {d.RECUSAL_RULES[rule]}",
                        field="contestant_id")


@allowed("judge")
async def arena_score(tx: Tx, arena_id: str, body: ArenaScoreIn, who: Principal) -> Doc:
    """A judge of the contest scores a contestant's round, live.

    Refused: no judge_id claim or not a judge of the contest (403), the judging stage not open (409, stage_closed),
    unknown round or contestant or a bad score (422), a judge in conflict with the contestant (403), the contest
    closed (409)."""
    judge_id = scorer(who)
    arena = await get_arena(tx.store, arena_id)
    d.ensure_judging(await tx.store.programme(arena["programme_id"]), "arena scores are refused")
    if judge_id not in arena["judge_ids"]:
        raise Forbidden(f"judge {judge_id} is not a judge of this arena contest", field="judge_id")
    rnd = next((r for r in arena["rounds"] if r["round_id"] == body.round_id), None)
    if rnd is None:
        raise Invalid(f"round {body.round_id} is not a round of this contest", field="round_id",
                      code="unknown_arena_round")
    contestant = next((c for c in arena["contestants"] if c["contestant_id"] == body.contestant_id), None)
    if contestant is None:
        raise Invalid(f"contestant {body.contestant_id} is not in this contest", field="contestant_id",
                      code="unknown_contestant")
    refusal = d.score_refusal(body.score, rnd["max_points"], rnd["step"])
    if refusal:
        code, problem, params = refusal
        raise Invalid(f"score for {rnd['name']} {problem}", field="score", code=code, params=params)
    await check_not_recused(tx.store, arena, judge_id, contestant)
    d.ensure_arena_open(arena)
    sid = f"{arena_id}:{body.round_id}:{body.contestant_id}:{judge_id}"
    prev = await tx.store.arena_score(sid)
    revision = (prev["revision"] + 1) if prev else 1
    await tx.store.save_arena_score(sid, {"arena_id": arena_id, "round_id": body.round_id,
                                          "contestant_id": body.contestant_id, "judge_id": judge_id,
                                          "score": body.score, "revision": revision, "updated_at": now()},
                                    {"score": body.score, "revision": revision, "at": now()})
    board = await publish_board(tx, arena_id)
    return board | {"accepted": {"round_id": body.round_id, "contestant_id": body.contestant_id,
                                 "score": body.score}}


@allowed("organiser")
async def freeze(tx: Tx, arena_id: str, body: FreezeIn) -> Doc:
    """Hide the round and every later one until revealed. Refused: unknown arena (404) or round (422)."""
    arena = await get_arena(tx.store, arena_id)
    if not any(r["round_id"] == body.round_id for r in arena["rounds"]):
        raise Invalid(f"round {body.round_id} is not a round of this contest", field="round_id",
                      code="unknown_arena_round")
    return await publish_board(tx, arena_id, {"frozen_from": body.round_id})


@allowed("organiser")
async def reveal(tx: Tx, arena_id: str) -> Doc:
    """Reveal the frozen rounds (揭晓). Refused: unknown arena (404), the board not frozen (409)."""
    arena = await get_arena(tx.store, arena_id)
    if not arena.get("frozen_from"):
        raise Conflict("the board is not frozen", field="arena_id", code="board_not_frozen")
    return await publish_board(tx, arena_id, {"frozen_from": None})


@allowed("organiser")
async def close_arena(tx: Tx, arena_id: str) -> Doc:
    """Scores can no longer change. Refused: unknown arena (404)."""
    await get_arena(tx.store, arena_id)
    return await publish_board(tx, arena_id, {"status": "closed"})
