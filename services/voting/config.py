"""Voting settings that are not shared: the ballot secret (never stored in MongoDB) and the abuse limits.

Read from the environment with local defaults; production must set EXEMPLAR_BALLOT_SECRET. A value that does not
parse (or is out of range) stops the service at start-up with the variable's name, instead of a silent default.
"""
from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_BALLOT_SECRET = "local-ballot-secret-change-me"


def _env(name: str, field: str, default: Any, **constraints: Any) -> Any:
    """A field read from the environment variable `name`; `VotingConfig(field=...)` still sets it by keyword."""
    return Field(default=default, validation_alias=AliasChoices(name, field), **constraints)


class VotingConfig(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    # Keys the voter marks (HMAC of round and member) and seals the cast commands and ballot sheets (AES-GCM, key
    # derived by HKDF). In neither MongoDB nor Kafka: whoever reads the stores cannot recompute a member's mark nor
    # open a ballot (docs/verify.md says what its holder still can).
    ballot_secret: bytes = _env("EXEMPLAR_BALLOT_SECRET", "ballot_secret", LOCAL_BALLOT_SECRET.encode(),
                                min_length=1, repr=False)
    # Ballot attempts per minute per credential (or member token) and per client address.
    rate_per_credential: int = _env("EXEMPLAR_VOTING_RATE_PER_CREDENTIAL", "rate_per_credential", 10, ge=0)
    rate_per_address: int = _env("EXEMPLAR_VOTING_RATE_PER_ADDRESS", "rate_per_address", 12000, ge=0)
    # A unit is flagged when, within one minute, more of its members vote than
    # max(burst_min_ballots, burst_share * eligible members of the unit).
    burst_min_ballots: int = _env("EXEMPLAR_VOTING_BURST_MIN", "burst_min_ballots", 20, ge=0)
    burst_share: float = _env("EXEMPLAR_VOTING_BURST_SHARE", "burst_share", 0.5, ge=0)
    # Kafka batch consumption of cast commands.
    batch_max_records: int = _env("EXEMPLAR_VOTING_BATCH", "batch_max_records", 5000, ge=1)
    # How long one poll of the ballots topic waits when it is empty (faststream then also sleeps as long):
    # with its default of 200 ms a ballot arriving after an empty poll waited up to 400 ms before counting.
    batch_timeout_ms: int = _env("EXEMPLAR_VOTING_BATCH_TIMEOUT_MS", "batch_timeout_ms", 10, ge=0)
    # TallyUpdated is emitted with the batch that changed the tally, at most tally_events_per_second per round
    # (with a burst of tally_events_burst); a batch beyond that leaves the tally to a flush a moment later.
    # Readers (the leaderboard, scoring) then do bounded work whatever the ballot rate. 0 (or less): no limit.
    tally_events_per_second: float = _env("EXEMPLAR_VOTING_TALLY_EVENTS_PER_S", "tally_events_per_second", 4.0)
    tally_events_burst: int = _env("EXEMPLAR_VOTING_TALLY_EVENTS_BURST", "tally_events_burst", 5, ge=0)
    # How long POST /ballots waits for the counting consumer before answering 202 (pending).
    cast_wait_seconds: float = _env("EXEMPLAR_VOTING_CAST_WAIT", "cast_wait_seconds", 10.0, ge=0)
