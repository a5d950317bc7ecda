"""The events consumer without servers: batches, supersede, inbox, attempts and dead letters on fakes."""
from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass

import pytest

from shared.consumer import EventsConsumer, ForgetRevoked, PermanentFailure, parse
from shared.contracts import Envelope, topics
from shared.contracts.nominations import NominationWithdrawn, StageChanged
from shared.logging import get_logger
from shared.settings import Settings

PREFIX = "unit"


@dataclass
class Record:
    """The fields of an aiokafka ConsumerRecord the consumer reads."""

    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None


@dataclass
class TopicPartition:
    topic: str
    partition: int


class FakeInbox:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def seen(self, event_id, session=None):
        return event_id in self.ids

    async def mark(self, event_id, session=None):
        assert event_id not in self.ids, "marked twice"
        self.ids.add(event_id)

    async def seen_many(self, event_ids, session=None):
        return {e for e in event_ids if e in self.ids}

    async def mark_many(self, event_ids, session=None):
        for e in event_ids:
            await self.mark(e)


class FakeTransactions:
    """Runs fn(session) as a transaction over the inbox and the handlers' effects: all of it, or none of it."""

    def __init__(self, inbox: FakeInbox, effects: list) -> None:
        self.inbox, self.effects, self.sessions = inbox, effects, 0

    async def __call__(self, fn):
        self.sessions += 1
        ids, effects = set(self.inbox.ids), copy.copy(self.effects)
        try:
            return await fn(f"session-{self.sessions}")
        except BaseException:
            self.inbox.ids, self.effects[:] = ids, effects
            raise


class Harness:
    """An EventsConsumer on fakes, with a handler that records (nomination id, session) and misbehaves as told."""

    def __init__(self, behaviour=lambda nid, call: None, supersede=None, **settings) -> None:
        self.settings = Settings(topic_prefix=PREFIX, **settings)
        self.letters: list[tuple[str, str, int]] = []
        self.applied: list[tuple[str, str]] = []
        self.calls: dict[str, int] = {}
        self.wakeups = 0
        self.inbox = FakeInbox()
        self.txn = FakeTransactions(self.inbox, self.applied)
        self.consumer = EventsConsumer("unit", self.settings, get_logger("unit"), self.dead_letter)
        self.consumer.attach(inbox=self.inbox, transact=self.txn, applied=self.wake)
        self.behaviour = behaviour
        self.consumer.route((NominationWithdrawn,), self.handle, supersede)
        self.offset = 0

    async def handle(self, env, event, session):
        self.calls[event.nomination_id] = self.calls.get(event.nomination_id, 0) + 1
        self.behaviour(event.nomination_id, self.calls[event.nomination_id])
        self.applied.append((event.nomination_id, session))

    async def dead_letter(self, topic, record, raw, reason, attempts):
        self.letters.append((raw.decode(errors="replace"), reason, attempts))

    def wake(self) -> None:
        self.wakeups += 1

    def record(self, value: Envelope | bytes, partition: int = 0) -> Record:
        raw = value.model_dump_json().encode() if isinstance(value, Envelope) else value
        self.offset += 1
        return Record(topics.qualified(PREFIX, topics.NOMINATIONS), partition, self.offset - 1, raw)

    async def deliver(self, records: list[Record]) -> None:
        by_full_name = {topics.qualified(PREFIX, t): t for t in self.consumer.routes}
        await self.consumer.consume(self.consumer.unsettled(by_full_name, records))

    def ids(self) -> list[str]:
        return [nid for nid, _ in self.applied]

    def sessions(self) -> list[str]:
        return list(dict.fromkeys(s for _, s in self.applied))


def withdrawn(nid: str, seq: int = 0, key: str = "k") -> Envelope:
    return Envelope.wrap(NominationWithdrawn(nomination_id=nid, category_id=str(seq)), programme_id="p", key=key)


def run(coro):
    return asyncio.run(coro)


class TestParse:
    def test_a_routed_event_gets_its_handler_and_event(self):
        h = Harness()
        item = parse(h.consumer.routes, topics.NOMINATIONS, h.record(withdrawn("n1")))
        assert item.reject is None and item.handler == h.handle and item.event.nomination_id == "n1"

    def test_a_type_not_listened_to_is_nothing_to_do(self):
        h = Harness()
        env = Envelope.wrap(StageChanged(programme_id="p", stage="s", state="open"), programme_id="p", key="p")
        item = parse(h.consumer.routes, topics.NOMINATIONS, h.record(env))
        assert item.reject is None and item.handler is None

    def test_a_malformed_envelope_and_an_invalid_payload_are_rejected_with_why(self):
        h = Harness()
        assert parse(h.consumer.routes, topics.NOMINATIONS, h.record(b"{not json")).reject.startswith(
            "malformed envelope")
        env = withdrawn("n1").model_copy(update={"payload": {"nomination_id": "n1"}})
        item = parse(h.consumer.routes, topics.NOMINATIONS, h.record(env))
        assert item.reject.startswith("invalid NominationWithdrawn payload") and item.handler is None


