"""Read-side queries of the scoring service's HTTP API (not in a transaction)."""
from __future__ import annotations

from datetime import UTC, datetime

from shared.errors import NotFound

from . import domain as d
from .actions.common import (
    clean,
    get_config,
    get_judge,
    get_nomination,
    get_panel,
    get_programme,
    judge_facts,
    nominee_facts,
)
from .actions.recusal import replacement_for
from .store import Doc, MongoScoringStore, ScoringStore


async def read_config(store: MongoScoringStore, programme_id: str) -> Doc:
    return (await get_config(store, programme_id)).model_dump()


async def known_nominations(store: MongoScoringStore, programme_id: str, status: str | None,
                            category_id: str | None) -> list[Doc]:
    q: dict = {"programme_id": programme_id}
    if status:
        q["status"] = status
    if category_id:
        q["category_id"] = category_id
    docs = await store.db.nominations.find(q).sort("_id", 1).to_list()
    return [{"nomination_id": x["_id"], **clean(x)} for x in docs]


async def sync_state(store: MongoScoringStore, programme_id: str) -> Doc:
    db = store.db
    prog = await db.programmes.find_one({"_id": programme_id}, {"version": 1})
    by_status: dict[str, int] = {}
    for n in await db.nominations.find({"programme_id": programme_id}, {"status": 1}).to_list():
        by_status[n.get("status", "unknown")] = by_status.get(n.get("status", "unknown"), 0) + 1
    return {"programme_version": prog["version"] if prog else None,
            "units": await db.units.count_documents({"programme_id": programme_id}),
            "members": await db.members.count_documents({"programme_id": programme_id}),
            "nominations": by_status, "tallies": await db.tallies.count_documents({"programme_id": programme_id})}


async def list_judges(store: MongoScoringStore, programme_id: str) -> list[Doc]:
    judges = await store.db.judges.find({"programme_id": programme_id}).sort("_id", 1).to_list()
    loads: dict[str, int] = {}
    for a in await store.db.assignments.find({"programme_id": programme_id, "recused": False}).to_list():
        loads[a["judge_id"]] = loads.get(a["judge_id"], 0) + 1
    return [clean(j) | {"load": loads.get(j["judge_id"], 0)} for j in judges]


async def panel_view(store: ScoringStore, programme_id: str, panel_id: str) -> Doc:
    """A panel with its assignments and loads, its progress (scored / to score), its recusals each with the
    replacement suggested while the nominee has fewer than K judges, and the conflicts the tree keeps off."""
    panel = await get_panel(store, programme_id, panel_id)
    assignments = await store.assignments_of_panel(programme_id, panel_id)
    loads = {j: 0 for j in panel["judge_ids"]}
    by_nom: dict[str, list[dict]] = {}
    for a in assignments:
        if not a["recused"]:
            loads[a["judge_id"]] = loads.get(a["judge_id"], 0) + 1
        by_nom.setdefault(a["nomination_id"], []).append(
            {"judge_id": a["judge_id"], "recused": a["recused"], "rule": a.get("rule"), "reason": a.get("reason"),
             "declared": bool(a.get("declared")), "replacement_judge_id": a.get("replacement_judge_id")})
    return {"panel_id": panel_id, **clean(panel), "loads": loads, "assignments": by_nom,
            "progress": await panel_progress(store, panel, assignments),
            "recusals": await panel_recusals(store, panel, assignments),
            "conflicts": await panel_conflicts(store, panel, assignments)}


async def panel_progress(store: ScoringStore, panel: Doc, assignments: list[Doc]) -> Doc:
    """An active assignment is scored once the judge has entered every criterion of the category."""
    prog = await get_programme(store, panel["programme_id"])
    cat = next((c for c in prog.get("categories", []) if c["category_id"] == panel["category_id"]), {})
    criteria = [c["criterion_id"] for c in cat.get("criteria", [])]
    active = [a for a in assignments if not a["recused"]]
    scored = 0
    for a in active:
        ids = [f"{a['nomination_id']}:{a['judge_id']}:{c}" for c in criteria]
        scored += bool(criteria) and await store.count_scores(ids) == len(criteria)
    return {"assignments": len(active), "scored": scored, "to_score": len(active) - scored}


