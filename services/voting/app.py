"""Wiring of the voting service (民主测评): rounds, roll, credentials, casting, counting, bulletin, tallies."""
from __future__ import annotations

import asyncio
import base64
import html
import io
import re
import zlib
from datetime import UTC, datetime
from typing import Literal
from uuid import uuid4

import qrcode
from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, Field, model_validator
from pymongo import ASCENDING, UpdateOne
from pymongo.errors import BulkWriteError

from shared.auth import Principal, require
from shared.contracts import topics
from shared.contracts.nominations import (
    MembersImported,
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationSubmitted,
    NominationWithdrawn,
    ProgrammeDefined,
    UnitsImported,
)
from shared.contracts.voting import BallotAccepted, BallotRejected, CastBallot, RoundClosed, RoundOpened
from shared.errors import Closed, Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from shared.ratelimit import RateLimiter
from shared.mongo import upsert_all
from shared.service import Service
from shared.settings import Settings

from . import domain
from .config import LOCAL_BALLOT_SECRET, VotingConfig
from .counting import Counter
from .tallies import new_parts, read_tally, seal_parts
from .views import counts_visible, round_view, tally_event, tally_view

ROUND_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
# How long the casting edge reuses a round it read (its window and rules); the counter re-reads it anyway.
EDGE_ROUND_SECONDS = 1.0
EDGE_ROUND_FIELDS = {"units": 0, "eligibility": 0}
# A cast counted by this process waits on its future; the database is checked this rarely (a partition lost in a
# rebalance after the publish would otherwise leave the future unanswered until EXEMPLAR_VOTING_CAST_WAIT).
LOCAL_POLL_SECONDS = 2.0
_bearer = HTTPBearer(auto_error=False)


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


class BallotIn(BaseModel):
    credential: str | None = Field(default=None, max_length=64,
                                   description="the one-time ballot credential; omit when casting with a member token")
    selections: list[str] = Field(default=[], max_length=500)
    grades: dict[str, str] = Field(default={}, max_length=500)


def _now() -> datetime:
    return datetime.now(UTC)


