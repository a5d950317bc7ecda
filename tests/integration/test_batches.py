"""The events consumer applies delivered batches in few transactions, with the per-event guarantees intact."""
from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts import DeadLetter, Envelope, topics
from shared.contracts.nominations import MemberInfo, MembersImported, NominationWithdrawn
from shared.kafka import ensure_topics
from shared.mongo import after_commit, connect, in_transaction
from shared.service import PermanentFailure, Service
from tests.support import eventually, read_topic, running

pytestmark = pytest.mark.conformance


def withdrawn(name: str, key: str = "k", seq: int = 0) -> Envelope:
    return Envelope.wrap(NominationWithdrawn(nomination_id=name, category_id=str(seq)), programme_id="p", key=key)


def roll(seq: int, size: int = 1000) -> Envelope:
    members = [MemberInfo(member_id=f"m{seq}-{i:05d}", name=f"成员{i:05d}", unit_id=str(seq)) for i in range(size)]
    return Envelope.wrap(MembersImported(members=members), programme_id="p", key="roll")


async def publish_in_order(settings, items: list[Envelope | bytes], key: bytes = b"k") -> None:
    """Envelopes (by their own key) and raw values (by key), in this order, before any consumer runs."""
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for item in items:
            if isinstance(item, Envelope):
                await producer.send_and_wait(topics.qualified(settings.topic_prefix, item.topic),
                                             item.model_dump_json().encode(), key=item.key.encode())
            else:
                await producer.send_and_wait(topics.qualified(settings.topic_prefix, topics.NOMINATIONS), item,
                                             key=key)
    finally:
        await producer.stop()


def probe(behaviour=lambda name, call: None):
    """A service that counts each event's effect in MongoDB, remembers its transactions, and misbehaves as told."""

    def create(settings):
        svc = Service("probe", settings, title="probe")
        svc.calls, svc.sessions = {}, []

        @svc.on(NominationWithdrawn)
        async def handle(env, e: NominationWithdrawn, session):
            svc.calls[e.nomination_id] = svc.calls.get(e.nomination_id, 0) + 1
            svc.sessions.append(session)  # kept alive, so id() tells the transactions apart
            behaviour(e.nomination_id, svc.calls[e.nomination_id])
            await svc.db.applied.update_one({"_id": e.nomination_id}, {"$inc": {"n": 1}}, upsert=True,
                                            session=session)
            await svc.db.order.update_one({"_id": env.key}, {"$push": {"seq": int(e.category_id)}}, upsert=True,
                                          session=session)

        @svc.on(MembersImported)
        async def imported(env, e: MembersImported, session):
            svc.sessions.append(session)
            await svc.db.order.update_one({"_id": env.key}, {"$push": {"seq": int(e.members[0].unit_id)},
                                                             "$inc": {"members": len(e.members)}},
                                          upsert=True, session=session)

        return svc

    return create


async def applied(svc) -> dict[str, int]:
    return {d["_id"]: d["n"] for d in await svc.db.applied.find({}).to_list()}


async def letters(settings, at_least: int, timeout: float) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(v)
            for v in await read_topic(settings, topics.DEAD_LETTER, min_count=at_least, timeout=timeout)]


async def test_a_poison_event_in_a_batch_is_dead_lettered_and_the_others_applied_once(settings):
    def poison(name, call):
        if name == "w6":
            raise PermanentFailure("nomination w6 is unknown")
        if name == "w10":
            raise RuntimeError("cannot ever work")

    ok = [f"w{i}" for i in range(15) if i not in (6, 10)]
    batch: list[Envelope | bytes] = [withdrawn(f"w{i}", seq=i) for i in range(5)]
    batch += [b"{not json"] + [withdrawn(f"w{i}", seq=i) for i in range(5, 15)]
    await publish_in_order(settings, batch)  # all in one partition, waiting before the consumer starts: one batch
    cfg = settings.model_copy(update={"max_delivery_attempts": 3})
    async with running(probe(poison), cfg) as (svc, _):
        await eventually(lambda: _has(svc, ok), timeout=30)
        found = await letters(settings, 3, timeout=30)
        await asyncio.sleep(1.0)
        # Each poison message is dead-lettered once, although its batch was delivered again after w10's failures.
        found = await letters(settings, 4, timeout=2)
        reasons = {(json.loads(x.original)["payload"]["nomination_id"] if x.original.startswith('{"') else "raw"): x
                   for x in found}
        assert len(found) == 3, [x.reason for x in found]
        assert "malformed envelope" in reasons["raw"].reason
        assert "PermanentFailure" in reasons["w6"].reason and reasons["w6"].attempts == 1
        assert "failed 3 times" in reasons["w10"].reason and reasons["w10"].attempts == 3
        assert await applied(svc) == {name: 1 for name in ok}
        # The first try was one transaction for the events before the malformed record.
        assert len({id(s) for s in svc.sessions[:5]}) == 1
        assert (await svc.db.order.find_one({"_id": "k"}))["seq"] == [int(n[1:]) for n in ok]
        assert svc.processed >= len(ok)