async def panel_recusals(store: ScoringStore, panel: Doc, assignments: list[Doc]) -> list[Doc]:
    active: dict[str, int] = {}
    for a in assignments:
        active[a["nomination_id"]] = active.get(a["nomination_id"], 0) + (not a["recused"])
    out = []
    for a in (a for a in assignments if a["recused"]):
        nom = await store.nomination(a["nomination_id"], panel["programme_id"])
        short = active.get(a["nomination_id"], 0) < panel["min_judges"]
        out.append({"nomination_id": a["nomination_id"], "nominee_name": (nom or {}).get("nominee_name", ""),
                    "judge_id": a["judge_id"], "rule": a.get("rule"), "reason": a.get("reason"),
                    "declared": bool(a.get("declared")),
                    "replacement_judge_id": await _replacement(store, panel, nom, a, assignments) if nom and short
                    else None})
    return out


async def _replacement(store: ScoringStore, panel: Doc, nom: Doc, recused: Doc, assignments: list[Doc]) -> str | None:
    """The replacement suggested when the judge recused (kept on the assignment) while that judge is still free for
    this nominee, else a new suggestion."""
    kept = recused.get("replacement_judge_id")
    taken = {a["judge_id"] for a in assignments if a["nomination_id"] == recused["nomination_id"]}
    return kept if kept and kept not in taken else await replacement_for(store, panel, nom)


async def panel_conflicts(store: ScoringStore, panel: Doc, assignments: list[Doc]) -> list[Doc]:
    """Who the tree keeps off whom (auto-assignment leaves them out): each with its rule and reason."""
    programme_id = panel["programme_id"]
    recorded = {(a["nomination_id"], a["judge_id"]) for a in assignments}
    parents = await store.parents(programme_id)
    judges = await store.judges(programme_id, panel["judge_ids"])
    out = []
    for nom in await store.approved_nominations(programme_id, panel["category_id"]):
        facts = await nominee_facts(store, nom)
        for j in judges:
            rule = None if (nom["_id"], j["judge_id"]) in recorded else d.conflict_rule(judge_facts(j), facts,
                                                                                           parents)
            if rule:
                out.append({"nomination_id": nom["_id"], "nominee_name": nom.get("nominee_name", ""),
                            "judge_id": j["judge_id"], "rule": rule, "reason": d.RECUSAL_RULES[rule]})
    return out


async def list_panels(store: MongoScoringStore, programme_id: str) -> list[Doc]:
    return [{"panel_id": p["panel_id"], **clean(p)}
            for p in await store.db.panels.find({"programme_id": programme_id}).sort("_id", 1).to_list()]


async def my_assignments(store: MongoScoringStore, programme_id: str, judge_id: str) -> list[Doc]:
    await get_judge(store, programme_id, judge_id)
    prog = await get_programme(store, programme_id)
    db = store.db
    out = []
    for a in await db.assignments.find({"programme_id": programme_id, "judge_id": judge_id}).sort("_id", 1).to_list():
        nom = await db.nominations.find_one({"_id": a["nomination_id"]}) or {}
        panel = await store.panel(programme_id, a["panel_id"]) or {}
        cat = next((c for c in prog["categories"] if c["category_id"] == a["category_id"]), {})
        mine = {sc["criterion_id"]: {"score": sc["score"], "revision": sc["revision"]}
                for sc in await db.scores.find({"nomination_id": a["nomination_id"], "judge_id": judge_id}).to_list()}
        out.append({"nomination_id": a["nomination_id"], "nominee_name": nom.get("nominee_name", ""),
                    "unit_name": nom.get("unit_name", ""), "category_id": a["category_id"],
                    "category_name": cat.get("name", ""), "recused": a["recused"], "reason": a.get("reason"),
                    "locked": panel.get("locked", False), "criteria": cat.get("criteria", []), "scores": mine})
    return out


