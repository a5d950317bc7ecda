"""Assigning panel judges to nominees: automatically (K each, even loads, no conflicts) or by hand."""
from __future__ import annotations

from shared.contracts.scoring import JudgesAssigned
from shared.errors import Conflict, Invalid

from .. import domain as d
from ..models import AssignIn, AutoAssignIn
from ..store import Doc
from .common import Tx, allowed, get_judge, get_nomination, get_panel, judge_facts, nominee_facts, now
from .recusal import announce


async def announce_assigned(tx: Tx, programme_id: str, panel: Doc, pairs: list[tuple[str, str]]) -> None:
    """One JudgesAssigned per nominee (keyed by it, in order with its JudgeRecused): the nominations service lets
    these judges read the nominee's materials."""
    by_nominee: dict[str, list[str]] = {}
    for nom, judge in pairs:
        by_nominee.setdefault(nom, []).append(judge)
    # One outbox write for them all: an auto-assignment of a large category announces thousands of nominees.
    await tx.emit_many([(JudgesAssigned(nomination_id=nom, category_id=panel["category_id"],
                                        panel_id=panel["panel_id"], judge_ids=sorted(judge_ids)), programme_id, nom)
                        for nom, judge_ids in by_nominee.items()])


@allowed("organiser")
async def auto_assign(tx: Tx, programme_id: str, panel_id: str, body: AutoAssignIn | None) -> Doc:
    """Give each approved nominee at least K judges of the panel. Refused: unknown panel (404), locked (409)."""
    store = tx.store
    panel = await get_panel(store, programme_id, panel_id)
    d.Panel.of(panel).ensure_open("assignments")
    k = (body.min_judges if body else None) or panel["min_judges"]
    noms = await store.approved_nominations(programme_id, panel["category_id"])
    judges = await store.judges(programme_id, panel["judge_ids"])
    parents = await store.parents(programme_id)
    existing: dict[str, set[str]] = {}
    excluded: dict[str, set[str]] = {}
    for a in await store.assignments_of_panel(programme_id, panel_id):
        (excluded if a["recused"] else existing).setdefault(a["nomination_id"], set()).add(a["judge_id"])
    for n in noms:
        facts = await nominee_facts(store, n)
        for j in judges:
            if d.conflict_rule(judge_facts(j), facts, parents):
                excluded.setdefault(n["_id"], set()).add(j["judge_id"])
    plan = d.auto_assign([n["_id"] for n in noms], [j["judge_id"] for j in judges], existing, excluded, k)
    if plan.new:
        await store.insert_assignments([
            {"_id": f"{nom}:{judge}", "programme_id": programme_id, "category_id": panel["category_id"],
             "panel_id": panel_id, "nomination_id": nom, "judge_id": judge, "recused": False, "by": "auto",
             "assigned_at": now()} for nom, judge in plan.new])
        await announce_assigned(tx, programme_id, panel, plan.new)
    await store.update_panel(programme_id, panel_id, {"min_judges": k})
    return {"panel_id": panel_id, "min_judges": k, "nominees": len(noms), "assigned": len(plan.new),
            "loads": plan.loads, "shortfalls": plan.shortfalls}


@allowed("organiser")
async def assign(tx: Tx, programme_id: str, panel_id: str, body: AssignIn) -> Doc:
    """Assign a judge to a nominee by hand; a conflicting judge is recused at once, with a replacement suggested.

    Refused: unknown panel, nomination or judge (404), panel locked (409), nomination not approved (409) or of
    another category (422), judge not on the panel (422), already assigned (409)."""
    store = tx.store
    panel = await get_panel(store, programme_id, panel_id)
    d.Panel.of(panel).ensure_open("assignments")
    nom = await get_nomination(store, programme_id, body.nomination_id)
    if nom["category_id"] != panel["category_id"]:
        raise Invalid(f"nomination {body.nomination_id} is in category {nom['category_id']}, "
                      f"not in this panel's category {panel['category_id']}", field="nomination_id",
                      code="other_category")
    judge = await get_judge(store, programme_id, body.judge_id)
    if body.judge_id not in panel["judge_ids"]:
        raise Invalid(f"judge {body.judge_id} is not on panel {panel_id}", field="judge_id", code="judge_not_on_panel")
    rule = d.conflict_rule(judge_facts(judge), await nominee_facts(store, nom), await store.parents(programme_id))
    doc = {"_id": f"{nom['_id']}:{body.judge_id}", "programme_id": programme_id,
           "category_id": panel["category_id"], "panel_id": panel_id, "nomination_id": nom["_id"],
           "judge_id": body.judge_id, "recused": bool(rule), "rule": rule,
           "reason": d.RECUSAL_RULES.get(rule) if rule else None, "declared": False, "by": "manual",
           "assigned_at": now()}
    if not await store.insert_assignment(doc):
        raise Conflict(f"judge {body.judge_id} is already assigned to {body.nomination_id}", field="judge_id",
                       code="already_assigned")
    out = {"nomination_id": nom["_id"], "judge_id": body.judge_id, "recused": bool(rule), "rule": rule,
           "reason": doc["reason"], "replacement_judge_id": None}
    if not rule:
        await announce_assigned(tx, programme_id, panel, [(nom["_id"], body.judge_id)])
    if rule:
        # Stored recused from the start and without scores, so the standings do not change: announced, not marked.
        out["replacement_judge_id"] = await announce(tx, doc, d.Recusal.by_rule(rule), panel, nom)
    return out
