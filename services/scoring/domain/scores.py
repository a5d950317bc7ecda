"""Validation of a judge's score against a criterion's maximum and step."""
from __future__ import annotations

import math

EPS = 1e-9

def score_refusal(value: float, max_points: float, step: float) -> tuple[str, str, dict[str, float]] | None:
    """Why a score is not acceptable for a criterion as (code, message, params), or None when it is."""
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        return "score_not_number", "must be a number", {}
    if value < 0 or value > max_points + EPS:
        return "score_range", f"must be between 0 and {fmt(max_points)}", {"max": max_points}
    if step and step > 0:
        units = value / step
        if abs(units - round(units)) > 1e-6:
            return "score_step", f"must be a multiple of {fmt(step)}", {"step": step}
    return None


def score_problem(value: float, max_points: float, step: float) -> str | None:
    """Why a score is not acceptable for a criterion, or None when it is."""
    refusal = score_refusal(value, max_points, step)
    return refusal[1] if refusal else None


def fmt(x: float) -> str:
    return f"{x:g}"
