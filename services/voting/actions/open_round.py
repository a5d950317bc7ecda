"""Open a voting round (开启测评轮次): its candidates, its roll (members, no voter marks), its empty tally in parts.

Roles: organiser. Refusals (each with its field): a malformed round id (422), the round exists (409), the programme
is not known yet (404), the voting stage (民主测评) not open (409 stage_closed, field stage), a category not in it or
listed twice, limits that do not fit the ballot type (422), a category whose 公示 list is published (409
category_published, field category_ids), categories whose peer vote comes from rounds of different ballot types
(422), a round that would replace another round's peer-vote component without confirm_replace (409
replaces_peer_vote, field confirm_replace), a window that ends before it starts or in the past, no approved
nominations, an excellent cap above the candidates, units or members that are not known, nobody eligible (422).
Emits RoundOpened and the first TallyUpdated."""
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
    # 优秀 for at most this share of the candidates (0.3: 30 %), rounded down but at least 1 (domain.excellent_limit)
    excellent_cap_share: float | None = Field(default=None, ge=0, le=1)
    # appraisal: whether a ballot may leave a candidate ungraded
    abstain_allowed: bool = False
    # the organiser confirms that this round replaces the peer-vote component another round feeds
    confirm_replace: bool = False
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
        raise Conflict(f"round {body.round_id} already exists", field="round_id", code="round_exists")
    programme = await store.programme(body.programme_id)
    if programme is None:
        raise NotFound(f"programme {body.programme_id} is not known to the voting service yet",
                       field="programme_id")
    rules.ensure_voting_open(programme, now())
    cats = {c["category_id"]: c for c in programme.get("categories", [])}
    rules.check_rules(body.programme_id, cats, body.category_ids, body.ballot_type, body.max_selections,
                      body.excellent_cap, body.excellent_cap_share, body.abstain_allowed)
    rules.ensure_not_published(programme, body.category_ids)
    feeds = rules.feeds_peer_vote(cats, body.category_ids, body.ballot_type)
    opens_at, closes_at = rules.window(body.opens_at, body.closes_at, now())
    noms = await store.approved_nominations(body.programme_id, body.category_ids)
    rules.check_candidates(noms, body.excellent_cap)
    members = await eligible_members(store, body.programme_id, body.eligibility)
    if not members:
        raise Invalid("nobody is eligible to vote in this round", field="eligibility", code="nobody_eligible")
    units = rules.round_units(members, await store.unit_names(body.programme_id,
                                                              sorted({m["unit_id"] for m in members})))
    # Asked last: the organiser confirms the replacement of a round that is otherwise valid.
    replaces = rules.ensure_replace_confirmed(
        body.category_ids, await store.feeding_rounds(body.programme_id, body.category_ids) if feeds else [],
        body.confirm_replace)
    rid = body.round_id
    roll = rules.roll_entries(secret, rid, members)
    await store.insert_roll(roll)
    rnd = _round_doc(body, programme, cats, rules.round_candidates(noms), units, len(members), (opens_at, closes_at))
    rnd |= {"feeds_peer_vote": feeds, "replaces_peer_vote_of": replaces}
    await uow.run(partial(_create, rnd=rnd, partitions=partitions))
    if caches is not None:
        unit_keys = {u["unit_id"]: u["key"] for u in units}
        caches.opened(rid, units, {m: unit_keys[r["unit_id"]]  # no need to read it back
                                   for m, r in rules.roll_marks(secret, rid, roll).items()})
    return rnd


def _round_doc(body: RoundIn, programme: dict, cats: dict[str, dict], candidates: list[dict], units: list[dict],
               eligible: int, window: tuple[datetime, datetime]) -> dict:
    return {"_id": body.round_id, "programme_id": body.programme_id, "name": body.name,
            "category_ids": body.category_ids, "ballot_type": body.ballot_type, "max_selections": body.max_selections,
            "max_per_category": rules.max_per_category(body.ballot_type, body.category_ids, cats,
                                                       body.max_selections),
            "excellent_cap": body.excellent_cap, "excellent_cap_share": body.excellent_cap_share,
            "abstain_allowed": body.abstain_allowed, "candidates": candidates, "units": units,
            "eligible": eligible, "eligibility": body.eligibility.model_dump(), "opens_at": window[0],
            "closes_at": window[1], "counts_hidden": body.counts_hidden, "published": False, "state": "open",
            "voting_stage": rules.stage_snapshot(programme), "created_at": now()}


async def eligible_members(store: VotingStore, programme_id: str, el: EligibilityIn) -> list[dict]:
    """The programme's members (member_id, unit_id) who may vote: everyone on its roll, the members of some of its
    units, or a list. A member or unit of another programme is unknown here, whatever its id."""
    if el.mode == "all":
        return await store.members_in(programme_id)
    if el.mode == "units":
        if not el.unit_ids:
            raise Invalid("list the units whose members may vote", field="eligibility.unit_ids",
                          code="no_units_listed")
        missing = rules.first_missing(el.unit_ids, await store.known_units(programme_id, el.unit_ids))
        if missing is not None:
            raise Invalid(f"unit {missing} is not known", field="eligibility.unit_ids", code="unknown_unit")
        return await store.members_in(programme_id, unit_ids=el.unit_ids)
    if not el.member_ids:
        raise Invalid("list the members who may vote", field="eligibility.member_ids", code="no_members_listed")
    members = await store.members_in(programme_id, member_ids=el.member_ids)
    missing = rules.first_missing(el.member_ids, (m["member_id"] for m in members))
    if missing is not None:
        raise Invalid(f"member {missing} is not on the roll", field="eligibility.member_ids", code="not_on_roll")
    return members


async def _create(tx: VotingTransaction, rnd: dict, partitions: int) -> None:
    rid, pid = rnd["_id"], rnd["programme_id"]
    if await tx.store.round_exists(rid):
        raise Conflict(f"round {rid} already exists", field="round_id", code="round_exists")
    await tx.store.insert_round(rnd)
    await tx.store.create_tally(rid, partitions)
    await tx.emit(RoundOpened(
        round_id=rid, name=rnd["name"], category_ids=rnd["category_ids"], ballot_type=rnd["ballot_type"],
        max_selections=rnd["max_selections"] if rnd["ballot_type"] == "approval" else None,
        excellent_cap=rnd["excellent_cap"], candidate_ids=[c["nomination_id"] for c in rnd["candidates"]],
        eligible_count=rnd["eligible"], opens_at=rnd["opens_at"], closes_at=rnd["closes_at"],
        counts_hidden=rnd["counts_hidden"], feeds_peer_vote=rnd["feeds_peer_vote"],
        excellent_cap_share=rnd["excellent_cap_share"], abstain_allowed=rnd["abstain_allowed"]),
        programme_id=pid, key=rid)
    await tx.emit(tally_event(rnd, {"sequence": 1}), programme_id=pid, key=rid)
