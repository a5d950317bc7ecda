"""An idle consumer must not spin: empty fetches answered at once are paced (devtools.noida_pacing, active on
the local broker noida-db).

About noida-db, which answers an empty fetch at once (Apache Kafka holds it up to fetch_max_wait), so it runs on a
noida-db broker whichever Kafka the session runs."""
from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient

from devtools import noida_pacing
from shared.kafka import admin_kwargs
from tests.support import fresh_settings

pytestmark = pytest.mark.conformance


@pytest.fixture
def settings(kafka_of):
    return fresh_settings(kafka_of("noida"))


async def test_idle_consumer_fetches_are_paced_and_new_records_still_arrive_quickly(settings, monkeypatch):
    noida_pacing.install()
    pause_ms = noida_pacing.pause_ms()
    fetches = 0
    send = AIOKafkaClient.send

    async def counting(self, node_id, request, *args, **kwargs):
        nonlocal fetches
        if type(request).__name__.startswith("FetchRequest"):
            fetches += 1
        return await send(self, node_id, request, *args, **kwargs)

    monkeypatch.setattr(AIOKafkaClient, "send", counting)
    topic = f"pacing-{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    await admin.start()
    try:  # as many partitions as the services' topics: the spinning showed with several partitions per fetch
        await admin.create_topics([NewTopic(topic, num_partitions=settings.kafka_partitions,
                                            replication_factor=settings.kafka_replication_factor)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, group_id=f"g-{topic}",
                                auto_offset_reset="earliest")
    try:
        await producer.send_and_wait(topic, b"first")
        await consumer.start()
        assert (await asyncio.wait_for(consumer.getone(), 30)).value == b"first"

        fetches, started = 0, time.monotonic()
        await asyncio.sleep(2.0)
        rate = fetches / (time.monotonic() - started)
        print(f"idle fetches/s {rate:.0f}")
        # Unpaced, the local broker was asked 3,700 times a second by one idle consumer.
        assert rate <= 1.5 * 1000 / max(pause_ms, 1), f"{rate:.0f} fetches/s while idle"

        latencies = []
        for i in range(5):
            sent = time.monotonic()
            await producer.send_and_wait(topic, f"r{i}".encode())
            record = await asyncio.wait_for(consumer.getone(), 10)
            assert record.value == f"r{i}".encode()
            latencies.append(time.monotonic() - sent)
            await asyncio.sleep(0.05)
        assert max(latencies) < 0.6, latencies  # Apache Kafka holds an empty fetch up to fetch_max_wait (500 ms)
    finally:
        await consumer.stop()
        await producer.stop()
