"""A round's live tally and turnout (hidden counts left out), for everyone and for the organiser's export.

Roles: public for the tally (rate-limited per address by the HTTP layer); organiser for the export.
Refusals: unknown round (404)."""
from __future__ import annotations

from ..uow import VotingUnitOfWork
from ..views import tally_view
from .common import load_round

ROLES: tuple[str, ...] = ()
EXPORT_ROLES = ("organiser",)


async def tally(uow: VotingUnitOfWork, round_id: str) -> tuple[dict, dict]:
    """(the round, its tally as shown)."""
    rnd = await load_round(uow.store, round_id)
    return rnd, tally_view(rnd, await uow.store.read_tally(round_id))
