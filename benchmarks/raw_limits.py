"""Raw limits of the servers this run uses: aiokafka produce and consume msg/s, MongoDB insert_many docs/s."""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient


@dataclass
class RawLimits:
    kafka_produce_per_s: float
    kafka_consume_per_s: float
    mongo_insert_many_per_s: float

    @property
    def smaller(self) -> float:
        return min(self.kafka_produce_per_s, self.kafka_consume_per_s, self.mongo_insert_many_per_s)

    def as_dict(self) -> dict:
        return asdict(self) | {"smaller": self.smaller}


def _ballot_like(i: int) -> bytes:
    # About the size of a ballot envelope on the wire.
    return (b'{"event_id":"%032x","type":"BallotCast","round_id":"r1","selections":["n%05d","n%05d","n%05d"],'
            b'"credential":"%064x"}' % (i, i % 997, i % 991, i % 983, i * 7919))


async def kafka_limits(bootstrap: str, messages: int = 100_000, partitions: int = 6) -> tuple[float, float]:
    topic = f"raw-limit-{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()
    payloads = [_ballot_like(i) for i in range(messages)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, p, key=str(i % 512).encode()) for i, p in enumerate(payloads)]
        await asyncio.gather(*futures)
        produce = messages / (time.perf_counter() - started)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"raw-{uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=5000,
                                fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        got, started, deadline = 0, None, time.monotonic() + 120
        while got < messages and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            if batch and started is None:
                started = time.perf_counter()
            got += sum(len(v) for v in batch.values())
        consume = got / (time.perf_counter() - (started or time.perf_counter()))
    finally:
        await consumer.stop()
    return produce, consume


async def mongo_limit(url: str, docs: int = 100_000, batch: int = 1000) -> float:
    client = AsyncMongoClient(url)
    db = client[f"rawlimit_{uuid4().hex[:8]}"]
    try:
        rows = [{"_id": f"{i:012d}", "round_id": "r1", "selections": [f"n{i % 997}", f"n{i % 991}"],
                 "receipt": f"{i * 7919:016x}"} for i in range(docs)]
        started = time.perf_counter()
        for i in range(0, docs, batch):
            await db.ballots.insert_many(rows[i:i + batch], ordered=False)
        return docs / (time.perf_counter() - started)
    finally:
        await client.drop_database(db.name)
        await client.close()


async def measure(bootstrap: str, mongo_url: str, *, kafka_messages: int = 100_000,
                  mongo_docs: int = 50_000) -> RawLimits:
    produce, consume = await kafka_limits(bootstrap, kafka_messages)
    insert = await mongo_limit(mongo_url, mongo_docs)
    return RawLimits(produce, consume, insert)


if __name__ == "__main__":
    import json
    import tempfile
    from pathlib import Path

    from devtools.servers import LocalServers

    with LocalServers(Path(tempfile.mkdtemp(prefix="exemplar-raw-"))) as s:
        limits = asyncio.run(measure(s.kafka_bootstrap, s.mongo_url,
                                     kafka_messages=int(os.environ.get("RAW_KAFKA_MESSAGES", 100_000)),
                                     mongo_docs=int(os.environ.get("RAW_MONGO_DOCS", 50_000))))
    print(json.dumps({k: round(v) for k, v in limits.as_dict().items()}, indent=1))
