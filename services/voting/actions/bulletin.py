"""The public bulletin (公示栏): the receipts, apart from them the contents in canonical order, both committed.

A voter finds their receipt at any time, during the round too (live_receipts, check_receipt); once the round is
closed and its counts are public, anyone downloads the bulletin file (bulletin_file, kind "voting.bulletin"),
recomputes the tally from the contents and checks the roots with `./exemplar verify` (shared/verify.py).

Roles: public (rate-limited per address by the HTTP layer). Refusals: unknown round (404), round not closed (409),
counts still hidden (409 counts_hidden, the file only)."""
from __future__ import annotations

from shared import verify
from shared.contracts.voting import BallotAccepted
from shared.errors import Conflict

from .. import domain
from ..domain.rounds import counts_visible, ensure_bulletin_published
from ..store import VotingStore
from ..uow import VotingTransaction, VotingUnitOfWork
from ..views import tally_rows
from .common import load_round

ROLES: tuple[str, ...] = ()
CHAIN = domain.CHAIN


async def bulletin(uow: VotingUnitOfWork, round_id: str, *, secret: bytes) -> dict:
    """The closed round's bulletin: `receipts` always, `contents` once counts are public, and their roots."""
    rnd = await load_round(uow.store, round_id)
    ensure_bulletin_published(rnd)
    receipts, contents = await bulletin_lists(uow.store, round_id, secret)
    public = counts_visible(rnd)
    return {"round_id": round_id, "ballot_type": rnd["ballot_type"], "bulletin_root": rnd["bulletin_root"],
            "commitments": stored_commitments(rnd), "chain": CHAIN,
            "eligible": rnd["eligible"], "counts_hidden": not public,
            "candidate_ids": [c["nomination_id"] for c in rnd["candidates"]],
            # receipts only: a receipt shows that a ballot was counted, never what it chose
            "entries": [{"receipt": r} for r in receipts], "receipts": receipts,
            "contents": contents if public else [], "download": f"/rounds/{round_id}/bulletin/file"}


async def bulletin_file(uow: VotingUnitOfWork, round_id: str, *, secret: bytes) -> dict:
    """What `./exemplar verify FILE` checks: both lists, their commitments and the published tally."""
    rnd = await load_round(uow.store, round_id)
    ensure_bulletin_published(rnd)
    if not counts_visible(rnd):
        raise Conflict("the contents of this round are published with its counts", field="round_id",
                       code="counts_hidden")
    receipts, contents = await bulletin_lists(uow.store, round_id, secret)
    tally = await uow.store.read_tally(round_id)
    return {"kind": verify.BULLETIN_KIND, "version": verify.BULLETIN_VERSION, "round_id": round_id,
            "programme_id": rnd["programme_id"], "name": rnd["name"], "ballot_type": rnd["ballot_type"],
            "candidate_ids": [c["nomination_id"] for c in rnd["candidates"]], "eligible": rnd["eligible"],
            "receipts": receipts, "contents": contents,
            "commitments": stored_commitments(rnd),
            "tally": {"ballots_cast": int(tally.get("ballots_cast", 0)), "invalid": int(tally.get("invalid", 0)),
                      "candidates": [{k: r[k] for k in ("nomination_id", "approvals", "grades")}
                                     for r in tally_rows(rnd, tally)]},
            "algorithms": CHAIN}


def stored_commitments(rnd: dict) -> dict:
    """The roots fixed when the round closed (RoundClosed announced the bulletin root)."""
    return {"receipts_root": rnd.get("receipts_root"), "contents_root": rnd.get("contents_root"),
            "bulletin_root": rnd.get("bulletin_root")}


async def live_receipts(uow: VotingUnitOfWork, round_id: str) -> dict:
    """The receipts counted so far, sorted, with their root now: open rounds too (no contents, no times)."""
    rnd = await load_round(uow.store, round_id)
    receipts = await uow.store.round_receipts(round_id)
    return {"round_id": round_id, "state": rnd.get("state", "open"), "count": len(receipts), "receipts": receipts,
            "receipts_root": verify.receipts_root(round_id, receipts)}


async def bulletin_lists(store: VotingStore, round_id: str, secret: bytes) -> tuple[list[str], list[dict]]:
    """Every counted ballot of the round, from its sheets: the receipts, sorted, and the contents, in canonical
    order."""
    return domain.bulletin_lists(secret, await store.sheets(round_id))


async def release_bulletin(tx: VotingTransaction, rnd: dict, contents: list[dict]) -> None:
    """Ballot contents go public (as BallotAccepted, in canonical order, without receipt or time) only after the
    close, when counts are visible; a live stream of ballots would let an observer time a voter's choice."""
    if rnd.get("bulletin_released"):
        return
    await tx.store.set_round(rnd["_id"], {"bulletin_released": True})
    rid = rnd["_id"]
    await tx.emit_many([(BallotAccepted(round_id=rid, ballot_id=f"{rid}/{i}", selections=c["selections"],
                                        grades=c["grades"]), rnd["programme_id"], rid)
                        for i, c in enumerate(contents)])
