"""Operations on a running installation: dead letters (list, re-drive) and rebuilding read models from Kafka."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts import DeadLetter, topics
from shared.kafka import admin_kwargs
from shared.mongo import connect
from shared.settings import Settings


async def partitions(settings: Settings, names: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described if not t.get("error_code")
            for p in t["partitions"]]


async def read_all(settings: Settings, topic: str, idle_ms: int = 1500) -> list[Any]:
    """Every record of a topic from the beginning, without a consumer group."""
    tps = await partitions(settings, [topic])
    if not tps:  # no such topic (yet); a consumer started and stopped with nothing assigned fails to stop
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[Any] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=idle_ms)
            if not batch:
                break
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def dead_letters(settings: Settings) -> list[DeadLetter]:
    records = await read_all(settings, topics.qualified(settings.topic_prefix, topics.DEAD_LETTER))
    return [DeadLetter.model_validate_json(r.value) for r in records]


async def redrive(settings: Settings, *, consumer: str | None = None, contains: str | None = None,
                  dry_run: bool = False) -> list[DeadLetter]:
    """Publish dead letters' original messages to their topic again; consumers' inboxes keep it exactly once."""
    chosen = [d for d in await dead_letters(settings)
              if (consumer is None or d.consumer == consumer) and (contains is None or contains in d.reason)]
    if dry_run or not chosen:
        return chosen
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for d in chosen:
            await producer.send_and_wait(d.topic, d.original.encode(), key=(d.key or d.dead_letter_id).encode(),
                                         headers=[("redriven-from", d.dead_letter_id.encode())])
    finally:
        await producer.stop()
    return chosen


async def group_lag(settings: Settings, group_id: str, topic_names: list[str] | None = None) -> int:
    """Messages of the event topics (or of topic_names, unqualified) not yet committed by a consumer group
    (unconsumed partitions count whole)."""
    tps = await partitions(settings, [topics.qualified(settings.topic_prefix, t)
                                      for t in (topic_names if topic_names is not None else topics.EVENT_TOPICS)])
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group_id)
        end = await consumer.end_offsets(tps)
        return sum(max(0, end[tp] - (committed[tp].offset if tp in committed and committed[tp] else 0)) for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()


@dataclass
class ReplayReport:
    replay_db: str
    live_db: str
    documents: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def equal(self) -> bool:
        return not self.differences


async def _snapshot(db, collections) -> dict[str, dict]:
    return {c: {d["_id"]: d for d in await db[c].find({}).to_list()} for c in collections}


async def replay_leaderboard(settings: Settings, *, timeout: float = 300.0) -> ReplayReport:
    """Rebuild the leaderboard read model from the Kafka topics into a fresh database and compare it with the live
    one."""
    from services.leaderboard.app import create_service
    from services.leaderboard.store import COLLECTIONS

    tag = f"replay{int(time.time())}"
    replay_settings = settings.model_copy(update={"db_prefix": f"{settings.db_prefix}_{tag}",
                                                  "group_suffix": f".{tag}"})
    svc = create_service(replay_settings)
    started = time.monotonic()
    client = connect(settings.mongo_url)
    live_db = client[settings.database_name("leaderboard")]
    report = ReplayReport(replay_db=replay_settings.database_name("leaderboard"), live_db=live_db.name)
    try:
        async with svc.api.router.lifespan_context(svc.api):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if await group_lag(settings, svc.group_id) == 0:
                    break
                await asyncio.sleep(0.5)
            else:
                report.differences.append(f"replay did not catch up within {timeout}s")
        live_lag = await group_lag(settings, f"{settings.topic_prefix}.leaderboard")
        if live_lag:
            report.differences.append(f"the live projector is {live_lag} messages behind; compare again later")
        live = await _snapshot(live_db, COLLECTIONS)
        rebuilt = await _snapshot(client[report.replay_db], COLLECTIONS)
        for coll in COLLECTIONS:
            report.documents[coll] = len(rebuilt[coll])
            for _id in sorted(set(live[coll]) | set(rebuilt[coll]), key=str):
                if live[coll].get(_id) != rebuilt[coll].get(_id):
                    report.differences.append(f"{coll}/{_id} differs")
    finally:
        await client.drop_database(report.replay_db)
        await client.close()
    report.seconds = time.monotonic() - started
    return report
