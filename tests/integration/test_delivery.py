"""Delivery guarantees of the service skeleton against the real broker and database."""
from __future__ import annotations

import json

import pytest

from shared.contracts import DeadLetter, Envelope, topics
from shared.contracts.nominations import NominationWithdrawn
from shared.service import PermanentFailure, Service
from tests.support import eventually, publish_envelopes, publish_raw, read_topic, running

pytestmark = pytest.mark.conformance


def withdrawn(i: int) -> Envelope:
    return Envelope.wrap(NominationWithdrawn(nomination_id=f"n{i}", category_id="c"), programme_id="p", key=f"n{i}")


def probe_service(settings, behaviour):
    """A service whose handler counts applied events in MongoDB and misbehaves as told."""

    def create(settings):
        svc = Service("probe", settings, title="probe")
        svc.calls = {}

        @svc.on(NominationWithdrawn)
        async def handle(env, e: NominationWithdrawn, session):
            svc.calls[e.nomination_id] = svc.calls.get(e.nomination_id, 0) + 1
            behaviour(e.nomination_id, svc.calls[e.nomination_id])
            await svc.db.applied.update_one({"_id": e.nomination_id}, {"$inc": {"n": 1}}, upsert=True, session=session)

        return svc

    return create


async def test_handler_failure_leads_to_redelivery_not_loss(settings):
    def fail_twice(nid, call):
        if nid == "n1" and call <= 2:
            raise ConnectionError("database hiccup")

    async with running(probe_service(settings, fail_twice), settings) as (svc, _):
        await publish_envelopes(settings, [withdrawn(0), withdrawn(1), withdrawn(2)])
        await eventually(lambda: svc.db.applied.count_documents({}), timeout=20)
        await eventually(lambda: _count(svc, 3), timeout=20)
        assert svc.calls["n1"] == 3  # failed twice, redelivered, applied on the third delivery
        assert (await svc.db.applied.find_one({"_id": "n1"}))["n"] == 1


async def _count(svc, n):
    return await svc.db.applied.count_documents({}) == n


async def test_duplicate_delivery_applies_once(settings):
    async with running(probe_service(settings, lambda *_: None), settings) as (svc, _):
        env = withdrawn(7)
        await publish_envelopes(settings, [env, env, env])
        await publish_envelopes(settings, [withdrawn(8)])
        await eventually(lambda: _count(svc, 2))
        assert (await svc.db.applied.find_one({"_id": "n7"}))["n"] == 1


async def test_poison_messages_go_to_the_dead_letter_topic_with_reason(settings):
    def always_fails(nid, call):
        if nid == "n5":
            raise RuntimeError("cannot ever work")
        if nid == "n6":
            raise PermanentFailure("nomination n6 is unknown")

    async with running(probe_service(settings, always_fails),
                       settings.model_copy(update={"max_delivery_attempts": 3})) \
            as (svc, _):
        await publish_raw(settings, topics.NOMINATIONS, [b"{not json"])
        await publish_envelopes(settings, [withdrawn(5), withdrawn(6), withdrawn(9)])
        letters = [DeadLetter.model_validate_json(v)
                   for v in await read_topic(settings, topics.DEAD_LETTER, min_count=3, timeout=30)]
        reasons = {(json.loads(dl.original)["payload"]["nomination_id"] if dl.original.startswith("{\"") else "raw"): dl
                   for dl in letters}
        assert "malformed envelope" in reasons["raw"].reason
        assert "failed 3 times" in reasons["n5"].reason and reasons["n5"].attempts == 3
        assert "unknown" in reasons["n6"].reason
        # The partition was not blocked: the message after the poison ones was applied.
        await eventually(lambda: svc.db.applied.find_one({"_id": "n9"}))


async def test_an_event_too_large_for_kafka_is_kept_aside_and_the_events_after_it_still_flow(settings):
    async with running(lambda st: Service("probe", st, title="probe"), settings) as (svc, _):
        big = NominationWithdrawn(nomination_id="n-big", category_id="c" * 1_100_000)  # over the 1 MB limit
        after = [NominationWithdrawn(nomination_id=f"n-after-{i}", category_id="c") for i in range(3)]

        async def emit(s):
            return await svc.emit_many(s, [(big, "p", "k"), *((e, "p", "k") for e in after)])

        envs = await svc.transact(emit)
        raws = await read_topic(settings, topics.NOMINATIONS, min_count=3, timeout=20)
        got = [Envelope.model_validate_json(r).event_id for r in raws]
        assert got == [e.event_id for e in envs[1:]]  # in order, none lost, the big one not among them
        failed = await eventually(lambda: svc.db.outbox_failed.find_one({"_id": envs[0].event_id}), timeout=10)
        assert failed["envelope"]["type"] == "NominationWithdrawn" and "larger than" in failed["reason"]
        # the relay marks a batch sent once Kafka has acknowledged it: a reader may see the records a moment earlier
        await eventually(lambda: _none_pending(svc), timeout=10)


async def _none_pending(svc) -> bool:
    return await svc.outbox.pending() == 0
