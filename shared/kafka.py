"""Kafka helpers: broker construction from settings, topic creation, a plain client for tools and tests."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

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
from faststream.security import SASLPlaintext

from .contracts import topics
from .settings import Settings


def _security(settings: Settings):
    if settings.kafka_sasl_mechanism and settings.kafka_sasl_username:
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        use_ssl = settings.kafka_security_protocol.upper() == "SASL_SSL"
        if settings.kafka_sasl_mechanism.upper().startswith("SCRAM"):
            from faststream.security import SASLScram256, SASLScram512

            cls = SASLScram512 if "512" in settings.kafka_sasl_mechanism else SASLScram256
            return cls(settings.kafka_sasl_username, password, use_ssl=use_ssl)
        return SASLPlaintext(settings.kafka_sasl_username, password, use_ssl=use_ssl)
    return None


_empty_fetch_pause = 0.0


def pace_empty_fetches(pause_ms: float) -> None:
    """Pause a consumer's next fetch briefly after an empty answer that came back before the fetch wait.

    A fetch asks the broker to hold an empty answer for fetch_max_wait_ms (500 ms). Apache Kafka does; the local
    broker (noida-db) answers at once, and aiokafka's fetcher then sends the next fetch at once: one idle consumer
    measured 3,700 fetches/s and 80 % of a core, and every service has one or two. The pause applies only to
    an empty fetch answered sooner than the wait asked for, so against Apache Kafka it never triggers, and new
    records wait at most pause_ms longer. Installed once per process; the latest value wins.
    """
    global _empty_fetch_pause
    from aiokafka.consumer.fetcher import Fetcher

    _empty_fetch_pause = max(0.0, pause_ms) / 1000.0
    if getattr(Fetcher, "_exemplar_paced", False):
        return
    original = Fetcher._proc_fetch_request

    async def paced(self, assignment, node_id, request):
        started = time.monotonic()
        got_records = await original(self, assignment, node_id, request)
        if not got_records and _empty_fetch_pause > 0:
            elapsed = time.monotonic() - started
            remaining = min(_empty_fetch_pause, self._fetch_max_wait_ms / 1000.0 - elapsed)
            if remaining > 0:
                try:
                    await asyncio.sleep(remaining)
                except asyncio.CancelledError:  # the consumer stops or loses the partition: as the original does
                    return False
        return got_records

    Fetcher._proc_fetch_request = paced
    Fetcher._exemplar_paced = True


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    pace_empty_fetches(settings.kafka_empty_fetch_pause_ms)
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
    fast = broker.config.producer
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


def admin_kwargs(settings: Settings) -> dict:
    kw: dict = {"bootstrap_servers": settings.kafka_bootstrap}
    if settings.kafka_sasl_mechanism:
        kw.update(
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None,
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
