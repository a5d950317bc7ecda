"""The casting edge of one process: its rate limits, its copy of the rounds, and the way to the counter and back.

A ballot cast here goes to a ballots partition this process counts, and the answer waits on a future that the
counter of this process resolves; the database is only a safety net for a partition lost in a rebalance."""
from __future__ import annotations

import asyncio
import zlib
from typing import TYPE_CHECKING, Any

from shared.auth import Principal
from shared.contracts import topics
from shared.contracts.voting import CastBallot
from shared.ratelimit import RateLimiter

from . import domain
from .config import VotingConfig
from .counting import Counter
from .uow import VotingUnitOfWork

if TYPE_CHECKING:
    from shared.service import Service

# How long the casting edge reuses a round it read (its window, rules and voting stage); the counter re-reads it
# anyway. This bounds the staleness of a stage closing: once voting has learned the StageChanged (the hook copies it
# onto the round), the counter refuses every ballot of its next batch (stage_closed), and the edge refuses at most
# EDGE_ROUND_SECONDS later without sending it on. A stage closed by its dates is checked against the clock on every
# ballot, so it is never stale.
EDGE_ROUND_SECONDS = 1.0
EDGE_ROUND_FIELDS = {"units": 0, "eligibility": 0}
# A cast counted by this process waits on its future; the database is checked this rarely (a partition lost in a
# rebalance after the publish would otherwise leave the future unanswered until EXEMPLAR_VOTING_CAST_WAIT).
LOCAL_POLL_SECONDS = 2.0


class Edge:
    """actions.cast.CastingEdge and actions.common.RoundCaches for one process."""

    def __init__(self, svc: "Service", config: VotingConfig, uow: VotingUnitOfWork, counter: Counter) -> None:
        self.svc = svc
        self.log = svc.log
        self.secret = config.ballot_secret
        self.config = config
        self.uow = uow
        self.counter = counter
        self.credential_limiter = RateLimiter(config.rate_per_credential, burst=max(1, config.rate_per_credential // 2))
        self.address_limiter = RateLimiter(config.rate_per_address)
        self.subscriber: Any = None  # the ballots subscriber, once subscribed (app.py)
        self._rounds: dict[str, tuple[float, dict]] = {}  # round id -> (read at, the round as the edge needs it)
        self._reads: dict[str, asyncio.Future] = {}  # round id -> the read in flight, shared by concurrent ballots

    # ---- limits and identity -----------------------------------------------------------------------------------
    def allow_address(self, address: str) -> bool:
        return self.address_limiter.allow(address)

    def allow_attempt(self, key: str) -> bool:
        return self.credential_limiter.allow(key)

    def verify(self, token: str) -> Principal:
        return self.svc.api.state.verifier.verify(token)

    # ---- rounds and rolls ------------------------------------------------------------------------------------
    async def round(self, round_id: str) -> dict | None:
        """The round as the casting edge sees it: read at most once per EDGE_ROUND_SECONDS per process.

        The edge only pre-checks (window, rules, stage); the counter re-reads the round inside its transaction and
        decides, so a round closed, a stage closed or a candidate withdrawn a moment ago is still refused there.
        """
        loop = asyncio.get_running_loop()
        hit = self._rounds.get(round_id)
        if hit is not None and loop.time() - hit[0] < EDGE_ROUND_SECONDS:
            return hit[1]
        pending = self._reads.get(round_id)
        if pending is not None:
            return await asyncio.shield(pending)
        fut = self._reads[round_id] = loop.create_future()
        try:
            # Not the units nor the eligibility list (hundreds or thousands of entries, decoded for nothing).
            rnd = await self.uow.store.get_round(round_id, EDGE_ROUND_FIELDS)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: concurrent readers get it, an unshared failure is not reported twice
            raise
        finally:
            self._reads.pop(round_id, None)
        if rnd is not None:
            if len(self._rounds) > 1000:
                self._rounds.clear()
            self._rounds[round_id] = (loop.time(), rnd)
        fut.set_result(rnd)
        return rnd

    async def roll_of(self, round_id: str) -> dict[str, str]:
        return await self.counter.roll_of(round_id)

    def counted_here(self, mark: str) -> bool:
        return mark in self.counter.known

    def opened(self, round_id: str, units: list[dict], roll: dict[str, str]) -> None:
        self.counter.units[round_id] = units
        self.counter.rolls[round_id] = roll

    def closed(self, round_id: str) -> None:
        self.counter.rolls.pop(round_id, None)
        self._rounds.pop(round_id, None)

    # ---- partitions ------------------------------------------------------------------------------------------
    def owned_partitions(self) -> list[int]:
        """The ballots partitions this process counts now (none before the first assignment)."""
        consumer = getattr(self.subscriber, "consumer", None)
        return sorted(tp.partition for tp in consumer.assignment()) if consumer is not None else []

    def own_partition(self, mark: str) -> int | None:
        """A ballots partition this process counts, chosen by the voter's mark; None before the first assignment.

        With several replicas, a ballot cast here is counted here, and the answer waits on a future instead of
        polling the database for another replica's outcome. A voter's ballots cast through two replicas land on
        two partitions: the unique voter mark still lets only one count (the other is refused as already_voted).
        """
        owned = self.owned_partitions()
        return owned[zlib.crc32(mark.encode()) % len(owned)] if owned else None

    def ballots_share(self) -> float:
        """The share of the ballots partitions this process counts (1.0 alone or before the first assignment)."""
        owned = self.owned_partitions()
        every = self.subscriber.consumer.partitions_for_topic(self.svc.topic(topics.BALLOTS)) if owned else None
        return len(owned) / len(every) if owned and every else 1.0

    # ---- to the counter and back -------------------------------------------------------------------------------
    async def submit(self, command: CastBallot) -> tuple[str, str] | None:
        fut = asyncio.get_running_loop().create_future()
        self.counter.waiters[command.command_id] = fut
        try:
            partition = self.own_partition(command.mark)
            # Sealed to the counter (about 10 µs a ballot, no I/O): the topic keeps no mark beside a receipt or a
            # selection. The key stays the mark, so that a voter's commands share a partition.
            sealed = domain.seal_command(self.secret, command)
            await self.svc.send(sealed.model_dump_json(exclude_defaults=True).encode(),
                                topic=self.svc.topic(topics.BALLOTS), key=command.mark.encode(), partition=partition)
            return await self._wait_outcome(command, fut, partition)
        finally:
            self.counter.waiters.pop(command.command_id, None)

    async def _wait_outcome(self, command: CastBallot, fut, partition: int | None) -> tuple[str, str] | None:
        """The counter in this process answers through the future; another replica's answer is read from the database.

        While this process counts the ballot's partition, the database is asked only as a rare safety net: when
        the counter fell behind, every waiting request polling every 250 ms (64 clients: 500 reads a second)
        took the database's time from the very counter they were waiting for, and the HTTP path collapsed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.cast_wait_seconds
        tag = domain.command_tag(command.command_id)
        while True:
            local = partition is not None and partition in self.owned_partitions()
            try:
                return await asyncio.wait_for(asyncio.shield(fut), timeout=LOCAL_POLL_SECONDS if local else 0.25)
            except asyncio.TimeoutError:
                pass
            mark = await self.uow.store.mark(command.mark)
            if mark is not None:
                return ("accepted", command.receipt) if mark.get("tag") == tag else \
                    ("already_voted", domain.REFUSED["already_voted"])
            rej = await self.uow.store.rejection(command.command_id)
            if rej is not None:
                return rej["code"], rej["reason"]
            if loop.time() > deadline:
                return None
