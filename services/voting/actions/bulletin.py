"""The public bulletin of a closed round: its receipts, its root, and the ballots once counts are public.

Roles: public (rate-limited per address by the HTTP layer). Refusals: unknown round (404), round not closed (409)."""
from __future__ import annotations

from shared.contracts.voting import BallotAccepted

from .. import domain
from ..domain.rounds import counts_visible, ensure_bulletin_published
from ..store import VotingStore
from ..uow import VotingTransaction, VotingUnitOfWork
from .common import load_round

ROLES: tuple[str, ...] = ()
CHAIN = ("h0 = sha256('bulletin|' + round_id); h_i = sha256(h_{i-1} + '|' + canonical JSON of entry "
         "i, entries in receipt order); root = h_n")


async def bulletin(uow: VotingUnitOfWork, round_id: str) -> dict:
    rnd = await load_round(uow.store, round_id)
    ensure_bulletin_published(rnd)
    entries = await bulletin_entries(uow.store, round_id)
    public = counts_visible(rnd)
    return {"round_id": round_id, "ballot_type": rnd["ballot_type"], "bulletin_root": rnd["bulletin_root"],
            "chain": CHAIN, "eligible": rnd["eligible"], "counts_hidden": not public,
            "candidate_ids": [c["nomination_id"] for c in rnd["candidates"]],
            "entries": entries if public else [{"receipt": e["receipt"]} for e in entries]}


async def bulletin_entries(store: VotingStore, round_id: str) -> list[dict]:
    """Every counted ballot of the round, from its sheets, in receipt order."""
    sheets = await store.sheets(round_id)
    entries = [domain.bulletin_entry(b["receipt"], b.get("selections", []), b.get("grades", {}))
               for sheet in sheets for b in domain.sheet_ballots(sheet)]
    return sorted(entries, key=lambda e: e["receipt"])


async def release_bulletin(tx: VotingTransaction, rnd: dict, entries: list[dict]) -> None:
    """Ballot contents go public (as BallotAccepted, in receipt order, without time) only after the close,
    when counts are visible; a live stream of ballots would let an observer time a voter's choice."""
    if rnd.get("bulletin_released"):
        return
    await tx.store.set_round(rnd["_id"], {"bulletin_released": True})
    await tx.emit_many([(BallotAccepted(round_id=rnd["_id"], ballot_id=e["receipt"], receipt=e["receipt"],
                                        selections=e["selections"], grades=e["grades"]),
                         rnd["programme_id"], rnd["_id"]) for e in entries])
