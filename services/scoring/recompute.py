"""The standings recomputation loop: debounced per category, claimed so that one replica computes it at a time."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from shared.uow import UnitOfWork

from . import domain as d
from .config import ScoringSettings
from .standings import refresh
from .store import Doc, ScoringStore


def pending_categories(marks: list[Doc]) -> dict[tuple[str, str], Doc]:
    """The dirty marks grouped by category, with the ids of the marks this pass has seen."""
    pending: dict[tuple[str, str], Doc] = {}
    for m in marks:
        g = pending.setdefault((m["programme_id"], m["category_id"]), {
            "_id": f"{m['programme_id']}:{m['category_id']}", "programme_id": m["programme_id"],
            "category_id": m["category_id"], "first_at": m["at"], "last_at": m["at"], "mark_ids": []})
        g["first_at"], g["last_at"] = min(g["first_at"], m["at"]), max(g["last_at"], m["at"])
        g["mark_ids"].append(m["_id"])
    return pending


class Recomputer:
    """Recomputes dirty categories. `wake` is set once a transaction that marked a category has committed."""

    def __init__(self, uow: UnitOfWork[ScoringStore], store: ScoringStore, settings: ScoringSettings,
                 log: Any) -> None:
        self.uow = uow
        self.store = store  # not bound to a transaction: the loop's own reads and claims
        self.settings = settings
        self.log = log
        self.wake = asyncio.Event()
        self.stats = {"recomputations": 0}
        self.category_sizes: dict[tuple[str, str], int] = {}  # standings per category at its last recomputation
        self.observed: dict[tuple[str, str], dict] = {}

    async def recompute(self, dirty: Doc) -> None:
        programme_id, category_id = dirty["programme_id"], dirty["category_id"]

        async def txn(tx) -> None:
            size = await refresh(tx, programme_id, category_id, self.settings.standings_per_event)
            if size is not None:
                self.category_sizes[(programme_id, category_id)] = size
            # Only the marks this pass saw: a change that arrived meanwhile stays marked for the next pass.
            await tx.store.delete_marks(dirty["mark_ids"])

        await self.uow.run(txn)
        self.stats["recomputations"] += 1

    def observe(self, t: float, pending: dict[tuple[str, str], Doc]) -> None:
        # Debounce on when this loop first saw a category's changes and when it saw them grow, not on the
        # writers' clocks: a slow transaction commits a mark that is already "old" when it becomes visible.
        for key in set(self.observed) - set(pending):
            del self.observed[key]
        for key, doc in pending.items():
            seen = self.observed.get(key)
            if seen is None:
                self.observed[key] = seen = {"first": t, "last": t, "count": len(doc["mark_ids"])}
            elif seen["count"] != len(doc["mark_ids"]):
                seen.update(last=t, count=len(doc["mark_ids"]))
            doc["first_at"], doc["last_at"] = seen["first"], seen["last"]

    async def once(self) -> float:
        """One pass: recompute every category that is due; returns how long to wait before the next pass."""
        cfg = self.settings
        wait = cfg.poll
        t = time.time()
        pending = pending_categories(await self.store.dirty_marks())
        self.observe(t, pending)
        for key, doc in pending.items():
            due_in = d.recompute_due(t, doc["first_at"], doc["last_at"], cfg.debounce_quiet,
                                     d.max_wait_for(self.category_sizes.get(key, 0), cfg.debounce_max_wait,
                                                    cfg.debounce_nominees_per_second))
            if due_in > 0:
                wait = min(wait, due_in)
                continue
            # claim the category, so another replica does not compute it at the same moment
            if await self.store.claim(doc["_id"], t, t + 10):
                try:
                    await self.recompute(doc)
                    self.observed.pop(key, None)
                finally:
                    await self.store.release(doc["_id"])
        return wait

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                wait = await self.once()
            except Exception as exc:  # keep the loop alive; the dirty mark stays and is retried
                self.log.warning("standings recomputation failed; will retry", error=repr(exc))
                wait = 1.0
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=max(0.01, wait))
                await asyncio.sleep(0)
            except asyncio.TimeoutError:
                pass
