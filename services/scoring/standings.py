"""A category's standings: load what they are computed from, compute them (pure), store and emit them."""
from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.scoring import ComponentExplanation, Standing, StandingsUpdated

from . import domain as d
from .actions.common import Tx, get_config, now
from .models import ScoringConfigIn
from .store import Doc, ScoringStore


@dataclass
class CategoryFacts:
    """Everything a category's standings are computed from, as read in one transaction."""

    programme: Doc
    category: Doc
    config: ScoringConfigIn
    nominations: list[Doc]  # approved ones
    active: set[tuple[str, str]]  # (nomination, judge) of assignments that are not recused
    scores: list[Doc]
    indicators: dict[str, Doc]
    spot_checks: Doc
    tallies: list[Doc]  # the programme's rounds, the one counted last last
    rounds: list[Doc]  # the category's rounds as learned from RoundOpened, the one opened last last
    baseline: dict[str, float] | None  # 业务工作进位: nominee -> business share in the baseline programme


def business_shares(nominations: list[Doc], indicators: dict[str, Doc]) -> dict[str, float]:
    """Each nominee's business share (points over maximum), for the nominees that have business points."""
    out: dict[str, float] = {}
    for n in nominations:
        business = (indicators.get(n["_id"]) or {}).get("business") or {}
        if business.get("points") is not None and business.get("max_points"):
            out[n.get("nominee_id") or n["_id"]] = business["points"] / business["max_points"]
    return out


async def baseline_of(store: ScoringStore, cat: Doc) -> dict[str, float] | None:
    """The business shares of the baseline programme's same category (programme scope keeps them apart)."""
    baseline = cat.get("business_baseline_programme_id")
    if not baseline:
        return None
    return business_shares(await store.approved_nominations(baseline, cat["category_id"]),
                           {i["_id"]: i for i in await store.category_indicators(baseline, cat["category_id"])})


async def load_category(store: ScoringStore, programme_id: str, category_id: str) -> CategoryFacts | None:
    prog = await store.programme(programme_id)
    if prog is None:
        return None
    cat = next((c for c in prog["categories"] if c["category_id"] == category_id), None)
    if cat is None:
        return None
    return CategoryFacts(
        programme=prog, category=cat, config=await get_config(store, programme_id),
        nominations=await store.approved_nominations(programme_id, category_id),
        active={(a["nomination_id"], a["judge_id"]) for a in await store.active_assignments(programme_id,
                                                                                             category_id)},
        scores=await store.category_scores(programme_id, category_id),
        indicators={i["_id"]: i for i in await store.category_indicators(programme_id, category_id)},
        spot_checks=await store.spot_checks(f"{programme_id}:{category_id}") or {},
        tallies=await store.programme_tallies(programme_id),
        rounds=await store.category_rounds(programme_id, category_id), baseline=await baseline_of(store, cat))


def report_values(f: CategoryFacts) -> dict[str, d.ComponentValue]:
    """述职评议 of each nominee from the complete score sheets of the judges still assigned."""
    criteria = {c["criterion_id"]: c for c in f.category["criteria"]}
    max_total = sum(c["max_points"] for c in criteria.values())
    per_sheet: dict[tuple[str, str], dict[str, float]] = {}
    for sc in f.scores:
        key = (sc["nomination_id"], sc["judge_id"])
        if key in f.active and sc["criterion_id"] in criteria:
            per_sheet.setdefault(key, {})[sc["criterion_id"]] = sc["score"]
    sheets: dict[str, dict[str, float]] = {}
    for (nom, judge), by_crit in per_sheet.items():
        if set(by_crit) == set(criteria):  # only complete score sheets count
            sheets.setdefault(judge, {})[nom] = sum(by_crit.values())
    cfg = f.config
    return d.report_component(sheets, max_total, d.ReportRule(cfg.report_method, cfg.min_judges_to_trim, cfg.zscore),
                              [n["_id"] for n in f.nominations])


