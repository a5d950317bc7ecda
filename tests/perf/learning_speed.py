"""How long voting, scoring and the leaderboard take to learn a programme from the nominations topic.

Not a test: a measurement. It starts its own local servers, publishes a programme (ProgrammeDefined, optionally
MembersImported rolls, and N nominations as NominationSubmitted + NominationApproved) BEFORE any consumer runs,
then starts one service at a time as its own process and times it from ready (/healthz answers) until its consumer
group has committed every record of the topic. Each service gets a fresh topic prefix, so it reads the same
records and nothing another service emitted.

Measured with --nominations 10000 (20,001 records), on the shared 2-core machine at a load average of 4 to 7 (a
benchmark of another engineer ran meanwhile), so the figures are rough; seconds from ready to caught up:

    service       one transaction per event (20ca7a0)        batches of up to 500 (282f121)
    voting        363 s (55/s)                                55 s (366/s)
    scoring       not done after 900 s (13,102 applied)       162 s (123/s)
    leaderboard   not done after 480 s (17,787 applied)       107 s (187/s)

    .venv/bin/python -m tests.perf.learning_speed --nominations 10000 [--members 0] [--tree DIR]

--tree runs the services from another checkout of the code (e.g. `git archive` of an older commit), with this
environment; the servers and the publishing stay the same.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from devtools.servers import LocalServers, free_port
from shared.contracts import Envelope, topics
from shared.contracts.nominations import (
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
)
from shared.kafka import ensure_topics
from shared.mongo import connect
from shared.settings import Settings

P = "p-learn"
CRITERIA = [{"criterion_id": "c1", "name": "组织建设", "max_points": 100, "step": 0.5}]
WEIGHTS = {"basic": 0.1, "key_tasks": 0.2, "business": 0.1, "report": 0.4, "peer_vote": 0.2}
EXPECT = {"voting": ("nominations", {"status": "approved"}), "scoring": ("nominations", {"status": "approved"}),
          "leaderboard": ("entries", {"status": "approved"})}


def programme(nominations: int, members: int, categories: int = 10) -> list[Envelope]:
    cats = [{"category_id": f"cat{c}", "name": f"类别{c}", "nominee_kind": "organ", "quota": 10,
             "criteria": CRITERIA, "weights": WEIGHTS} for c in range(categories)]
    out = [Envelope.wrap(ProgrammeDefined(programme_id=P, version=1, name="学习速度", year=2026, stages=[],
                                          categories=cats), programme_id=P, key=P)]
    for start in range(0, members, 1000):
        out.append(Envelope.wrap(MembersImported(members=[
            MemberInfo(member_id=f"m{i:06d}", name=f"成员{i:06d}", unit_id=f"u{i % 500:03d}")
            for i in range(start, min(members, start + 1000))]), programme_id=P, key="members"))
    for i in range(nominations):
        nid, cat = f"n{i:05d}", f"cat{i % categories}"
        out.append(Envelope.wrap(NominationSubmitted(
            nomination_id=nid, category_id=cat, nominee_id=f"u{i:05d}", nominee_name=f"第{i}机关",
            nominee_kind="organ", unit_id=f"u{i:05d}", unit_name=f"单位{i}"), programme_id=P, key=nid))
    for i in range(nominations):
        nid = f"n{i:05d}"
        out.append(Envelope.wrap(NominationApproved(nomination_id=nid, category_id=f"cat{i % categories}"),
                                 programme_id=P, key=nid))
    return out


async def publish(settings: Settings, envelopes: list[Envelope]) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True,
                                linger_ms=5, max_request_size=4 * 1024 * 1024)
    await producer.start()
    try:
        for start in range(0, len(envelopes), 2000):
            futures = [await producer.send(topics.qualified(settings.topic_prefix, e.topic),
                                           e.model_dump_json().encode(), key=e.key.encode())
                       for e in envelopes[start:start + 2000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def lag(settings: Settings, group_id: str) -> int:
    topic = topics.qualified(settings.topic_prefix, topics.NOMINATIONS)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or
               await _partitions(consumer, topic)]
        committed = await admin.list_consumer_group_offsets(group_id)
        end = await consumer.end_offsets(tps)
        return sum(end[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
                   for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()
        if parts := consumer.partitions_for_topic(topic):
            return parts
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no partitions for {topic}")


async def measure(servers: LocalServers, service: str, envelopes: list[Envelope], tree: Path, log_dir: Path,
                  timeout: float, static: bool) -> dict:
    prefix = "learn" + uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap, mongo_url=servers.mongo_url, db_prefix=prefix,
                        topic_prefix=prefix)
    t0 = time.monotonic()
    await publish(settings, envelopes)
    published = time.monotonic() - t0
    port = free_port()
    env = {**os.environ, **servers.env(), "EXEMPLAR_DB_PREFIX": prefix, "EXEMPLAR_TOPIC_PREFIX": prefix,
           "EXEMPLAR_HTTP_PORT": str(port), "EXEMPLAR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(tree)}
    if static:  # as the Stack and the benchmark run the services
        env["EXEMPLAR_INSTANCE_ID"] = f"{service}-{port}"
    log = open(log_dir / f"{service}-{prefix}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", f"import shared, services.{service}.app as a; "
                             f"print('code from', shared.__file__, flush=True); a.create_service().run()"],
                            cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient() as http:
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz", timeout=1)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"{service} exited; see {log.name}")
                await asyncio.sleep(0.05)
        ready = time.monotonic()
        group = f"{prefix}.{service}"
        while (remaining := await asyncio.wait_for(lag(settings, group), 20)) > 0:
            if time.monotonic() - ready > timeout:
                raise RuntimeError(f"{service} still {remaining} records behind after {timeout} s; see {log.name}")
            await asyncio.sleep(0.2)
        learned = time.monotonic() - ready
        coll, query = EXPECT[service]
        client = connect(servers.mongo_url)
        try:
            count = await client[settings.database_name(service)][coll].count_documents(query)
        finally:
            await client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    return {"service": service, "records": len(envelopes), "publish_s": round(published, 1),
            "learn_s": round(learned, 1), "per_s": round(len(envelopes) / learned), "approved": count}


async def main_async(args: argparse.Namespace, servers: LocalServers, root: Path) -> None:
    envelopes = programme(args.nominations, args.members)
    for service in args.services:
        try:
            result = await measure(servers, service, envelopes, Path(args.tree).resolve(), root, args.timeout,
                                   not args.dynamic)
        except RuntimeError as exc:  # one service that does not finish in time: say so, measure the others
            result = {"service": service, "records": len(envelopes), "failed": str(exc)}
        print(result, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=0, help="members imported first, in rolls of 1,000")
    parser.add_argument("--services", nargs="+", default=["voting", "scoring", "leaderboard"])
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[2]),
                        help="the checkout whose services are run (default: this one)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a service may take")
    parser.add_argument("--dynamic", action="store_true", help="dynamic group membership (no EXEMPLAR_INSTANCE_ID)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="exemplar-learning-"))
    with LocalServers(root) as servers:  # started outside the event loop: it waits for them with asyncio.run
        asyncio.run(main_async(args, servers, root))


if __name__ == "__main__":
    main()
