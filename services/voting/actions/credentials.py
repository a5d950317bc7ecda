"""Issue one unit's one-time ballot credentials (投票凭证) for printing: each is shown once, only its hash is kept.

Roles: organiser. Refusals: unknown round (404), round closed (409), a unit without eligible members in the round
(404). A member who voted gets none; one issued earlier is not shown again unless reissued (the old one then stops
working)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from shared.contracts.voting import CredentialsIssued

from .. import domain
from ..domain.rounds import ensure_not_closed, ensure_unit_in_round
from ..uow import VotingUnitOfWork
from .common import load_round, now

ROLES = ("organiser",)


@dataclass(frozen=True)
class SheetLine:
    name: str
    member_id: str
    credential: str | None  # shown on this sheet only
    status: str


@dataclass(frozen=True)
class CredentialSheet:
    round_id: str
    round_name: str
    unit_id: str
    unit_name: str
    lines: list[SheetLine]


async def issue_credentials(uow: VotingUnitOfWork, round_id: str, unit_id: str, *, secret: bytes,
                            reissue: bool = False) -> CredentialSheet:
    store = uow.store
    rnd = await load_round(store, round_id)
    ensure_not_closed(rnd)
    unit = ensure_unit_in_round(rnd, unit_id)
    rows = await store.unit_roll(round_id, unit_id)
    marks = {r["member_id"]: domain.voter_mark(secret, round_id, r["member_id"]) for r in rows}  # the roll has none
    voted = await store.voted(list(marks.values()))
    names = await store.member_names(rnd["programme_id"], [r["member_id"] for r in rows])
    issued, lines = [], []
    for r in rows:
        name = names.get(r["member_id"], r["member_id"])
        if marks[r["member_id"]] in voted:
            lines.append(SheetLine(name, r["member_id"], None, "已投票 voted"))
        elif r.get("cred") and not reissue:
            lines.append(SheetLine(name, r["member_id"], None, "已发放 issued earlier (not shown again)"))
        else:
            cred = domain.new_credential()
            issued.append((r["_id"], domain.credential_hash(round_id, cred), now()))
            lines.append(SheetLine(name, r["member_id"], cred,
                                   "新发放 new" if not r.get("cred") else "重新发放 reissued"))
    event = CredentialsIssued(round_id=round_id, unit_id=unit_id, issued=len(issued), reissue=reissue)
    await uow.run(partial(_issued, issued, event, rnd["programme_id"]))
    return CredentialSheet(round_id, rnd["name"], unit_id, unit.get("name", ""), lines)


async def _issued(issued: list, event: CredentialsIssued, programme_id: str, tx) -> None:
    await tx.store.set_credentials(issued)
    await tx.emit(event, programme_id=programme_id, key=event.round_id)
