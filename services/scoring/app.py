"""Wiring of the scoring service (评审打分): judges and panels, recusal, scores, indicators, standings, arenas."""
from __future__ import annotations

import asyncio
import time
from uuid import uuid4
from datetime import UTC, datetime

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.auth import Principal, require
from shared.contracts import Envelope
from shared.contracts.nominations import (
    MembersImported,
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationSubmitted,
    NominationWithdrawn,
    ProgrammeDefined,
    UnitsImported,
)
from shared.contracts.scoring import (
    ArenaBoardUpdated,
    ComponentExplanation,
    JudgeRecused,
    ScoreEntered,
    ScoreRevised,
    Standing,
    StandingsUpdated,
)
from shared.contracts.voting import TallyUpdated
from shared.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from shared.mongo import after_commit, upsert_all
from shared.service import Service
from shared.settings import Settings

from . import domain as d
from .models import (
    ArenaIn,
    ArenaScoreIn,
    AssignIn,
    AutoAssignIn,
    FreezeIn,
    IndicatorsIn,
    JudgeIn,
    PanelIn,
    PanelJudgesIn,
    RecusalIn,
    ScoresIn,
    ScoringConfigIn,
    SpotDrawIn,
    SpotResultIn,
)
from .page import judge_page

DEBOUNCE_QUIET = 0.2  # seconds without a new change before a category is recomputed
DEBOUNCE_MAX_WAIT = 1.0  # a steady stream of changes still refreshes the standings this often
# ... or, for a large category, once per (nominees / this) seconds: each refresh rewrites every standing downstream
# (10,000 approvals streaming in rewrote 2,000-nominee boards every second and starved the read model).
DEBOUNCE_NOMINEES_PER_SECOND = 200
POLL = 0.25
STANDINGS_PER_EVENT = 500  # standings per StandingsUpdated event (each about 450 bytes with its explanation)
STATUS = {NominationApproved: "approved", NominationRejected: "rejected", NominationWithdrawn: "withdrawn",
          NominationReturned: "returned"}


def now() -> datetime:
    return datetime.now(UTC)


def clean(doc: dict | None) -> dict | None:
    if doc is None:
        return None
    out = {k: v for k, v in doc.items() if k != "_id"}
    return out


