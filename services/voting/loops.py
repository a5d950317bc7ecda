"""The background loops of a voting process: the deferred TallyUpdated flush and the automatic close."""
from __future__ import annotations

import asyncio

from .actions.close_round import close_due_rounds
from .context import Voting


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


async def tally_flush(voting: Voting, stop: asyncio.Event) -> None:
    """TallyUpdated that a busy round's batches left to a flush (see VotingConfig.tally_events_per_second)."""
    cfg = voting.config
    period = 1.0 / cfg.tally_events_per_second / 2 if cfg.tally_events_per_second > 0 else 1.0
    while not stop.is_set():
        try:
            await voting.counter.flush_tallies()
        except Exception as exc:
            voting.svc.log.warning("tally flush failed; will retry", error=repr(exc))
        await _pause(stop, period)


async def auto_close(voting: Voting, stop: asyncio.Event) -> None:
    """Rounds close by themselves at their closing time (each replica tries; the first one closes it)."""
    while not stop.is_set():
        try:
            await close_due_rounds(voting.uow, secret=voting.config.ballot_secret, caches=voting.edge)
        except Exception as exc:
            voting.svc.log.warning("automatic close failed; will retry", error=repr(exc))
        await _pause(stop, 1.0)

