"""Validation of a judge's score against a criterion's maximum and step."""
from __future__ import annotations

import math
from typing import NamedTuple

EPS = 1e-9


class ScoreRefusal(NamedTuple):
    """Why a score is refused: its code, the message and the limit its words need."""

    code: str
    message: str
    params: dict[str, float]

def score_refusal(value: float, max_points: float, step: float) -> ScoreRefusal | None:
    """Why a score is not acceptable for a criterion, or None when it is."""
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        return ScoreRefusal(code="score_not_number", message="must be a number", params={})
    if value < 0 or value > max_points + EPS:
        return ScoreRefusal(code="score_range", message=f"must be between 0 and {fmt(max_points)}",
                            params={"max": max_points})
    if step and step > 0:
        units = value / step
        if abs(units - round(units)) > 1e-6:
            return ScoreRefusal(code="score_step", message=f"must be a multiple of {fmt(step)}", params={"step": step})
    return None


def score_problem(value: float, max_points: float, step: float) -> str | None:
    """Why a score is not acceptable for a criterion, or None when it is."""
    refusal = score_refusal(value, max_points, step)
    return refusal[1] if refusal else None


def fmt(x: float) -> str:
    return f"{x:g}"
