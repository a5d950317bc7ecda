"""Bursts of ballots from one unit (异常提示), flagged by the counter for the organiser.

Roles: organiser. Refusals: unknown round (404)."""
from __future__ import annotations

from ..uow import VotingUnitOfWork
from .common import load_round

ROLES = ("organiser",)


async def burst_flags(uow: VotingUnitOfWork, round_id: str) -> dict:
    await load_round(uow.store, round_id)
    docs = await uow.store.flags(round_id)
    return {"round_id": round_id, "flags": [{k: v for k, v in d.items() if k != "_id"} | {"flag_id": d["_id"]}
                                            for d in docs]}
