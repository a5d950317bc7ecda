"""The events consumer: delivered batches applied once each (inbox), in few transactions, failures dead-lettered."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import ConsumerRebalanceListener
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from .context import actor as actor_var
from .context import correlation_id as correlation_var
from .context import system_actor
from .contracts import Envelope, Event, UnknownEventType, UnsupportedSchemaVersion
from .errors import DomainError
from .messaging import Handler, InboxStore, Transact, apply_once
from .metrics import ServiceMetrics
from .settings import Settings
from .telemetry import event_span

# (envelope, event) -> (key, order): the newest order of a key fully replaces the older ones
Supersede = Callable[[Envelope, Any], tuple[Any, int]]
# (topic, record, raw value, reason, attempts): puts a record on the dead-letter topic
DeadLetterSink = Callable[[str, Any, bytes, str, int], Awaitable[None]]


class PermanentFailure(Exception):
    """Raised by a handler for a message that will never succeed: it goes to the dead-letter topic at once."""


@dataclass(slots=True)
class Item:
    """One delivered record on its way through the events consumer."""

    topic: str  # the unqualified topic name (the key of EventsConsumer.routes)
    record: Any  # the ConsumerRecord
    raw: bytes
    env: Envelope | None = None
    event: Event | None = None
    handler: Handler | None = None  # None: nothing to apply (a type this service does not listen to)
    reject: str | None = None  # why it goes to the dead-letter topic without being applied


def ready(item: Item) -> tuple[Envelope, Event, Handler]:
    """The envelope, event and handler of an item to apply (`parse` sets all three, or no handler)."""
    assert item.env is not None and item.event is not None and item.handler is not None
    return item.env, item.event, item.handler


class Membership:
    """Whether the events consumer is in its group: assigned (possibly no partitions) since its last rebalance."""

    def __init__(self, metrics: ServiceMetrics | None = None) -> None:
        self.metrics = metrics
        self.joined = False
        self.since = time.monotonic()  # when `joined` last changed (or the consumer was created)
        self.partitions: set[tuple[str, int]] = set()

    def revoked(self, tps: Any) -> None:
        self.joined, self.since = False, time.monotonic()
        self.partitions -= {(tp.topic, tp.partition) for tp in tps}
        self._count("revoked")

    def assigned(self, tps: Any) -> None:
        self.joined, self.since = True, time.monotonic()
        self.partitions |= {(tp.topic, tp.partition) for tp in tps}
        self._count("assigned")

    def _count(self, phase: str) -> None:
        if self.metrics is not None:
            self.metrics.rebalances.labels(phase).inc()
            self.metrics.assigned.set(len(self.partitions))


class ForgetRevoked(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type information
    """Partitions this process loses are read again from their committed offsets, by whoever gets them."""

    def __init__(self, settled: dict[tuple[str, int], int], membership: Membership | None = None) -> None:
        self.settled = settled
        self.membership = membership

    async def on_partitions_revoked(self, revoked: Any) -> None:
        for tp in revoked:
            self.settled.pop((tp.topic, tp.partition), None)
        if self.membership is not None:
            self.membership.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self.membership is not None:
            self.membership.assigned(assigned)


@contextlib.contextmanager
def event_context(env: Envelope | None) -> Iterator[None]:
    """Log lines and events emitted while applying an event carry its ids and its correlation id; the events
    emitted carry the actor "system", caused by this event."""
    if env is None:
        yield
        return
    structlog.contextvars.bind_contextvars(event_id=env.event_id, correlation_id=env.correlation_id,
                                           event_type=env.type)
    token = correlation_var.set(env.correlation_id)
    acting = actor_var.set(system_actor(env.event_id))
    try:
        yield
    finally:
        actor_var.reset(acting)
        correlation_var.reset(token)
        structlog.contextvars.unbind_contextvars("event_id", "correlation_id", "event_type")


def subscriber_state(sub: Any) -> str:
    """"ok", "stopped" or "consumer task ended" for a faststream Kafka subscriber (its public attributes)."""
    if not getattr(sub, "running", False) or getattr(sub, "consumer", None) is None:
        return "stopped"
    if any(t.done() for t in getattr(sub, "tasks", ())):
        return "consumer task ended"
    return "ok"


def parse(routes: dict[str, dict[str, Handler]], topic: str, record: Any) -> Item:
    """The record's envelope, event and handler, or why it cannot be applied."""
    item = Item(topic, record, record.value or b"")
    try:
        item.env = Envelope.model_validate_json(item.raw)
    except ValidationError as exc:
        item.reject = f"malformed envelope: {exc.errors()[0]['msg']}"
        return item
    item.handler = routes.get(topic, {}).get(item.env.type)
    if item.handler is None:
        return item  # a type this service does not listen to: nothing to do
    try:
        item.event = item.env.event()
    except UnsupportedSchemaVersion as exc:
        item.reject, item.handler = f"unsupported {item.env.type} schema: {exc}", None
    except (ValidationError, UnknownEventType) as exc:
        item.reject, item.handler = f"invalid {item.env.type} payload: {exc}", None
    return item