def create_service(settings: Settings | None = None) -> Service:
    svc = Service("scoring", settings, title="Scoring service (评审打分与综合排名)",
                  description="Judges, panels, automatic recusal, scores, indicator points with 随机点验, "
                              "composite standings with explanations, and live arena contests (擂台赛).")
    api = svc.api
    wake = asyncio.Event()
    stats = {"recomputations": 0}
    svc.stats = stats  # read by tests and /stats

    # ---- indexes --------------------------------------------------------------------------------------------------
    @svc.on_startup
    async def indexes() -> None:
        db = svc.db
        await db.panels.create_index([("programme_id", 1), ("category_id", 1)], unique=True)
        await db.assignments.create_index([("programme_id", 1), ("category_id", 1)])
        await db.assignments.create_index([("judge_id", 1)])
        await db.scores.create_index([("programme_id", 1), ("category_id", 1)])
        await db.nominations.create_index([("programme_id", 1), ("category_id", 1), ("status", 1)])
        await db.indicators.create_index([("programme_id", 1), ("category_id", 1)])
        await db.arena_scores.create_index([("arena_id", 1)])

    # ---- helpers ---------------------------------------------------------------------------------------------------
    async def mark_dirty(s, programme_id: str, category_id: str) -> None:
        # One mark per change, never an update of a shared document: concurrent transactions (many judges scoring
        # one category) would otherwise conflict on it and retry each other to a standstill.
        await svc.db.dirty_marks.insert_one(
            {"_id": uuid4().hex, "programme_id": programme_id, "category_id": category_id, "at": time.time()},
            session=s)
        # Wake the recomputation once the mark is committed: woken earlier, it would find nothing and sleep a poll
        # interval; and a transaction that is aborted (a batch of events re-applied one by one) has marked nothing.
        after_commit(wake.set)

    async def get_programme(programme_id: str, s=None) -> dict:
        prog = await svc.db.programmes.find_one({"_id": programme_id}, session=s)
        if prog is None:
            raise NotFound(f"programme {programme_id} is not known to the scoring service (yet)", field="programme_id")
        return prog

    def get_category(prog: dict, category_id: str, field: str = "category_id") -> dict:
        cat = next((c for c in prog.get("categories", []) if c["category_id"] == category_id), None)
        if cat is None:
            raise NotFound(f"category {category_id} does not exist in programme {prog['_id']}", field=field)
        return cat

    async def get_config(programme_id: str, s=None) -> ScoringConfigIn:
        doc = await svc.db.config.find_one({"_id": programme_id}, session=s)
        return ScoringConfigIn.model_validate(clean(doc)) if doc else ScoringConfigIn()

    async def get_nomination(programme_id: str, nomination_id: str, s=None, *, approved: bool = True) -> dict:
        nom = await svc.db.nominations.find_one({"_id": nomination_id, "programme_id": programme_id}, session=s)
        if nom is None:
            raise NotFound(f"nomination {nomination_id} is not known in programme {programme_id}",
                           field="nomination_id")
        if approved and nom.get("status") != "approved":
            raise Conflict(f"nomination {nomination_id} is {nom.get('status', 'unknown')}, not approved; "
                           "only approved nominations are judged", field="nomination_id")
        return nom

    async def get_judge(programme_id: str, judge_id: str, s=None, field: str = "judge_id") -> dict:
        j = await svc.db.judges.find_one({"_id": judge_id, "programme_id": programme_id}, session=s)
        if j is None:
            raise NotFound(f"judge {judge_id} is not registered in programme {programme_id}", field=field)
        return j

    async def get_panel(programme_id: str, panel_id: str, s=None) -> dict:
        p = await svc.db.panels.find_one({"_id": panel_id, "programme_id": programme_id}, session=s)
        if p is None:
            raise NotFound(f"panel {panel_id} does not exist in programme {programme_id}", field="panel_id")
        return p

    async def parents_map(s=None) -> dict[str, str | None]:
        return {u["_id"]: u.get("parent_id") for u in await svc.db.units.find({}, {"parent_id": 1}, session=s).to_list()}

    def judge_facts(j: dict) -> d.JudgeFacts:
        return d.JudgeFacts(j["_id"], j["unit_id"], j.get("member_id"), j.get("branch_id"))

    async def nominee_facts(nom: dict, s=None) -> d.NomineeFacts:
        kind = nom.get("nominee_kind", "organ")
        unit = nom.get("unit_id") or ""
        if kind == "member":
            m = await svc.db.members.find_one({"_id": nom["nominee_id"]}, session=s)
            if m:
                unit = m["unit_id"]
        elif await svc.db.units.find_one({"_id": nom["nominee_id"]}, {"_id": 1}, session=s):
            unit = nom["nominee_id"]
        return d.NomineeFacts(nom["_id"], kind, nom["nominee_id"], unit, nom.get("unit_id"))

    def scorer(who: Principal) -> str:
        if not who.judge_id:
            raise Forbidden("this judge token carries no judge_id claim", field="judge_id")
        return who.judge_id

    async def loads_of(programme_id: str, category_id: str, s=None) -> dict[str, int]:
        loads: dict[str, int] = {}
        for a in await svc.db.assignments.find({"programme_id": programme_id, "category_id": category_id,
                                                 "recused": False}, {"judge_id": 1}, session=s).to_list():
            loads[a["judge_id"]] = loads.get(a["judge_id"], 0) + 1
        return loads

    async def replacement_for(panel: dict, nomination: dict, s) -> str | None:
        assigned = {a["judge_id"] for a in await svc.db.assignments.find(
            {"nomination_id": nomination["_id"]}, {"judge_id": 1}, session=s).to_list()}
        parents = await parents_map(s)
        facts = await nominee_facts(nomination, s)
        excluded = set()
        for j in await svc.db.judges.find({"_id": {"$in": panel["judge_ids"]}}, session=s).to_list():
            if d.conflict_rule(judge_facts(j), facts, parents):
                excluded.add(j["_id"])
        loads = await loads_of(panel["programme_id"], panel["category_id"], s)
        return d.suggest_replacement(panel["judge_ids"], assigned, excluded, loads)

    # ---- recomputing standings, debounced per category ------------------------------------------------------------
    async def compute_standings(programme_id: str, category_id: str, s) -> tuple[dict, list[Standing]] | None:
        prog = await svc.db.programmes.find_one({"_id": programme_id}, session=s)
        if prog is None:
            return None
        cat = next((c for c in prog["categories"] if c["category_id"] == category_id), None)
        if cat is None:
            return None
        cfg = await get_config(programme_id, s)
        noms = await svc.db.nominations.find({"programme_id": programme_id, "category_id": category_id,
                                              "status": "approved"}, session=s).to_list()
        ids = [n["_id"] for n in noms]
        criteria = {c["criterion_id"]: c for c in cat["criteria"]}
        max_total = sum(c["max_points"] for c in criteria.values())
        active = {(a["nomination_id"], a["judge_id"]) for a in await svc.db.assignments.find(
            {"programme_id": programme_id, "category_id": category_id, "recused": False}, session=s).to_list()}
        per_sheet: dict[tuple[str, str], dict[str, float]] = {}
        for sc in await svc.db.scores.find({"programme_id": programme_id, "category_id": category_id},
                                           session=s).to_list():
            key = (sc["nomination_id"], sc["judge_id"])
            if key in active and sc["criterion_id"] in criteria:
                per_sheet.setdefault(key, {})[sc["criterion_id"]] = sc["score"]
        sheets: dict[str, dict[str, float]] = {}
        for (nom, judge), by_crit in per_sheet.items():
            if set(by_crit) == set(criteria):  # only complete score sheets count
                sheets.setdefault(judge, {})[nom] = sum(by_crit.values())
        report = d.report_component(sheets, max_total,
                                    d.ReportRule(cfg.report_method, cfg.min_judges_to_trim, cfg.zscore), ids)
        indicators = {i["_id"]: i for i in await svc.db.indicators.find(
            {"programme_id": programme_id, "category_id": category_id}, session=s).to_list()}
        spot_doc = await svc.db.spot_checks.find_one({"_id": f"{programme_id}:{category_id}"}, session=s) or {}
        spot: dict[str, dict[str, d.SpotResult]] = {}
        for r in spot_doc.get("results", {}).values():
            spot.setdefault(r["nomination_id"], {})[r["task_id"]] = d.SpotResult(r["passed"], r.get("verified_points"))
        # A round's tally is one document (see the TallyUpdated handler); a nomination in several rounds takes
        # the vote of the round counted last.
        wanted, votes = set(ids), {}
        for t in await svc.db.tallies.find({"programme_id": programme_id}, {"candidates": 1, "updated_at": 1},
                                           session=s).sort([("updated_at", ASCENDING), ("_id", ASCENDING)]).to_list():
            votes.update({c["nomination_id"]: c for c in t.get("candidates") or [] if c["nomination_id"] in wanted})
        rows = []
        for n in noms:
            ind = indicators.get(n["_id"], {})
            basic, business = ind.get("basic") or {}, ind.get("business") or {}
            tasks = [d.KeyTask(t["task_id"], t["name"], t["points"], t["max_points"]) for t in ind.get("key_tasks") or []]
            vote = votes.get(n["_id"])
            values = {
                "basic": d.points_component(basic.get("points"), basic.get("max_points")),
                "business": d.points_component(business.get("points"), business.get("max_points")),
                "key_tasks": d.key_tasks_component(tasks, spot.get(n["_id"], {})),
                "report": report[n["_id"]],
                "peer_vote": d.vote_component(vote.get(cfg.vote_share) if vote else None, cfg.vote_share),
            }
            total, explanations = d.composite(values, cat["weights"])
            rows.append(d.Row(n["_id"], n.get("nominee_name", ""), total, explanations))
        ranked = d.rank_rows(rows, cfg.tie_breaks)
        standings = [Standing(nomination_id=r.nomination_id, rank=r.rank, composite=r.composite,
                              nominee_name=r.name, tie_break=r.tie_break,
                              components=[ComponentExplanation(component=e.component, raw=e.raw, normalised=e.normalised,
                                                               weight=e.weight, contribution=e.contribution,
                                                               detail=e.detail) for e in r.components])
                     for r in ranked]
        return prog, standings

    category_sizes: dict[tuple[str, str], int] = {}  # standings per category at its last recomputation

    async def recompute(dirty: dict) -> None:
        programme_id, category_id = dirty["programme_id"], dirty["category_id"]

        async def txn(s):
            result = await compute_standings(programme_id, category_id, s)
            if result is not None:
                prog, standings = result
                category_sizes[(programme_id, category_id)] = len(standings)
                doc = await svc.db.standings.find_one_and_update(
                    {"_id": f"{programme_id}:{category_id}"},
                    {"$inc": {"sequence": 1},
                     "$set": {"programme_id": programme_id, "category_id": category_id,
                              "programme_version": prog["version"], "computed_at": now(),
                              "standings": [st.model_dump() for st in standings]}},
                    upsert=True, return_document=ReturnDocument.AFTER, session=s)
                # In parts: the standings of 2,000 nominees with their explanations passed Kafka's 1 MB limit, and
                # the relay retried that one event forever, holding back every later one.
                chunks = [standings[i:i + STANDINGS_PER_EVENT]
                          for i in range(0, len(standings), STANDINGS_PER_EVENT)] or [[]]
                key = f"{programme_id}:{category_id}"
                await svc.emit_many(s, [(StandingsUpdated(category_id=category_id, programme_version=prog["version"],
                                                          sequence=doc["sequence"], standings=chunk, part=i + 1,
                                                          parts=len(chunks)), programme_id, key)
                                        for i, chunk in enumerate(chunks)])
            # Only the marks this pass saw: a change that arrived meanwhile stays marked for the next pass.
            await svc.db.dirty_marks.delete_many({"_id": {"$in": dirty["mark_ids"]}}, session=s)

        await svc.transact(txn)
        stats["recomputations"] += 1

    @svc.background
    async def recompute_loop(stop: asyncio.Event) -> None:
        observed: dict[tuple[str, str], dict] = {}
        while not stop.is_set():
            wait = POLL
            try:
                t = time.time()
                pending: dict[tuple[str, str], dict] = {}
                for m in await svc.db.dirty_marks.find({}).to_list():
                    g = pending.setdefault((m["programme_id"], m["category_id"]), {
                        "_id": f"{m['programme_id']}:{m['category_id']}", "programme_id": m["programme_id"],
                        "category_id": m["category_id"], "first_at": m["at"], "last_at": m["at"], "mark_ids": []})
                    g["first_at"], g["last_at"] = min(g["first_at"], m["at"]), max(g["last_at"], m["at"])
                    g["mark_ids"].append(m["_id"])
                # Debounce on when this loop first saw a category's changes and when it saw them grow, not on the
                # writers' clocks: a slow transaction commits a mark that is already "old" when it becomes visible.
                for key in set(observed) - set(pending):
                    del observed[key]
                for key, doc in pending.items():
                    seen = observed.get(key)
                    if seen is None:
                        observed[key] = seen = {"first": t, "last": t, "count": len(doc["mark_ids"])}
                    elif seen["count"] != len(doc["mark_ids"]):
                        seen.update(last=t, count=len(doc["mark_ids"]))
                    doc["first_at"], doc["last_at"] = seen["first"], seen["last"]
                for key, doc in pending.items():
                    due_in = d.recompute_due(t, doc["first_at"], doc["last_at"], DEBOUNCE_QUIET,
                                             d.max_wait_for(category_sizes.get(key, 0), DEBOUNCE_MAX_WAIT,
                                                            DEBOUNCE_NOMINEES_PER_SECOND))
                    if due_in > 0:
                        wait = min(wait, due_in)
                        continue
                    # claim the category, so another replica does not compute it at the same moment
                    try:
                        claimed = await svc.db.dirty_claims.find_one_and_update(
                            {"_id": doc["_id"], "claimed_until": {"$lt": t}}, {"$set": {"claimed_until": t + 10}},
                            upsert=True, return_document=ReturnDocument.AFTER)
                    except DuplicateKeyError:
                        claimed = None
                    if claimed:
                        try:
                            await recompute(doc)
                            observed.pop(key, None)
                        finally:
                            await svc.db.dirty_claims.update_one({"_id": doc["_id"]}, {"$set": {"claimed_until": 0}})
            except Exception as exc:  # keep the loop alive; the dirty mark stays and is retried
                svc.log.warning("standings recomputation failed; will retry", error=repr(exc))
                wait = 1.0
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timeout=max(0.01, wait))
                await asyncio.sleep(0)
            except asyncio.TimeoutError:
                pass

    # ---- events from the other services ----------------------------------------------------------------------------
    @svc.on(ProgrammeDefined)
    async def programme_defined(env: Envelope, e: ProgrammeDefined, s) -> None:
        current = await svc.db.programmes.find_one({"_id": e.programme_id}, {"version": 1}, session=s)
        if current and current.get("version", 0) > e.version:
            return
        await svc.db.programmes.update_one({"_id": e.programme_id}, {"$set": e.model_dump(mode="json")},
                                           upsert=True, session=s)
        for c in e.categories:
            await mark_dirty(s, e.programme_id, c.category_id)

    async def recheck_conflicts(s) -> None:
        """The tree or the roll changed: a standing assignment that now conflicts is recused (and announced)."""
        parents = await parents_map(s)
        judges = {j["_id"]: j for j in await svc.db.judges.find({}, session=s).to_list()}
        facts: dict[str, d.NomineeFacts | None] = {}
        for a in await svc.db.assignments.find({"recused": False}, session=s).to_list():
            judge = judges.get(a["judge_id"])
            if a["nomination_id"] not in facts:
                nom = await svc.db.nominations.find_one({"_id": a["nomination_id"]}, session=s)
                facts[a["nomination_id"]] = await nominee_facts(nom, s) if nom else None
            nominee = facts[a["nomination_id"]]
            if judge is None or nominee is None:
                continue
            rule = d.conflict_rule(judge_facts(judge), nominee, parents)
            if not rule:
                continue
            await svc.db.assignments.update_one({"_id": a["_id"]}, {"$set": {
                "recused": True, "rule": rule, "reason": d.RECUSAL_RULES[rule], "declared": False,
                "recused_at": now()}}, session=s)
            panel = await svc.db.panels.find_one({"_id": a["panel_id"]}, session=s)
            nom = await svc.db.nominations.find_one({"_id": a["nomination_id"]}, session=s)
            replacement = await replacement_for(panel, nom, s) if panel else None
            await svc.emit(s, JudgeRecused(nomination_id=a["nomination_id"], judge_id=a["judge_id"],
                                           reason=d.RECUSAL_RULES[rule], declared=False, category_id=a["category_id"],
                                           rule=rule, replacement_judge_id=replacement),
                           programme_id=a["programme_id"], key=a["nomination_id"])
            await mark_dirty(s, a["programme_id"], a["category_id"])

    @svc.on(UnitsImported)
    async def units_imported(env: Envelope, e: UnitsImported, s) -> None:
        if e.units:
            await upsert_all(svc.db.units, [u.model_dump(mode="json") | {"_id": u.unit_id} for u in e.units], s)
            await recheck_conflicts(s)

    @svc.on(MembersImported)
    async def members_imported(env: Envelope, e: MembersImported, s) -> None:
        if e.members:
            await upsert_all(svc.db.members, [m.model_dump(mode="json") | {"_id": m.member_id} for m in e.members],
                             s)
            unit_of = {m.member_id: m.unit_id for m in e.members}
            # a judge on the roll belongs to that member's branch: one read for the judges among these members
            for j in await svc.db.judges.find({"member_id": {"$in": list(unit_of)}}, {"member_id": 1},
                                              session=s).to_list():
                await svc.db.judges.update_one({"_id": j["_id"]}, {"$set": {"branch_id": unit_of[j["member_id"]]}},
                                               session=s)
            await recheck_conflicts(s)

    @svc.on(NominationSubmitted)
    async def submitted(env: Envelope, e: NominationSubmitted, s) -> None:
        current = await svc.db.nominations.find_one({"_id": e.nomination_id}, {"status": 1}, session=s)
        fields = {"programme_id": env.programme_id, **e.model_dump(mode="json")}
        fields.pop("resubmission", None)
        if current is None or e.resubmission or current.get("status") in (None, "submitted", "returned"):
            fields["status"] = "submitted"
        await svc.db.nominations.update_one({"_id": e.nomination_id}, {"$set": fields}, upsert=True, session=s)
        if current and current.get("status") == "approved" and fields.get("status") == "submitted":
            await mark_dirty(s, env.programme_id, e.category_id)

    @svc.on(*STATUS)
    async def reviewed(env: Envelope, e, s) -> None:
        await svc.db.nominations.update_one(
            {"_id": e.nomination_id},
            {"$set": {"status": STATUS[type(e)], "programme_id": env.programme_id, "category_id": e.category_id}},
            upsert=True, session=s)
        await mark_dirty(s, env.programme_id, e.category_id)

    # A tally is a whole snapshot with a sequence: in a batch only the newest of each round needs applying.
    @svc.on(TallyUpdated, supersede=lambda env, e: (e.round_id, e.sequence))
    async def tally(env: Envelope, e: TallyUpdated, s) -> None:
        if e.counts_hidden:
            return  # hidden counts never reach standings until the round reveals them
        seen = await svc.db.tallies.find_one({"_id": e.round_id}, {"sequence": 1}, session=s)
        if seen and seen["sequence"] >= e.sequence:
            return
        # The round's whole tally in one document: one write per event instead of one per candidate.
        ids = [c.nomination_id for c in e.candidates]
        await svc.db.tallies.update_one({"_id": e.round_id}, {"$set": {
            "sequence": e.sequence, "programme_id": env.programme_id, "updated_at": env.occurred_at,
            "candidates": [{"nomination_id": c.nomination_id, "approvals": c.approvals,
                            "share_of_cast": c.share_of_cast, "share_of_eligible": c.share_of_eligible}
                           for c in e.candidates]}}, upsert=True, session=s)
        categories = set(e.category_ids)
        for n in await svc.db.nominations.find({"_id": {"$in": ids}}, {"category_id": 1}, session=s).to_list():
            categories.add(n["category_id"])
        for c in categories:
            await mark_dirty(s, env.programme_id, c)

    # ---- configuration ---------------------------------------------------------------------------------------------
    @api.get("/programmes/{programme_id}/config", tags=["config"], summary="How components are computed and ranked")
    async def read_config(programme_id: str, _: Principal = Depends(require("organiser"))):
        return (await get_config(programme_id)).model_dump()

    @api.put("/programmes/{programme_id}/config", tags=["config"], summary="Set aggregation rules and tie-breaks")
    async def write_config(programme_id: str, body: ScoringConfigIn, _: Principal = Depends(require("organiser"))):
        prog = await get_programme(programme_id)

        async def txn(s):
            await svc.db.config.update_one({"_id": programme_id}, {"$set": body.model_dump()}, upsert=True, session=s)
            for c in prog["categories"]:
                await mark_dirty(s, programme_id, c["category_id"])

        await svc.transact(txn)
        return body.model_dump()

    @api.get("/programmes/{programme_id}/nominations", tags=["nominations"],
             summary="Nominations the scoring service knows (learned from events)")
    async def known_nominations(programme_id: str, status: str | None = None, category_id: str | None = None,
                                _: Principal = Depends(require("organiser"))):
        q: dict = {"programme_id": programme_id}
        if status:
            q["status"] = status
        if category_id:
            q["category_id"] = category_id
        docs = await svc.db.nominations.find(q).sort("_id", 1).to_list()
        return [{"nomination_id": x["_id"], **clean(x)} for x in docs]

    @api.get("/programmes/{programme_id}/sync", tags=["nominations"],
             summary="What the scoring service has learned so far from the other services' events")
    async def sync_state(programme_id: str, _: Principal = Depends(require("organiser"))):
        prog = await svc.db.programmes.find_one({"_id": programme_id}, {"version": 1})
        by_status: dict[str, int] = {}
        for n in await svc.db.nominations.find({"programme_id": programme_id}, {"status": 1}).to_list():
            by_status[n.get("status", "unknown")] = by_status.get(n.get("status", "unknown"), 0) + 1
        return {"programme_version": prog["version"] if prog else None,
                "units": await svc.db.units.count_documents({}), "members": await svc.db.members.count_documents({}),
                "nominations": by_status, "tallies": await svc.db.tallies.count_documents({})}

    # ---- judges and panels -----------------------------------------------------------------------------------------
    @api.post("/programmes/{programme_id}/judges", status_code=201, tags=["judges"], summary="Register a judge")
    async def register_judge(programme_id: str, body: JudgeIn, _: Principal = Depends(require("organiser"))):
        await get_programme(programme_id)
        if not await svc.db.units.find_one({"_id": body.unit_id}):
            raise Invalid(f"unit {body.unit_id} is not in the organisation tree", field="unit_id")
        branch_id = None
        if body.member_id:
            member = await svc.db.members.find_one({"_id": body.member_id})
            if member is None:
                raise Invalid(f"member {body.member_id} is not on the roll", field="member_id")
            branch_id = member["unit_id"]
        doc = {"_id": body.judge_id, "programme_id": programme_id, **body.model_dump(), "branch_id": branch_id,
               "registered_at": now()}
        try:
            await svc.db.judges.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict(f"judge {body.judge_id} is already registered", field="judge_id") from None
        return clean(doc)

    @api.get("/programmes/{programme_id}/judges", tags=["judges"], summary="Judges with their current load")
    async def list_judges(programme_id: str, _: Principal = Depends(require("organiser"))):
        judges = await svc.db.judges.find({"programme_id": programme_id}).sort("_id", 1).to_list()
        loads: dict[str, int] = {}
        for a in await svc.db.assignments.find({"programme_id": programme_id, "recused": False}).to_list():
            loads[a["judge_id"]] = loads.get(a["judge_id"], 0) + 1
        return [clean(j) | {"load": loads.get(j["_id"], 0)} for j in judges]

    async def check_panel_judges(programme_id: str, judge_ids: list[str]) -> None:
        if len(set(judge_ids)) != len(judge_ids):
            raise Invalid("judge_ids must not repeat a judge", field="judge_ids")
        known = {j["_id"] for j in await svc.db.judges.find({"_id": {"$in": judge_ids},
                                                               "programme_id": programme_id}).to_list()}
        missing = [j for j in judge_ids if j not in known]
        if missing:
            raise Invalid(f"judges not registered in this programme: {', '.join(missing)}", field="judge_ids")

    @api.post("/programmes/{programme_id}/panels", status_code=201, tags=["panels"],
              summary="Form the judging panel of a category")
    async def form_panel(programme_id: str, body: PanelIn, _: Principal = Depends(require("organiser"))):
        prog = await get_programme(programme_id)
        get_category(prog, body.category_id)
        await check_panel_judges(programme_id, body.judge_ids)
        cfg = await get_config(programme_id)
        doc = {"_id": body.panel_id, "programme_id": programme_id, "category_id": body.category_id, "name": body.name,
               "judge_ids": body.judge_ids, "min_judges": body.min_judges or cfg.min_judges_per_nominee,
               "locked": False, "formed_at": now()}
        try:
            await svc.db.panels.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict(f"category {body.category_id} already has a panel (or panel id {body.panel_id} is taken)",
                           field="category_id") from None
        return {"panel_id": doc["_id"], **clean(doc)}

    @api.post("/programmes/{programme_id}/panels/{panel_id}/judges", tags=["panels"], summary="Add judges to a panel")
    async def add_panel_judges(programme_id: str, panel_id: str, body: PanelJudgesIn,
                               _: Principal = Depends(require("organiser"))):
        panel = await get_panel(programme_id, panel_id)
        if panel["locked"]:
            raise Closed(f"panel {panel_id} is locked", field="panel_id")
        await check_panel_judges(programme_id, body.judge_ids)
        await svc.db.panels.update_one({"_id": panel_id}, {"$addToSet": {"judge_ids": {"$each": body.judge_ids}}})
        return await panel_view(programme_id, panel_id)

    async def panel_view(programme_id: str, panel_id: str) -> dict:
        panel = await get_panel(programme_id, panel_id)
        assignments = await svc.db.assignments.find({"panel_id": panel_id}).sort("_id", 1).to_list()
        loads = {j: 0 for j in panel["judge_ids"]}
        by_nom: dict[str, list[dict]] = {}
        for a in assignments:
            if not a["recused"]:
                loads[a["judge_id"]] = loads.get(a["judge_id"], 0) + 1
            by_nom.setdefault(a["nomination_id"], []).append(
                {"judge_id": a["judge_id"], "recused": a["recused"], "rule": a.get("rule"), "reason": a.get("reason")})
        return {"panel_id": panel_id, **clean(panel), "loads": loads, "assignments": by_nom}

    @api.get("/programmes/{programme_id}/panels/{panel_id}", tags=["panels"], summary="A panel, its assignments, loads")
    async def read_panel(programme_id: str, panel_id: str, _: Principal = Depends(require("organiser"))):
        return await panel_view(programme_id, panel_id)

    @api.get("/programmes/{programme_id}/panels", tags=["panels"], summary="All panels of a programme")
    async def list_panels(programme_id: str, _: Principal = Depends(require("organiser"))):
        return [{"panel_id": p["_id"], **clean(p)}
                for p in await svc.db.panels.find({"programme_id": programme_id}).sort("_id", 1).to_list()]

    @api.post("/programmes/{programme_id}/panels/{panel_id}/auto-assign", tags=["panels"],
              summary="Assign judges so that each nominee has at least K, with even loads and no conflicts")
    async def auto_assign(programme_id: str, panel_id: str, body: AutoAssignIn | None = None,
                          _: Principal = Depends(require("organiser"))):
        k_override = body.min_judges if body else None

        async def txn(s):
            panel = await get_panel(programme_id, panel_id, s)
            if panel["locked"]:
                raise Closed(f"panel {panel_id} is locked; assignments can no longer change", field="panel_id")
            k = k_override or panel["min_judges"]
            noms = await svc.db.nominations.find({"programme_id": programme_id, "category_id": panel["category_id"],
                                                  "status": "approved"}, session=s).to_list()
            judges = await svc.db.judges.find({"_id": {"$in": panel["judge_ids"]}}, session=s).to_list()
            parents = await parents_map(s)
            existing: dict[str, set[str]] = {}
            excluded: dict[str, set[str]] = {}
            for a in await svc.db.assignments.find({"panel_id": panel_id}, session=s).to_list():
                (excluded if a["recused"] else existing).setdefault(a["nomination_id"], set()).add(a["judge_id"])
            for n in noms:
                facts = await nominee_facts(n, s)
                for j in judges:
                    if d.conflict_rule(judge_facts(j), facts, parents):
                        excluded.setdefault(n["_id"], set()).add(j["_id"])
            plan = d.auto_assign([n["_id"] for n in noms], [j["_id"] for j in judges], existing, excluded, k)
            if plan.new:
                await svc.db.assignments.insert_many([
                    {"_id": f"{nom}:{judge}", "programme_id": programme_id, "category_id": panel["category_id"],
                     "panel_id": panel_id, "nomination_id": nom, "judge_id": judge, "recused": False, "by": "auto",
                     "assigned_at": now()} for nom, judge in plan.new], session=s)
            await svc.db.panels.update_one({"_id": panel_id}, {"$set": {"min_judges": k}}, session=s)
            return {"panel_id": panel_id, "min_judges": k, "nominees": len(noms), "assigned": len(plan.new),
                    "loads": plan.loads, "shortfalls": plan.shortfalls}

        return await svc.transact(txn)

    @api.post("/programmes/{programme_id}/panels/{panel_id}/assignments", status_code=201, tags=["panels"],
              summary="Assign a judge to a nominee by hand (a conflicting judge is recused at once)")
    async def assign(programme_id: str, panel_id: str, body: AssignIn, _: Principal = Depends(require("organiser"))):
        async def txn(s):
            panel = await get_panel(programme_id, panel_id, s)
            if panel["locked"]:
                raise Closed(f"panel {panel_id} is locked; assignments can no longer change", field="panel_id")
            nom = await get_nomination(programme_id, body.nomination_id, s)
            if nom["category_id"] != panel["category_id"]:
                raise Invalid(f"nomination {body.nomination_id} is in category {nom['category_id']}, "
                              f"not in this panel's category {panel['category_id']}", field="nomination_id")
            judge = await get_judge(programme_id, body.judge_id, s)
            if body.judge_id not in panel["judge_ids"]:
                raise Invalid(f"judge {body.judge_id} is not on panel {panel_id}", field="judge_id")
            rule = d.conflict_rule(judge_facts(judge), await nominee_facts(nom, s), await parents_map(s))
            doc = {"_id": f"{nom['_id']}:{judge['_id']}", "programme_id": programme_id,
                   "category_id": panel["category_id"], "panel_id": panel_id, "nomination_id": nom["_id"],
                   "judge_id": judge["_id"], "recused": bool(rule), "rule": rule,
                   "reason": d.RECUSAL_RULES.get(rule) if rule else None, "declared": False, "by": "manual",
                   "assigned_at": now()}
            try:
                await svc.db.assignments.insert_one(doc, session=s)
            except DuplicateKeyError:
                raise Conflict(f"judge {body.judge_id} is already assigned to {body.nomination_id}",
                               field="judge_id") from None
            out = {"nomination_id": nom["_id"], "judge_id": judge["_id"], "recused": bool(rule), "rule": rule,
                   "reason": doc["reason"], "replacement_judge_id": None}
            if rule:
                out["replacement_judge_id"] = await replacement_for(panel, nom, s)
                await svc.emit(s, JudgeRecused(nomination_id=nom["_id"], judge_id=judge["_id"], reason=doc["reason"],
                                               declared=False, category_id=panel["category_id"], rule=rule,
                                               replacement_judge_id=out["replacement_judge_id"]),
                               programme_id=programme_id, key=nom["_id"])
            return out

        return await svc.transact(txn)

    async def set_lock(programme_id: str, panel_id: str, locked: bool) -> dict:
        async def txn(s):
            panel = await get_panel(programme_id, panel_id, s)
            await svc.db.panels.update_one({"_id": panel_id}, {"$set": {"locked": locked, "locked_at": now()}},
                                           session=s)
            await mark_dirty(s, programme_id, panel["category_id"])
            return {"panel_id": panel_id, "locked": locked}

        return await svc.transact(txn)

    @api.post("/programmes/{programme_id}/panels/{panel_id}/lock", tags=["panels"],
              summary="Lock a panel: scores can no longer change")
    async def lock_panel(programme_id: str, panel_id: str, _: Principal = Depends(require("organiser"))):
        return await set_lock(programme_id, panel_id, True)

    @api.post("/programmes/{programme_id}/panels/{panel_id}/unlock", tags=["panels"], summary="Reopen a locked panel")
    async def unlock_panel(programme_id: str, panel_id: str, _: Principal = Depends(require("organiser"))):
        return await set_lock(programme_id, panel_id, False)

    # ---- judges at work --------------------------------------------------------------------------------------------
    @api.get("/programmes/{programme_id}/my/assignments", tags=["scores"],
             summary="The calling judge's nominees, criteria and own scores")
    async def my_assignments(programme_id: str, who: Principal = Depends(require("judge"))):
        judge_id = scorer(who)
        await get_judge(programme_id, judge_id)
        prog = await get_programme(programme_id)
        out = []
        for a in await svc.db.assignments.find({"programme_id": programme_id, "judge_id": judge_id}).sort(
                "_id", 1).to_list():
            nom = await svc.db.nominations.find_one({"_id": a["nomination_id"]}) or {}
            panel = await svc.db.panels.find_one({"_id": a["panel_id"]}) or {}
            cat = next((c for c in prog["categories"] if c["category_id"] == a["category_id"]), {})
            mine = {sc["criterion_id"]: {"score": sc["score"], "revision": sc["revision"]}
                    for sc in await svc.db.scores.find({"nomination_id": a["nomination_id"],
                                                         "judge_id": judge_id}).to_list()}
            out.append({"nomination_id": a["nomination_id"], "nominee_name": nom.get("nominee_name", ""),
                        "unit_name": nom.get("unit_name", ""), "category_id": a["category_id"],
                        "category_name": cat.get("name", ""), "recused": a["recused"], "reason": a.get("reason"),
                        "locked": panel.get("locked", False), "criteria": cat.get("criteria", []), "scores": mine})
        return out

    @api.post("/programmes/{programme_id}/nominations/{nomination_id}/recusal", tags=["scores"],
              summary="A judge declares a conflict with a nominee (回避申报)")
    async def declare_conflict(programme_id: str, nomination_id: str, body: RecusalIn,
                               who: Principal = Depends(require("judge"))):
        judge_id = scorer(who)

        async def txn(s):
            a = await svc.db.assignments.find_one({"_id": f"{nomination_id}:{judge_id}",
                                                   "programme_id": programme_id}, session=s)
            if a is None:
                raise NotFound(f"you are not assigned to nomination {nomination_id}", field="nomination_id")
            if a["recused"]:
                raise Conflict(f"you are already recused from nomination {nomination_id}", field="nomination_id")
            panel = await get_panel(programme_id, a["panel_id"], s)
            if panel["locked"]:
                raise Closed(f"panel {panel['_id']} is locked; recusals can no longer change", field="panel_id")
            reason = f"{d.RECUSAL_RULES['declared']}: {body.reason}"
            await svc.db.assignments.update_one({"_id": a["_id"]}, {"$set": {
                "recused": True, "rule": "declared", "reason": reason, "declared": True, "recused_at": now()}},
                session=s)
            nom = await get_nomination(programme_id, nomination_id, s, approved=False)
            replacement = await replacement_for(panel, nom, s)
            await svc.emit(s, JudgeRecused(nomination_id=nomination_id, judge_id=judge_id, reason=reason,
                                           declared=True, category_id=a["category_id"], rule="declared",
                                           replacement_judge_id=replacement),
                           programme_id=programme_id, key=nomination_id)
            await mark_dirty(s, programme_id, a["category_id"])
            return {"nomination_id": nomination_id, "judge_id": judge_id, "recused": True, "reason": reason,
                    "replacement_judge_id": replacement}

        return await svc.transact(txn)

    @api.post("/programmes/{programme_id}/scores", tags=["scores"],
              summary="A judge enters or revises scores for one nominee, one per criterion")
    async def enter_scores(programme_id: str, body: ScoresIn, who: Principal = Depends(require("judge"))):
        judge_id = scorer(who)
        prog = await get_programme(programme_id)
        nom = await get_nomination(programme_id, body.nomination_id)
        cat = get_category(prog, nom["category_id"])
        criteria = {c["criterion_id"]: c for c in cat["criteria"]}
        for cid, value in body.scores.items():
            if cid not in criteria:
                raise Invalid(f"criterion {cid} is not a criterion of category {cat['name']}", field=f"scores.{cid}")
            problem = d.score_problem(value, criteria[cid]["max_points"], criteria[cid].get("step", 0.5))
            if problem:
                raise Invalid(f"score for {criteria[cid]['name']} ({cid}) {problem}", field=f"scores.{cid}")

        async def txn(s):
            await get_judge(programme_id, judge_id, s)
            a = await svc.db.assignments.find_one({"_id": f"{nom['_id']}:{judge_id}"}, session=s)
            if a is None:
                raise Forbidden(f"judge {judge_id} is not assigned to nomination {nom['_id']}", field="nomination_id")
            if a["recused"]:
                raise Forbidden(f"judge {judge_id} is recused from nomination {nom['_id']}: {a.get('reason')}",
                                field="nomination_id")
            panel = await svc.db.panels.find_one({"_id": a["panel_id"]}, session=s)
            if panel and panel["locked"]:
                raise Closed(f"panel {panel['name']} is locked; scores can no longer be entered or revised",
                             field="nomination_id")
            out = {}
            t = now()
            for cid, value in body.scores.items():
                sid = f"{nom['_id']}:{judge_id}:{cid}"
                current = await svc.db.scores.find_one({"_id": sid}, session=s)
                if current and current["score"] == value:
                    out[cid] = {"score": value, "revision": current["revision"], "changed": False}
                    continue
                revision = (current["revision"] + 1) if current else 1
                entry = {"score": value, "revision": revision, "at": t}
                await svc.db.scores.update_one(
                    {"_id": sid},
                    {"$set": {"programme_id": programme_id, "category_id": nom["category_id"],
                              "nomination_id": nom["_id"], "judge_id": judge_id, "criterion_id": cid, "score": value,
                              "revision": revision, "updated_at": t},
                     "$push": {"history": entry}},
                    upsert=True, session=s)
                if current:
                    event = ScoreRevised(nomination_id=nom["_id"], category_id=nom["category_id"], judge_id=judge_id,
                                         criterion_id=cid, score=value, previous=current["score"], revision=revision)
                else:
                    event = ScoreEntered(nomination_id=nom["_id"], category_id=nom["category_id"], judge_id=judge_id,
                                         criterion_id=cid, score=value, revision=1)
                await svc.emit(s, event, programme_id=programme_id, key=nom["_id"])
                out[cid] = {"score": value, "revision": revision, "changed": True}
            if any(v["changed"] for v in out.values()):
                await mark_dirty(s, programme_id, nom["category_id"])
            # By _id (nomination:judge:criterion): a count by fields scanned every score of the programme.
            have = len(await svc.db.scores.find(
                {"_id": {"$in": [f"{nom['_id']}:{judge_id}:{cid}" for cid in criteria]}}, {"_id": 1},
                session=s).to_list())
            return {"nomination_id": nom["_id"], "judge_id": judge_id, "scores": out,
                    "complete": have == len(criteria)}

        return await svc.transact(txn)

    @api.get("/programmes/{programme_id}/nominations/{nomination_id}/scores", tags=["scores"],
             summary="Every judge's scores for a nominee, with every revision")
    async def nominee_scores(programme_id: str, nomination_id: str, _: Principal = Depends(require("organiser"))):
        nom = await get_nomination(programme_id, nomination_id, approved=False)
        assignments = await svc.db.assignments.find({"nomination_id": nomination_id}).sort("_id", 1).to_list()
        scores = await svc.db.scores.find({"nomination_id": nomination_id}).sort("_id", 1).to_list()
        return {"nomination_id": nomination_id, "nominee_name": nom.get("nominee_name", ""),
                "assignments": [{"judge_id": a["judge_id"], "recused": a["recused"], "rule": a.get("rule"),
                                 "reason": a.get("reason")} for a in assignments],
                "scores": [{"judge_id": x["judge_id"], "criterion_id": x["criterion_id"], "score": x["score"],
                            "revision": x["revision"], "history": x.get("history", [])} for x in scores]}

    # ---- indicator points and 随机点验 --------------------------------------------------------------------------------
    @api.put("/programmes/{programme_id}/nominations/{nomination_id}/indicators", tags=["indicators"],
             summary="Enter indicator points: basic 基础, business 业务, key tasks 重点")
    async def enter_indicators(programme_id: str, nomination_id: str, body: IndicatorsIn,
                               _: Principal = Depends(require("organiser"))):
        nom = await get_nomination(programme_id, nomination_id)
        fields = {k: v for k, v in body.model_dump().items() if v is not None}

        async def txn(s):
            await svc.db.indicators.update_one(
                {"_id": nomination_id},
                {"$set": {"programme_id": programme_id, "category_id": nom["category_id"], **fields,
                          "updated_at": now()}}, upsert=True, session=s)
            await mark_dirty(s, programme_id, nom["category_id"])
            return clean(await svc.db.indicators.find_one({"_id": nomination_id}, session=s))

        return await svc.transact(txn)

    @api.post("/programmes/{programme_id}/categories/{category_id}/spot-checks", tags=["indicators"],
              summary="Draw the reproducible random sample of key tasks for 随机点验")
    async def draw_spot_checks(programme_id: str, category_id: str, body: SpotDrawIn,
                               _: Principal = Depends(require("organiser"))):
        get_category(await get_programme(programme_id), category_id)
        approved = {n["_id"]: n for n in await svc.db.nominations.find(
            {"programme_id": programme_id, "category_id": category_id, "status": "approved"}).to_list()}
        tasks: dict[tuple[str, str], str] = {}
        for ind in await svc.db.indicators.find({"programme_id": programme_id, "category_id": category_id}).to_list():
            if ind["_id"] in approved:
                for t in ind.get("key_tasks") or []:
                    tasks[(ind["_id"], t["task_id"])] = t["name"]
        if not tasks:
            raise Conflict("no key tasks have been entered for this category yet", field="category_id")
        picks = d.spot_check_sample(tasks, programme_id, category_id, body.seed, body.sample_size)
        key = f"{programme_id}:{category_id}"

        async def txn(s):
            current = await svc.db.spot_checks.find_one({"_id": key}, session=s)
            if current and current.get("results") and (current["seed"], current["sample_size"]) != (
                    body.seed, body.sample_size):
                raise Conflict("spot-check results are already recorded for another draw; the draw cannot change",
                               field="seed")
            doc = {"programme_id": programme_id, "category_id": category_id, "seed": body.seed,
                   "sample_size": body.sample_size, "drawn_at": now(),
                   "picks": [{"nomination_id": n, "task_id": t, "task_name": tasks[(n, t)],
                              "nominee_name": approved[n].get("nominee_name", "")} for n, t in picks]}
            await svc.db.spot_checks.update_one({"_id": key}, {"$set": doc, "$setOnInsert": {"results": {}}},
                                                upsert=True, session=s)
            return clean(await svc.db.spot_checks.find_one({"_id": key}, session=s))

        return await svc.transact(txn)

    @api.get("/programmes/{programme_id}/categories/{category_id}/spot-checks", tags=["indicators"],
             summary="The spot-check draw and its results")
    async def read_spot_checks(programme_id: str, category_id: str, _: Principal = Depends(require("organiser"))):
        doc = await svc.db.spot_checks.find_one({"_id": f"{programme_id}:{category_id}"})
        if doc is None:
            raise NotFound("no spot checks have been drawn for this category", field="category_id")
        return clean(doc)

    @api.post("/programmes/{programme_id}/categories/{category_id}/spot-checks/results", tags=["indicators"],
              summary="Record the result of one spot check")
    async def record_spot_result(programme_id: str, category_id: str, body: SpotResultIn,
                                 _: Principal = Depends(require("organiser"))):
        key = f"{programme_id}:{category_id}"

        async def txn(s):
            doc = await svc.db.spot_checks.find_one({"_id": key}, session=s)
            if doc is None:
                raise NotFound("no spot checks have been drawn for this category", field="category_id")
            if not any(p["nomination_id"] == body.nomination_id and p["task_id"] == body.task_id
                       for p in doc["picks"]):
                raise Invalid(f"task {body.task_id} of nomination {body.nomination_id} was not drawn for a spot check",
                              field="task_id")
            if body.passed is False and body.verified_points is None:
                raise Invalid("a failed spot check needs verified_points (the points that were confirmed)",
                              field="verified_points")
            result = body.model_dump() | {"at": now()}
            await svc.db.spot_checks.update_one(
                {"_id": key}, {"$set": {f"results.{body.nomination_id}|{body.task_id}": result}}, session=s)
            await mark_dirty(s, programme_id, category_id)
            return result

        return await svc.transact(txn)

    # ---- standings -------------------------------------------------------------------------------------------------
    @api.get("/programmes/{programme_id}/categories/{category_id}/standings", tags=["standings"],
             summary="Composite standings of a category, each with its explanation (public)")
    async def read_standings(programme_id: str, category_id: str, request: Request):
        svc.check_public_rate(request)
        doc = await svc.db.standings.find_one({"_id": f"{programme_id}:{category_id}"})
        if doc is None:
            raise NotFound(f"no standings have been computed for category {category_id} yet", field="category_id")
        return clean(doc)

    @api.post("/programmes/{programme_id}/categories/{category_id}/recompute", status_code=202, tags=["standings"],
              summary="Ask for the category's standings to be recomputed")
    async def ask_recompute(programme_id: str, category_id: str, _: Principal = Depends(require("organiser"))):
        get_category(await get_programme(programme_id), category_id)
        await svc.transact(lambda s: mark_dirty(s, programme_id, category_id))
        return {"category_id": category_id, "status": "scheduled"}

    @api.get("/stats", tags=["health"], summary="Counters of this replica")
    async def read_stats():
        return {"recomputations": stats["recomputations"], "processed": svc.processed}

    # ---- arena contests (擂台赛 / 大比武) ------------------------------------------------------------------------------
    async def get_arena(arena_id: str, s=None) -> dict:
        a = await svc.db.arenas.find_one({"_id": arena_id}, session=s)
        if a is None:
            raise NotFound(f"arena contest {arena_id} does not exist", field="arena_id")
        return a

    async def arena_priors(arena: dict, s=None) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for c in arena["contestants"]:
            prior = c.get("prior_score")
            if prior is None and c.get("nomination_id"):
                nom = await svc.db.nominations.find_one({"_id": c["nomination_id"]}, session=s)
                if nom:
                    st = await svc.db.standings.find_one({"_id": f"{nom['programme_id']}:{nom['category_id']}"},
                                                         session=s)
                    row = next((x for x in (st or {}).get("standings", []) if x["nomination_id"] == nom["_id"]), None)
                    prior = row["composite"] if row else None
            out[c["contestant_id"]] = prior
        return out

    async def board_of(arena: dict, s=None) -> tuple[list[str], list[dict]]:
        scores: dict[tuple[str, str], dict[str, float]] = {}
        for x in await svc.db.arena_scores.find({"arena_id": arena["_id"]}, session=s).to_list():
            scores.setdefault((x["round_id"], x["contestant_id"]), {})[x["judge_id"]] = x["score"]
        priors = await arena_priors(arena, s)
        rounds = [d.ArenaRound(r["round_id"], r["name"], r["max_points"]) for r in arena["rounds"]]
        contestants = [d.Contestant(c["contestant_id"], c["name"], c["order"], priors.get(c["contestant_id"]))
                       for c in arena["contestants"]]
        return d.arena_board(rounds, contestants, scores, frozen_from=arena.get("frozen_from"),
                             live_weight=arena["live_weight"], min_judges_to_trim=arena["min_judges_to_trim"])

    async def publish_board(arena_id: str, s, change: dict | None = None) -> dict:
        """Bump the board's sequence, compute it and emit ArenaBoardUpdated in the caller's transaction."""
        update: dict = {"$inc": {"sequence": 1}}
        if change:
            update["$set"] = change
        arena = await svc.db.arenas.find_one_and_update({"_id": arena_id}, update,
                                                        return_document=ReturnDocument.AFTER, session=s)
        rounds, rows = await board_of(arena, s)
        await svc.emit(s, ArenaBoardUpdated(arena_id=arena_id, name=arena["name"], sequence=arena["sequence"],
                                            frozen=bool(arena.get("frozen_from")), rounds=rounds, rows=rows,
                                            frozen_from=arena.get("frozen_from"), live_weight=arena["live_weight"]),
                       programme_id=arena["programme_id"], key=arena_id)
        return board_view(arena, rounds, rows)

    def board_view(arena: dict, rounds: list[str], rows: list[dict]) -> dict:
        return {"arena_id": arena["_id"], "programme_id": arena["programme_id"], "name": arena["name"],
                "status": arena["status"], "sequence": arena["sequence"], "frozen": bool(arena.get("frozen_from")),
                "frozen_from": arena.get("frozen_from"), "live_weight": arena["live_weight"],
                "all_rounds": arena["rounds"], "contestants": arena["contestants"], "judge_ids": arena["judge_ids"],
                "rounds": rounds, "rows": rows}

    @api.post("/programmes/{programme_id}/arenas", status_code=201, tags=["arenas"],
              summary="Create an arena contest with ordered contestants and rounds")
    async def create_arena(programme_id: str, body: ArenaIn, _: Principal = Depends(require("organiser"))):
        prog = await get_programme(programme_id)
        if body.category_id:
            get_category(prog, body.category_id)
        await check_panel_judges(programme_id, body.judge_ids)
        rounds = [{"round_id": r.round_id or f"r{i}", "name": r.name, "max_points": r.max_points, "step": r.step}
                  for i, r in enumerate(body.rounds, 1)]
        contestants = [{"contestant_id": c.contestant_id or f"c{i}", "name": c.name, "order": i, "unit_id": c.unit_id,
                        "nomination_id": c.nomination_id, "prior_score": c.prior_score}
                       for i, c in enumerate(body.contestants, 1)]
        for what, items, key in (("rounds", rounds, "round_id"), ("contestants", contestants, "contestant_id")):
            if len({x[key] for x in items}) != len(items):
                raise Invalid(f"{what}: {key} must be unique", field=what)
        for c in contestants:
            if c["unit_id"] and not await svc.db.units.find_one({"_id": c["unit_id"]}):
                raise Invalid(f"contestant {c['name']}: unit {c['unit_id']} is not in the organisation tree",
                              field="contestants")
            if c["nomination_id"]:
                await get_nomination(programme_id, c["nomination_id"], approved=False)
        doc = {"_id": body.arena_id, "programme_id": programme_id, "name": body.name, "category_id": body.category_id,
               "rounds": rounds, "contestants": contestants, "judge_ids": body.judge_ids,
               "live_weight": body.live_weight, "min_judges_to_trim": body.min_judges_to_trim, "frozen_from": None,
               "status": "open", "sequence": 0, "created_at": now()}

        async def txn(s):
            try:
                await svc.db.arenas.insert_one(doc, session=s)
            except DuplicateKeyError:
                raise Conflict(f"arena {body.arena_id} already exists", field="arena_id") from None
            return await publish_board(body.arena_id, s)

        return await svc.transact(txn)

    @api.get("/programmes/{programme_id}/arenas", tags=["arenas"], summary="Arena contests of a programme (public)")
    async def list_arenas(programme_id: str, request: Request):
        svc.check_public_rate(request)
        return [{"arena_id": a["_id"], "name": a["name"], "status": a["status"], "frozen": bool(a.get("frozen_from"))}
                for a in await svc.db.arenas.find({"programme_id": programme_id}).sort("created_at", 1).to_list()]

    @api.get("/arenas/{arena_id}", tags=["arenas"], summary="The arena board (frozen rounds hidden) (public)")
    async def read_arena(arena_id: str, request: Request):
        svc.check_public_rate(request)
        arena = await get_arena(arena_id)
        rounds, rows = await board_of(arena)
        return board_view(arena, rounds, rows)

    @api.post("/arenas/{arena_id}/scores", tags=["arenas"], summary="A judge scores a contestant's round, live")
    async def arena_score(arena_id: str, body: ArenaScoreIn, who: Principal = Depends(require("judge"))):
        judge_id = scorer(who)
        arena = await get_arena(arena_id)
        if judge_id not in arena["judge_ids"]:
            raise Forbidden(f"judge {judge_id} is not a judge of this arena contest", field="judge_id")
        rnd = next((r for r in arena["rounds"] if r["round_id"] == body.round_id), None)
        if rnd is None:
            raise Invalid(f"round {body.round_id} is not a round of this contest", field="round_id")
        contestant = next((c for c in arena["contestants"] if c["contestant_id"] == body.contestant_id), None)
        if contestant is None:
            raise Invalid(f"contestant {body.contestant_id} is not in this contest", field="contestant_id")
        problem = d.score_problem(body.score, rnd["max_points"], rnd["step"])
        if problem:
            raise Invalid(f"score for {rnd['name']} {problem}", field="score")
        if contestant.get("unit_id") or contestant.get("nomination_id"):
            judge = await get_judge(arena["programme_id"], judge_id)
            if contestant.get("nomination_id"):
                facts = await nominee_facts(await get_nomination(arena["programme_id"], contestant["nomination_id"],
                                                                 approved=False))
            else:
                facts = d.NomineeFacts(contestant["contestant_id"], "team", contestant["contestant_id"],
                                       contestant["unit_id"])
            rule = d.conflict_rule(judge_facts(judge), facts, await parents_map())
            if rule:
                raise Forbidden(f"judge {judge_id} is recused from {contestant['name']}: {d.RECUSAL_RULES[rule]}",
                                field="contestant_id")

        async def txn(s):
            current = await get_arena(arena_id, s)
            if current["status"] != "open":
                raise Closed("this arena contest is closed; scores can no longer change", field="arena_id")
            sid = f"{arena_id}:{body.round_id}:{body.contestant_id}:{judge_id}"
            prev = await svc.db.arena_scores.find_one({"_id": sid}, session=s)
            revision = (prev["revision"] + 1) if prev else 1
            await svc.db.arena_scores.update_one(
                {"_id": sid},
                {"$set": {"arena_id": arena_id, "round_id": body.round_id, "contestant_id": body.contestant_id,
                          "judge_id": judge_id, "score": body.score, "revision": revision, "updated_at": now()},
                 "$push": {"history": {"score": body.score, "revision": revision, "at": now()}}},
                upsert=True, session=s)
            return await publish_board(arena_id, s)

        board = await svc.transact(txn)
        return board | {"accepted": {"round_id": body.round_id, "contestant_id": body.contestant_id,
                                     "score": body.score}}

    @api.post("/arenas/{arena_id}/freeze", tags=["arenas"],
              summary="Freeze the board from a round on: it and later rounds are hidden until revealed")
    async def freeze(arena_id: str, body: FreezeIn, _: Principal = Depends(require("organiser"))):
        arena = await get_arena(arena_id)
        if not any(r["round_id"] == body.round_id for r in arena["rounds"]):
            raise Invalid(f"round {body.round_id} is not a round of this contest", field="round_id")
        return await svc.transact(lambda s: publish_board(arena_id, s, {"frozen_from": body.round_id}))

    @api.post("/arenas/{arena_id}/reveal", tags=["arenas"], summary="Reveal the frozen rounds (揭晓)")
    async def reveal(arena_id: str, _: Principal = Depends(require("organiser"))):
        arena = await get_arena(arena_id)
        if not arena.get("frozen_from"):
            raise Conflict("the board is not frozen", field="arena_id")
        return await svc.transact(lambda s: publish_board(arena_id, s, {"frozen_from": None}))

    @api.post("/arenas/{arena_id}/close", tags=["arenas"], summary="Close the contest: scores can no longer change")
    async def close_arena(arena_id: str, _: Principal = Depends(require("organiser"))):
        await get_arena(arena_id)
        return await svc.transact(lambda s: publish_board(arena_id, s, {"status": "closed"}))

    @api.get("/arena/{arena_id}/judge", response_class=HTMLResponse, tags=["arenas"],
             summary="The phone-sized scoring page for arena judges")
    async def judge_form(arena_id: str):
        arena = await get_arena(arena_id)
        return judge_page(arena_id, arena["name"])

    return svc