async def nominee_scores(store: MongoScoringStore, programme_id: str, nomination_id: str) -> Doc:
    nom = await get_nomination(store, programme_id, nomination_id, approved=False)
    assignments = await store.db.assignments.find({"nomination_id": nomination_id}).sort("_id", 1).to_list()
    scores = await store.db.scores.find({"nomination_id": nomination_id}).sort("_id", 1).to_list()
    return {"nomination_id": nomination_id, "nominee_name": nom.get("nominee_name", ""),
            "assignments": [{"judge_id": a["judge_id"], "recused": a["recused"], "rule": a.get("rule"),
                             "reason": a.get("reason")} for a in assignments],
            "scores": [{"judge_id": x["judge_id"], "criterion_id": x["criterion_id"], "score": x["score"],
                        "revision": x["revision"], "history": x.get("history", [])} for x in scores]}


async def read_spot_checks(store: MongoScoringStore, programme_id: str, category_id: str) -> Doc:
    doc = await store.db.spot_checks.find_one({"_id": f"{programme_id}:{category_id}"})
    if doc is None:
        raise NotFound("no spot checks have been drawn for this category", field="category_id")
    return clean(doc)


async def category_indicators(store: MongoScoringStore, programme_id: str, category_id: str) -> list[Doc]:
    """Each approved nomination of the category with its indicator points (None for a part not entered yet)."""
    entered = {x["_id"]: x for x in await store.category_indicators(programme_id, category_id)}
    return [{"nomination_id": n["_id"], "nominee_name": n.get("nominee_name", ""), "unit_name": n.get("unit_name", ""),
             **{k: (entered.get(n["_id"]) or {}).get(k) for k in ("basic", "business", "key_tasks")}}
            for n in await store.approved_nominations(programme_id, category_id)]


async def read_standings(store: MongoScoringStore, programme_id: str, category_id: str) -> Doc:
    doc = await store.db.standings.find_one({"_id": f"{programme_id}:{category_id}"})
    if doc is None:
        raise NotFound(f"no standings have been computed for category {category_id} yet", field="category_id")
    return clean(doc)


async def list_arenas(store: MongoScoringStore, programme_id: str) -> list[Doc]:
    return [{"arena_id": a["_id"], "name": a["name"], "status": a["status"], "frozen": bool(a.get("frozen_from"))}
            for a in await store.db.arenas.find({"programme_id": programme_id}).sort("created_at", 1).to_list()]


SPOT_DRAW_KIND = "spot_check_draw"
SPOT_DRAW_VERSION = 1


def _iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat()


def spot_draw_record(programme_id: str, category_id: str, doc: Doc) -> Doc:
    """The public record of a 随机点验 draw (docs/verify.md): its inputs and the algorithm as committed, then the
    seed and the picks once drawn; never the inspections' results, which stay with the organiser."""
    c = doc["commitment"]
    return {
        "kind": SPOT_DRAW_KIND, "version": SPOT_DRAW_VERSION, "programme_id": programme_id,
        "category_id": category_id, "state": "committed" if doc.get("seed") is None else "drawn",
        "algorithm": {"name": c["algorithm"], "version": c["algorithm_version"],
                      "specification": "docs/verify.md, 随机点验 spot-check draws"},
        "inputs": {"sample_size": c["sample_size"], "seed_source": c["seed_source"], "candidates": c["candidates"],
                   "candidates_sha256": c["candidates_sha256"], "committed_at": _iso(c["committed_at"])},
        "inputs_sha256": c["inputs_sha256"], "seed": doc.get("seed"), "drawn_at": _iso(doc.get("drawn_at")),
        "picks": doc.get("picks", []),
    }


async def public_spot_draw(store: ScoringStore, programme_id: str, category_id: str) -> Doc:
    doc = await store.spot_checks(f"{programme_id}:{category_id}")
    if doc is None or "commitment" not in doc:
        raise NotFound("no spot-check draw has been committed for this category", field="category_id")
    return spot_draw_record(programme_id, category_id, doc)
