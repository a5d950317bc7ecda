"""The rounds (测评轮次) and one round with its candidates, as anyone may see them.

Roles: public (rate-limited per address by the HTTP layer). Refusals: unknown round (404)."""
from __future__ import annotations

from ..uow import VotingUnitOfWork
from ..views import round_view
from .common import load_round

ROLES: tuple[str, ...] = ()


async def list_rounds(uow: VotingUnitOfWork, programme_id: str | None = None) -> dict:
    return {"rounds": [round_view(d) for d in await uow.store.list_rounds(programme_id)]}


async def round_info(uow: VotingUnitOfWork, round_id: str) -> dict:
    return round_view(await load_round(uow.store, round_id))
