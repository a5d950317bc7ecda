"""Pure rules of the scoring service: recusal, score validation, aggregation, composite standings, assignment, arenas.

Nothing here touches a database or the network; every function is table-tested in tests/scoring/test_domain.py.
"""
from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

COMPONENTS = ("basic", "key_tasks", "business", "report", "peer_vote")
COMPONENT_LABELS = {
    "basic": "基础指标 basic indicators",
    "key_tasks": "重点任务 key tasks",
    "business": "业务工作 business performance",
    "report": "述职评议 report and appraisal",
    "peer_vote": "民主测评 peer vote",
}
TIE_BREAKS = COMPONENTS
EPS = 1e-9

# ---- recusal --------------------------------------------------------------------------------------------------------

RECUSAL_RULES = {
    "self": "评委本人即被评对象 the judge is the nominee",
    "same_branch": "被评对象是评委本支部党员 the nominee is a member of the judge's own branch",
    "own_unit": "被评对象属评委本单位 the nominee belongs to the judge's own unit",
    "subordinate_unit": "被评对象属评委单位的下级单位 the nominee belongs to a unit below the judge's unit",
    "superior_unit": "被评对象属评委单位的上级单位 the nominee belongs to a superior of the judge's unit",
    "declared": "评委主动申报利益冲突 the judge declared a conflict",
}


@dataclass(frozen=True)
class JudgeFacts:
    judge_id: str
    unit_id: str
    member_id: str | None = None
    branch_id: str | None = None  # the party branch the judge belongs to, when the judge is on the roll


@dataclass(frozen=True)
class NomineeFacts:
    nomination_id: str
    kind: str  # organ, branch, site, team, member
    nominee_id: str
    unit_id: str  # the nominee's own unit (for a member: the member's branch)
    submitting_unit_id: str | None = None


def ancestors(parents: Mapping[str, str | None], unit_id: str | None) -> list[str]:
    """The chain of superiors of a unit, nearest first; safe against cycles in imported data."""
    out: list[str] = []
    seen = {unit_id}
    current = parents.get(unit_id) if unit_id else None
    while current and current not in seen:
        out.append(current)
        seen.add(current)
        current = parents.get(current)
    return out


def conflict_rule(judge: JudgeFacts, nominee: NomineeFacts, parents: Mapping[str, str | None]) -> str | None:
    """The recusal rule that applies to this judge and nominee, or None when the judge may score."""
    if nominee.kind == "member" and judge.member_id and nominee.nominee_id == judge.member_id:
        return "self"
    if nominee.kind != "member" and nominee.nominee_id in (judge.unit_id, judge.branch_id):
        return "own_unit"
    if nominee.kind == "member" and nominee.unit_id in {judge.branch_id or judge.unit_id}:
        return "same_branch"
    judge_chain = ancestors(parents, judge.unit_id)
    for unit in dict.fromkeys(u for u in (nominee.unit_id, nominee.submitting_unit_id) if u):
        if unit == judge.unit_id:
            return "own_unit"
        if judge.unit_id in ancestors(parents, unit):
            return "subordinate_unit"
        if unit in judge_chain:
            return "superior_unit"
    return None


# ---- scores ---------------------------------------------------------------------------------------------------------


def score_problem(value: float, max_points: float, step: float) -> str | None:
    """Why a score is not acceptable for a criterion, or None when it is."""
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        return "must be a number"
    if value < 0 or value > max_points + EPS:
        return f"must be between 0 and {fmt(max_points)}"
    if step and step > 0:
        units = value / step
        if abs(units - round(units)) > 1e-6:
            return f"must be a multiple of {fmt(step)}"
    return None


def fmt(x: float) -> str:
    return f"{x:g}"


# ---- aggregation ----------------------------------------------------------------------------------------------------


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def trimmed_mean(values: Sequence[float], min_judges_to_trim: int) -> tuple[float | None, list[float]]:
    """Drop one highest and one lowest once there are at least min_judges_to_trim values; returns (mean, dropped)."""
    if not values:
        return None, []
    ordered = sorted(values)
    if len(ordered) >= max(3, min_judges_to_trim):
        dropped = [ordered[0], ordered[-1]]
        kept = ordered[1:-1]
        return sum(kept) / len(kept), dropped
    return sum(ordered) / len(ordered), []


