"""Smoke test of Apache Kafka's own broker (KRaft, one node) as started by devtools.apache_kafka.

It checks what the services rely on, against the real broker rather than the local
Kafka-protocol stand-in: produce/consume with aiokafka, consumer-group committed offsets
that survive a consumer restart, an idempotent producer, and a transactional producer
whose aborted writes stay invisible to read_committed consumers.

Runs wherever Apache Kafka can (Java 17+, and Maven or a filled jar cache); skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.conformance

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from devtools import apache_kafka  # noqa: E402

if apache_kafka.unavailable_reason() is not None and os.environ.get("EXEMPLAR_CONFORMANCE") != "1":
    pytest.skip(
        f"Apache Kafka smoke test: Apache Kafka cannot run here ({apache_kafka.unavailable_reason()}); "
        "set EXEMPLAR_CONFORMANCE=1 to make that a failure",
        allow_module_level=True,
    )
if os.environ.get("EXEMPLAR_TEST_KAFKA_IMPL") == "noida":
    pytest.skip("Apache Kafka smoke test: this run is the Kafka-facing subset on noida-db", allow_module_level=True)


def _free_port() -> int:
    from devtools.servers import free_port

    return free_port()


@pytest.fixture(scope="module")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("apache-kafka")
    proc = apache_kafka.start(port, data_dir)
    try:
        apache_kafka.wait_ready(port, timeout=120, proc=proc)
        yield f"127.0.0.1:{port}"
    finally:
        apache_kafka.stop(proc)
        assert proc.poll() is not None, "broker still running after stop()"


def _topic(name: str) -> str:
    return f"conformance-{name}-{uuid.uuid4().hex[:8]}"


async def _drain(consumer: AIOKafkaConsumer, count: int, timeout: float = 30.0) -> list:
    """Read exactly ``count`` records (or fail after ``timeout`` seconds)."""
    records: list = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(records) < count:
        remaining = deadline - loop.time()
        assert remaining > 0, f"got {len(records)} of {count} records before timeout"
        batch = await consumer.getmany(timeout_ms=500, max_records=count - len(records))
        for recs in batch.values():
            records.extend(recs)
    return records


def test_produce_and_consume_keeps_per_key_order(kafka_bootstrap: str) -> None:
    async def scenario() -> None:
        topic = _topic("order")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for i in range(30):
                await producer.send(topic, f"{i}".encode(), key=f"nominee-{i % 5}".encode())
            await producer.flush()
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=f"g-{topic}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            records = await _drain(consumer, 30)
        finally:
            await consumer.stop()

        assert len(records) == 30
        by_key: dict[bytes, list[int]] = {}
        for rec in sorted(records, key=lambda r: (r.partition, r.offset)):
            by_key.setdefault(rec.key, []).append(int(rec.value))
        assert len(by_key) == 5
        for values in by_key.values():
            assert values == sorted(values), "records of one key must stay in order"
        # The broker's default of 3 partitions applies to auto-created topics.
        assert {r.partition for r in records} <= {0, 1, 2}

    asyncio.run(scenario())


def test_consumer_group_resumes_from_committed_offset(kafka_bootstrap: str) -> None:
    async def scenario() -> None:
        topic = _topic("offsets")
        group = f"g-{topic}"
        tp = TopicPartition(topic, 0)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for i in range(10):
                await producer.send_and_wait(topic, f"m{i}".encode(), partition=0)
        finally:
            await producer.stop()

        def make_consumer() -> AIOKafkaConsumer:
            return AIOKafkaConsumer(
                topic,
                bootstrap_servers=kafka_bootstrap,
                group_id=group,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
            )

        first = make_consumer()
        await first.start()
        try:
            got: list = []
            while len(got) < 4:
                for recs in (await first.getmany(tp, timeout_ms=500, max_records=4 - len(got))).values():
                    got.extend(recs)
            assert [r.value for r in got] == [b"m0", b"m1", b"m2", b"m3"]
            await first.commit({tp: got[-1].offset + 1})
            assert await first.committed(tp) == 4
        finally:
            await first.stop()

        second = make_consumer()
        await second.start()
        try:
            rest = await _drain(second, 6)
            assert [r.value for r in rest] == [f"m{i}".encode() for i in range(4, 10)]
            assert rest[0].offset == 4
            await second.commit()
            assert await second.committed(tp) == 10
        finally:
            await second.stop()

    asyncio.run(scenario())


def test_idempotent_producer(kafka_bootstrap: str) -> None:
    async def scenario() -> None:
        topic = _topic("idempotent")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            futures = [await producer.send(topic, f"e{i}".encode(), key=b"agg-1") for i in range(50)]
            metas = await asyncio.gather(*futures)
        finally:
            await producer.stop()
        offsets = sorted(m.offset for m in metas)
        assert offsets == list(range(offsets[0], offsets[0] + 50)), "offsets must be contiguous"
        assert len({m.partition for m in metas}) == 1

        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
        )
        await consumer.start()
        try:
            records = await _drain(consumer, 50)
        finally:
            await consumer.stop()
        assert [r.value for r in records] == [f"e{i}".encode() for i in range(50)]

    asyncio.run(scenario())


def test_transactional_producer_hides_aborted_writes(kafka_bootstrap: str) -> None:
    async def scenario() -> None:
        topic = _topic("txn")
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, transactional_id=f"tx-{topic}", enable_idempotence=True
        )
        await producer.start()
        try:
            async with producer.transaction():
                await producer.send_and_wait(topic, b"committed-1", partition=0)
            await producer.begin_transaction()
            await producer.send_and_wait(topic, b"aborted", partition=0)
            await producer.abort_transaction()
            async with producer.transaction():
                await producer.send_and_wait(topic, b"committed-2", partition=0)
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            records = await _drain(consumer, 2)
            # Nothing more is visible (the aborted write and the control markers are skipped).
            extra = await consumer.getmany(tp, timeout_ms=1000)
        finally:
            await consumer.stop()
        assert [r.value for r in records] == [b"committed-1", b"committed-2"]
        assert not any(extra.values())

    asyncio.run(scenario())
