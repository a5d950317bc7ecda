"""Operations on a running installation: dead letters (list, re-drive) and rebuilding read models from Kafka."""
from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
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


# Every read model a replay rebuilds: the leaderboard (the whole projector) and each service's learned views (only
# its consumers of the other services' events; its own command-side state is not built from the topics).
READ_MODELS = ("leaderboard", "nominations", "voting", "scoring", "publicity")


def read_model(name: str) -> tuple[Callable[[Settings], Any], tuple[str, ...]]:
    """(the factory of the service that builds it, the collections it consists of)."""
    if name == "leaderboard":
        from services.leaderboard.app import create_service
        from services.leaderboard.store import COLLECTIONS
        return create_service, COLLECTIONS
    if name == "nominations":
        from services.nominations.app import create_consumers
        from services.nominations.store import LEARNED_COLLECTIONS
    elif name == "voting":
        from services.voting.app import create_consumers  # type: ignore[no-redef]
        from services.voting.store import LEARNED_COLLECTIONS  # type: ignore[no-redef]
    elif name == "scoring":
        from services.scoring.app import create_consumers  # type: ignore[no-redef]
        from services.scoring.store import LEARNED_COLLECTIONS  # type: ignore[no-redef]
    elif name == "publicity":
        from services.publicity.app import create_consumers  # type: ignore[no-redef]
        from services.publicity.store import LEARNED_COLLECTIONS  # type: ignore[no-redef]
    else:
        raise ValueError(f"no read model {name!r}; there are {', '.join(READ_MODELS)}")
    return create_consumers, LEARNED_COLLECTIONS


@dataclass
class ReplayReport:
    replay_db: str
    live_db: str
    name: str = "leaderboard"
    documents: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def equal(self) -> bool:
        return not self.differences


async def _snapshot(db, collections) -> dict[str, dict]:
    return {c: {d["_id"]: d for d in await db[c].find({}).to_list()} for c in collections}


def _difference(where: str, live: dict | None, rebuilt: dict | None) -> str:
    if rebuilt is None:
        return f"{where} is missing from the rebuild"
    if live is None:
        return f"{where} is only in the rebuild"
    fields = sorted(k for k in set(live) | set(rebuilt) if live.get(k) != rebuilt.get(k))
    return f"{where} differs in {', '.join(fields)}"


def compare(name: str, collections: tuple[str, ...], live: dict[str, dict], rebuilt: dict[str, dict]) -> list[str]:
    """One line per document that is not the same, by _id, in the live and the rebuilt collections."""
    return [_difference(f"{name}: {c}/{_id}", live[c].get(_id), rebuilt[c].get(_id))
            for c in collections for _id in sorted(set(live[c]) | set(rebuilt[c]), key=str)
            if live[c].get(_id) != rebuilt[c].get(_id)]


async def _catch_up(settings: Settings, group_id: str, topic_names: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await group_lag(settings, group_id, topic_names) == 0:
            return True
        await asyncio.sleep(0.5)
    return False


async def replay_read_model(settings: Settings, name: str, *, timeout: float = 300.0) -> ReplayReport:
    """Rebuild one read model from the Kafka topics into a fresh database (its service's consumers under a consumer
    group of their own) and compare it, document by document, with the live one."""
    create, collections = read_model(name)
    tag = f"replay{int(time.time())}{secrets.token_hex(3)}"
    replay_settings = settings.model_copy(update={"db_prefix": f"{settings.db_prefix}_{tag}",
                                                  "group_suffix": f".{tag}"})
    svc = create(replay_settings)
    topic_names = sorted(svc.consumer.routes)
    started = time.monotonic()
    client = connect(settings.mongo_url)
    report = ReplayReport(replay_db=replay_settings.database_name(svc.name),
                          live_db=settings.database_name(svc.name), name=name)
    try:
        async with svc.api.router.lifespan_context(svc.api):
            if not await _catch_up(settings, svc.group_id, topic_names, timeout):
                report.differences.append(f"{name}: the replay did not catch up within {timeout}s")
        live_lag = await group_lag(settings, f"{settings.topic_prefix}.{svc.name}{settings.group_suffix}",
                                   topic_names)
        if live_lag:
            report.differences.append(f"{name}: the live service is {live_lag} messages behind; compare again later")
        live = await _snapshot(client[report.live_db], collections)
        rebuilt = await _snapshot(client[report.replay_db], collections)
        report.documents = {c: len(rebuilt[c]) for c in collections}
        report.differences += compare(name, collections, live, rebuilt)
    finally:
        await client.drop_database(report.replay_db)
        await client.close()
    report.seconds = time.monotonic() - started
    return report


async def replay(settings: Settings, only: list[str] | None = None, *, timeout: float = 300.0) -> list[ReplayReport]:
    """Rebuild every read model (or those named), all at once, each compared with its live one."""
    names = list(only or READ_MODELS)
    for name in names:
        read_model(name)  # an unknown name fails before anything starts
    return list(await asyncio.gather(*(replay_read_model(settings, n, timeout=timeout) for n in names)))


async def replay_leaderboard(settings: Settings, *, timeout: float = 300.0) -> ReplayReport:
    """Rebuild the leaderboard read model from the Kafka topics into a fresh database and compare it with the live
    one."""
    return await replay_read_model(settings, "leaderboard", timeout=timeout)