class TestBatches:
    def test_a_delivered_batch_is_applied_in_one_transaction_in_order(self):
        h = Harness()
        run(h.deliver([h.record(withdrawn(f"n{i}")) for i in range(5)]))
        assert h.ids() == ["n0", "n1", "n2", "n3", "n4"]
        assert h.txn.sessions == 1 and h.consumer.processed == 5 and h.wakeups == 1
        assert len(h.inbox.ids) == 5

    def test_a_batch_is_cut_at_the_event_count(self):
        h = Harness(consumer_batch_events=2)
        run(h.deliver([h.record(withdrawn(f"n{i}")) for i in range(5)]))
        assert h.ids() == ["n0", "n1", "n2", "n3", "n4"] and h.txn.sessions == 3

    def test_a_batch_is_cut_at_the_payload_size(self):
        h = Harness()
        records = [h.record(withdrawn(f"n{i}")) for i in range(4)]
        h.consumer.settings = h.settings.model_copy(update={"consumer_batch_bytes": 2 * len(records[0].value) + 1})
        run(h.deliver(records))
        assert h.ids() == ["n0", "n1", "n2", "n3"] and h.txn.sessions == 2

    def test_a_duplicate_in_the_batch_and_an_event_applied_before_are_applied_once(self):
        h = Harness()
        before = withdrawn("n1")
        run(h.deliver([h.record(before)]))
        again = withdrawn("n2")
        run(h.deliver([h.record(before), h.record(again), h.record(again)]))
        assert h.calls == {"n1": 1, "n2": 1} and h.consumer.processed == 4

    def test_a_redelivered_event_is_not_applied_again(self):
        h = Harness()
        env = withdrawn("n1")
        run(h.deliver([h.record(env)]))
        h.consumer.settled.clear()  # as after a restart: only the inbox remembers
        run(h.deliver([h.record(env)]))
        assert h.calls == {"n1": 1}

    def test_records_already_settled_are_skipped_when_the_batch_comes_again(self):
        h = Harness()
        records = [h.record(withdrawn(f"n{i}")) for i in range(3)]
        run(h.deliver(records))
        run(h.deliver(records))
        assert h.calls == {"n0": 1, "n1": 1, "n2": 1} and h.txn.sessions == 1

    def test_a_revoked_partition_is_forgotten(self):
        h = Harness()
        run(h.deliver([h.record(withdrawn("n0"), partition=0), h.record(withdrawn("n1"), partition=1)]))
        full = topics.qualified(PREFIX, topics.NOMINATIONS)
        run(ForgetRevoked(h.consumer.settled).on_partitions_revoked([TopicPartition(full, 0)]))
        assert list(h.consumer.settled) == [(full, 1)]


class TestSupersede:
    @staticmethod
    def by_nomination(env, e):
        return e.nomination_id, int(e.category_id)

    def test_only_the_newest_of_a_key_runs_its_handler_and_all_are_marked(self):
        h = Harness(supersede=self.by_nomination)
        envs = [withdrawn("t1", 1), withdrawn("t2", 1), withdrawn("t1", 3), withdrawn("t1", 2)]
        run(h.deliver([h.record(e) for e in envs]))
        assert h.calls == {"t1": 1, "t2": 1}  # t1's seq 3 only
        assert h.consumer.superseded == 2 and h.consumer.processed == 4
        assert h.inbox.ids == {e.event_id for e in envs}

    def test_without_a_rule_every_event_runs(self):
        h = Harness()
        run(h.deliver([h.record(withdrawn("t1", s)) for s in (1, 2, 3)]))
        assert h.calls == {"t1": 3} and h.consumer.superseded == 0


class TestFailures:
    def test_a_rejected_record_is_dead_lettered_where_it_stands(self):
        order = []
        h = Harness(behaviour=lambda nid, call: order.append(nid))
        real = h.dead_letter

        async def noted(*args):
            order.append("letter")
            await real(*args)

        h.consumer.dead_letter_sink = noted
        run(h.deliver([h.record(withdrawn("n0")), h.record(b"{not json"), h.record(withdrawn("n1"))]))
        assert order == ["n0", "letter", "n1"]
        assert h.letters[0][1].startswith("malformed envelope") and h.letters[0][2] == 1

    def test_a_permanent_failure_is_dead_lettered_at_once_and_the_others_applied(self):
        def refuse(nid, call):
            if nid == "n1":
                raise PermanentFailure("nomination n1 is unknown")

        h = Harness(behaviour=refuse)
        run(h.deliver([h.record(withdrawn(f"n{i}")) for i in range(3)]))
        assert h.ids() == ["n0", "n2"]  # the batch failed as a whole, then applied one at a time
        assert [(r, a) for _, r, a in h.letters] == [("PermanentFailure: nomination n1 is unknown", 1)]
        assert len(h.inbox.ids) == 2 and h.consumer.processed == 2

    def test_a_failing_event_is_retried_then_dead_lettered_after_the_attempts(self):
        def flaky(nid, call):
            if nid == "n1":
                raise ConnectionError("database hiccup")

        h = Harness(behaviour=flaky, max_delivery_attempts=2)
        records = [h.record(withdrawn(f"n{i}")) for i in range(3)]
        with pytest.raises(ConnectionError):
            run(h.deliver(records))  # raising has Kafka deliver the batch again
        assert h.ids() == ["n0"] and not h.letters
        run(h.deliver(records))  # n0 is settled: not even parsed again
        assert h.ids() == ["n0", "n2"]
        assert [(r, a) for _, r, a in h.letters] == [("failed 2 times: ConnectionError('database hiccup')", 2)]
        assert h.consumer.attempts == {}

    def test_a_too_new_schema_version_is_dead_lettered_with_the_reason(self):
        h = Harness()
        env = withdrawn("n1").model_copy(update={"schema_version": NominationWithdrawn.schema_version + 1})
        run(h.deliver([h.record(env), h.record(withdrawn("n2"))]))
        assert h.ids() == ["n2"]
        [(_, reason, attempts)] = h.letters
        assert reason.startswith("unsupported NominationWithdrawn schema") and "newer" in reason and attempts == 1
