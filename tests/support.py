"""Test helpers: settings for a fresh namespace on the real local servers, in-process services, polling."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.auth import issue_token
from shared.contracts import Envelope, topics
from shared.settings import Settings


def fresh_settings(servers, **overrides: Any) -> Settings:
    """Settings with a unique topic and database prefix, so tests never see each other's data."""
    prefix = "t" + uuid4().hex[:10]
    values = dict(kafka_bootstrap=servers.kafka_bootstrap, mongo_url=servers.mongo_url, db_prefix=prefix,
                  topic_prefix=prefix, outbox_poll_seconds=0.2, log_level="WARNING")
    values.update(overrides)
    return Settings(**values)


def auth(settings: Settings, role: str, **claims: Any) -> dict[str, str]:
    token = issue_token(settings, role=role, subject=claims.pop("subject", f"{role}-test"), **claims)
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running(create: Callable[..., Any], settings: Settings):
    """Run a service in this process with its real lifespan; yields (service, HTTP client)."""
    svc = create(settings)
    async with svc.api.router.lifespan_context(svc.api):
        transport = httpx.ASGITransport(app=svc.api)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
            yield svc, client


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Poll until check returns a truthy value; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def publish_raw(settings: Settings, topic: str, values: list[bytes], key: bytes = b"k") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for v in values:
            await producer.send_and_wait(topics.qualified(settings.topic_prefix, topic), v, key=key)
    finally:
        await producer.stop()


async def publish_envelopes(settings: Settings, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for env in envelopes:
            await producer.send_and_wait(topics.qualified(settings.topic_prefix, env.topic),
                                         env.model_dump_json().encode(), key=env.key.encode())
    finally:
        await producer.stop()


async def read_topic(settings: Settings, topic: str, *, min_count: int = 1, timeout: float = 15.0) -> list[bytes]:
    """Read a topic from the start until at least min_count messages arrived (or time runs out)."""
    consumer = AIOKafkaConsumer(
        topics.qualified(settings.topic_prefix, topic), bootstrap_servers=settings.kafka_bootstrap,
        group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
    )
    await consumer.start()
    out: list[bytes] = []
    try:
        deadline = time.monotonic() + timeout
        while len(out) < min_count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                out.extend(r.value for r in records)
    finally:
        await consumer.stop()
    return out
