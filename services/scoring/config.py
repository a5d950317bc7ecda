"""Settings of the scoring service's standings recomputation (environment prefix EXEMPLAR_SCORING_)."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScoringSettings(BaseSettings):
    """Read once when the service is created; a value that does not parse or is out of range stops the start-up
    with pydantic's error naming the variable."""

    model_config = SettingsConfigDict(env_prefix="EXEMPLAR_SCORING_", extra="ignore")

    # seconds without a new change before a category is recomputed
    debounce_quiet: float = Field(default=0.2, gt=0)
    # a steady stream of changes still refreshes the standings this often
    debounce_max_wait: float = Field(default=1.0, gt=0)
    # ... or, for a large category, once per (nominees / this) seconds: each refresh rewrites every standing
    # downstream (10,000 approvals streaming in rewrote 2,000-nominee boards every second and starved the read model).
    debounce_nominees_per_second: float = Field(default=200, gt=0)
    # how often the recomputation looks for dirty categories when nothing wakes it
    poll: float = Field(default=0.25, gt=0)
    # standings per StandingsUpdated event (each about 450 bytes with its explanation)
    standings_per_event: int = Field(default=500, ge=1)
