"""Arena contests (擂台赛): the live board with frozen rounds, trimmed round scores and the blended final."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .aggregation import clamp, percent, trimmed_mean


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
                live_weight: float, min_judges_to_trim: int) -> tuple[list[str], list[dict[str, Any]]]:
    """The arena board: per contestant, each visible round's score (trimmed mean of the judges' scores), the live
    total, its 0..100 value, the prior assessment, the blended final and the rank. scores: (round, contestant) ->
    judge -> score."""
    shown = visible_rounds(rounds, frozen_from)
    rows: list[dict[str, Any]] = []
    for c in sorted(contestants, key=lambda c: c.order):
        cells: list[dict[str, Any]] = []
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
    ranked = sorted(rows,
                    key=lambda r: (r["final"] is None, -(r["final"] or 0.0), -(r["live_total"] or 0.0), r["order"]))
    prev: dict[str, Any] | None = None
    for i, row in enumerate(ranked):
        if row["final"] is None:
            row["rank"] = None
            continue
        same = prev is not None and prev["final"] == row["final"] and prev["live_total"] == row["live_total"]
        row["rank"] = prev["rank"] if prev is not None and same else i + 1
        prev = row
    return [r.name for r in shown], ranked