def peer_votes(f: CategoryFacts) -> tuple[dict[str, Doc], str | None]:
    """Each nomination's tally line for the peer-vote component, and the name of the round it comes from.

    With the category's rounds known, only the latest round that feeds the peer vote counts: a shortlisting round
    opened during 公示 replaced every entry's component (the first fell to twelfth) when the last tally counted."""
    wanted = {n["_id"] for n in f.nominations}
    if f.rounds:
        feeding = [r for r in f.rounds if r.get("feeds_peer_vote", True)]
        if not feeding:
            return {}, None
        latest = feeding[-1]
        tally = next((t for t in f.tallies if t.get("round_id") == latest["round_id"]), None)
        return ({c["nomination_id"]: c for c in (tally or {}).get("candidates") or [] if c["nomination_id"] in wanted},
                latest.get("name") or latest["round_id"])
    # Rounds not learned (tallies only): a round's tally is one document (see the TallyUpdated handler); a
    # nomination in several rounds takes the vote of the round counted last.
    votes: dict[str, Doc] = {}
    for t in f.tallies:
        votes.update({c["nomination_id"]: c for c in t.get("candidates") or [] if c["nomination_id"] in wanted})
    return votes, None


def business_values(f: CategoryFacts) -> dict[str, d.ComponentValue]:
    """业务: the points against their maximum, or (with a baseline programme) the progress of the ranking."""
    if f.baseline is None:
        out = {}
        for n in f.nominations:
            business = (f.indicators.get(n["_id"]) or {}).get("business") or {}
            out[n["_id"]] = d.points_component(business.get("points"), business.get("max_points"))
        return out
    progress = d.business_progress(business_shares(f.nominations, f.indicators), f.baseline,
                                   f.category["business_baseline_programme_id"])
    none = d.points_component(None, None)
    return {n["_id"]: progress.get(n.get("nominee_id") or n["_id"], none) for n in f.nominations}


def compute(f: CategoryFacts) -> list[Standing]:
    """The ranked standings, each with its explanation per component."""
    cfg = f.config
    report = report_values(f)
    business = business_values(f)
    spot: dict[str, dict[str, d.SpotResult]] = {}
    for r in f.spot_checks.get("results", {}).values():
        spot.setdefault(r["nomination_id"], {})[r["task_id"]] = d.SpotResult(r["passed"], r.get("verified_points"))
    votes, round_name = peer_votes(f)
    rows = []
    for n in f.nominations:
        ind = f.indicators.get(n["_id"], {})
        basic = ind.get("basic") or {}
        tasks = [d.KeyTask(t["task_id"], t["name"], t["points"], t["max_points"]) for t in ind.get("key_tasks") or []]
        vote = votes.get(n["_id"])
        values = {
            "basic": d.points_component(basic.get("points"), basic.get("max_points")),
            "business": business[n["_id"]],
            "key_tasks": d.key_tasks_component(tasks, spot.get(n["_id"], {})),
            "report": report[n["_id"]],
            "peer_vote": d.vote_component(vote.get(cfg.vote_share) if vote else None, cfg.vote_share, round_name),
        }
        total, explanations = d.composite(values, f.category["weights"])
        rows.append(d.Row(n["_id"], n.get("nominee_name", ""), total, explanations))
    return [Standing(nomination_id=r.nomination_id, rank=r.rank, composite=r.composite,
                     nominee_name=r.name, tie_break=r.tie_break,
                     components=[ComponentExplanation(component=e.component, raw=e.raw, normalised=e.normalised,
                                                      weight=e.weight, contribution=e.contribution,
                                                      detail=e.detail) for e in r.components])
            for r in d.rank_rows(rows, cfg.tie_breaks)]


async def refresh(tx: Tx, programme_id: str, category_id: str, per_event: int) -> int | None:
    """Recompute a category's standings, store them with the next sequence and emit them; returns how many
    standings there are (None: the programme or the category is not known, or its 公示 list is published)."""
    if await tx.store.publication(programme_id, category_id) is not None:
        return None  # the published list is a snapshot: no new StandingsUpdated moves it during or after 公示
    facts = await load_category(tx.store, programme_id, category_id)
    if facts is None:
        return None
    standings = compute(facts)
    version = facts.programme["version"]
    key = f"{programme_id}:{category_id}"
    doc = await tx.store.save_standings(key, {
        "programme_id": programme_id, "category_id": category_id, "programme_version": version,
        "computed_at": now(), "standings": [st.model_dump() for st in standings]})
    # In parts: the standings of 2,000 nominees with their explanations passed Kafka's 1 MB limit, and
    # the relay retried that one event forever, holding back every later one.
    chunks = [standings[i:i + per_event] for i in range(0, len(standings), per_event)] or [[]]
    for i, chunk in enumerate(chunks):
        await tx.emit(StandingsUpdated(category_id=category_id, programme_version=version, sequence=doc["sequence"],
                                       standings=chunk, part=i + 1, parts=len(chunks)),
                      programme_id=programme_id, key=key)
    return len(standings)
