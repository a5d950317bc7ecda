"""Open a voting round (开启测评轮次): its candidates, its roll with the voter marks, its empty tally in parts.

Roles: organiser. Refusals (each with its field): a malformed round id (422), the round exists (409), the programme
is not known yet (404), a category not in it or listed twice, limits that do not fit the ballot type, a window
that ends before it starts or in the past, no approved nominations, an excellent cap above the candidates, units or
members that are not known, nobody eligible (422). Emits RoundOpened and the first TallyUpdated."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Literal
from uuid import uuid4

from pydantic import BaseModel, Field, model_validator

from shared.contracts.voting import RoundOpened
from shared.errors import Conflict, Invalid, NotFound

from ..domain import rounds as rules
from ..store import VotingStore
from ..uow import VotingTransaction, VotingUnitOfWork
from ..views import tally_event
from .common import RoundCaches, now

ROLES = ("organiser",)


class EligibilityIn(BaseModel):
    mode: Literal["all", "units", "members"] = "all"
    unit_ids: list[str] = []
    member_ids: list[str] = []


class RoundIn(BaseModel):
    round_id: str = Field(default_factory=lambda: "r" + uuid4().hex[:11])
    programme_id: str
    name: str = Field(min_length=1, max_length=200)
    category_ids: list[str] = Field(min_length=1)
    ballot_type: Literal["approval", "appraisal"]
    max_selections: int | None = Field(default=None, ge=1)
    excellent_cap: int | None = Field(default=None, ge=0)
    eligibility: EligibilityIn = EligibilityIn()
    opens_at: datetime | None = None
    closes_at: datetime
    counts_hidden: bool = False

    @model_validator(mode="after")
    def _times_are_aware(self) -> "RoundIn":
        for name in ("opens_at", "closes_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-06-01T09:00:00+08:00)")
        return self


async def open_round(uow: VotingUnitOfWork, body: RoundIn, *, secret: bytes, partitions: int,
                     caches: RoundCaches | None = None) -> dict:
    """The round as stored; the roll is written first (outside the transaction: it can be thousands of entries)."""
    store = uow.store
    rules.check_round_id(body.round_id)
    if await store.round_exists(body.round_id):
        raise Conflict(f"round {body.round_id} already exists", field="round_id")
    programme = await store.programme(body.programme_id)
    if programme is None:
        raise NotFound(f"programme {body.programme_id} is not known to the voting service yet",
                       field="programme_id")
    cats = {c["category_id"]: c for c in programme.get("categories", [])}
    rules.check_rules(body.programme_id, cats, body.category_ids, body.ballot_type, body.max_selections,
                      body.excellent_cap)
    opens_at, closes_at = rules.window(body.opens_at, body.closes_at, now())
    noms = await store.approved_nominations(body.programme_id, body.category_ids)
    rules.check_candidates(noms, body.excellent_cap)
    members = await eligible_members(store, body.eligibility)
    if not members:
        raise Invalid("nobody is eligible to vote in this round", field="eligibility")
    units = rules.round_units(members, await store.unit_names(sorted({m["unit_id"] for m in members})))
    candidates = rules.round_candidates(noms)
    rid = body.round_id
    roll = rules.roll_entries(secret, rid, members)
    await store.insert_roll(roll)
    rnd = {"_id": rid, "programme_id": body.programme_id, "name": body.name, "category_ids": body.category_ids,
           "ballot_type": body.ballot_type, "max_selections": body.max_selections,
           "max_per_category": rules.max_per_category(body.ballot_type, body.category_ids, cats,
                                                      body.max_selections),
           "excellent_cap": body.excellent_cap, "candidates": candidates, "units": units,
           "eligible": len(members), "eligibility": body.eligibility.model_dump(), "opens_at": opens_at,
           "closes_at": closes_at, "counts_hidden": body.counts_hidden, "published": False, "state": "open",
           "created_at": now()}
    await uow.run(partial(_create, rnd=rnd, partitions=partitions))
    if caches is not None:
        unit_keys = {u["unit_id"]: u["key"] for u in units}
        caches.opened(rid, units, {r["mark"]: unit_keys[r["unit_id"]] for r in roll})  # no need to read it back
    return rnd


async def eligible_members(store: VotingStore, el: EligibilityIn) -> list[dict]:
    """Members (with their unit) who may vote: everyone on the roll, the members of some units, or a list."""
    if el.mode == "all":
        return await store.members_in()
    if el.mode == "units":
        if not el.unit_ids:
            raise Invalid("list the units whose members may vote", field="eligibility.unit_ids")
        missing = rules.first_missing(el.unit_ids, await store.known_units(el.unit_ids))
        if missing is not None:
            raise Invalid(f"unit {missing} is not known", field="eligibility.unit_ids")
        return await store.members_in(unit_ids=el.unit_ids)
    if not el.member_ids:
        raise Invalid("list the members who may vote", field="eligibility.member_ids")
    members = await store.members_in(member_ids=el.member_ids)
    missing = rules.first_missing(el.member_ids, (m["_id"] for m in members))
    if missing is not None:
        raise Invalid(f"member {missing} is not on the roll", field="eligibility.member_ids")
    return members


async def _create(tx: VotingTransaction, rnd: dict, partitions: int) -> None:
    rid, pid = rnd["_id"], rnd["programme_id"]
    if await tx.store.round_exists(rid):
        raise Conflict(f"round {rid} already exists", field="round_id")
    await tx.store.insert_round(rnd)
    await tx.store.create_tally(rid, partitions)
    await tx.emit(RoundOpened(
        round_id=rid, name=rnd["name"], category_ids=rnd["category_ids"], ballot_type=rnd["ballot_type"],
        max_selections=rnd["max_selections"] if rnd["ballot_type"] == "approval" else None,
        excellent_cap=rnd["excellent_cap"], candidate_ids=[c["nomination_id"] for c in rnd["candidates"]],
        eligible_count=rnd["eligible"], opens_at=rnd["opens_at"], closes_at=rnd["closes_at"],
        counts_hidden=rnd["counts_hidden"]), programme_id=pid, key=rid)
    await tx.emit(tally_event(rnd, {"sequence": 1}), programme_id=pid, key=rid)
