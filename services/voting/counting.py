"""Counting: cast commands are consumed from Kafka in batches; each batch is applied in ONE transaction.

A batch inserts the voter marks (the 'has voted' record, keyed by an HMAC of round and member), the ballots
(their receipts, and apart from them their contents sealed, with no voter, no mark and no time, one sheet per
batch), the refusals (keyed by command id), one
$inc per round on the tally part of the batch's partition (services/voting/store/tallies.py), and at most one
TallyUpdated per round. A redelivered batch finds its marks already there
with its own command tag and counts nothing twice; a second ballot of the same voter finds the mark of the
first and is refused. Marks and ballots of a batch are shuffled independently, so their storage order links
nobody to a ballot beyond the batch they arrived in.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import BulkWriteError, DuplicateKeyError
from uuid import uuid4

from shared.context import acting, system_actor
from shared.contracts import topics
from shared.contracts.voting import BallotRejected, CastBallot

from . import domain
from .domain.rounds import casting_open
from .views import tally_event

if TYPE_CHECKING:
    from .uow import VotingTransaction, VotingUnitOfWork

_rng = random.SystemRandom()


class Counter:
    """Counts the cast commands of the ballots topic; every read and write goes through the voting store."""

    def __init__(self, svc, config, uow: "VotingUnitOfWork | None" = None) -> None:
        self.svc = svc
        self.config = config
        self.uow = uow
        self.rolls: dict[str, dict[str, str]] = {}  # round id -> mark -> unit key (the roll never changes)
        self._roll_locks: dict[str, asyncio.Lock] = {}
        self.units: dict[str, list[dict]] = {}  # round id -> its units (fixed when the round opens), for turnout
        self.waiters: dict[str, Any] = {}  # command id -> future of the outcome, for casts made in this process
        self.minute_counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self.flagged: set[tuple[str, str, int]] = set()
        self.batches = 0
        self.known: dict[str, str] = {}  # voter marks this process wrote (mark -> command tag); memory only
        self.phases: dict = {}
        # TallyUpdated rate per round: a token bucket; a batch that finds it empty leaves the event to flush_tallies
        self._buckets: dict[str, tuple[float, float]] = {}  # round id -> (tokens, at)
        self.pending_tallies: set[str] = set()
        self.tally_events = 0
        self.tally_events_deferred = 0
        # The share of the ballots partitions this process counts (set by the service once it consumes): the
        # round's TallyUpdated rate is split among the replicas, whose events all carry the one shared tally.
        self.share: Any = lambda: 1.0

    def _may_emit(self, round_id: str) -> bool:
        rate, burst = self.config.tally_events_per_second, self.config.tally_events_burst
        if rate <= 0:
            return True
        rate *= self.share()
        now = time.monotonic()
        tokens, at = self._buckets.get(round_id, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate)
        if tokens >= 1.0:
            self._buckets[round_id] = (tokens - 1.0, now)
            return True
        self._buckets[round_id] = (tokens, now)
        return False

    async def flush_tallies(self) -> int:
        """Emit the current tally of every round whose last batch left its TallyUpdated to this flush."""
        flushed = 0
        for rid in list(self.pending_tallies):
            if not self._may_emit(rid):
                continue
            self.pending_tallies.discard(rid)
            try:
                with acting(system_actor()):
                    await self.uow.run(partial(_emit_tally, round_id=rid))
                flushed += 1
                self.tally_events += 1
            except Exception:
                self.pending_tallies.add(rid)
                raise
        return flushed

    async def roll_of(self, round_id: str) -> dict[str, str]:
        roll = self.rolls.get(round_id)
        if roll is not None:
            return roll
        # One read of a round's roll at a time: the casting edge asks for it on every ballot, and the first
        # ballots of a busy round arrive together.
        lock = self._roll_locks.setdefault(round_id, asyncio.Lock())
        async with lock:
            roll = self.rolls.get(round_id)
            if roll is not None:
                return roll
            rnd = await self.uow.store.get_round(round_id, {"units": 1})
            keys = {u["unit_id"]: u["key"] for u in (rnd or {}).get("units", [])}
            docs = await self.uow.store.roll_members(round_id)
            # The roll keeps no mark (issue 16): 10k members' marks are recomputed here in ~70 ms, once a round.
            roll = {mark: keys.get(d["unit_id"], "")
                    for mark, d in domain.roll_marks(self.config.ballot_secret, round_id, docs).items()}
            if rnd is not None:
                self.units[round_id] = rnd.get("units", [])
                self.rolls[round_id] = roll
            self._roll_locks.pop(round_id, None)
        return roll

    async def consume(self, msg: KafkaMessage) -> None:
        """The ballots subscriber's handler: a batch that fails is redelivered (NACK) after a short pause."""
        try:
            with acting(system_actor()):  # what the counter emits names no voter (issue 16)
                await self.handle(list(msg.body), msg.raw_message if isinstance(msg.raw_message, tuple) else None)
        except Exception as exc:
            self.svc.log.warning("ballot batch failed; it will be redelivered", error=repr(exc))
            await asyncio.sleep(0.2)
            raise

    async def handle(self, bodies: list[bytes], records: tuple | None = None) -> dict[str, tuple[str, str]]:
        commands: list[CastBallot] = []
        secret = self.config.ballot_secret
        for i, raw in enumerate(bodies):
            try:
                commands.append(domain.open_command(secret, CastBallot.model_validate_json(raw)))
            except ValidationError as exc:
                record = records[i] if records and i < len(records) else None
                await self._dead_letter(raw, record, f"invalid CastBallot: {exc.errors()[0]['msg']}")
            except domain.Unsealable as exc:
                record = records[i] if records and i < len(records) else None
                await self._dead_letter(raw, record, f"sealed CastBallot: {exc}")
        if not commands:
            return {}
        by_round: dict[str, list[CastBallot]] = defaultdict(list)
        for c in commands:
            by_round[c.round_id].append(c)
        rolls = {rid: await self.roll_of(rid) for rid in by_round}
        # The tally part this batch counts into: the partition of its records (this process's own partitions).
        partition = getattr(records[0], "partition", None) if records else None
        now = datetime.now(UTC)
        bursts: list[tuple[str, str, int]] = []

        written: dict[str, str] = {}

        async def txn(tx: "VotingTransaction") -> dict[str, tuple[str, str]]:
            outcomes: dict[str, tuple[str, str]] = {}
            bursts.clear()
            written.clear()
            for rid, group in by_round.items():
                outcomes.update(await self._apply_round(tx, rid, group, rolls[rid], existing[rid], now, bursts,
                                                        written, partition))
            return outcomes

        t0 = time.perf_counter()
        existing: dict[str, dict[str, str]] = {}
        for attempt in range(3):
            # Optimistic first: the marks this process wrote are remembered, so a redelivered command or a second
            # ballot is recognised without a read. A mark this process does not know (written by another replica
            # before a rebalance, or before a restart) hits the unique _id of the marks: the transaction aborts,
            # and the batch is applied again after reading its marks from the database.
            for rid, group in by_round.items():
                if attempt == 0:
                    existing[rid] = {c.mark: self.known[c.mark] for c in group if c.mark in self.known}
                else:
                    existing[rid] = await self.uow.store.mark_tags(list({c.mark for c in group}))
            try:
                outcomes = await self.uow.run(txn)
                break
            except (DuplicateKeyError, BulkWriteError):
                if attempt == 2:
                    raise
                self.svc.log.info("a voter mark of this batch was written before; reading the marks and applying again")
        if len(self.known) > 2_000_000:
            self.known.clear()
        self.known.update(written)
        self.batches += 1
        self.svc.log.debug("ballot batch counted", commands=len(commands), seconds=round(time.perf_counter() - t0, 3),
                           phases=self.phases)
        for code in {o[0] for o in outcomes.values()} - {"accepted"}:
            n = sum(1 for o in outcomes.values() if o[0] == code)
            self.svc.log.info("ballots refused by the counter", reason=code, count=n)
        for cid, outcome in outcomes.items():
            fut = self.waiters.get(cid)
            if fut is not None and not fut.done():
                fut.set_result(outcome)
        await self._flag_bursts(bursts, now)
        return outcomes

    async def _apply_round(self, tx: "VotingTransaction", rid: str, group: list[CastBallot], roll: dict[str, str],
                           existing: dict[str, str], now: datetime, bursts: list,
                           written: dict[str, str], partition: int | None = None) -> dict[str, tuple[str, str]]:
        outcomes: dict[str, tuple[str, str]] = {}
        tp = time.perf_counter()
        self.phases = {}
        # Without the units and the eligibility list (large, and fixed when the round opened): the units
        # come from memory, read with the roll.
        rnd = await tx.store.get_round(rid, {"units": 0, "eligibility": 0})
        if rnd is None:
            for c in group:
                outcomes[c.command_id] = ("unknown_round", domain.REFUSED["unknown_round"])
            self.svc.log.warning("cast commands for an unknown round", round_id=rid, count=len(group))
            return outcomes
        self.phases["find"] = round(time.perf_counter() - tp, 3)
        units = self.units.get(rid)
        if units is None:  # the round opened after this batch read its roll
            units = (await tx.store.get_round(rid, {"units": 1}) or {}).get("units", [])
        rnd["units"] = units
        batch = _judge(rnd, group, roll, existing, now, outcomes)
        written.update(batch.written)
        self.phases["loop"] = round(time.perf_counter() - tp, 3)
        marks, ballots, refusals, inc = batch.marks, batch.ballots, batch.refusals, batch.inc
        if marks:
            _rng.shuffle(marks)
            _rng.shuffle(ballots)
            await tx.store.insert_marks(marks)
            # The batch's ballots, shuffled, go into one sheet: one write instead of one per ballot.
            await tx.store.insert_sheet(domain.ballot_sheet(self.config.ballot_secret, uuid4().hex, rid, ballots))
            inc["ballots_cast"] = len(ballots)
        for c, code, reason in refusals:
            outcomes[c.command_id] = (code, reason)
        if refusals:  # a refusal recorded before (this is a redelivery) is not counted again
            done = await tx.store.recorded_rejections([c.command_id for c, _, _ in refusals])
            refusals = [r for r in refusals if r[0].command_id not in done]
        if not marks and not refusals:
            return outcomes
        self.phases["insert"] = round(time.perf_counter() - tp, 3)
        await self._write_counts(tx, rnd, partition, inc, refusals)
        self.phases["tally"] = round(time.perf_counter() - tp, 3)
        if marks:
            minute = int(now.timestamp() // 60)
            bursts.extend((rid, u, minute) for u in batch.units)
        return outcomes

    async def _write_counts(self, tx: "VotingTransaction", rnd: dict, partition: int | None, inc: dict[str, int],
                            refusals: list[tuple[CastBallot, str, str]]) -> None:
        """The refusals, the batch's increments to its tally part, and at most one TallyUpdated for the round."""
        rid = rnd["_id"]
        inc_all = dict(inc)
        if refusals:
            await tx.store.insert_rejections(
                [{"_id": c.command_id, "round_id": rid, "code": code, "reason": reason,
                  "spoiled": code in domain.SPOILED} for c, code, reason in refusals])
            for _, code, _ in refusals:
                inc_all["invalid" if code in domain.SPOILED else f"refused.{code}"] = inc_all.get(
                    "invalid" if code in domain.SPOILED else f"refused.{code}", 0) + 1
        await tx.store.add_counts(rid, partition, inc_all)
        events = []
        if self._may_emit(rid):
            tally = await tx.store.read_tally(rid, bump=True)
            events.append((tally_event(rnd, tally), rnd["programme_id"], rid))
            self.tally_events += 1
        else:  # the flush emits the tally as it is then (a later sequence), within 1 / tally_events_per_second
            self.pending_tallies.add(rid)
            self.tally_events_deferred += 1
        events += [(BallotRejected(round_id=rid, reason=f"{code}: {reason}"), rnd["programme_id"], rid)
                   for _, code, reason in refusals]
        if events:
            await tx.emit_many(events)

    async def _flag_bursts(self, bursts: list[tuple[str, str, int]], now: datetime) -> None:
        """Warn the organiser when one unit votes in a burst; in-process counts per minute (per replica)."""
        touched = set()
        for key in bursts:
            self.minute_counts[key] += 1
            touched.add(key)
        units: dict[str, dict[str, dict]] = {}
        for key in touched:
            rid, unit_key, minute = key
            if key in self.flagged:
                continue
            if rid not in units:
                rnd = await self.uow.store.get_round(rid, {"units": 1})
                units[rid] = {u["key"]: u for u in (rnd or {}).get("units", [])}
            unit = units[rid].get(unit_key)
            if unit is None:
                continue
            threshold = domain.burst_threshold(unit["eligible"], self.config.burst_min_ballots,
                                               self.config.burst_share)
            if self.minute_counts[key] > threshold:
                self.flagged.add(key)
                await self.uow.store.save_flag(f"{rid}:{unit_key}:{minute}", {
                    "round_id": rid, "unit_id": unit["unit_id"], "unit_name": unit.get("name", ""),
                    "kind": "burst", "minute_start": datetime.fromtimestamp(minute * 60, UTC),
                    "ballots_in_minute": self.minute_counts[key], "threshold": threshold,
                    "message": f"{self.minute_counts[key]} ballots from this unit within one minute "
                               f"(threshold {threshold})"})
                self.svc.log.warning("burst of ballots from one unit flagged", round_id=rid,
                                     unit_id=unit["unit_id"], ballots=self.minute_counts[key], threshold=threshold)
        cutoff = int(now.timestamp() // 60) - 5
        for key in [k for k in self.minute_counts if k[2] < cutoff]:
            self.minute_counts.pop(key, None)
            self.flagged.discard(key)

    async def _dead_letter(self, raw: bytes, record: Any, reason: str) -> None:
        await self.svc.send_dead_letter(topics.BALLOTS, record, raw, reason, 1)
        self.svc.log.error("cast command sent to the dead-letter topic", reason=reason)


@dataclass
class _Batch:
    """What one round's commands of a batch come to: the marks and ballots to write, refusals, increments."""

    marks: list[dict] = field(default_factory=list)
    ballots: list[dict] = field(default_factory=list)
    refusals: list[tuple[CastBallot, str, str]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    inc: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    written: dict[str, str] = field(default_factory=dict)


def _judge(rnd: dict, group: list[CastBallot], roll: dict[str, str], existing: dict[str, str], now: datetime,
           outcomes: dict[str, tuple[str, str]]) -> _Batch:
    """Each command counted, recognised as redelivered, or refused, in the order they arrived (no I/O)."""
    rules = domain.rules_from_round(rnd)
    key_of = {c["nomination_id"]: c["key"] for c in rnd["candidates"]}
    state = domain.window_state(rnd["opens_at"], rnd["closes_at"], now, rnd.get("state") == "closed")
    # The stage as the round says now, read in this batch's transaction: a stage closed a moment ago is seen here.
    stage_open = casting_open(rnd, now)
    seen: dict[str, str] = {}
    batch = _Batch()
    refusals, inc = batch.refusals, batch.inc
    for c in group:
        tag = domain.command_tag(c.command_id)
        prior = existing.get(c.mark, seen.get(c.mark))
        if prior is not None:
            if prior == tag:
                outcomes[c.command_id] = ("accepted", c.receipt)  # redelivered: counted once already
            else:
                refusals.append((c, "already_voted", domain.REFUSED["already_voted"]))
            continue
        unit_key = roll.get(c.mark)
        if unit_key is None:
            refusals.append((c, "not_eligible", domain.REFUSED["not_eligible"]))
            continue
        cast_state = state
        if state == "open" and c.cast_at is not None:
            cast_state = domain.window_state(rnd["opens_at"], rnd["closes_at"], c.cast_at)
        if cast_state != "open":
            refusals.append((c, cast_state, domain.REFUSED[cast_state]))
            continue
        if not stage_open:
            refusals.append((c, "stage_closed", domain.REFUSED["stage_closed"]))
            continue
        try:
            domain.validate_ballot(rules, c.selections, c.grades)
        except domain.BallotInvalid as exc:
            refusals.append((c, exc.code, exc.message))
            continue
        seen[c.mark] = tag
        batch.marks.append({"_id": c.mark, "tag": tag})
        batch.written[c.mark] = tag
        batch.units.append(unit_key)
        batch.ballots.append({"receipt": c.receipt, "selections": sorted(c.selections),
                              "grades": dict(sorted(c.grades.items()))})
        for k, n in domain.ballot_increments(rnd["ballot_type"], (key_of[x] for x in c.selections),
                                             {key_of[x]: g for x, g in c.grades.items()}).items():
            inc[k] += n
        inc[f"voted.{unit_key}"] += 1
        outcomes[c.command_id] = ("accepted", c.receipt)
    return batch

async def _emit_tally(tx: "VotingTransaction", round_id: str) -> None:
    """The flush's transaction: the round's tally as it is now, under the next sequence."""
    rnd = await tx.store.get_round(round_id)
    if rnd is None:
        return
    tally = await tx.store.read_tally(round_id, bump=True)
    if tally:
        await tx.emit_many([(tally_event(rnd, tally), rnd["programme_id"], round_id)])
