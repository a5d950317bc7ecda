"""Close the notices whose period has ended (the scheduler, a background tick): confirm each nominee with no open
objection, block the others until their objections are resolved. Restart-safe and safe on many replicas: a notice
is closed only while still open, in one transaction."""
from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from shared.contracts.publicity import PublicityClosed

from .. import domain
from .context import Clock, Context, Tx
from .honours import confirm


async def close_one(ctx: Context, notice_id: str) -> bool:
    """Whether this call closed the notice (False: not due, or closed already)."""
    return await ctx.uow.run(partial(_close, notice_id, ctx.clock))


async def _close(notice_id: str, clock: Clock, tx: Tx) -> bool:
    n = await tx.store.notice(notice_id, open_only=True)
    if n is None or domain.as_utc(n["ends_at"]) > clock():
        return False
    decision = domain.close_notice(n["entries"], await tx.store.open_objection_counts(notice_id))
    entries = [e | {"status": "blocked"} if e["nomination_id"] in decision.blocked else e for e in n["entries"]]
    await tx.store.close_notice(notice_id, entries, clock())
    await tx.emit(PublicityClosed(notice_id=notice_id, category_id=n["category_id"], confirmed=decision.confirm,
                                  blocked=decision.blocked, removed=decision.removed),
                  programme_id=n["programme_id"], key=notice_id)
    n["entries"], n["state"] = entries, "closed"
    for nid in decision.confirm:
        await confirm(tx, n, nid, clock)
    return True


async def close_due(ctx: Context) -> int:
    """Close every notice whose period has ended; safe to run on many replicas and after restarts."""
    closed = 0
    for notice_id in await ctx.store.due_notices(ctx.clock()):
        if await close_one(ctx, notice_id):
            closed += 1
    return closed


class Scheduler:
    """The background loop: close what is due every `tick` seconds until the service stops."""

    def __init__(self, ctx: Context, tick: float, log: Any) -> None:
        self.ctx, self.tick, self.log = ctx, tick, log

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await close_due(self.ctx)
            except Exception as exc:  # keep the scheduler alive; the next tick retries
                self.log.warning("closing due notices failed; will retry", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.tick)
            except asyncio.TimeoutError:
                pass

    async def close_due_notices(self) -> int:
        """For operators' tooling and tests."""
        return await close_due(self.ctx)