def replaced(rules: dict[tuple[str, str], Supersede], events: list[Item]) -> set[int]:
    """Positions of events that a later event of the same key, with a higher order, fully replaces."""
    if not rules:
        return set()
    newest: dict[tuple[str, Any], int] = {}
    keyed: list[tuple[int, tuple[str, Any], int]] = []
    for i, item in enumerate(events):
        env, event, _ = ready(item)
        fn = rules.get((item.topic, env.type))
        if fn is None:
            continue
        key, order = fn(env, event)
        key = (env.type, key)
        keyed.append((i, key, order))
        newest[key] = max(order, newest.get(key, order))
    return {i for i, key, order in keyed if order < newest[key]}


class EventsConsumer:
    """One consumer for all the topics a service listens to: one group join, one fetch loop, batches.

    A delivered batch is applied in transactions of up to settings.consumer_batch_events events and
    consumer_batch_bytes of payload each (a MembersImported event carries a thousand members), in the order
    delivered, so the events of one key
    (one partition) stay in order. A transaction that fails is applied again one event at a time, with the
    per-event rules: a failing event is retried, and dead-lettered after max_delivery_attempts or at once when
    it fails permanently; it never blocks its partition.

    `attach()` gives it the inbox, the transaction runner and the "something was applied" callback once the
    service's connections exist."""

    def __init__(self, name: str, settings: Settings, log: Any, dead_letter: DeadLetterSink, *,
                 metrics: ServiceMetrics | None = None, tracer: Any = None) -> None:
        self.name = name
        self.metrics = metrics or ServiceMetrics(name)
        self.membership = Membership(self.metrics)
        # An OpenTelemetry tracer when tracing is on: each applied event gets a span in its producer's trace.
        self.tracer = tracer
        self.subscriber: Any = None  # the faststream subscriber, once subscribed
        self.settings = settings
        self.log = log
        self.dead_letter_sink = dead_letter
        self.routes: dict[str, dict[str, Handler]] = {}
        # (topic, event type) -> (key, order) of an event that a later one of the same key fully replaces
        self.supersede: dict[tuple[str, str], Supersede] = {}
        self.superseded = 0
        self.processed = 0
        self.attempts: dict[str, int] = defaultdict(int)
        # (topic, partition) -> the offset up to which this process has applied or dead-lettered the records
        self.settled: dict[tuple[str, int], int] = {}
        self.inbox: InboxStore | None = None
        self.transact: Transact[Any] | None = None
        self.applied: Callable[[], None] = lambda: None

    def attach(self, *, inbox: InboxStore, transact: Transact[Any], applied: Callable[[], None]) -> None:
        self.inbox, self.transact, self.applied = inbox, transact, applied

    def route(self, event_classes: tuple[type[Event], ...], fn: Handler, supersede: Supersede | None) -> None:
        for cls in event_classes:
            self.routes.setdefault(cls.topic, {})[cls.event_type] = fn
            if supersede is not None:
                self.supersede[(cls.topic, cls.event_type)] = supersede

    def subscribe(self, broker: Any, qualified: Callable[[str], str], group_id: str,
                  instance_id: str | None) -> None:
        """Subscribe the broker to every topic with a route (nothing when there is none)."""
        if not self.routes:
            return
        by_full_name = {qualified(t): t for t in self.routes}
        self.membership = Membership(self.metrics)

        self.subscriber = broker.subscriber(
            *by_full_name,
            batch=True,
            max_records=self.settings.consumer_batch_events,
            batch_timeout_ms=self.settings.consumer_batch_timeout_ms,
            group_id=group_id,
            group_instance_id=instance_id,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{self.name}:events",
            max_poll_records=self.settings.consumer_batch_events,
            listener=ForgetRevoked(self.settled, self.membership),
        )

        async def consume(msg: KafkaMessage) -> None:
            records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
            await self.consume(self.unsettled(by_full_name, records))

        self.subscriber(consume)  # faststream's subscriber is untyped here (broker: Any): called, not a decorator

    def kafka_consumer(self) -> Any:
        """The running aiokafka consumer (faststream's public `consumer` attribute), or None."""
        return getattr(self.subscriber, "consumer", None) if self.subscriber is not None else None

    def health(self, grace_seconds: float) -> str:
        """"ok", or why the events consumer does no work: stopped, its fetch task ended, or out of its group for
        longer than grace_seconds (a rebalance, or a first join, takes a few seconds)."""
        if not self.routes:
            return "ok"
        if self.subscriber is None:
            return "stopped"
        state = subscriber_state(self.subscriber)
        if state != "ok":
            return state
        out_for = time.monotonic() - self.membership.since
        if not self.membership.joined and out_for > grace_seconds:
            return f"no group assignment for {out_for:.0f} s"
        return "ok"

    def unsettled(self, by_full_name: dict[str, str], records: Any) -> list[Item]:
        """The parsed records of a delivered batch, without those this process already settled."""
        return [parse(self.routes, by_full_name[r.topic], r) for r in records
                if r.offset >= self.settled.get((r.topic, r.partition), 0)]

    async def consume(self, items: list[Item]) -> None:
        """Apply a delivered batch in order; raising makes Kafka deliver the batch again (NACK_ON_ERROR)."""
        chunk: list[Item] = []
        count = size = 0
        for item in items:
            if item.reject is not None:
                # Dead-lettered where it stands: what comes before it is applied first, so a failure there, which
                # has the batch delivered again, cannot have it dead-lettered twice.
                await self._apply_chunk(chunk)
                chunk, count, size = [], 0, 0
                with event_context(item.env):
                    await self._dead_letter(item.topic, item.record, item.raw, item.reject, 1, item=item,
                                            kind=item.reject.split(" ", 1)[0])
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

    async def _apply_chunk(self, chunk: list[Item]) -> None:
        events = [i for i in chunk if i.handler is not None]
        if events:
            try:
                applied = await self._apply_batch(events)
            except Exception as exc:
                self.metrics.batch_failures.inc()
                self.log.warning("batch transaction failed; applying its events one at a time", events=len(events),
                                 error=repr(exc))
                for item in chunk:
                    if item.handler is not None:
                        await self._apply_one(item)
                    self._settle(item)
                return
            for item in events:
                self.attempts.pop(ready(item)[0].event_id, None)
            for labels, n in Counter(self._labels(item) for item in events).items():
                self.metrics.processed.labels(*labels).inc(n)
            self.processed += len(events)
            if applied:
                self.applied()
        for item in chunk:
            self._settle(item)

    async def _apply_batch(self, events: list[Item]) -> int:
        """One transaction: one inbox read for the whole batch, the handlers in order, the inbox marks."""
        ids = list(dict.fromkeys(ready(i)[0].event_id for i in events))
        skip = replaced(self.supersede, events)
        inbox, transact = self.inbox, self.transact
        assert inbox is not None and transact is not None, "attach() comes before the first batch"

        async def txn(session: Any) -> int:
            seen = await inbox.seen_many(ids, session)
            done: list[str] = []
            for i, item in enumerate(events):
                env, event, handler = ready(item)
                if env.event_id in seen:
                    continue  # applied before, or earlier in this batch (a duplicate delivery)
                seen.add(env.event_id)
                if i not in skip:
                    with event_context(env), event_span(self.tracer, item):
                        await handler(env, event, session)
                done.append(env.event_id)
            await inbox.mark_many(done, session)
            return len(done)

        applied: int = await transact(txn)
        self.superseded += len(skip)
        for i in skip:
            self.metrics.superseded.labels(events[i].topic, ready(events[i])[0].type).inc()
        return applied

    async def _apply_one(self, item: Item) -> None:
        """One event in its own transaction, with attempt counting; raises to have it delivered again."""
        (env, event, handler), topic, record, raw = ready(item), item.topic, item.record, item.raw
        assert self.inbox is not None and self.transact is not None, "attach() comes before the first event"
        with event_context(env), event_span(self.tracer, item):
            try:
                applied = await apply_once(self.transact, self.inbox, env, event, handler)
            except (PermanentFailure, DomainError) as exc:
                self._count(self.metrics.failed, item)
                await self._dead_letter(topic, record, raw, f"{type(exc).__name__}: {exc}", 1, item=item,
                                        kind=type(exc).__name__)
                self.attempts.pop(env.event_id, None)
                return
            except Exception as exc:
                self._count(self.metrics.failed, item)
                self.attempts[env.event_id] += 1
                attempts = self.attempts[env.event_id]
                if attempts >= self.settings.max_delivery_attempts:
                    await self._dead_letter(topic, record, raw, f"failed {attempts} times: {exc!r}", attempts,
                                            item=item, kind="attempts")
                    self.attempts.pop(env.event_id, None)
                    return
                self.log.warning("handler failed; message will be redelivered", attempts=attempts, error=repr(exc))
                await asyncio.sleep(min(0.1 * 2**attempts, 3.0))
                raise
            self.attempts.pop(env.event_id, None)
            self.processed += 1
            self._count(self.metrics.processed, item)
            if applied:
                self.applied()

    def _settle(self, item: Item) -> None:
        """Remember that this record is done (applied or dead-lettered), for when its batch is delivered again."""
        tp = (item.record.topic, item.record.partition)
        self.settled[tp] = max(self.settled.get(tp, 0), item.record.offset + 1)

    @staticmethod
    def _labels(item: Item) -> tuple[str, str, str]:
        handler = getattr(item.handler, "__name__", "") if item.handler is not None else ""
        return item.topic, item.env.type if item.env is not None else "", handler

    def _count(self, counter: Any, item: Item) -> None:
        counter.labels(*self._labels(item)).inc()

    async def _dead_letter(self, topic: str, record: Any, raw: bytes, reason: str, attempts: int, *,
                           item: Item, kind: str) -> None:
        await self.dead_letter_sink(topic, record, raw, reason, attempts)
        # kind: "malformed", "unsupported", "invalid" (rejected as read), "attempts", or the permanent error's class
        self.metrics.dead_lettered.labels(*self._labels(item), kind).inc()
        self.log.error("message sent to the dead-letter topic", reason=reason, topic=topic)
