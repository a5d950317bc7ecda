"""The publisher without servers: producer renewal on a refused send, the relay's publish, the outbox writes."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import MessageSizeTooLargeError, OutOfOrderSequenceNumber

from shared import publisher
from shared.contracts import DeadLetter, Envelope, topics
from shared.contracts.nominations import NominationWithdrawn
from shared.logging import get_logger
from shared.publisher import Publisher
from shared.settings import Settings


class FakeProducer:
    def __init__(self, n: int) -> None:
        self.n = n


class FakeBroker:
    """The parts of faststream's KafkaBroker the publisher uses; fails sends as told by `fail(producer_n, send)`."""

    def __init__(self, fail=lambda producer, value: None) -> None:
        self.producer = FakeProducer(1)
        self.fail = fail
        self.sent: list[tuple[int, str, bytes]] = []

        class Config:  # broker.config.producer._producer
            class producer:
                pass

        self.config = Config
        self.config.producer._producer = self.producer

    async def publish(self, value, *, topic, key, partition=None, headers=None, no_confirm=False):
        self.fail(self.config.producer._producer.n, value)
        self.sent.append((self.config.producer._producer.n, topic, value))
        if no_confirm:
            fut = asyncio.get_running_loop().create_future()
            fut.set_result(None)
            return fut
        return None


@pytest.fixture
def renewals(monkeypatch):
    done = []

    async def renew(broker):
        broker.config.producer._producer = FakeProducer(broker.config.producer._producer.n + 1)
        done.append(broker.config.producer._producer.n)

    monkeypatch.setattr(publisher, "renew_producer", renew)
    return done


class FakeOutbox:
    def __init__(self) -> None:
        self.added: list[tuple[Envelope, object]] = []
        self.aside: list[tuple[str, str]] = []

    async def add(self, envelopes, session):
        self.added += [(e, session) for e in envelopes]

    async def set_aside(self, env, reason):
        self.aside.append((env.event_id, reason))


def make(broker: FakeBroker, **settings) -> Publisher:
    return Publisher("unit", Settings(topic_prefix="unit", **settings), broker, get_logger("unit"))


def withdrawn(nid: str) -> Envelope:
    return Envelope.wrap(NominationWithdrawn(nomination_id=nid, category_id="c"), programme_id="p", key=nid)


def run(coro):
    return asyncio.run(coro)


def refuse_producer_1(producer: int, value: bytes) -> None:
    if producer == 1:
        raise OutOfOrderSequenceNumber()


def test_a_refused_send_renews_the_producer_once_and_is_sent_again(renewals):
    broker = FakeBroker(refuse_producer_1)
    pub = make(broker)
    run(pub.send(b"v", topic="t", key=b"k"))
    assert broker.sent == [(2, "t", b"v")] and pub.renewals == 1 and renewals == [2]


def test_a_send_refused_by_the_new_producer_too_raises(renewals):
    broker = FakeBroker(lambda producer, value: refuse_producer_1(1, value))
    with pytest.raises(OutOfOrderSequenceNumber):
        run(make(broker).send(b"v", topic="t", key=b"k"))
    assert renewals == [2, 3] and not broker.sent  # the next send gets a fresh producer too


def test_sends_that_failed_together_renew_the_producer_once(renewals):
    pub = make(FakeBroker())
    first = pub.producer()

    async def together():
        await asyncio.gather(*(pub.renew(first, "refused") for _ in range(3)))

    run(together())
    assert pub.renewals == 1 and renewals == [2]


def test_a_dead_letter_says_where_the_record_came_from_and_why():
    broker = FakeBroker()

    class Record:
        partition, offset, key = 3, 41, b"n1"

    run(make(broker).send_dead_letter(topics.NOMINATIONS, Record, b"{raw", "malformed envelope: x", 1))
    [(_, topic, value)] = broker.sent
    letter = DeadLetter.model_validate_json(value)
    assert topic == topics.qualified("unit", topics.DEAD_LETTER)
    assert (letter.consumer, letter.topic, letter.partition, letter.offset, letter.key, letter.original) == (
        "unit", topics.qualified("unit", topics.NOMINATIONS), 3, 41, "n1", "{raw")
    assert letter.reason == "malformed envelope: x" and letter.attempts == 1


def test_the_relay_sets_a_too_large_event_aside_and_publishes_the_rest():
    big = withdrawn("big")

    def too_large(producer, value):
        if b'"big"' in value:
            raise MessageSizeTooLargeError()

    broker, outbox = FakeBroker(too_large), FakeOutbox()
    run(make(broker).publish([withdrawn("a"), big, withdrawn("b")], outbox=outbox))
    assert [Envelope.model_validate_json(v).event().nomination_id for _, _, v in broker.sent] == ["a", "b"]
    assert [event_id for event_id, _ in outbox.aside] == [big.event_id]


def test_the_relay_renews_a_producer_whose_acknowledgements_never_come(renewals):
    class Silent(FakeBroker):
        async def publish(self, value, **kw):
            return asyncio.get_running_loop().create_future()  # never acknowledged

    pub = make(Silent(), kafka_publish_timeout_seconds=0.05)
    with pytest.raises(asyncio.TimeoutError):
        run(pub.publish([withdrawn("a")], outbox=FakeOutbox()))  # the relay keeps the event and sends it again
    assert pub.renewals == 1


def test_emitted_events_go_to_the_outbox_in_order_in_the_callers_session():
    outbox = FakeOutbox()
    env = run(publisher.emit(outbox, "s1", NominationWithdrawn(nomination_id="n0", category_id="c"),
                             programme_id="p", key="n0", correlation_id="cid"))
    envs = run(publisher.emit_many(outbox, "s2", [(NominationWithdrawn(nomination_id=f"n{i}", category_id="c"), "p",
                                                   f"n{i}") for i in (1, 2)]))
    assert env.correlation_id == "cid" and env.key == "n0"
    assert [(e.event().nomination_id, s) for e, s in outbox.added] == [("n0", "s1"), ("n1", "s2"), ("n2", "s2")]
    assert envs[0].correlation_id == envs[1].correlation_id
