"""Publishing: events into the outbox, the relay's and direct sends to Kafka, renewing a producer Kafka refuses."""
from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError

from .context import current_actor, current_correlation_id
from .contracts import Envelope, Event, topics
from .kafka import FATAL_PRODUCER_ERRORS, renew_producer
from .messaging import Outbox, dead_letter
from .metrics import ServiceMetrics
from .settings import Settings
from .telemetry import continued


async def emit(outbox: Outbox, session: Any, event: Event, *, programme_id: str, key: str,
               correlation_id: str | None = None) -> Envelope:
    """Write one event to the outbox in the caller's transaction; the relay publishes it after the commit."""
    env = Envelope.wrap(event, programme_id=programme_id, key=key,
                        correlation_id=correlation_id or current_correlation_id(), actor=current_actor())
    await outbox.add([env], session)
    return env


async def emit_many(outbox: Outbox, session: Any, events: list[tuple[Event, str, str]]) -> list[Envelope]:
    """events: (event, programme_id, key) triples, written to the outbox in order."""
    cid, actor = current_correlation_id(), current_actor()
    envs = [Envelope.wrap(e, programme_id=p, key=k, correlation_id=cid, actor=actor) for e, p, k in events]
    await outbox.add(envs, session)
    return envs


class Publisher:
    """Sends to Kafka through the broker's one producer, and replaces that producer when Kafka refuses it for good."""

    def __init__(self, name: str, settings: Settings, broker: Any, log: Any, *,
                 metrics: ServiceMetrics | None = None) -> None:
        self.name = name
        self.metrics = metrics or ServiceMetrics(name)
        self.settings = settings
        self.broker = broker
        self.log = log
        self.renewals = 0
        self._renewing = asyncio.Lock()

    def topic(self, name: str) -> str:
        return topics.qualified(self.settings.topic_prefix, name)

    def producer(self) -> Any:
        return self.broker.config.producer._producer

    async def renew(self, failed: Any, reason: str) -> None:
        """Give up a producer Kafka no longer accepts sends from (FATAL_PRODUCER_ERRORS, or acknowledgements that
        never come) for a new one. Sends that failed together renew it once: the first to get here does it."""
        async with self._renewing:
            if self.producer() is not failed:
                return
            await renew_producer(self.broker)
            self.renewals += 1
            self.metrics.producer_renewals.inc()
        self.log.warning("Kafka producer replaced by a new one", reason=reason)

    async def send(self, value: bytes, *, topic: str, key: bytes, partition: int | None = None,
                   headers: dict[str, str] | None = None) -> None:
        """Publish one message and wait for Kafka's acknowledgement; a producer Kafka refuses for good is replaced
        and the message sent once more with the new one."""
        for attempt in (1, 2):
            producer = self.producer()
            try:
                await self.broker.publish(value, topic=topic, key=key, partition=partition, headers=headers)
                return
            except FATAL_PRODUCER_ERRORS as exc:
                await self.renew(producer, repr(exc))
                if attempt == 2:
                    raise

    async def send_dead_letter(self, topic: str, record: Any, raw: bytes, reason: str, attempts: int) -> None:
        """Put a record this service cannot apply on the dead-letter topic, with where it came from and why."""
        letter = dead_letter(
            self.name, raw, topic=self.topic(topic), partition=getattr(record, "partition", None),
            offset=getattr(record, "offset", None), key=getattr(record, "key", None), reason=reason, attempts=attempts,
        )
        await self.send(letter.model_dump_json().encode(), topic=self.topic(topics.DEAD_LETTER),
                        key=(letter.key or letter.dead_letter_id).encode(), headers={"consumer": self.name})

    async def publish(self, envelopes: list[Envelope], *, outbox: Outbox,
                      traces: dict[str, dict[str, str]] | None = None) -> None:
        """The outbox relay's publish: every envelope sent, then all acknowledgements awaited together.

        traces: event id -> the trace context the event was emitted in; it goes in the message's headers (and
        is the parent of the telemetry middleware's publish span when tracing is on)."""
        producer = self.producer()
        futures = []
        traces = traces or {}
        sent: list[str] = []
        for env in envelopes:
            trace = traces.get(env.event_id, {})
            try:
                with continued(trace):
                    fut = await self.broker.publish(
                        env.model_dump_json().encode(), topic=self.topic(env.topic), key=env.key.encode(),
                        headers={"event_type": env.type, "correlation_id": env.correlation_id, **trace},
                        no_confirm=True,
                    )
            except MessageSizeTooLargeError as exc:
                # Retrying can never succeed, and the relay publishes in order: kept aside, loudly, so the events
                # after it still flow. The event stays readable in the outbox_failed collection.
                await outbox.set_aside(env, str(exc))
                self.log.error("event too large for Kafka; kept in outbox_failed", event_type=env.type,
                               event_id=env.event_id, error=str(exc))
                continue
            futures.append(fut)
            sent.append(env.topic)
        # The relay keeps the events until this returns, and sends them again after a failure.
        try:
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self.settings.kafka_publish_timeout_seconds)
        except FATAL_PRODUCER_ERRORS as exc:
            await self.renew(producer, repr(exc))
            raise
        except asyncio.TimeoutError:
            await self.renew(producer, "no acknowledgement from Kafka in "
                                       f"{self.settings.kafka_publish_timeout_seconds:g} s")
            raise
        for topic in sent:
            self.metrics.published.labels(topic).inc()
