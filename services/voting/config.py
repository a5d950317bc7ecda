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
    # How long POST /ballots waits for the counting consumer before answering 202 (pending).
    cast_wait_seconds: float = field(default_factory=lambda: _float("EXEMPLAR_VOTING_CAST_WAIT", 10.0))
