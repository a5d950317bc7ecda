"""Publish a closed round's hidden counts (公布票数): the tally and the bulletin's ballots.

Roles: organiser. Refusals: unknown round (404), counts already public (409), the round still open (409 round_open)."""
from __future__ import annotations

from functools import partial

from ..domain.rounds import bulletin_is_public, ensure_closed_to_publish, ensure_counts_hidden
from ..uow import VotingTransaction, VotingUnitOfWork
from ..views import tally_event
from .bulletin import bulletin_lists, release_bulletin
from .common import load_round

ROLES = ("organiser",)


async def publish_counts(uow: VotingUnitOfWork, round_id: str, *, secret: bytes) -> dict:
    return await uow.run(partial(_publish, round_id=round_id, secret=secret))


async def _publish(tx: VotingTransaction, round_id: str, secret: bytes) -> dict:
    rnd = await load_round(tx.store, round_id)
    ensure_counts_hidden(rnd)
    ensure_closed_to_publish(rnd)
    rnd["published"] = True
    await tx.store.set_round(round_id, {"published": True})
    tally = await tx.store.read_tally(round_id, bump=True)
    await tx.emit(tally_event(rnd, tally), programme_id=rnd["programme_id"], key=round_id)
    if bulletin_is_public(rnd):
        await release_bulletin(tx, rnd, (await bulletin_lists(tx.store, round_id, secret))[1])
    return rnd
