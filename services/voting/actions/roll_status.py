"""Am I on the roll, have I voted (a member's own status in a round).

Roles: member. Refusals: unknown round (404), a member token without a member_id (403)."""
from __future__ import annotations

from shared.auth import Principal
from shared.errors import Forbidden

from .. import domain
from ..uow import VotingUnitOfWork
from .common import load_round

ROLES = ("member",)


async def roll_status(uow: VotingUnitOfWork, round_id: str, who: Principal, *, secret: bytes) -> dict:
    rnd = await load_round(uow.store, round_id)
    if not who.member_id:
        raise Forbidden("the member token carries no member_id")
    entry = await uow.store.roll_entry(round_id, who.member_id)
    voted = bool(entry) and await uow.store.has_voted(domain.voter_mark(secret, round_id, who.member_id))
    return {"round_id": round_id, "eligible": entry is not None, "voted": voted, "state": rnd.get("state")}
