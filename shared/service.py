"""The one service skeleton: HTTP API, Kafka consumers with inbox and dead-letter, outbox relay, health."""
from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
import uvicorn
from aiokafka import ConsumerRebalanceListener
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession

from .asyncapi import asyncapi_document, asyncapi_html
from .auth import verifier_from_settings
from .context import correlation_id as correlation_var
from .context import current_correlation_id
from .contracts import Envelope, Event, UnknownEventType, topics
from .errors import DomainError, TooManyRequests, install_error_handlers
from .http_context import RequestContext
from .kafka import FATAL_PRODUCER_ERRORS, ensure_topics, make_broker, renew_producer
from .logging import configure_logging, get_logger
from .messaging import Handler, Inbox, Outbox, apply_once, dead_letter
from .mongo import connect, in_transaction
from .ratelimit import RateLimiter
from .settings import Settings

T = TypeVar("T")
MAX_BODY_BYTES = 12 * 1024 * 1024


class PermanentFailure(Exception):
    """Raised by a handler for a message that will never succeed: it goes to the dead-letter topic at once."""


@dataclass(slots=True)
class _Item:
    """One delivered record on its way through the events consumer."""

    topic: str  # the unqualified topic name (the key of Service._routes)
    record: Any  # the ConsumerRecord
    raw: bytes
    env: Envelope | None = None
    event: Event | None = None
    handler: Handler | None = None  # None: nothing to apply (a type this service does not listen to)
    reject: str | None = None  # why it goes to the dead-letter topic without being applied


class _ForgetRevoked(ConsumerRebalanceListener):
    """Partitions this process loses are read again from their committed offsets, by whoever gets them."""

    def __init__(self, settled: dict[tuple[str, int], int]) -> None:
        self.settled = settled

    async def on_partitions_revoked(self, revoked) -> None:
        for tp in revoked:
            self.settled.pop((tp.topic, tp.partition), None)

    async def on_partitions_assigned(self, assigned) -> None:
        pass


