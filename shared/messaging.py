"""At-least-once messaging with exactly-once effect: a transactional outbox, an inbox, and a dead-letter topic."""
from __future__ import annotations

import asyncio
import functools
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from .contracts import DeadLetter, Envelope, Event
from .logging import get_logger
from .mongo import in_transaction
from .telemetry import current_carrier

log = get_logger("messaging")
T = TypeVar("T")

class Publish(Protocol):
    """Sends envelopes to Kafka; `traces` maps an event id to the trace context it was emitted in."""

    def __call__(self, envelopes: list[Envelope], *, traces: dict[str, dict[str, str]]) -> Awaitable[None]: ...


class Outbox:
    """Events are written in the same transaction as the state they describe, then relayed to Kafka."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.coll = db["outbox"]
        self.leases = db["leases"]
        self.failed = db["outbox_failed"]
        self.wakeup = asyncio.Event()
        self._seq = 0

    async def ensure_indexes(self) -> None:
        await self.coll.create_index([("created_at", ASCENDING), ("seq", ASCENDING)])

    async def add(self, envelopes: list[Envelope], session: AsyncClientSession | None) -> None:
        docs = []
        # The trace of the request or event that emits these: the relay publishes it with them (empty: untraced).
        trace = current_carrier()
        for env in envelopes:
            self._seq += 1
            doc = {"_id": env.event_id, "topic": env.topic, "created_at": datetime.now(UTC), "seq": self._seq,
                   "envelope": env.model_dump(mode="json")}
            if trace:
                doc["trace"] = trace
            docs.append(doc)
        if docs:
            await self.coll.insert_many(docs, session=session, ordered=True)

    def notify(self) -> None:
        self.wakeup.set()

    async def set_aside(self, env: Envelope, reason: str) -> None:
        """Keep an event Kafka can never take (too large) readable in outbox_failed, out of the relay's way."""
        await self.failed.replace_one({"_id": env.event_id},
                                      {"envelope": env.model_dump(mode="json"), "reason": reason},
                                      upsert=True)

    async def pending(self) -> int:
        return await self.coll.count_documents({})

    async def _hold_lease(self, holder: str, seconds: float = 10.0) -> bool:
        """Only one replica relays at a time, so the events of one aggregate keep their order."""
        now = datetime.now(UTC)
        try:
            doc = await self.leases.find_one_and_update(
                {"_id": "outbox-relay", "$or": [{"holder": holder}, {"expires": {"$lt": now}}]},
                {"$set": {"holder": holder, "expires": now + timedelta(seconds=seconds)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return doc is None or doc.get("holder") == holder or doc.get("expires") < now

    async def relay_once(self, publish: Publish, limit: int = 2000) -> int:
        docs = await self.coll.find({}).sort([("created_at", ASCENDING), ("seq", ASCENDING)]).limit(limit).to_list()
        if not docs:
            return 0
        traces = {d["_id"]: d["trace"] for d in docs if d.get("trace")}
        await publish([Envelope.model_validate(d["envelope"]) for d in docs], traces=traces)
        await self.coll.delete_many({"_id": {"$in": [d["_id"] for d in docs]}})
        return len(docs)

    async def run_relay(self, publish: Publish, poll_seconds: float, stop: asyncio.Event) -> None:
        holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        while not stop.is_set():
            try:
                if await self._hold_lease(holder):
                    while await self.relay_once(publish):
                        pass
            except (PyMongoError, OSError, asyncio.TimeoutError) as exc:
                log.warning("outbox relay failed; will retry", error=str(exc))
            except Exception as exc:  # a publish error from Kafka: retry, never drop
                log.warning("outbox relay publish failed; will retry", error=repr(exc))
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=poll_seconds)
            except asyncio.TimeoutError:
                pass


class Inbox:
    """Remembers which events a consumer has applied; the mark is written in the effect's transaction."""

    def __init__(self, db: AsyncDatabase[Any], consumer: str) -> None:
        self.coll = db["inbox"]
        self.consumer = consumer

    def _id(self, event_id: str) -> str:
        return f"{self.consumer}:{event_id}"

    async def seen(self, event_id: str, session: AsyncClientSession | None = None) -> bool:
        return await self.coll.find_one({"_id": self._id(event_id)}, {"_id": 1}, session=session) is not None

    async def mark(self, event_id: str, session: AsyncClientSession | None = None) -> None:
        await self.coll.insert_one({"_id": self._id(event_id), "at": datetime.now(UTC)}, session=session)

    async def seen_many(self, event_ids: list[str], session: AsyncClientSession | None = None) -> set[str]:
        """The ids among event_ids that were applied before: one read for a whole batch."""
        if not event_ids:
            return set()
        skip = len(self.consumer) + 1
        docs = await self.coll.find({"_id": {"$in": [self._id(e) for e in event_ids]}}, {"_id": 1},
                                    session=session).to_list()
        return {d["_id"][skip:] for d in docs}

    async def mark_many(self, event_ids: list[str], session: AsyncClientSession | None = None) -> None:
        if event_ids:
            at = datetime.now(UTC)
            await self.coll.insert_many([{"_id": self._id(e), "at": at} for e in event_ids], ordered=True,
                                        session=session)


Handler = Callable[[Envelope, Event, AsyncClientSession], Awaitable[Any]]
# Runs fn(session) in one transaction, e.g. functools.partial(in_transaction, client).
Transact = Callable[[Callable[[AsyncClientSession], Awaitable[T]]], Awaitable[T]]


class InboxStore(Protocol):
    """What the consumer needs of an inbox (Inbox, or an in-memory fake in tests)."""

    async def seen(self, event_id: str, session: Any = None) -> bool: ...

    async def mark(self, event_id: str, session: Any = None) -> None: ...

    async def seen_many(self, event_ids: list[str], session: Any = None) -> set[str]: ...

    async def mark_many(self, event_ids: list[str], session: Any = None) -> None: ...


def mongo_transact(client: AsyncMongoClient[Any]) -> Transact[Any]:
    """The Transact of a MongoDB client: in_transaction (driver retries, after-commit callbacks)."""
    return functools.partial(in_transaction, client)


async def apply_once(transact: Transact[bool], inbox: InboxStore, env: Envelope, event: Event,
                     handler: Handler) -> bool:
    """Apply handler's effect and the inbox mark atomically; False when this event was applied before."""

    async def txn(session: AsyncClientSession) -> bool:
        if await inbox.seen(env.event_id, session):
            return False
        await handler(env, event, session)
        await inbox.mark(env.event_id, session)
        return True

    return await transact(txn)


def dead_letter(consumer: str, raw: bytes, *, topic: str, partition: int | None, offset: int | None,
                key: bytes | None, reason: str, attempts: int) -> DeadLetter:
    return DeadLetter(
        consumer=consumer,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key.decode("utf-8", "replace") if key else None,
        original=raw.decode("utf-8", "replace"),
        reason=reason[:2000],
        attempts=attempts,
    )
