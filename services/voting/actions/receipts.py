"""Check a receipt (核验回执): whether the ballot with this receipt is counted in the round, at any time.

The answer never says what the ballot chose: the bulletin keeps the contents apart from the receipts.

Roles: public (rate-limited per address by the HTTP layer). Refusals: unknown round (404)."""
from __future__ import annotations

from ..uow import VotingUnitOfWork
from .common import load_round

ROLES: tuple[str, ...] = ()


async def check_receipt(uow: VotingUnitOfWork, round_id: str, receipt: str) -> dict:
    rnd = await load_round(uow.store, round_id)
    code = receipt.strip().upper()
    found = await uow.store.receipt_recorded(round_id, code)
    # A receipt is recorded in the same transaction as the tally increments of its ballot: recorded is counted.
    return {"round_id": round_id, "receipt": code, "recorded": found, "counted": found, "on_bulletin": found,
            "state": rnd.get("state", "open"), "receipts": f"/rounds/{round_id}/receipts",
            "bulletin_root": rnd.get("bulletin_root"),
            "message": "回执已记录 the ballot with this receipt is counted" if found
            else "未找到该回执 no ballot with this receipt in this round"}
