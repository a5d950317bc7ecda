"""Aggregation of scores, indicators and votes into components, the composite and the ranking."""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .scores import EPS, fmt

COMPONENTS = ("basic", "key_tasks", "business", "report", "peer_vote")
COMPONENT_LABELS = {
    "basic": "基础指标 basic indicators",
    "key_tasks": "重点任务 key tasks",
    "business": "业务工作 business performance",
    "report": "述职评议 report and appraisal",
    "peer_vote": "民主测评 peer vote",
}
TIE_BREAKS = COMPONENTS


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
        dropped: list[float]
        if rule.method == "mean":
            value, dropped = mean(values), []
        else:
            value, dropped = trimmed_mean(values, rule.min_judges_to_trim)
        assert value is not None  # both give a value for a non-empty list
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
    return ComponentValue(points, clamp(percent(points, max_points)),
                          f"{fmt(points)} / {fmt(max_points)} {label}".strip())


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
    """重点任务: claimed points, except that a failed 随机点验 spot check replaces a task's points by the verified
    ones."""
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


def vote_component(share: float | None, basis: str, round_name: str | None = None) -> ComponentValue:
    """民主测评: the vote share (0..1) from the voting tallies, on the chosen basis; named after the round that feeds
    it, when the category's rounds are known."""
    where = f"; 测评轮次 round: {round_name}" if round_name else ""
    if share is None:
        return ComponentValue(None, 0.0, f"暂无计票 no tally yet{where}")
    label = ("得票率（占实到） share of ballots cast" if basis == "share_of_cast"
             else "得票率（占应到） share of eligible")
    return ComponentValue(round(share, 6), clamp(share * 100.0), f"{label}{where}")


def competition_ranks(values: Mapping[str, float]) -> dict[str, int]:
    """Rank by value, higher first; equal values share a rank (1, 2, 2, 4)."""
    rounded = {k: round(v, 6) for k, v in values.items()}
    return {k: 1 + sum(1 for other in rounded.values() if other > v) for k, v in rounded.items()}


def business_progress(now: Mapping[str, float], before: Mapping[str, float],
                      baseline: str) -> dict[str, ComponentValue]:
    """业务工作进位: the business component as progress, this year's business ranking against the baseline programme's.

    now / before: each nominee (the same unit or member ids in both programmes) -> its business share (points over
    maximum) this year / in the baseline programme's same category. raw is the places gained (baseline rank minus
    this year's rank); normalised maps it onto 0..100 around 50 (no change): gaining every place of the longer list
    is 100, losing them all 0. A nominee the baseline did not rank is neutral (50), and says so."""
    ranks_now, ranks_before = competition_ranks(now), competition_ranks(before)
    span = max(len(now), len(before), 2) - 1
    out: dict[str, ComponentValue] = {}
    for nominee, rank in ranks_now.items():
        was = ranks_before.get(nominee)
        if was is None:
            out[nominee] = ComponentValue(None, 50.0, f"进位 progress: rank {rank} of {len(now)} this year; not ranked "
                                                      f"in {baseline}, counted as no change")
            continue
        gained = was - rank
        out[nominee] = ComponentValue(float(gained), clamp(50.0 + 50.0 * gained / span),
                                      f"进位 progress: rank {rank} of {len(now)} this year against {was} of "
                                      f"{len(before)} in {baseline} ({gained:+d})")
    return out


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

    def key(r: Row) -> tuple[Any, ...]:
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
