"""The investigation of an objection (organiser): assign an investigator, record findings, resolve it — a sustained
objection removes the nominee (a replacement may follow, 递补), a dismissed one after the end confirms them."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from shared.auth import Principal
from shared.contracts.publicity import (
    ObjectionAssigned,
    ObjectionFindingsRecorded,
    ObjectionResolved,
)
from shared.errors import NotFound

from .. import domain
from ..commands import AssignIn, FindingsIn, ResolveIn
from .context import Clock, Context, Tx
from .honours import confirm
from .removal import remove_entry

ASSIGN_ROLES = ("organiser",)
FINDINGS_ROLES = ("organiser",)
RESOLVE_ROLES = ("organiser",)

Step = Callable[..., Awaitable[None]]  # (tx, objection, notice, *, clock, who, body)


async def assign(ctx: Context, who: Principal, objection_id: str, body: AssignIn) -> dict:
    """The objection, after ObjectionAssigned. Refusals: NotFound, Conflict (resolved already)."""
    return await _step(ctx, objection_id, "assign", partial(_assign, who=who, body=body))


async def record_findings(ctx: Context, who: Principal, objection_id: str, body: FindingsIn) -> dict:
    """The objection, after ObjectionFindingsRecorded. Refusals: NotFound, Conflict (not assigned, resolved)."""
    return await _step(ctx, objection_id, "findings", partial(_findings, who=who, body=body))


async def resolve(ctx: Context, who: Principal, objection_id: str, body: ResolveIn) -> dict:
    """The objection, after ObjectionResolved (and NomineeRemoved, or HonourConfirmed once the notice is closed).
    Refusals: NotFound, Conflict (resolved already)."""
    return await _step(ctx, objection_id, "resolve", partial(_resolve, who=who, body=body))


async def objection_of(store: Any, objection_id: str) -> dict:
    o = await store.objection(objection_id)
    if o is None:
        raise NotFound(f"objection {objection_id} does not exist", field="objection_id")
    return o


async def _step(ctx: Context, objection_id: str, name: str, fn: Step) -> dict:
    return await ctx.uow.run(partial(_in_step, objection_id, name, fn, ctx.clock))


async def _in_step(objection_id: str, name: str, fn: Step, clock: Clock, tx: Tx) -> dict:
    o = await objection_of(tx.store, objection_id)
    domain.ensure_step(o, name)
    n = await tx.store.notice(o["notice_id"])
    await fn(tx, o, n, clock=clock)
    return await objection_of(tx.store, objection_id)


async def _assign(tx: Tx, o: dict, n: dict, *, clock: Clock, who: Principal, body: AssignIn) -> None:
    await tx.store.update_objection(
        o["_id"], {"state": "assigned" if o["state"] == "filed" else o["state"], "investigator": body.investigator},
        history={"at": clock(), "step": "assigned", "by": who.subject, "investigator": body.investigator})
    await tx.emit(ObjectionAssigned(objection_id=o["_id"], nomination_id=o["nomination_id"],
                                    investigator=body.investigator),
                  programme_id=o["programme_id"], key=o["notice_id"])


async def _findings(tx: Tx, o: dict, n: dict, *, clock: Clock, who: Principal, body: FindingsIn) -> None:
    t = clock()
    investigator = o.get("investigator") or who.name or who.subject
    await tx.store.update_objection(o["_id"], {"state": "investigating"},
                                    finding={"at": t, "by": who.subject, "text": body.findings},
                                    history={"at": t, "step": "findings", "by": who.subject})
    await tx.emit(ObjectionFindingsRecorded(objection_id=o["_id"], nomination_id=o["nomination_id"],
                                            investigator=investigator,
                                            findings_count=len(o.get("findings", [])) + 1),
                  programme_id=o["programme_id"], key=o["notice_id"])


async def _resolve(tx: Tx, o: dict, n: dict, *, clock: Clock, who: Principal, body: ResolveIn) -> None:
    t = clock()
    await tx.store.update_objection(
        o["_id"], {"state": body.outcome, "outcome": body.outcome, "resolution_reason": body.reason,
                   "resolved_at": t}, history={"at": t, "step": body.outcome, "by": who.subject})
    await tx.emit(ObjectionResolved(objection_id=o["_id"], nomination_id=o["nomination_id"],
                                    outcome=body.outcome, reason=body.reason),
                  programme_id=o["programme_id"], key=o["notice_id"])
    entry = next(e for e in n["entries"] if e["nomination_id"] == o["nomination_id"])
    other_open = await tx.store.count_open_objections(n["_id"], o["nomination_id"])
    ended = n["state"] == "closed" or t >= domain.as_utc(n["ends_at"])
    effect = domain.resolution_effect(body.outcome, entry_status=entry["status"], period_ended=ended,
                                      other_open=other_open)
    if effect == "remove":
        await remove_entry(tx, n, o["nomination_id"], body.reason, t, "objection", who.subject)
    elif effect == "confirm" and n["state"] == "closed":
        await confirm(tx, n, o["nomination_id"], clock)
    # a dismissal after the end but before the scheduler closed the notice: the closing confirms it.