class Service:
    def __init__(self, name: str, settings: Settings | None = None, *, title: str, description: str = "",
                 version: str = "1.0.0") -> None:
        self.name = name
        self.settings = settings or Settings()
        configure_logging(self.settings.log_format, self.settings.log_level)
        self.log = get_logger(name).bind(service=name)
        self.broker = make_broker(self.settings, client_id=f"exemplar-{name}")
        self.group_id = f"{self.settings.topic_prefix}.{name}{self.settings.group_suffix}"
        self._routes: dict[str, dict[str, Handler]] = {}
        # (topic, event type) -> (key, order) of an event that a later one of the same key fully replaces
        self._supersede: dict[tuple[str, str], Callable[[Envelope, Any], tuple[Any, int]]] = {}
        self.superseded = 0
        self.producer_renewals = 0
        self._renewing = asyncio.Lock()
        self._subscribed = False
        self._startup: list[Callable[[], Awaitable[None]]] = []
        self._background: list[Callable[[asyncio.Event], Awaitable[None]]] = []
        self._attempts: dict[str, int] = defaultdict(int)
        # (topic, partition) -> the offset up to which this process has applied or dead-lettered the records
        self._settled: dict[tuple[str, int], int] = {}
        self.public_limiter = RateLimiter(self.settings.public_rate_per_minute)
        self.processed = 0
        self.mongo = None
        self.db = None
        self.outbox: Outbox | None = None
        self.inbox: Inbox | None = None
        self.api = FastAPI(title=title, description=description, version=version, lifespan=self._lifespan)
        self.api.state.service = self
        self.api.state.verifier = verifier_from_settings(self.settings)
        install_error_handlers(self.api)
        self._install_http_basics()

    # ---- wiring -------------------------------------------------------------------------------
    def on_startup(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        self._startup.append(fn)
        return fn

    def background(self, fn: Callable[[asyncio.Event], Awaitable[None]]):
        """Register a long-running task; it gets an event that is set when the service stops."""
        self._background.append(fn)
        return fn

    def on(self, *event_classes: type[Event], supersede: Callable[[Envelope, Any], tuple[Any, int]] | None = None):
        """Register an idempotent handler(envelope, event, session) for the given event types.

        `supersede(envelope, event) -> (key, order)` declares that the handler's effect is "the newest by order wins" for
        each key (a snapshot such as a tally with its sequence). Within one batch transaction an event followed
        by a higher order of the same key is then marked applied without running the handler: the newer one,
        applied in the same transaction, leaves the same state. A consumer that fell behind catches up in one
        write per key instead of one per event; one that keeps up applies every event.
        """

        def decorator(fn: Handler) -> Handler:
            for cls in event_classes:
                self._routes.setdefault(cls.topic, {})[cls.event_type] = fn
                if supersede is not None:
                    self._supersede[(cls.topic, cls.event_type)] = supersede
            return fn

        return decorator

    def instance_id(self, consumer: str) -> str | None:
        """The static group member id of one of this process's consumers, when an instance id is configured."""
        return f"{self.settings.instance_id}:{consumer}" if self.settings.instance_id else None

    def topic(self, name: str) -> str:
        return topics.qualified(self.settings.topic_prefix, name)

    def _subscribe(self) -> None:
        """One consumer for all the topics this service listens to: one group join, one fetch loop, batches."""
        if not self._routes:
            return
        by_full_name = {self.topic(t): t for t in self._routes}

        @self.broker.subscriber(
            *by_full_name,
            batch=True,
            max_records=self.settings.consumer_batch_events,
            batch_timeout_ms=self.settings.consumer_batch_timeout_ms,
            group_id=self.group_id,
            group_instance_id=self.instance_id("events"),
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{self.name}:events",
            max_poll_records=self.settings.consumer_batch_events,
            listener=_ForgetRevoked(self._settled),
        )
        async def consume(msg: KafkaMessage) -> None:
            records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
            await self._consume([self._parse(by_full_name[r.topic], r) for r in records
                                 if r.offset >= self._settled.get((r.topic, r.partition), 0)])

    # ---- consuming ------------------------------------------------------------------------------
    # A delivered batch is applied in transactions of up to settings.consumer_batch_events events and
    # consumer_batch_bytes of payload each (a MembersImported event carries a thousand members), in the order
    # delivered, so the events of one key
    # (one partition) stay in order. A transaction that fails is applied again one event at a time, with the
    # per-event rules: a failing event is retried, and dead-lettered after max_delivery_attempts or at once when
    # it fails permanently; it never blocks its partition.
    def _parse(self, topic: str, record: Any) -> _Item:
        item = _Item(topic, record, record.value or b"")
        try:
            item.env = Envelope.model_validate_json(item.raw)
        except ValidationError as exc:
            item.reject = f"malformed envelope: {exc.errors()[0]['msg']}"
            return item
        item.handler = self._routes.get(topic, {}).get(item.env.type)
        if item.handler is None:
            return item  # a type this service does not listen to: nothing to do
        try:
            item.event = item.env.event()
        except (ValidationError, UnknownEventType) as exc:
            item.reject, item.handler = f"invalid {item.env.type} payload: {exc}", None
        return item

    async def _consume(self, items: list[_Item]) -> None:
        """Apply a delivered batch in order; raising makes Kafka deliver the batch again (NACK_ON_ERROR)."""
        chunk: list[_Item] = []
        count = size = 0
        for item in items:
            if item.reject is not None:
                # Dead-lettered where it stands: what comes before it is applied first, so a failure there, which
                # has the batch delivered again, cannot have it dead-lettered twice.
                await self._apply_chunk(chunk)
                chunk, count, size = [], 0, 0
                with self._event_context(item.env):
                    await self._dead_letter(item.topic, item.record, item.raw, item.reject, 1)
                self._settle(item)
                continue
            if item.handler is not None:
                if count and (count >= self.settings.consumer_batch_events
                              or size + len(item.raw) > self.settings.consumer_batch_bytes):
                    await self._apply_chunk(chunk)
                    chunk, count, size = [], 0, 0
                count, size = count + 1, size + len(item.raw)
            chunk.append(item)
        await self._apply_chunk(chunk)

    async def _apply_chunk(self, chunk: list[_Item]) -> None:
        events = [i for i in chunk if i.handler is not None]
        if events:
            try:
                applied = await self._apply_batch(events)
            except Exception as exc:
                self.log.warning("batch transaction failed; applying its events one at a time", events=len(events),
                                 error=repr(exc))
                for item in chunk:
                    if item.handler is not None:
                        await self._apply_one(item)
                    self._settle(item)
                return
            for item in events:
                self._attempts.pop(item.env.event_id, None)
            self.processed += len(events)
            if applied:
                self.outbox.notify()
        for item in chunk:
            self._settle(item)

    async def _apply_batch(self, events: list[_Item]) -> int:
        """One transaction: one inbox read for the whole batch, the handlers in order, the inbox marks."""
        ids = list(dict.fromkeys(i.env.event_id for i in events))

        replaced = self._replaced(events)

        async def txn(session: AsyncClientSession) -> int:
            seen = await self.inbox.seen_many(ids, session)
            done: list[str] = []
            for i, item in enumerate(events):
                if item.env.event_id in seen:
                    continue  # applied before, or earlier in this batch (a duplicate delivery)
                seen.add(item.env.event_id)
                if i not in replaced:
                    with self._event_context(item.env):
                        await item.handler(item.env, item.event, session)
                done.append(item.env.event_id)
            await self.inbox.mark_many(done, session)
            return len(done)

        applied = await in_transaction(self.mongo, txn)
        self.superseded += len(replaced)
        return applied

    def _replaced(self, events: list[_Item]) -> set[int]:
        """Positions of events that a later event of the same key, with a higher order, fully replaces."""
        if not self._supersede:
            return set()
        newest: dict[tuple[str, Any], int] = {}
        keyed: list[tuple[int, tuple[str, Any], int]] = []
        for i, item in enumerate(events):
            fn = self._supersede.get((item.topic, item.env.type))
            if fn is None:
                continue
            key, order = fn(item.env, item.event)
            key = (item.env.type, key)
            keyed.append((i, key, order))
            newest[key] = max(order, newest.get(key, order))
        return {i for i, key, order in keyed if order < newest[key]}

    async def _apply_one(self, item: _Item) -> None:
        """One event in its own transaction, with attempt counting; raises to have it delivered again."""
        env, topic, record, raw = item.env, item.topic, item.record, item.raw
        with self._event_context(env):
            try:
                applied = await apply_once(self.mongo, self.inbox, env, item.event, item.handler)
            except (PermanentFailure, DomainError) as exc:
                await self._dead_letter(topic, record, raw, f"{type(exc).__name__}: {exc}", 1)
                self._attempts.pop(env.event_id, None)
                return
            except Exception as exc:
                self._attempts[env.event_id] += 1
                attempts = self._attempts[env.event_id]
                if attempts >= self.settings.max_delivery_attempts:
                    await self._dead_letter(topic, record, raw, f"failed {attempts} times: {exc!r}", attempts)
                    self._attempts.pop(env.event_id, None)
                    return
                self.log.warning("handler failed; message will be redelivered", attempts=attempts, error=repr(exc))
                await asyncio.sleep(min(0.1 * 2**attempts, 3.0))
                raise
            self._attempts.pop(env.event_id, None)
            self.processed += 1
            if applied:
                self.outbox.notify()

    def _settle(self, item: _Item) -> None:
        """Remember that this record is done (applied or dead-lettered), for when its batch is delivered again."""
        tp = (item.record.topic, item.record.partition)
        self._settled[tp] = max(self._settled.get(tp, 0), item.record.offset + 1)

    @contextlib.contextmanager
    def _event_context(self, env: Envelope | None):
        if env is None:
            yield
            return
        structlog.contextvars.bind_contextvars(event_id=env.event_id, correlation_id=env.correlation_id,
                                               event_type=env.type)
        token = correlation_var.set(env.correlation_id)
        try:
            yield
        finally:
            correlation_var.reset(token)
            structlog.contextvars.unbind_contextvars("event_id", "correlation_id", "event_type")

    async def _dead_letter(self, topic: str, record: Any, raw: bytes, reason: str, attempts: int) -> None:
        await self.send_dead_letter(topic, record, raw, reason, attempts)
        self.log.error("message sent to the dead-letter topic", reason=reason, topic=topic)

    async def send_dead_letter(self, topic: str, record: Any, raw: bytes, reason: str, attempts: int) -> None:
        """Put a record this service cannot apply on the dead-letter topic, with where it came from and why."""
        letter = dead_letter(
            self.name, raw, topic=self.topic(topic), partition=getattr(record, "partition", None),
            offset=getattr(record, "offset", None), key=getattr(record, "key", None), reason=reason, attempts=attempts,
        )
        await self.send(letter.model_dump_json().encode(), topic=self.topic(topics.DEAD_LETTER),
                        key=(letter.key or letter.dead_letter_id).encode(), headers={"consumer": self.name})

    # ---- emitting -------------------------------------------------------------------------------
    async def emit(self, session: AsyncClientSession | None, event: Event, *, programme_id: str, key: str,
                   correlation_id: str | None = None) -> Envelope:
        env = Envelope.wrap(event, programme_id=programme_id, key=key,
                            correlation_id=correlation_id or current_correlation_id())
        await self.outbox.add([env], session)
        return env

    async def emit_many(self, session: AsyncClientSession | None, events: list[tuple[Event, str, str]]) -> list[Envelope]:
        """events: (event, programme_id, key) triples, written to the outbox in order."""
        cid = current_correlation_id()
        envs = [Envelope.wrap(e, programme_id=p, key=k, correlation_id=cid) for e, p, k in events]
        await self.outbox.add(envs, session)
        return envs

    async def transact(self, fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        """Run a state change and its outbox events atomically, then wake the relay."""
        result = await in_transaction(self.mongo, fn)
        self.outbox.notify()
        return result

    def _producer(self) -> Any:
        return self.broker.config.producer._producer

    async def _renew_producer(self, failed: Any, reason: str) -> None:
        """Give up a producer Kafka no longer accepts sends from (FATAL_PRODUCER_ERRORS, or acknowledgements that
        never come) for a new one. Sends that failed together renew it once: the first to get here does it."""
        async with self._renewing:
            if self._producer() is not failed:
                return
            await renew_producer(self.broker)
            self.producer_renewals += 1
        self.log.warning("Kafka producer replaced by a new one", reason=reason)

    async def send(self, value: bytes, *, topic: str, key: bytes, partition: int | None = None,
                   headers: dict[str, str] | None = None) -> None:
        """Publish one message and wait for Kafka's acknowledgement; a producer Kafka refuses for good is replaced
        and the message sent once more with the new one."""
        for attempt in (1, 2):
            producer = self._producer()
            try:
                await self.broker.publish(value, topic=topic, key=key, partition=partition, headers=headers)
                return
            except FATAL_PRODUCER_ERRORS as exc:
                await self._renew_producer(producer, repr(exc))
                if attempt == 2:
                    raise

    async def _publish(self, envelopes: list[Envelope]) -> None:
        producer = self._producer()
        futures = []
        for env in envelopes:
            try:
                fut = await self.broker.publish(
                    env.model_dump_json().encode(), topic=self.topic(env.topic), key=env.key.encode(),
                    headers={"event_type": env.type, "correlation_id": env.correlation_id}, no_confirm=True,
                )
            except MessageSizeTooLargeError as exc:
                # Retrying can never succeed, and the relay publishes in order: kept aside, loudly, so the events
                # after it still flow. The event stays readable in the outbox_failed collection.
                await self.db.outbox_failed.replace_one(
                    {"_id": env.event_id}, {"envelope": env.model_dump(mode="json"), "reason": str(exc)}, upsert=True)
                self.log.error("event too large for Kafka; kept in outbox_failed", event_type=env.type,
                               event_id=env.event_id, error=str(exc))
                continue
            futures.append(fut)
        # The relay keeps the events until this returns, and sends them again after a failure.
        try:
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self.settings.kafka_publish_timeout_seconds)
        except FATAL_PRODUCER_ERRORS as exc:
            await self._renew_producer(producer, repr(exc))
            raise
        except asyncio.TimeoutError:
            await self._renew_producer(producer, "no acknowledgement from Kafka in "
                                                 f"{self.settings.kafka_publish_timeout_seconds:g} s")
            raise

    # ---- lifecycle ------------------------------------------------------------------------------
    async def _start_broker(self, attempts: int = 3) -> None:
        """Connect to Kafka and join the consumer group, again after a failed join.

        Replicas that start together can be handed an empty assignment in the middle of a rebalance, which aiokafka
        fails to decode ("Unexpected error during coordination ... unpack requires a buffer of 2 bytes"); its
        consumer then gives up, and the process would exit. Seen when the benchmark started two voting replicas."""
        for attempt in range(1, attempts + 1):
            try:
                await self.broker.start()
                return
            except KafkaError as exc:
                if attempt == attempts:
                    raise
                self.log.warning("joining Kafka failed; trying again", attempt=attempt, error=repr(exc))
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(attempt)

    @asynccontextmanager
    async def _lifespan(self, _app: FastAPI):
        self.mongo = connect(self.settings.mongo_url)
        self.db = self.mongo[self.settings.database_name(self.name)]
        self.outbox = Outbox(self.db)
        self.inbox = Inbox(self.db, self.name)
        await self.outbox.ensure_indexes()
        for fn in self._startup:
            await fn()
        await ensure_topics(self.settings)
        if not self._subscribed:
            self._subscribe()
            self._subscribed = True
        await self._start_broker()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(self.outbox.run_relay(self._publish, self.settings.outbox_poll_seconds, stop))]
        tasks += [asyncio.create_task(fn(stop)) for fn in self._background]
        self.log.info("service started", kafka=self.settings.kafka_bootstrap, database=self.db.name)
        try:
            yield
        finally:
            stop.set()
            self.outbox.notify()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            await self.broker.stop()
            await self.mongo.close()
            self.log.info("service stopped")

    def _install_http_basics(self) -> None:
        api = self.api

        api.add_middleware(RequestContext, log=self.log, max_body_bytes=MAX_BODY_BYTES)

        @api.get("/healthz", tags=["health"], summary="The process is alive")
        async def healthz():
            return {"status": "ok", "service": self.name}

        @api.get("/readyz", tags=["health"], summary="Kafka and MongoDB are reachable")
        async def readyz():
            checks = {}
            try:
                await self.mongo.admin.command("ping")
                checks["mongodb"] = "ok"
            except Exception as exc:
                checks["mongodb"] = f"unreachable: {type(exc).__name__}"
            try:
                checks["kafka"] = "ok" if await self.broker.ping(timeout=3) else "unreachable"
            except Exception as exc:
                checks["kafka"] = f"unreachable: {type(exc).__name__}"
            ok = all(v == "ok" for v in checks.values())
            return JSONResponse({"status": "ready" if ok else "not ready", "service": self.name, "checks": checks},
                                status_code=200 if ok else 503)

        @api.get("/asyncapi.json", tags=["docs"], summary="The event API (AsyncAPI 3.0)")
        async def asyncapi_json():
            return asyncapi_document(self.settings.topic_prefix, service=self.name)

        @api.get("/asyncapi", tags=["docs"], response_class=HTMLResponse, summary="The event API, readable")
        async def asyncapi_page():
            return asyncapi_html(asyncapi_document(self.settings.topic_prefix, service=self.name))

    def check_public_rate(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        if not self.public_limiter.allow(client):
            raise TooManyRequests("too many requests from this address; try again in a minute")

    def run(self) -> None:
        uvicorn.run(self.api, host=self.settings.http_host, port=self.settings.http_port, log_config=None,
                    access_log=False, timeout_graceful_shutdown=10)
