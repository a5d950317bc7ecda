"""The one service skeleton: composes the HTTP API, the events consumer, the publisher and the lifecycle."""
from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from . import metrics, publisher, telemetry
from .auth import verifier_from_settings
from .consumer import EventsConsumer, PermanentFailure, Supersede
from .contracts import Envelope, Event, topics
from .errors import TooManyRequests, install_error_handlers
from .http_basics import install_http_basics
from .kafka import ensure_topics, make_broker, observability_middlewares
from .logging import configure_logging, get_logger
from .messaging import Handler, Inbox, Outbox, mongo_transact
from .metrics import ServiceMetrics
from .mongo import connect, in_transaction
from .publisher import Publisher
from .ratelimit import RateLimiter
from .settings import Settings

__all__ = ["PermanentFailure", "Service"]

Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
T = TypeVar("T")
STOP_KAFKA_SECONDS = 30.0


class Service:
    def __init__(self, name: str, settings: Settings | None = None, *, title: str, description: str = "",
                 version: str = "1.0.0", tracer_provider: Any = None, relay: bool = True) -> None:
        """tracer_provider: an OpenTelemetry SDK provider for this service alone (a test's in-memory exporter);
        by default the process's, set up from the OTEL_* settings, or none: tracing off.
        relay=False: the outbox is never published (a replay's consumers, deploy/ops.py, must not emit anything)."""
        self.name = name
        self.relays = relay
        self.settings = settings or Settings()
        configure_logging(self.settings.log_format, self.settings.log_level)
        self.log = get_logger(name).bind(service=name)
        self.metrics = ServiceMetrics(name)
        # None unless OTEL_TRACES_EXPORTER (or an SDK tracer provider set up before) turns tracing on.
        self.tracer_provider = tracer_provider or telemetry.tracer_provider(name)
        self.broker = make_broker(self.settings, client_id=f"exemplar-{name}",
                                  middlewares=observability_middlewares(name, self.metrics.registry,
                                                                        self.tracer_provider))
        self.group_id = f"{self.settings.topic_prefix}.{name}{self.settings.group_suffix}"
        self.publisher = Publisher(name, self.settings, self.broker, self.log, metrics=self.metrics)
        tracer = self.tracer_provider.get_tracer("exemplar.consumer") if self.tracer_provider else None
        self.consumer = EventsConsumer(name, self.settings, self.log, self.send_dead_letter, metrics=self.metrics,
                                       tracer=tracer)
        self._subscribed = False
        self._startup: list[Callable[[], Awaitable[None]]] = []
        self._background: list[Background] = []
        self.public_limiter = RateLimiter(self.settings.public_rate_per_minute)
        # Set when the service starts (or by a test that runs it without its lifespan).
        self.mongo: AsyncMongoClient[Any] | None = None
        self.db: AsyncDatabase[Any] | None = None
        self.outbox: Outbox | None = None
        self.inbox: Inbox | None = None
        self.api = FastAPI(title=title, description=description, version=version, lifespan=self._lifespan)
        self.api.state.service = self
        self.api.state.verifier = verifier_from_settings(self.settings)
        install_error_handlers(self.api)
        install_http_basics(self.api, self.log, self.metrics)
        if self.tracer_provider is not None:
            telemetry.instrument(self.api, self.tracer_provider, pymongo=tracer_provider is None)

    # ---- wiring -------------------------------------------------------------------------------
    def on_startup(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        self._startup.append(fn)
        return fn

    def background(self, fn: Background) -> Background:
        """Register a long-running task; it gets an event that is set when the service stops."""
        self._background.append(fn)
        return fn

    def on(self, *event_classes: type[Event], supersede: Supersede | None = None) -> Callable[[Handler], Handler]:
        """Register an idempotent handler(envelope, event, session) for the given event types.

        `supersede(envelope, event) -> (key, order)` declares that the handler's effect is "the newest by order wins"
        for each key (a snapshot such as a tally with its sequence). Within one batch transaction an event followed
        by a higher order of the same key is then marked applied without running the handler: the newer one,
        applied in the same transaction, leaves the same state. A consumer that fell behind catches up in one
        write per key instead of one per event; one that keeps up applies every event.
        """

        def decorator(fn: Handler) -> Handler:
            self.consumer.route(event_classes, fn, supersede)
            return fn

        return decorator

    @property
    def _routes(self) -> dict[str, dict[str, Handler]]:
        """topic -> event type -> handler (the benchmark reads the topics a service subscribes to here)."""
        return self.consumer.routes

    def instance_id(self, consumer: str) -> str | None:
        """The static group member id of one of this process's consumers, when an instance id is configured."""
        return f"{self.settings.instance_id}:{consumer}" if self.settings.instance_id else None

    def topic(self, name: str) -> str:
        return topics.qualified(self.settings.topic_prefix, name)

    # ---- counters -------------------------------------------------------------------------------
    @property
    def processed(self) -> int:
        return self.consumer.processed

    @property
    def superseded(self) -> int:
        return self.consumer.superseded

    @property
    def producer_renewals(self) -> int:
        return self.publisher.renewals

    # ---- emitting and sending -------------------------------------------------------------------
    async def emit(self, session: AsyncClientSession | None, event: Event, *, programme_id: str, key: str,
                   correlation_id: str | None = None) -> Envelope:
        assert self.outbox is not None, "emitting needs the started service's outbox"
        return await publisher.emit(self.outbox, session, event, programme_id=programme_id, key=key,
                                    correlation_id=correlation_id)

    async def emit_many(self, session: AsyncClientSession | None,
                        events: list[tuple[Event, str, str]]) -> list[Envelope]:
        """events: (event, programme_id, key) triples, written to the outbox in order."""
        assert self.outbox is not None, "emitting needs the started service's outbox"
        return await publisher.emit_many(self.outbox, session, events)

    async def transact(self, fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        """Run a state change and its outbox events atomically, then wake the relay."""
        assert self.mongo is not None and self.outbox is not None, "a transaction needs the started service"
        result = await in_transaction(self.mongo, fn)
        self.outbox.notify()
        return result

    async def send(self, value: bytes, *, topic: str, key: bytes, partition: int | None = None,
                   headers: dict[str, str] | None = None) -> None:
        """Publish one message and wait for Kafka's acknowledgement (a refused producer is replaced once)."""
        await self.publisher.send(value, topic=topic, key=key, partition=partition, headers=headers)

    async def send_dead_letter(self, topic: str, record: Any, raw: bytes, reason: str, attempts: int) -> None:
        """Put a record this service cannot apply on the dead-letter topic, with where it came from and why."""
        await self.publisher.send_dead_letter(topic, record, raw, reason, attempts)

    # ---- HTTP -----------------------------------------------------------------------------------
    def check_public_rate(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        if not self.public_limiter.allow(client):
            raise TooManyRequests("too many requests from this address; try again in a minute")

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

    async def _connect(self) -> None:
        """MongoDB, the outbox and the inbox, then the service's own start-up steps, the topics and Kafka."""
        self.mongo = mongo = connect(self.settings.mongo_url)
        self.db = db = mongo[self.settings.database_name(self.name)]
        self.outbox = outbox = Outbox(db)
        self.inbox = inbox = Inbox(db, self.name)
        self.consumer.attach(inbox=inbox, transact=mongo_transact(mongo), applied=outbox.notify)
        await outbox.ensure_indexes()
        for fn in self._startup:
            await fn()
        await ensure_topics(self.settings)
        if not self._subscribed:
            self.consumer.subscribe(self.broker, self.topic, self.group_id, self.instance_id("events"))
            self._subscribed = True
        await self._start_broker()

    @asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self._connect()
        outbox, mongo, db = self.outbox, self.mongo, self.db
        assert outbox is not None and mongo is not None and db is not None  # set by _connect()
        stop = asyncio.Event()
        relay = functools.partial(self.publisher.publish, outbox=outbox)
        with telemetry.untraced():  # polling; the relay's publish spans continue each event's own trace
            tasks = [asyncio.create_task(metrics.refresh_loop(self, self.settings.metrics_refresh_seconds, stop))]
            if self.relays:
                tasks.append(asyncio.create_task(outbox.run_relay(relay, self.settings.outbox_poll_seconds, stop)))
        tasks += [asyncio.create_task(fn(stop)) for fn in self._background]
        self.log.info("service started", kafka=self.settings.kafka_bootstrap, database=db.name)
        try:
            yield
        finally:
            stop.set()
            outbox.notify()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            try:
                # Bounded: a consumer that is stopped in the middle of a rebalance waits for the group to settle.
                await asyncio.wait_for(self.broker.stop(), timeout=STOP_KAFKA_SECONDS)
            except TimeoutError:
                self.log.error("Kafka consumers did not stop in time; leaving them", seconds=STOP_KAFKA_SECONDS)
            await mongo.close()
            self.log.info("service stopped")

    def run(self) -> None:
        uvicorn.run(self.api, host=self.settings.http_host, port=self.settings.http_port, log_config=None,
                    access_log=False, timeout_graceful_shutdown=10)
