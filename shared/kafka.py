"""Kafka helpers: broker construction from settings, topic creation, a plain client for tools and tests."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerEpoch,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    UnknownProducerId,
)
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext

from .contracts import topics
from .settings import Settings


def _security(settings: Settings) -> BaseSecurity | None:
    if settings.kafka_sasl_mechanism and settings.kafka_sasl_username:
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        use_ssl = settings.kafka_security_protocol.upper() == "SASL_SSL"
        if settings.kafka_sasl_mechanism.upper().startswith("SCRAM"):
            from faststream.security import SASLScram256, SASLScram512

            cls = SASLScram512 if "512" in settings.kafka_sasl_mechanism else SASLScram256
            return cls(settings.kafka_sasl_username, password, use_ssl=use_ssl)
        return SASLPlaintext(settings.kafka_sasl_username, password, use_ssl=use_ssl)
    return None


def observability_middlewares(service: str, registry: Any, tracer_provider: Any = None) -> list[Any]:
    """faststream's Prometheus middleware (received and published messages, by topic) on the service's registry,
    and its telemetry middleware (publish and batch process spans, the trace context in the headers) when tracing
    is on."""
    middlewares: list[Any] = [KafkaPrometheusMiddleware(registry=registry, app_name=service)]
    if tracer_provider is not None:
        from .telemetry import BatchTrace  # inside the telemetry middleware's process span: listed after it

        middlewares += [KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
                        BatchTrace(tracer_provider.get_tracer("exemplar.consumer"))]
    return middlewares


def make_broker(settings: Settings, client_id: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        max_batch_size=256 * 1024,
        security=_security(settings),
        logger=logging.getLogger("faststream.quiet"),
        log_level=logging.DEBUG,
        middlewares=tuple(middlewares),
    )


# An idempotent producer that gets one of these holds sequence numbers the broker no longer accepts, and aiokafka
# keeps them: every later send to that partition fails the same way, for good. Seen with the local broker (noida-db
# 0.2.3) after a restart: it restored an older sequence for the producer than the one it had acknowledged, and
# answered OUT_OF_ORDER_SEQUENCE_NUMBER to every send from then on (docs/reliability.md, finding 11). The cure is the
# Java client's: a new producer, with a new producer id. The send that failed was not written, so sending it again
# with the new producer loses nothing; a send the old producer still had in flight may land twice, which the
# idempotent consumers absorb.
FATAL_PRODUCER_ERRORS = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


async def renew_producer(broker: KafkaBroker, stop_timeout: float = 5.0) -> None:
    """Replace the broker's producer with a new one (a new producer id and fresh sequence numbers).

    The new producer is started first: when Kafka cannot be reached it raises, and the old producer stays."""
    fast: Any = broker.config.producer  # faststream's AioKafkaFastProducer: its private attributes are untyped
    old = fast._producer
    new = AIOKafkaProducer(**broker._connection_kwargs)
    try:
        await fast.connect(new, serializer=fast.serializer, codec=fast.codec)
    except BaseException:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(new.stop(), stop_timeout)
        raise
    with contextlib.suppress(Exception):
        await asyncio.wait_for(old.stop(), stop_timeout)


def admin_kwargs(settings: Settings) -> dict[str, Any]:
    kw: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap}
    if settings.kafka_sasl_mechanism:
        kw.update(
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=(settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password
                                 else None),
        )
    return kw


async def ensure_topics(settings: Settings) -> None:
    names = [topics.qualified(settings.topic_prefix, t) for t in topics.ALL]
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, num_partitions=settings.kafka_partitions,
                            replication_factor=settings.kafka_replication_factor) for n in names if n not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        # Topic metadata can lag creation by a moment on some brokers.
        for _ in range(50):
            if set(names) <= set(await admin.list_topics()):
                return
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
