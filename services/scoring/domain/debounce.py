"""When a changed category's standings are recomputed: debounced, never starved."""
from __future__ import annotations


def recompute_due(now: float, first_at: float, last_at: float, quiet: float, max_wait: float) -> float:
    """Seconds until a dirty category should be recomputed (<= 0: now): after `quiet` seconds without a new change,
    but never later than `max_wait` after the first change, so a steady stream still refreshes the board."""
    return min(last_at + quiet, first_at + max_wait) - now


def max_wait_for(nominees: int, max_wait: float, nominees_per_second: float) -> float:
    """The longest a changing category waits for its refresh: max_wait, longer for a large category, whose refresh
    rewrites every standing downstream (a 2,000-nominee category: 10 s at 200 nominees per second)."""
    return max(max_wait, nominees / nominees_per_second) if nominees_per_second > 0 else max_wait