def zscore_adjust(sheets: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Per-judge z-score normalisation: each judge's totals are standardised and mapped back onto the scale of all
    totals (grand mean and standard deviation), so a severe and a lenient judge weigh alike.

    sheets: judge_id -> nomination_id -> total. A judge with a single total or no spread keeps only the shift."""
    everything = [v for per in sheets.values() for v in per.values()]
    if not everything:
        return {}
    grand_mu = statistics.fmean(everything)
    grand_sd = statistics.pstdev(everything) if len(everything) > 1 else 0.0
    out: dict[str, dict[str, float]] = {}
    for judge, per in sheets.items():
        values = list(per.values())
        mu = statistics.fmean(values)
        sd = statistics.pstdev(values) if len(values) > 1 else 0.0
        out[judge] = {}
        for nom, v in per.items():
            z = (v - mu) / sd if sd > EPS else 0.0
            out[judge][nom] = grand_mu + z * grand_sd
    return out


@dataclass(frozen=True)
class ReportRule:
    method: str = "trimmed_mean"  # or "mean"
    min_judges_to_trim: int = 5
    zscore: bool = False


@dataclass(frozen=True)
class ComponentValue:
    raw: float | None
    normalised: float
    detail: str = ""


def report_component(sheets: Mapping[str, Mapping[str, float]], max_total: float, rule: ReportRule,
                     nomination_ids: Iterable[str]) -> dict[str, ComponentValue]:
    """述职评议: judges' complete score sheets (judge -> nomination -> total points) into one value per nominee."""
    adjusted = zscore_adjust(sheets) if rule.zscore else {j: dict(p) for j, p in sheets.items()}
    out: dict[str, ComponentValue] = {}
    for nom in nomination_ids:
        values = [per[nom] for per in adjusted.values() if nom in per]
        if not values:
            out[nom] = ComponentValue(None, 0.0, "暂无评委完整评分 no complete judge score yet")
            continue
        if rule.method == "mean":
            value, dropped = mean(values), []
        else:
            value, dropped = trimmed_mean(values, rule.min_judges_to_trim)
        how = "去掉一个最高分和一个最低分 trimmed mean" if dropped else "平均分 mean"
        detail = f"{how} of {len(values)} judges"
        if dropped:
            detail += f", dropped {fmt(round(dropped[0], 2))} and {fmt(round(dropped[1], 2))}"
        if rule.zscore:
            detail += ", z-score normalised per judge"
        out[nom] = ComponentValue(round(value, 4), clamp(percent(value, max_total)), detail)
    return out


def percent(value: float, maximum: float) -> float:
    return value / maximum * 100.0 if maximum > EPS else 0.0


def clamp(x: float, lo: float = 0.0, hi: float = 100.0) -> float:
    return round(max(lo, min(hi, x)), 4)


def points_component(points: float | None, max_points: float | None, label: str = "") -> ComponentValue:
    """基础 / 业务: indicator points entered by the organiser against their maximum."""
    if points is None or not max_points:
        return ComponentValue(None, 0.0, "暂无数据 no data yet")
    return ComponentValue(points, clamp(percent(points, max_points)), f"{fmt(points)} / {fmt(max_points)} {label}".strip())


@dataclass(frozen=True)
class KeyTask:
    task_id: str
    name: str
    points: float
    max_points: float


@dataclass(frozen=True)
class SpotResult:
    passed: bool
    verified_points: float | None = None


def key_tasks_component(tasks: Sequence[KeyTask], spot: Mapping[str, SpotResult]) -> ComponentValue:
    """重点任务: claimed points, except that a failed 随机点验 spot check replaces a task's points by the verified ones."""
    if not tasks:
        return ComponentValue(None, 0.0, "暂无数据 no data yet")
    total = maximum = 0.0
    checked = failed = 0
    for t in tasks:
        pts = t.points
        res = spot.get(t.task_id)
        if res is not None:
            checked += 1
            if not res.passed:
                failed += 1
                pts = min(t.points, res.verified_points or 0.0)
        total += pts
        maximum += t.max_points
    detail = f"{fmt(round(total, 4))} / {fmt(maximum)} over {len(tasks)} tasks"
    if checked:
        detail += f"; 随机点验 {checked} checked, {failed} failed"
    return ComponentValue(round(total, 4), clamp(percent(total, maximum)), detail)


def vote_component(share: float | None, basis: str) -> ComponentValue:
    """民主测评: the vote share (0..1) from the voting tallies, on the chosen basis."""
    if share is None:
        return ComponentValue(None, 0.0, "暂无计票 no tally yet")
    label = "得票率（占实到） share of ballots cast" if basis == "share_of_cast" else "得票率（占应到） share of eligible"
    return ComponentValue(round(share, 6), clamp(share * 100.0), label)


def spot_check_sample(task_keys: Iterable[tuple[str, str]], programme_id: str, category_id: str, seed: str,
                      size: int) -> list[tuple[str, str]]:
    """随机点验: a reproducible sample of (nomination_id, task_id) pairs, seeded by programme, category and seed."""
    population = sorted(set(task_keys))
    rng = random.Random(f"{programme_id}|{category_id}|{seed}")
    picked = rng.sample(population, min(size, len(population)))
    return sorted(picked)


# ---- composite and ranking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    component: str
    raw: float | None
    normalised: float
    weight: float
    contribution: float
    detail: str


@dataclass
class Row:
    nomination_id: str
    name: str
    composite: float
    components: list[Explanation]
    rank: int = 0
    tie_break: str = ""
    by_component: dict[str, float] = field(default_factory=dict)


def composite(values: Mapping[str, ComponentValue], weights: Mapping[str, float]) -> tuple[float, list[Explanation]]:
    """Weighted sum of normalised components; weights are used relative to their total, so they need not sum to 1."""
    total_weight = sum(w for w in weights.values() if w > 0)
    explanations = []
    score = 0.0
    for comp in COMPONENTS:
        if comp not in weights:
            continue
        w = weights[comp]
        v = values.get(comp) or ComponentValue(None, 0.0, "暂无数据 no data yet")
        contribution = v.normalised * w / total_weight if total_weight > 0 else 0.0
        score += contribution
        explanations.append(Explanation(comp, v.raw, round(v.normalised, 4), w, round(contribution, 4),
                                        f"{COMPONENT_LABELS[comp]}: {v.detail}"))
    return round(score, 4), explanations


def rank_rows(rows: list[Row], tie_breaks: Sequence[str]) -> list[Row]:
    """Order by composite, then by each tie-break component (higher first); fully equal rows share a rank (1, 2, 2, 4).

    Each row records which tie-break, if any, put it below the row just above it."""
    for r in rows:
        r.by_component = {e.component: e.normalised for e in r.components}

    def key(r: Row) -> tuple:
        return (-round(r.composite, 4), *[-round(r.by_component.get(c, 0.0), 4) for c in tie_breaks])

    ordered = sorted(rows, key=lambda r: (key(r), r.name, r.nomination_id))
    for i, r in enumerate(ordered):
        r.tie_break = ""
        if i == 0:
            r.rank = 1
            continue
        prev = ordered[i - 1]
        if key(r) == key(prev):
            r.rank = prev.rank
            r.tie_break = "tie 并列"
            continue
        r.rank = i + 1
        if round(r.composite, 4) == round(prev.composite, 4):
            for c in tie_breaks:
                if round(r.by_component.get(c, 0.0), 4) != round(prev.by_component.get(c, 0.0), 4):
                    r.tie_break = c
                    break
    return ordered


# ---- debounce -------------------------------------------------------------------------------------------------------


def recompute_due(now: float, first_at: float, last_at: float, quiet: float, max_wait: float) -> float:
    """Seconds until a dirty category should be recomputed (<= 0: now): after `quiet` seconds without a new change,
    but never later than `max_wait` after the first change, so a steady stream still refreshes the board."""
    return min(last_at + quiet, first_at + max_wait) - now


def max_wait_for(nominees: int, max_wait: float, nominees_per_second: float) -> float:
    """The longest a changing category waits for its refresh: max_wait, longer for a large category, whose refresh
    rewrites every standing downstream (a 2,000-nominee category: 10 s at 200 nominees per second)."""
    return max(max_wait, nominees / nominees_per_second) if nominees_per_second > 0 else max_wait


# ---- judge assignment -----------------------------------------------------------------------------------------------


@dataclass
class AssignmentPlan:
    new: list[tuple[str, str]]  # (nomination_id, judge_id)
    loads: dict[str, int]
    shortfalls: dict[str, int]  # nomination_id -> judges still missing


def auto_assign(nomination_ids: Sequence[str], judge_ids: Sequence[str], existing: Mapping[str, set[str]],
                excluded: Mapping[str, set[str]], k: int) -> AssignmentPlan:
    """Give every nominee at least k judges, least-loaded judges first, never a judge who is excluded (conflict or
    recused). Existing assignments are kept. The most constrained nominees are served first."""
    loads = {j: 0 for j in judge_ids}
    for judges in existing.values():
        for j in judges:
            if j in loads:
                loads[j] += 1
    new: list[tuple[str, str]] = []
    shortfalls: dict[str, int] = {}

    def eligible(nom: str) -> list[str]:
        return [j for j in judge_ids if j not in existing.get(nom, set()) and j not in excluded.get(nom, set())]

    order = sorted(nomination_ids, key=lambda n: (len(eligible(n)), n))
    for nom in order:
        have = len(existing.get(nom, set()) & set(judge_ids))
        need = k - have
        if need <= 0:
            continue
        candidates = sorted(eligible(nom), key=lambda j: (loads[j], j))
        chosen = candidates[:need]
        for j in chosen:
            loads[j] += 1
            new.append((nom, j))
        if len(chosen) < need:
            shortfalls[nom] = need - len(chosen)
    _rebalance(new, loads, existing, excluded)
    return AssignmentPlan(new, loads, shortfalls)


def _rebalance(new: list[tuple[str, str]], loads: dict[str, int], existing: Mapping[str, set[str]],
               excluded: Mapping[str, set[str]]) -> None:
    """Move new assignments from the busiest judges to the idlest ones while that narrows the spread (conflicts
    permitting). Every move lowers the sum of squared loads, so this ends."""
    moved = True
    while moved:
        moved = False
        taken = set(new)
        for heavy in sorted(loads, key=lambda j: (-loads[j], j)):
            for light in sorted(loads, key=lambda j: (loads[j], j)):
                if loads[heavy] - loads[light] <= 1:
                    break
                for i, (nom, j) in enumerate(new):
                    if j != heavy or light in excluded.get(nom, set()) or light in existing.get(nom, set()) \
                            or (nom, light) in taken:
                        continue
                    new[i] = (nom, light)
                    loads[heavy] -= 1
                    loads[light] += 1
                    moved = True
                    break
                if moved:
                    break
            if moved:
                break


def suggest_replacement(judge_ids: Sequence[str], assigned: set[str], excluded: set[str],
                        loads: Mapping[str, int]) -> str | None:
    """The least-loaded panel judge who is neither assigned to nor excluded from the nominee."""
    free = [j for j in judge_ids if j not in assigned and j not in excluded]
    return min(free, key=lambda j: (loads.get(j, 0), j)) if free else None


# ---- arena contests -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArenaRound:
    round_id: str
    name: str
    max_points: float


@dataclass(frozen=True)
class Contestant:
    contestant_id: str
    name: str
    order: int
    prior: float | None = None  # earlier assessment on 0..100


def visible_rounds(rounds: Sequence[ArenaRound], frozen_from: str | None) -> list[ArenaRound]:
    """While the board is frozen, the frozen round and every later one are hidden."""
    if not frozen_from:
        return list(rounds)
    ids = [r.round_id for r in rounds]
    return list(rounds[: ids.index(frozen_from)]) if frozen_from in ids else list(rounds)


def blend(live: float | None, prior: float | None, live_weight: float) -> float | None:
    """The final arena score: live normalised score blended with the earlier assessment (both 0..100)."""
    if live is None:
        return None
    if prior is None:
        return round(live, 4)
    return round(live * live_weight + prior * (1.0 - live_weight), 4)


def arena_board(rounds: Sequence[ArenaRound], contestants: Sequence[Contestant],
                scores: Mapping[tuple[str, str], Mapping[str, float]], *, frozen_from: str | None,
                live_weight: float, min_judges_to_trim: int) -> tuple[list[str], list[dict]]:
    """The arena board: per contestant, each visible round's score (trimmed mean of the judges' scores), the live
    total, its 0..100 value, the prior assessment, the blended final and the rank. scores: (round, contestant) ->
    judge -> score."""
    shown = visible_rounds(rounds, frozen_from)
    rows = []
    for c in sorted(contestants, key=lambda c: c.order):
        cells = []
        total = 0.0
        max_total = sum(r.max_points for r in shown)  # one denominator for all, so unscored rounds count as 0
        scored = False
        for r in shown:
            judge_scores = list((scores.get((r.round_id, c.contestant_id)) or {}).values())
            value, dropped = trimmed_mean(judge_scores, min_judges_to_trim)
            cells.append({"round_id": r.round_id, "name": r.name, "score": None if value is None else round(value, 4),
                          "judges": len(judge_scores), "trimmed": bool(dropped)})
            if value is not None:
                scored = True
                total += value
        live = clamp(percent(total, max_total)) if scored else None
        rows.append({"contestant_id": c.contestant_id, "name": c.name, "order": c.order, "rounds": cells,
                     "live_total": round(total, 4) if scored else None, "live_normalised": live, "prior": c.prior,
                     "final": blend(live, c.prior, live_weight)})
    ranked = sorted(rows, key=lambda r: (r["final"] is None, -(r["final"] or 0.0), -(r["live_total"] or 0.0), r["order"]))
    prev = None
    for i, r in enumerate(ranked):
        if r["final"] is None:
            r["rank"] = None
            continue
        same = prev is not None and prev["final"] == r["final"] and prev["live_total"] == r["live_total"]
        r["rank"] = prev["rank"] if same else i + 1
        prev = r
    return [r.name for r in shown], ranked
