"""Recusal (回避): the one way a judge is recused (declared, found at assignment, or found after a tree or roll
change): record it, suggest a replacement, announce JudgeRecused, mark the category dirty."""
from __future__ import annotations

from shared.auth import Principal
from shared.errors import NotFound

from .. import domain as d
from ..models import RecusalIn
from ..store import Doc, ScoringStore
from .common import (
    Tx,
    allowed,
    get_nomination,
    get_panel,
    judge_facts,
    loads_of,
    mark_dirty,
    nominee_facts,
    now,
    scorer,
)


async def replacement_for(store: ScoringStore, panel: Doc, nomination: Doc) -> str | None:
    """The least-loaded judge of the panel who is neither assigned to the nominee nor in conflict with it."""
    assigned = {a["judge_id"] for a in await store.assignments_of_nomination(nomination["_id"])}
    parents = await store.parents(panel["programme_id"])
    facts = await nominee_facts(store, nomination)
    excluded = set()
    for j in await store.judges(panel["programme_id"], panel["judge_ids"]):
        if d.conflict_rule(judge_facts(j), facts, parents):
            excluded.add(j["judge_id"])
    loads = await loads_of(store, panel["programme_id"], panel["category_id"])
    return d.suggest_replacement(panel["judge_ids"], assigned, excluded, loads)


async def announce(tx: Tx, assignment: Doc, recusal: d.Recusal, panel: Doc | None, nomination: Doc) -> str | None:
    """Emit JudgeRecused for a recusal already stored, with the replacement suggested (kept on the assignment, for
    the organiser's panel view); returns that judge."""
    replacement = await replacement_for(tx.store, panel, nomination) if panel else None
    await tx.store.update_assignment(assignment["_id"], {"replacement_judge_id": replacement})
    await tx.emit(recusal.event(assignment["nomination_id"], assignment["judge_id"], assignment["category_id"],
                                replacement),
                  programme_id=assignment["programme_id"], key=assignment["nomination_id"])
    return replacement


async def recuse(tx: Tx, assignment: Doc, recusal: d.Recusal, panel: Doc | None, nomination: Doc) -> str | None:
    """Recuse the judge of a standing assignment; returns the replacement suggested (or None)."""
    await tx.store.update_assignment(assignment["_id"], recusal.fields(now()))
    replacement = await announce(tx, assignment, recusal, panel, nomination)
    await mark_dirty(tx.store, assignment["programme_id"], assignment["category_id"])
    return replacement


@allowed("judge")
async def declare_conflict(tx: Tx, programme_id: str, nomination_id: str, body: RecusalIn, who: Principal) -> dict:
    """A judge declares a conflict with a nominee assigned to them (回避申报).

    Refused: no judge_id claim (403), not assigned (404), already recused (409), panel locked (409)."""
    judge_id = scorer(who)
    a = await tx.store.assignment(f"{nomination_id}:{judge_id}", programme_id)
    if a is None:
        raise NotFound(f"you are not assigned to nomination {nomination_id}", field="nomination_id")
    d.ensure_may_declare(a, nomination_id)
    panel = await get_panel(tx.store, programme_id, a["panel_id"])
    d.Panel.of(panel).ensure_open("recusals")
    nom = await get_nomination(tx.store, programme_id, nomination_id, approved=False)
    recusal = d.Recusal.declared_by_judge(body.reason)
    replacement = await recuse(tx, a, recusal, panel, nom)
    return {"nomination_id": nomination_id, "judge_id": judge_id, "recused": True, "reason": recusal.reason,
            "replacement_judge_id": replacement}


async def recheck_conflicts(tx: Tx, programme_id: str) -> None:
    """The programme's tree or roll changed: a standing assignment of the programme that now conflicts is recused
    (and announced)."""
    store = tx.store
    parents = await store.parents(programme_id)
    judges = {j["judge_id"]: j for j in await store.all_judges(programme_id)}
    nominations: dict[str, Doc | None] = {}
    facts: dict[str, d.NomineeFacts | None] = {}
    for a in await store.all_active_assignments(programme_id):
        judge = judges.get(a["judge_id"])
        if a["nomination_id"] not in facts:
            nom = nominations[a["nomination_id"]] = await store.nomination(a["nomination_id"], programme_id)
            facts[a["nomination_id"]] = await nominee_facts(store, nom) if nom else None
        nominee = facts[a["nomination_id"]]
        if judge is None or nominee is None:
            continue
        rule = d.conflict_rule(judge_facts(judge), nominee, parents)
        if rule:
            panel = await store.panel(programme_id, a["panel_id"])
            await recuse(tx, a, d.Recusal.by_rule(rule), panel, nominations[a["nomination_id"]])