async def _has(svc, names):
    return set(await applied(svc)) >= set(names)


async def test_a_batch_delivered_again_after_a_failure_is_applied_once(settings):
    def hiccup(name, call):
        if name == "w7" and call <= 2:  # the batch's transaction, then w7's own: the batch comes again
            raise ConnectionError("database hiccup")

    names = [f"w{i}" for i in range(20)]
    await publish_in_order(settings, [withdrawn(n, seq=i) for i, n in enumerate(names)])
    async with running(probe(hiccup), settings) as (svc, _):
        await eventually(lambda: _has(svc, names), timeout=30)
        assert svc.calls["w7"] == 3
        assert await applied(svc) == {n: 1 for n in names}
        assert (await svc.db.order.find_one({"_id": "k"}))["seq"] == list(range(20))

    # Delivered once more to a process that does not remember any of it (another consumer group, the same
    # database): the inbox, read once for the batch, recognises every event.
    again = settings.model_copy(update={"group_suffix": ".again"})
    async with running(probe(), again) as (svc, _):
        await eventually(lambda: _processed(svc, len(names)), timeout=30)
        assert svc.calls == {}
        assert await applied(svc) == {n: 1 for n in names}
    assert await letters(settings, 1, timeout=1) == []


async def _processed(svc, n):
    return svc.processed >= n


async def test_many_events_in_a_batch_keep_their_per_key_order_in_few_transactions(settings):
    keys = [f"k{j}" for j in range(8)]
    events: list[Envelope | bytes] = []
    for i in range(150):
        events += [withdrawn(f"{k}-{i}", key=k, seq=i) for k in keys]
        if i % 5 == 0:
            events.append(roll(i // 5))  # 30 rolls of 1,000 members, about 2 MB: more than one transaction
    await publish_in_order(settings, events)
    async with running(probe(), settings) as (svc, _):
        await eventually(lambda: _processed(svc, len(events)), timeout=60)
        for k in keys:
            assert (await svc.db.order.find_one({"_id": k}))["seq"] == list(range(150))
        rolls = await svc.db.order.find_one({"_id": "roll"})
        assert rolls["seq"] == list(range(30)) and rolls["members"] == 30_000
        assert await svc.db.applied.count_documents({"n": {"$ne": 1}}) == 0
        transactions = len({id(s) for s in svc.sessions})
        assert 3 <= transactions <= len(events) // 20, transactions
        # The size cap: no transaction held more than about a megabyte of rolls.
        per_txn: dict[int, int] = {}
        for s in svc.sessions:
            per_txn[id(s)] = per_txn.get(id(s), 0) + 1
        assert max(per_txn.values()) <= settings.consumer_batch_events


async def test_after_commit_callbacks_run_once_after_the_commit_and_never_for_an_aborted_attempt(settings):
    client = connect(settings.mongo_url)
    coll = client[settings.database_name("probe")]["docs"]
    seen: list[object] = []
    attempts = {"n": 0}

    async def txn(s):
        attempts["n"] += 1
        await coll.insert_one({"_id": attempts["n"]}, session=s)
        after_commit(lambda: seen.append(attempts["n"]))
        if attempts["n"] == 1:
            raise RuntimeError("aborted")

    try:
        with pytest.raises(RuntimeError):
            await in_transaction(client, txn)
        assert seen == [] and await coll.count_documents({}) == 0
        await in_transaction(client, txn)
        assert seen == [2] and await coll.count_documents({}) == 1
        after_commit(lambda: seen.append("now"))  # outside a transaction: at once
        assert seen == [2, "now"]
    finally:
        await client.close()
