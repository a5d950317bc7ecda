"""When the organiser is warned of a burst of ballots from one unit."""
from __future__ import annotations


def burst_threshold(unit_eligible: int, min_ballots: int, share_of_unit: float) -> int:
    """Ballots from one unit within one minute above which the organiser is warned."""
    return max(min_ballots, int(unit_eligible * share_of_unit))
