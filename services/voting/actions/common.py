"""What several voting actions share: the clock, loading a round, and the caches of the casting edge."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from ..domain.rounds import ensure_found
from ..store import VotingStore


def now() -> datetime:
    return datetime.now(UTC)


async def load_round(store: VotingStore, round_id: str) -> dict:
    """The whole round; NotFound (404, field round_id) when there is none."""
    return ensure_found(await store.get_round(round_id), round_id)


class RoundCaches(Protocol):
    """What this process keeps in memory of a round (the counter's roll, the edge's copy): told of opens and closes."""

    def opened(self, round_id: str, units: list[dict], roll: dict[str, str]) -> None: ...

    def closed(self, round_id: str) -> None: ...