def create_service(settings: Settings | None = None, config: VotingConfig | None = None) -> Service:
    svc = Service("voting", settings, title="Voting service (民主测评)",
                  description="Voter roll, one-time ballot credentials, secret ballots with receipts, "
                              "a public bulletin with a hash chain, live tallies and turnout.")
    cfg = config or VotingConfig()
    if svc.settings.env == "production" and cfg.ballot_secret == LOCAL_BALLOT_SECRET.encode():
        raise RuntimeError("EXEMPLAR_BALLOT_SECRET must be set to a random value in production")
    api = svc.api
    counter = Counter(svc, cfg)
    svc.counter = counter
    svc.voting_config = cfg
    credential_limiter = RateLimiter(cfg.rate_per_credential, burst=max(1, cfg.rate_per_credential // 2))
    address_limiter = RateLimiter(cfg.rate_per_address)
    svc.credential_limiter, svc.address_limiter = credential_limiter, address_limiter

    @svc.on_startup
    async def indexes() -> None:
        db = svc.db
        await db.roll.create_index([("round_id", ASCENDING), ("mark", ASCENDING)], unique=True)
        await db.roll.create_index([("round_id", ASCENDING), ("cred", ASCENDING)])
        await db.roll.create_index([("round_id", ASCENDING), ("unit_id", ASCENDING)])
        await db.ballot_sheets.create_index([("round_id", ASCENDING)])
        await db.tally_parts.create_index([("round_id", ASCENDING)])
        await db.rejections.create_index([("round_id", ASCENDING)])
        await db.nominations.create_index([("programme_id", ASCENDING), ("category_id", ASCENDING),
                                           ("status", ASCENDING)])
        await db.members.create_index([("unit_id", ASCENDING)])
        await db.flags.create_index([("round_id", ASCENDING)])

    # ---- what voting learns from the nominations service ------------------------------------------------
    @svc.on(ProgrammeDefined)
    async def programme_defined(env, e: ProgrammeDefined, s) -> None:
        current = await svc.db.programmes.find_one({"_id": e.programme_id}, {"version": 1}, session=s)
        if current and current.get("version", 0) > e.version:
            return
        await svc.db.programmes.update_one(
            {"_id": e.programme_id},
            {"$set": {"version": e.version, "name": e.name, "year": e.year,
                      "categories": [c.model_dump(mode="json") for c in e.categories]}}, upsert=True, session=s)

    @svc.on(UnitsImported)
    async def units_imported(env, e: UnitsImported, s) -> None:
        await upsert_all(svc.db.units, [u.model_dump() | {"_id": u.unit_id} for u in e.units], s)

    @svc.on(MembersImported)
    async def members_imported(env, e: MembersImported, s) -> None:
        await upsert_all(svc.db.members, [m.model_dump() | {"_id": m.member_id} for m in e.members], s)

    @svc.on(NominationSubmitted)
    async def nomination_submitted(env, e: NominationSubmitted, s) -> None:
        await svc.db.nominations.update_one(
            {"_id": e.nomination_id},
            {"$set": {"programme_id": env.programme_id, "category_id": e.category_id, "nominee_id": e.nominee_id,
                      "nominee_name": e.nominee_name, "nominee_kind": e.nominee_kind, "unit_id": e.unit_id,
                      "unit_name": e.unit_name, "status": "submitted"}}, upsert=True, session=s)

    status_of = {NominationApproved: "approved", NominationReturned: "returned", NominationRejected: "rejected",
                 NominationWithdrawn: "withdrawn"}

    @svc.on(*status_of)
    async def nomination_reviewed(env, e, s) -> None:
        await svc.db.nominations.update_one(
            {"_id": e.nomination_id},
            {"$set": {"status": status_of[type(e)], "category_id": e.category_id},
             "$setOnInsert": {"programme_id": env.programme_id}}, upsert=True, session=s)
        if isinstance(e, NominationWithdrawn):
            # A withdrawn nominee stays on open ballots' lists, marked, and can no longer be selected.
            await svc.db.rounds.update_many(
                {"candidates.nomination_id": e.nomination_id, "state": "open"},
                {"$set": {"candidates.$[c].withdrawn": True}},
                array_filters=[{"c.nomination_id": e.nomination_id}], session=s)

    # ---- counting: cast commands in batches ---------------------------------------------------------------
    ballots_subscriber = svc.broker.subscriber(
        svc.topic(topics.BALLOTS), group_id=svc.group_id, batch=True, group_instance_id=svc.instance_id("ballots"),
        max_records=cfg.batch_max_records, batch_timeout_ms=cfg.batch_timeout_ms, ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest", title="voting:ballots")

    def owned_partitions() -> list[int]:
        """The ballots partitions this process counts now (none before the first assignment)."""
        consumer = getattr(ballots_subscriber, "consumer", None)
        return sorted(tp.partition for tp in consumer.assignment()) if consumer is not None else []

    def own_partition(mark: str) -> int | None:
        """A ballots partition this process counts, chosen by the voter's mark; None before the first assignment.

        With several replicas, a ballot cast here is counted here, and the answer waits on a future instead of
        polling the database for another replica's outcome. A voter's ballots cast through two replicas land on
        two partitions: the unique voter mark still lets only one count (the other is refused as already_voted).
        """
        owned = owned_partitions()
        return owned[zlib.crc32(mark.encode()) % len(owned)] if owned else None

    def ballots_share() -> float:
        """The share of the ballots partitions this process counts (1.0 alone or before the first assignment)."""
        owned = owned_partitions()
        every = ballots_subscriber.consumer.partitions_for_topic(svc.topic(topics.BALLOTS)) if owned else None
        return len(owned) / len(every) if owned and every else 1.0

    counter.share = ballots_share
    svc.ballots_subscriber, svc.own_partition = ballots_subscriber, own_partition

    @ballots_subscriber
    async def count_batch(msg: KafkaMessage) -> None:
        try:
            await counter.handle(list(msg.body), msg.raw_message if isinstance(msg.raw_message, tuple) else None)
        except Exception as exc:
            svc.log.warning("ballot batch failed; it will be redelivered", error=repr(exc))
            await asyncio.sleep(0.2)
            raise

    @svc.background
    async def tally_flush(stop: asyncio.Event) -> None:
        """TallyUpdated that a busy round's batches left to a flush (see VotingConfig.tally_events_per_second)."""
        period = 1.0 / cfg.tally_events_per_second / 2 if cfg.tally_events_per_second > 0 else 1.0
        while not stop.is_set():
            try:
                await counter.flush_tallies()
            except Exception as exc:
                svc.log.warning("tally flush failed; will retry", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=period)
            except asyncio.TimeoutError:
                pass

    @svc.background
    async def auto_close(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                due = await svc.db.rounds.find({"state": "open", "closes_at": {"$lte": _now()}}, {"_id": 1}).to_list()
                for r in due:
                    await close_round(r["_id"], only_if_due=True)
            except Exception as exc:
                svc.log.warning("automatic close failed; will retry", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                pass

    # ---- helpers --------------------------------------------------------------------------------------------
    edge_rounds: dict[str, tuple[float, dict]] = {}  # round id -> (read at, the round as the edge needs it)
    edge_reads: dict[str, asyncio.Future] = {}  # round id -> the read in flight, shared by concurrent ballots

    async def edge_round(round_id: str) -> dict | None:
        """The round as the casting edge sees it: read at most once per EDGE_ROUND_SECONDS per process.

        The edge only pre-checks (window, rules); the counter re-reads the round inside its transaction and
        decides, so a round closed or a candidate withdrawn a moment ago is still refused there.
        """
        loop = asyncio.get_running_loop()
        hit = edge_rounds.get(round_id)
        if hit is not None and loop.time() - hit[0] < EDGE_ROUND_SECONDS:
            return hit[1]
        pending = edge_reads.get(round_id)
        if pending is not None:
            return await asyncio.shield(pending)
        fut = edge_reads[round_id] = loop.create_future()
        try:
            # Not the units nor the eligibility list (hundreds or thousands of entries, decoded for nothing).
            rnd = await svc.db.rounds.find_one({"_id": round_id}, EDGE_ROUND_FIELDS)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: concurrent readers get it, an unshared failure is not reported twice
            raise
        finally:
            edge_reads.pop(round_id, None)
        if rnd is not None:
            if len(edge_rounds) > 1000:
                edge_rounds.clear()
            edge_rounds[round_id] = (loop.time(), rnd)
        fut.set_result(rnd)
        return rnd

    async def get_round(round_id: str, session=None) -> dict:
        rnd = await svc.db.rounds.find_one({"_id": round_id}, session=session)
        if rnd is None:
            raise NotFound(f"round {round_id} does not exist", field="round_id")
        return rnd

    async def get_tally(round_id: str, session=None) -> dict:
        return await read_tally(svc.db, round_id, session)

    def refuse(code: str, message: str, exc_cls, field: str | None = None):
        svc.log.info("ballot refused", reason=code)
        return exc_cls(message, field=field, code=code)

    async def record_refusal(rnd: dict, code: str, message: str) -> None:
        """A refused ballot is counted apart by reason (spoiled ones as 废票) and announced, never with its voter."""
        spoiled = code in domain.SPOILED

        async def txn(s):
            full = await svc.db.rounds.find_one({"_id": rnd["_id"]}, session=s) or rnd  # the edge reads no units
            await svc.db.rejections.insert_one({"_id": uuid4().hex, "round_id": rnd["_id"], "code": code,
                                                "reason": message, "spoiled": spoiled}, session=s)
            field = "invalid" if spoiled else f"refused.{code}"
            await svc.db.tallies.update_one({"_id": rnd["_id"]}, {"$inc": {field: 1}}, session=s)
            tally = await read_tally(svc.db, rnd["_id"], s, bump=True)
            await svc.emit_many(s, [(BallotRejected(round_id=rnd["_id"], reason=f"{code}: {message}"),
                                     rnd["programme_id"], rnd["_id"]),
                                    (tally_event(full, tally), rnd["programme_id"], rnd["_id"])])

        await svc.transact(txn)

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def bulletin_is_public(rnd: dict) -> bool:
        return rnd.get("state") == "closed" and counts_visible(rnd)

    async def bulletin_entries(round_id: str, session=None) -> list[dict]:
        sheets = await svc.db.ballot_sheets.find({"round_id": round_id}, session=session).to_list()
        entries = [domain.bulletin_entry(b["receipt"], b.get("selections", []), b.get("grades", {}))
                   for sheet in sheets for b in domain.sheet_ballots(sheet)]
        return sorted(entries, key=lambda e: e["receipt"])

    async def release_bulletin(s, rnd: dict, entries: list[dict]) -> None:
        """Ballot contents go public (as BallotAccepted, in receipt order, without time) only after the close,
        when counts are visible; a live stream of ballots would let an observer time a voter's choice."""
        if rnd.get("bulletin_released"):
            return
        await svc.db.rounds.update_one({"_id": rnd["_id"]}, {"$set": {"bulletin_released": True}}, session=s)
        await svc.emit_many(s, [(BallotAccepted(round_id=rnd["_id"], ballot_id=e["receipt"], receipt=e["receipt"],
                                                selections=e["selections"], grades=e["grades"]),
                                 rnd["programme_id"], rnd["_id"]) for e in entries])

    async def close_round(round_id: str, only_if_due: bool = False) -> dict:
        async def txn(s):
            rnd = await get_round(round_id, s)
            if only_if_due and (rnd.get("state") == "closed" or rnd["closes_at"] > _now()):
                return rnd  # another replica closed it, or it was extended
            if rnd.get("state") == "closed":
                raise Conflict(f"round {round_id} is already closed", field="round_id")
            entries = await bulletin_entries(round_id, s)
            root = domain.bulletin_root(round_id, entries)
            closed_at = _now()
            await svc.db.rounds.update_one({"_id": round_id}, {"$set": {
                "state": "closed", "bulletin_root": root, "closed_at": closed_at, "entries": len(entries)}}, session=s)
            rnd.update(state="closed", bulletin_root=root)
            await seal_parts(svc.db, round_id, s)  # a batch counting at this moment conflicts with the close
            tally = await read_tally(svc.db, round_id, s, bump=True)
            await svc.emit_many(s, [
                (RoundClosed(round_id=round_id, bulletin_root=root, ballots_cast=int(tally.get("ballots_cast", 0))),
                 rnd["programme_id"], round_id),
                (tally_event(rnd, tally), rnd["programme_id"], round_id)])
            if bulletin_is_public(rnd):
                await release_bulletin(s, rnd, entries)
            return rnd

        rnd = await svc.transact(txn)
        counter.rolls.pop(round_id, None)
        edge_rounds.pop(round_id, None)
        return rnd

    # ---- learned data, for the organiser ----------------------------------------------------------------------
    @api.get("/programmes/{programme_id}/candidates", tags=["rounds"],
             summary="Approved nominations known to voting (候选对象)")
    async def candidates(programme_id: str, category_id: str | None = None,
                         _: Principal = Depends(require("organiser"))):
        q = {"programme_id": programme_id, "status": "approved"}
        if category_id:
            q["category_id"] = category_id
        docs = await svc.db.nominations.find(q).sort("_id", ASCENDING).to_list()
        members = await svc.db.members.count_documents({})
        return {"programme_id": programme_id, "members_on_roll": members,
                "candidates": [{k: d.get(k) for k in ("category_id", "nominee_id", "nominee_name", "unit_name")}
                               | {"nomination_id": d["_id"]} for d in docs]}

    # ---- rounds -------------------------------------------------------------------------------------------------
    @api.post("/rounds", status_code=201, tags=["rounds"], summary="Open a voting round (开启测评轮次)")
    async def open_round(body: RoundIn, _: Principal = Depends(require("organiser"))):
        if not ROUND_ID.match(body.round_id):
            raise Invalid("round_id may use letters, digits, - and _ (at most 64)", field="round_id")
        if await svc.db.rounds.find_one({"_id": body.round_id}, {"_id": 1}):
            raise Conflict(f"round {body.round_id} already exists", field="round_id")
        programme = await svc.db.programmes.find_one({"_id": body.programme_id})
        if programme is None:
            raise NotFound(f"programme {body.programme_id} is not known to the voting service yet",
                           field="programme_id")
        cats = {c["category_id"]: c for c in programme.get("categories", [])}
        unknown = [c for c in body.category_ids if c not in cats]
        if unknown:
            raise Invalid(f"category {unknown[0]} is not in programme {body.programme_id}", field="category_ids")
        if len(set(body.category_ids)) != len(body.category_ids):
            raise Invalid("a category is listed twice", field="category_ids")
        if body.ballot_type == "appraisal" and body.max_selections is not None:
            raise Invalid("max_selections applies to approval ballots only", field="max_selections")
        if body.ballot_type == "approval" and body.excellent_cap is not None:
            raise Invalid("excellent_cap applies to appraisal ballots only", field="excellent_cap")
        opens_at = (body.opens_at or _now()).astimezone(UTC)
        closes_at = body.closes_at.astimezone(UTC)
        if closes_at <= opens_at:
            raise Invalid("closes_at must be after opens_at", field="closes_at")
        if closes_at <= _now():
            raise Invalid("closes_at is in the past", field="closes_at")
        noms = await svc.db.nominations.find({"programme_id": body.programme_id, "status": "approved",
                                              "category_id": {"$in": body.category_ids}}).sort("_id", 1).to_list()
        if not noms:
            raise Invalid("the categories have no approved nominations yet", field="category_ids")
        if body.excellent_cap is not None and body.excellent_cap > len(noms):
            raise Invalid(f"excellent_cap {body.excellent_cap} exceeds the {len(noms)} candidates",
                          field="excellent_cap")
        el = body.eligibility
        if el.mode == "all":
            members = await svc.db.members.find({}, {"unit_id": 1}).to_list()
        elif el.mode == "units":
            if not el.unit_ids:
                raise Invalid("list the units whose members may vote", field="eligibility.unit_ids")
            known = {u["_id"] for u in await svc.db.units.find({"_id": {"$in": el.unit_ids}}, {"_id": 1}).to_list()}
            missing = [u for u in el.unit_ids if u not in known]
            if missing:
                raise Invalid(f"unit {missing[0]} is not known", field="eligibility.unit_ids")
            members = await svc.db.members.find({"unit_id": {"$in": el.unit_ids}}, {"unit_id": 1}).to_list()
        else:
            if not el.member_ids:
                raise Invalid("list the members who may vote", field="eligibility.member_ids")
            members = await svc.db.members.find({"_id": {"$in": el.member_ids}}, {"unit_id": 1}).to_list()
            found = {m["_id"] for m in members}
            missing = [m for m in el.member_ids if m not in found]
            if missing:
                raise Invalid(f"member {missing[0]} is not on the roll", field="eligibility.member_ids")
        if not members:
            raise Invalid("nobody is eligible to vote in this round", field="eligibility")
        per_unit: dict[str, int] = {}
        for m in members:
            per_unit[m["unit_id"]] = per_unit.get(m["unit_id"], 0) + 1
        unit_names = {u["_id"]: u.get("name", "") for u in
                      await svc.db.units.find({"_id": {"$in": list(per_unit)}}, {"name": 1}).to_list()}
        units = [{"unit_id": u, "name": unit_names.get(u, ""), "eligible": n, "key": f"u{i}"}
                 for i, (u, n) in enumerate(sorted(per_unit.items()))]
        candidates = [{"nomination_id": n["_id"], "category_id": n["category_id"],
                       "nominee_name": n.get("nominee_name", ""), "unit_name": n.get("unit_name", ""),
                       "withdrawn": False, "key": f"c{i}"} for i, n in enumerate(noms)]
        max_per_category = {}
        if body.ballot_type == "approval":
            max_per_category = {c: body.max_selections or int(cats[c]["quota"]) for c in body.category_ids}
        rid = body.round_id
        secret = cfg.ballot_secret
        roll = [{"_id": f"{rid}:{m['_id']}", "round_id": rid, "member_id": m["_id"], "unit_id": m["unit_id"],
                 "mark": domain.voter_mark(secret, rid, m["_id"]), "cred": None} for m in members]
        try:
            for i in range(0, len(roll), 5000):
                await svc.db.roll.insert_many(roll[i:i + 5000], ordered=False)
        except BulkWriteError:
            pass  # the same round id created twice at once: the round insert below decides
        rnd = {"_id": rid, "programme_id": body.programme_id, "name": body.name, "category_ids": body.category_ids,
               "ballot_type": body.ballot_type, "max_selections": body.max_selections,
               "max_per_category": max_per_category, "excellent_cap": body.excellent_cap,
               "candidates": candidates, "units": units, "eligible": len(members),
               "eligibility": el.model_dump(), "opens_at": opens_at, "closes_at": closes_at,
               "counts_hidden": body.counts_hidden, "published": False, "state": "open", "created_at": _now()}

        async def txn(s):
            if await svc.db.rounds.find_one({"_id": rid}, {"_id": 1}, session=s):
                raise Conflict(f"round {rid} already exists", field="round_id")
            await svc.db.rounds.insert_one(rnd, session=s)
            await svc.db.tallies.insert_one({"_id": rid, "sequence": 1, "ballots_cast": 0, "invalid": 0}, session=s)
            await svc.db.tally_parts.insert_many(new_parts(rid, svc.settings.kafka_partitions), session=s)
            await svc.emit(s, RoundOpened(
                round_id=rid, name=body.name, category_ids=body.category_ids, ballot_type=body.ballot_type,
                max_selections=body.max_selections if body.ballot_type == "approval" else None,
                excellent_cap=body.excellent_cap, candidate_ids=[c["nomination_id"] for c in candidates],
                eligible_count=len(members), opens_at=opens_at, closes_at=closes_at,
                counts_hidden=body.counts_hidden), programme_id=body.programme_id, key=rid)
            await svc.emit(s, tally_event(rnd, {"sequence": 1}), programme_id=body.programme_id, key=rid)

        await svc.transact(txn)
        unit_keys = {u["unit_id"]: u["key"] for u in units}
        counter.units[rid] = units
        counter.rolls[rid] = {r["mark"]: unit_keys[r["unit_id"]] for r in roll}  # the counter need not read it back
        return round_view(rnd)

    @api.get("/rounds", tags=["rounds"], summary="Voting rounds (测评轮次), public")
    async def list_rounds(request: Request, programme_id: str | None = None):
        svc.check_public_rate(request)
        q = {"programme_id": programme_id} if programme_id else {}
        docs = await svc.db.rounds.find(q).sort("created_at", ASCENDING).to_list()
        return {"rounds": [round_view(d) for d in docs]}

    @api.get("/rounds/{round_id}", tags=["rounds"], summary="A round with its candidates, public")
    async def get_round_view(round_id: str, request: Request):
        svc.check_public_rate(request)
        return round_view(await get_round(round_id))

    @api.post("/rounds/{round_id}/close", tags=["rounds"], summary="Close a round and publish its bulletin root")
    async def close(round_id: str, _: Principal = Depends(require("organiser"))):
        rnd = await close_round(round_id)
        return round_view(rnd)

    @api.post("/rounds/{round_id}/publish", tags=["rounds"], summary="Publish hidden counts (公布票数)")
    async def publish(round_id: str, _: Principal = Depends(require("organiser"))):
        async def txn(s):
            rnd = await get_round(round_id, s)
            if counts_visible(rnd):
                raise Conflict("the counts of this round are already public", field="round_id")
            rnd["published"] = True
            await svc.db.rounds.update_one({"_id": round_id}, {"$set": {"published": True}}, session=s)
            tally = await read_tally(svc.db, round_id, s, bump=True)
            await svc.emit(s, tally_event(rnd, tally), programme_id=rnd["programme_id"], key=round_id)
            if bulletin_is_public(rnd):
                await release_bulletin(s, rnd, await bulletin_entries(round_id, s))
            return rnd

        return round_view(await svc.transact(txn))

    # ---- tallies, turnout, exports -----------------------------------------------------------------------------
    @api.get("/rounds/{round_id}/tally", tags=["tallies"], summary="Live tally and turnout (hidden counts omitted)")
    async def tally(round_id: str, request: Request):
        svc.check_public_rate(request)
        rnd = await get_round(round_id)
        return tally_view(rnd, await get_tally(round_id))

    @api.get("/rounds/{round_id}/tally.xlsx", tags=["tallies"], summary="Tally export (计票结果表)")
    async def tally_xlsx(round_id: str, _: Principal = Depends(require("organiser"))):
        from openpyxl import Workbook

        rnd = await get_round(round_id)
        view = tally_view(rnd, await get_tally(round_id))
        wb = Workbook()
        ws = wb.active
        ws.title = "计票 Tally"
        ws.append(["轮次 Round", rnd["name"], "状态 State", view["state"]])
        ws.append(["应参评人数 Eligible", view["eligible"], "实收有效票 Ballots", view["ballots_cast"],
                   "废票 Invalid", view["invalid"]])
        if view["counts_hidden"]:
            ws.append(["票数暂不公开 Counts are hidden until the organiser publishes them"])
        else:
            ws.append(["候选对象 Nominee", "类别 Category", "得票 Votes", *[domain.GRADE_LABELS[g] for g in domain.GRADES],
                       "得票率(应参评) Share of eligible", "得票率(实参评) Share of cast"])
            for c in view["candidates"]:
                ws.append([c["nominee_name"], c["category_id"], c["approvals"],
                           *[c["grades"].get(g, "") for g in domain.GRADES], c["share_of_eligible"], c["share_of_cast"]])
        wt = wb.create_sheet("参评率 Turnout")
        wt.append(["单位 Unit", "应参评 Eligible", "已投票 Voted", "参评率 Turnout"])
        for u in view["turnout_by_unit"]:
            wt.append([u["unit_name"] or u["unit_id"], u["eligible"], u["voted"], u["turnout"]])
        buf = io.BytesIO()
        wb.save(buf)
        return Response(buf.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="tally-{round_id}.xlsx"'})

    @api.get("/rounds/{round_id}/flags", tags=["abuse"], summary="Bursts of ballots from one unit (异常提示)")
    async def flags(round_id: str, _: Principal = Depends(require("organiser"))):
        await get_round(round_id)
        docs = await svc.db.flags.find({"round_id": round_id}).sort("minute_start", ASCENDING).to_list()
        return {"round_id": round_id, "flags": [{k: v for k, v in d.items() if k != "_id"} | {"flag_id": d["_id"]}
                                                for d in docs]}

    # ---- bulletin ---------------------------------------------------------------------------------------------
    @api.get("/rounds/{round_id}/bulletin", tags=["bulletin"],
             summary="The public bulletin: receipts (and, once counts are public, ballot contents) with the root")
    async def bulletin(round_id: str, request: Request):
        svc.check_public_rate(request)
        rnd = await get_round(round_id)
        if rnd.get("state") != "closed":
            raise Closed("the bulletin is published when the round closes", field="round_id")
        entries = await bulletin_entries(round_id)
        public = counts_visible(rnd)
        return {"round_id": round_id, "ballot_type": rnd["ballot_type"], "bulletin_root": rnd["bulletin_root"],
                "chain": "h0 = sha256('bulletin|' + round_id); h_i = sha256(h_{i-1} + '|' + canonical JSON of entry "
                         "i, entries in receipt order); root = h_n",
                "eligible": rnd["eligible"], "counts_hidden": not public,
                "candidate_ids": [c["nomination_id"] for c in rnd["candidates"]],
                "entries": entries if public else [{"receipt": e["receipt"]} for e in entries]}

    @api.get("/rounds/{round_id}/receipts/{receipt}", tags=["bulletin"], summary="Check a receipt (核验回执)")
    async def check_receipt(round_id: str, receipt: str, request: Request):
        svc.check_public_rate(request)
        rnd = await get_round(round_id)
        code = receipt.strip().upper()
        found = await svc.db.ballot_sheets.find_one({"round_id": round_id, "receipts": code},
                                                    {"_id": 1}) is not None
        return {"round_id": round_id, "receipt": code, "recorded": found, "state": rnd.get("state", "open"),
                "bulletin_root": rnd.get("bulletin_root"),
                "message": "回执已记录 the ballot with this receipt is counted" if found
                else "未找到该回执 no ballot with this receipt in this round"}

    # ---- credentials ------------------------------------------------------------------------------------------
    @api.get("/rounds/{round_id}/credentials/{unit_id}", tags=["credentials"], response_class=HTMLResponse,
             summary="Print the one-time ballot credentials of one unit, with QR codes (shown once)")
    async def credential_sheet(round_id: str, unit_id: str, reissue: bool = Query(False),
                               _: Principal = Depends(require("organiser"))):
        rnd = await get_round(round_id)
        if rnd.get("state") == "closed":
            raise Closed("the round is closed", field="round_id")
        if not any(u["unit_id"] == unit_id for u in rnd["units"]):
            raise NotFound(f"unit {unit_id} has no eligible members in this round", field="unit_id")
        rows = await svc.db.roll.find({"round_id": round_id, "unit_id": unit_id}).sort("member_id", 1).to_list()
        voted = {d["_id"] for d in await svc.db.marks.find({"_id": {"$in": [r["mark"] for r in rows]}},
                                                           {"_id": 1}).to_list()}
        names = {m["_id"]: m.get("name", "") for m in
                 await svc.db.members.find({"_id": {"$in": [r["member_id"] for r in rows]}}, {"name": 1}).to_list()}
        issued, lines = [], []
        for r in rows:
            name = names.get(r["member_id"], r["member_id"])
            if r["mark"] in voted:
                lines.append((name, r["member_id"], None, "已投票 voted"))
            elif r.get("cred") and not reissue:
                lines.append((name, r["member_id"], None, "已发放 issued earlier (not shown again)"))
            else:
                cred = domain.new_credential()
                issued.append(UpdateOne({"_id": r["_id"]}, {"$set": {"cred": domain.credential_hash(round_id, cred),
                                                                      "cred_issued_at": _now()}}))
                lines.append((name, r["member_id"], cred, "新发放 new" if not r.get("cred") else "重新发放 reissued"))
        if issued:
            await svc.db.roll.bulk_write(issued, ordered=False)
        unit_name = next(u.get("name", "") for u in rnd["units"] if u["unit_id"] == unit_id)
        cells = []
        for name, member_id, cred, status in lines:
            qr = ""
            if cred:
                img = qrcode.make(f"exemplar-ballot:{round_id}:{cred}", box_size=4, border=2)
                buf = io.BytesIO()
                img.save(buf, format="PNG")
                qr = f'<img alt="QR" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'
            cells.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(member_id)}</td>"
                         f"<td class=cred>{html.escape(cred or '—')}</td><td>{qr}</td><td>{html.escape(status)}</td></tr>")
        page = (f"<!doctype html><html lang=zh><meta charset=utf-8><title>投票凭证 Ballot credentials</title>"
                f"<style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;padding:4px}}"
                f".cred{{font-family:monospace;font-size:1.2em}}table{{border-collapse:collapse}}</style>"
                f"<h1>{html.escape(rnd['name'])} · 投票凭证 Ballot credentials</h1>"
                f"<p>单位 Unit: {html.escape(unit_name or unit_id)} · 每张凭证仅限一次使用，本页仅显示一次 "
                f"Each credential works once and is shown on this page only once.</p>"
                f"<table><tr><th>姓名 Name</th><th>编号 Member</th><th>凭证 Credential</th><th>二维码 QR</th>"
                f"<th>状态 Status</th></tr>{''.join(cells)}</table></html>")
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    # ---- casting ----------------------------------------------------------------------------------------------
    @api.get("/rounds/{round_id}/me", tags=["casting"], summary="Am I on the roll, have I voted (member token)")
    async def me(round_id: str, who: Principal = Depends(require("member"))):
        rnd = await get_round(round_id)
        if not who.member_id:
            raise Forbidden("the member token carries no member_id")
        entry = await svc.db.roll.find_one({"_id": f"{round_id}:{who.member_id}"}, {"mark": 1})
        voted = bool(entry) and await svc.db.marks.find_one({"_id": entry["mark"]}, {"_id": 1}) is not None
        return {"round_id": round_id, "eligible": entry is not None, "voted": voted, "state": rnd.get("state")}

    @api.post("/rounds/{round_id}/ballots", status_code=201, tags=["casting"],
              summary="Cast a ballot with a one-time credential or a member token; returns a receipt",
              responses={202: {"description": "accepted for counting; the receipt is checked on the bulletin"}})
    async def cast(round_id: str, body: BallotIn, request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)):
        if not address_limiter.allow(client_of(request)):
            raise refuse("rate_limited", "too many ballots from this address; try again in a minute",
                         TooManyRequests)
        rnd = await edge_round(round_id)
        if rnd is None:
            raise refuse("unknown_round", f"round {round_id} does not exist", NotFound, "round_id")
        if body.credential:
            chash = domain.credential_hash(round_id, body.credential)
            if not credential_limiter.allow("c:" + chash):
                raise refuse("rate_limited", "too many attempts with this credential; try again in a minute",
                             TooManyRequests, "credential")
            entry = await svc.db.roll.find_one({"round_id": round_id, "cred": chash}, {"mark": 1})
            if entry is None:
                await record_refusal(rnd, "unknown_credential", domain.REFUSED["unknown_credential"])
                raise refuse("unknown_credential", domain.REFUSED["unknown_credential"], Forbidden, "credential")
            mark = entry["mark"]
        elif credentials is not None:
            who = request.app.state.verifier.verify(credentials.credentials)
            if who.role != "member" or not who.member_id:
                raise Forbidden("casting needs a member token with a member_id, or a ballot credential",
                                field="credential")
            # The roll stores exactly this mark for the member (see open_round), and the counter holds the
            # round's roll in memory: eligibility costs no database read.
            mark = domain.voter_mark(cfg.ballot_secret, round_id, who.member_id)
            if not credential_limiter.allow("m:" + mark):
                raise refuse("rate_limited", "too many attempts by this member; try again in a minute",
                             TooManyRequests)
            if mark not in await counter.roll_of(round_id):
                await record_refusal(rnd, "not_eligible", domain.REFUSED["not_eligible"])
                raise refuse("not_eligible", domain.REFUSED["not_eligible"], Forbidden)
        else:
            raise Unauthorized("a ballot credential or a member token is required", field="credential")
        now = _now()
        state = domain.window_state(rnd["opens_at"], rnd["closes_at"], now, rnd.get("state") == "closed")
        if state != "open":
            await record_refusal(rnd, state, domain.REFUSED[state])
            raise refuse(state, domain.REFUSED[state], Closed, "round_id")
        # A second ballot is refused here when this process counted the first (the usual case: a voter's
        # commands share one partition); otherwise the counter refuses it, which is the authority either way.
        if mark in counter.known:
            await record_refusal(rnd, "already_voted", domain.REFUSED["already_voted"])
            raise refuse("already_voted", domain.REFUSED["already_voted"], Conflict)
        try:
            domain.validate_ballot(domain.rules_from_round(rnd), body.selections, body.grades)
        except domain.BallotInvalid as exc:
            await record_refusal(rnd, exc.code, exc.message)
            raise refuse(exc.code, f"废票 invalid ballot: {exc.message}", Invalid,
                         "grades" if rnd["ballot_type"] == "appraisal" else "selections") from None
        command = CastBallot(command_id=uuid4().hex, round_id=round_id, mark=mark, receipt=domain.new_receipt(),
                             selections=body.selections, grades=body.grades, cast_at=now)
        fut = asyncio.get_running_loop().create_future()
        counter.waiters[command.command_id] = fut
        try:
            partition = own_partition(mark)
            await svc.send(command.model_dump_json().encode(), topic=svc.topic(topics.BALLOTS),
                           key=mark.encode(), partition=partition)
            outcome = await wait_outcome(command, fut, partition)
        finally:
            counter.waiters.pop(command.command_id, None)
        if outcome is None:
            return JSONResponse(status_code=202, content={
                "status": "pending", "receipt": command.receipt, "round_id": round_id,
                "message": "投票已提交，正在计票 your ballot is queued for counting; check the receipt",
                "check": f"/rounds/{round_id}/receipts/{command.receipt}"})
        code, detail = outcome
        if code == "accepted":
            return {"status": "accepted", "receipt": command.receipt, "round_id": round_id,
                    "message": "投票成功，请保存回执 ballot counted; keep the receipt to check it on the bulletin",
                    "check": f"/rounds/{round_id}/receipts/{command.receipt}"}
        svc.log.info("ballot refused", reason=code)
        if code == "already_voted":
            raise Conflict(detail, code=code)
        if code in ("closed", "not_open"):
            raise Closed(detail, field="round_id", code=code)
        if code in domain.SPOILED:
            raise Invalid(f"废票 invalid ballot: {detail}", code=code)
        raise Forbidden(detail, code=code)

    def counts_here(partition: int | None) -> bool:
        return partition is not None and partition in owned_partitions()

    async def wait_outcome(command: CastBallot, fut, partition: int | None) -> tuple[str, str] | None:
        """The counter in this process answers through the future; another replica's answer is read from the database.

        While this process counts the ballot's partition, the database is asked only as a rare safety net: when
        the counter fell behind, every waiting request polling every 250 ms (64 clients: 500 reads a second)
        took the database's time from the very counter they were waiting for, and the HTTP path collapsed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cfg.cast_wait_seconds
        tag = domain.command_tag(command.command_id)
        while True:
            local = counts_here(partition)
            try:
                return await asyncio.wait_for(asyncio.shield(fut), timeout=LOCAL_POLL_SECONDS if local else 0.25)
            except asyncio.TimeoutError:
                pass
            mark = await svc.db.marks.find_one({"_id": command.mark}, {"tag": 1})
            if mark is not None:
                return ("accepted", command.receipt) if mark.get("tag") == tag else \
                    ("already_voted", domain.REFUSED["already_voted"])
            rej = await svc.db.rejections.find_one({"_id": command.command_id})
            if rej is not None:
                return rej["code"], rej["reason"]
            if loop.time() > deadline:
                return None

    return svc
