"""Judges at work: entering and revising scores, one per criterion, each revision kept."""
from __future__ import annotations

from datetime import datetime

from shared.auth import Principal
from shared.contracts.scoring import ScoreEntered, ScoreRevised
from shared.errors import Invalid

from .. import domain as d
from ..models import ScoresIn
from ..store import Doc
from .common import Tx, allowed, get_category, get_judge, get_nomination, get_programme, mark_dirty, now, scorer


def check_scores(cat: Doc, scores: dict[str, float]) -> dict[str, Doc]:
    """Each score is for a criterion of the category, within its maximum and on its step (422); the criteria."""
    criteria = {c["criterion_id"]: c for c in cat["criteria"]}
    for cid, value in scores.items():
        if cid not in criteria:
            raise Invalid(f"criterion {cid} is not a criterion of category {cat['name']}", field=f"scores.{cid}",
                          code="unknown_criterion")
        refusal = d.score_refusal(value, criteria[cid]["max_points"], criteria[cid].get("step", 0.5))
        if refusal:
            code, problem, params = refusal
            raise Invalid(f"score for {criteria[cid]['name']} ({cid}) {problem}", field=f"scores.{cid}", code=code,
                          params=params)
    return criteria


async def save_score(tx: Tx, programme_id: str, nom: Doc, judge_id: str, cid: str, value: float,
                     t: datetime) -> Doc:
    """Store one criterion's score (a new revision unless unchanged) and announce it."""
    sid = f"{nom['_id']}:{judge_id}:{cid}"
    current = await tx.store.score(sid)
    if current and current["score"] == value:
        return {"score": value, "revision": current["revision"], "changed": False}
    revision = (current["revision"] + 1) if current else 1
    await tx.store.save_score(sid, {"programme_id": programme_id, "category_id": nom["category_id"],
                                    "nomination_id": nom["_id"], "judge_id": judge_id, "criterion_id": cid,
                                    "score": value, "revision": revision, "updated_at": t},
                              {"score": value, "revision": revision, "at": t})
    if current:
        event = ScoreRevised(nomination_id=nom["_id"], category_id=nom["category_id"], judge_id=judge_id,
                             criterion_id=cid, score=value, previous=current["score"], revision=revision)
    else:
        event = ScoreEntered(nomination_id=nom["_id"], category_id=nom["category_id"], judge_id=judge_id,
                             criterion_id=cid, score=value, revision=1)
    await tx.emit(event, programme_id=programme_id, key=nom["_id"])
    return {"score": value, "revision": revision, "changed": True}


@allowed("judge")
async def enter_scores(tx: Tx, programme_id: str, body: ScoresIn, who: Principal) -> Doc:
    """A judge enters or revises scores for one nominee.

    Refused: no judge_id claim (403), unknown programme, nomination or judge (404), the judging stage not open
    (409, stage_closed), nomination not approved (409), a bad score (422), the category's 公示 list published (409,
    category_published), not assigned or recused (403), panel locked (409)."""
    judge_id = scorer(who)
    store = tx.store
    prog = await get_programme(store, programme_id)
    d.ensure_judging(prog, "judges' scores are refused")
    nom = await get_nomination(store, programme_id, body.nomination_id)
    criteria = check_scores(get_category(prog, nom["category_id"]), body.scores)
    revising = await store.count_scores([f"{nom['_id']}:{judge_id}:{cid}" for cid in body.scores]) > 0
    d.ensure_not_published(await store.publication(programme_id, nom["category_id"]), nom["category_id"],
                           "a score revision" if revising else "a new score")
    await get_judge(store, programme_id, judge_id)
    a = await store.assignment(f"{nom['_id']}:{judge_id}", programme_id)
    d.ensure_may_score(a, judge_id, nom["_id"])
    panel = await store.panel(programme_id, a["panel_id"])
    if panel:
        d.Panel.of(panel).ensure_open("scores")
    t = now()
    out = {cid: await save_score(tx, programme_id, nom, judge_id, cid, value, t)
           for cid, value in body.scores.items()}
    if any(v["changed"] for v in out.values()):
        await mark_dirty(store, programme_id, nom["category_id"])
    have = await store.count_scores([f"{nom['_id']}:{judge_id}:{cid}" for cid in criteria])
    return {"nomination_id": nom["_id"], "judge_id": judge_id, "scores": out, "complete": have == len(criteria)}
