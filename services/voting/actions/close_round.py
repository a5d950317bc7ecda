"""Close a round (结束测评): seal its tally, fix the bulletin's roots (receipts, contents, both), announce RoundClosed
and the final tally.

Roles: organiser, and the service itself at the closing time (close_due_rounds).
Refusals: unknown round (404), already closed (409; the automatic close skips it instead)."""
from __future__ import annotations

from functools import partial

from shared.contracts.voting import RoundClosed

from .. import domain
from ..domain.rounds import bulletin_is_public, due_to_close, ensure_closable
from ..uow import VotingTransaction, VotingUnitOfWork
from ..views import tally_event
from .bulletin import bulletin_lists, release_bulletin
from .common import RoundCaches, load_round, now

ROLES = ("organiser",)


async def close_round(uow: VotingUnitOfWork, round_id: str, *, secret: bytes, only_if_due: bool = False,
                      caches: RoundCaches | None = None) -> dict:
    rnd = await uow.run(partial(_close, round_id=round_id, only_if_due=only_if_due, secret=secret))
    if caches is not None:
        caches.closed(round_id)
    return rnd


async def close_due_rounds(uow: VotingUnitOfWork, *, secret: bytes, caches: RoundCaches | None = None) -> None:
    """Close every open round whose closing time has come (a step of the automatic-close loop)."""
    for round_id in await uow.store.due_rounds(now()):
        await close_round(uow, round_id, secret=secret, only_if_due=True, caches=caches)


async def _close(tx: VotingTransaction, round_id: str, only_if_due: bool, secret: bytes) -> dict:
    rnd = await load_round(tx.store, round_id)
    if only_if_due and not due_to_close(rnd, now()):
        return rnd  # another replica closed it, or it was extended
    ensure_closable(rnd)
    receipts, contents = await bulletin_lists(tx.store, round_id, secret)
    roots = domain.commitments(round_id, receipts, contents)
    root = roots["bulletin_root"]
    await tx.store.set_round(round_id, {"state": "closed", **roots, "closed_at": now(), "entries": len(receipts)})
    rnd.update(state="closed", **roots)
    await tx.store.seal_parts(round_id)  # a batch counting at this moment conflicts with the close
    tally = await tx.store.read_tally(round_id, bump=True)
    await tx.emit_many([
        (RoundClosed(round_id=round_id, bulletin_root=root, ballots_cast=int(tally.get("ballots_cast", 0))),
         rnd["programme_id"], round_id),
        (tally_event(rnd, tally), rnd["programme_id"], round_id)])
    if bulletin_is_public(rnd):
        await release_bulletin(tx, rnd, contents)
    return rnd
