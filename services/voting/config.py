"""Voting settings that are not shared: the ballot secret (never stored in MongoDB) and the abuse limits.

Read from the environment with local defaults; production must set EXEMPLAR_BALLOT_SECRET.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

LOCAL_BALLOT_SECRET = "local-ballot-secret-change-me"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.strip().isdigit() else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


@dataclass(frozen=True)
class VotingConfig:
    # Keys the voter marks (HMAC of round and member). Not in the database: whoever reads MongoDB cannot
    # recompute a member's mark, and ballots carry no mark at all.
    ballot_secret: bytes = field(default_factory=lambda: os.environ.get(
        "EXEMPLAR_BALLOT_SECRET", LOCAL_BALLOT_SECRET).encode())
    # Ballot attempts per minute per credential (or member token) and per client address.
    rate_per_credential: int = field(default_factory=lambda: _int("EXEMPLAR_VOTING_RATE_PER_CREDENTIAL", 10))
    rate_per_address: int = field(default_factory=lambda: _int("EXEMPLAR_VOTING_RATE_PER_ADDRESS", 12000))
    # A unit is flagged when, within one minute, more of its members vote than
    # max(burst_min_ballots, burst_share * eligible members of the unit).
    burst_min_ballots: int = field(default_factory=lambda: _int("EXEMPLAR_VOTING_BURST_MIN", 20))
    burst_share: float = field(default_factory=lambda: _float("EXEMPLAR_VOTING_BURST_SHARE", 0.5))
    # Kafka batch consumption of cast commands.
    batch_max_records: int = field(default_factory=lambda: _int("EXEMPLAR_VOTING_BATCH", 5000))
    # How long one poll of the ballots topic waits when it is empty (faststream then also sleeps as long):
    # with its default of 200 ms a ballot arriving after an empty poll waited up to 400 ms before counting.
    batch_timeout_ms: int = field(default_factory=lambda: _int("EXEMPLAR_VOTING_BATCH_TIMEOUT_MS", 10))
    # TallyUpdated is emitted with the batch that changed the tally, at most tally_events_per_second per round
    # (with a burst of tally_events_burst); a batch beyond that leaves the tally to a flush a moment later.
    # Readers (the leaderboard, scoring) then do bounded work whatever the ballot rate.
    tally_events_per_second: float = field(default_factory=lambda: _float("EXEMPLAR_VOTING_TALLY_EVENTS_PER_S", 4.0))
    tally_events_burst: int = field(default_factory=lambda: _int("EXEMPLAR_VOTING_TALLY_EVENTS_BURST", 5))
    # How long POST /ballots waits for the counting consumer before answering 202 (pending).
    cast_wait_seconds: float = field(default_factory=lambda: _float("EXEMPLAR_VOTING_CAST_WAIT", 10.0))
