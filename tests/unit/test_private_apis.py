"""The private (and internal) attributes of faststream and aiokafka that the code reads are still there.

pyproject caps aiokafka (<0.15) and faststream (<0.8) for them; before a cap is raised, this test must pass on the
new version. Where each is used:
- shared/publisher.py and shared/kafka.py renew the producer Kafka refuses for good: broker.config.producer
  (faststream's AioKafkaFastProducerImpl), its `_producer` (the state the renewal compares), `connect(producer,
  serializer=, codec=)`, `serializer`, `codec`, and the broker's `_connection_kwargs` to build the new producer;
- shared/consumer.py reads the subscriber's `consumer`, `running` and `tasks` (no underscore, but not documented);
- devtools/noida_pacing.py (the local broker only) wraps aiokafka's Fetcher._proc_fetch_request and reads
  `_fetch_max_wait_ms`.
"""
from __future__ import annotations

import inspect

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.consumer.fetcher import Fetcher
from faststream.kafka import KafkaBroker

from shared.kafka import make_broker
from shared.settings import Settings


def broker() -> KafkaBroker:
    return make_broker(Settings(kafka_bootstrap="127.0.0.1:1"), client_id="probe")


def test_the_broker_keeps_its_producer_kwargs_and_its_producer_state():
    b = broker()
    kwargs = b._connection_kwargs
    assert kwargs["bootstrap_servers"] == ["127.0.0.1:1"] and kwargs["enable_idempotence"] is True
    assert set(kwargs) <= set(inspect.signature(AIOKafkaProducer).parameters)  # a new producer is built of them
    fast = b.config.producer
    assert hasattr(fast, "_producer") and hasattr(fast, "serializer") and hasattr(fast, "codec")
    assert list(inspect.signature(fast.connect).parameters) == ["producer", "serializer", "codec"]


def test_the_subscriber_shows_its_consumer_state_and_tasks():
    sub = broker().subscriber("t", batch=True, group_id="g")
    assert sub.consumer is None and sub.running is False and sub.tasks == []


def test_the_consumer_has_the_public_lag_api():
    for name in ("assignment", "highwater", "committed", "position"):
        assert callable(getattr(AIOKafkaConsumer, name))


def test_the_fetcher_method_the_local_broker_workaround_wraps():
    assert list(inspect.signature(Fetcher._proc_fetch_request).parameters) == ["self", "assignment", "node_id",
                                                                              "request"]
    assert inspect.iscoroutinefunction(getattr(Fetcher._proc_fetch_request, "__wrapped__",
                                               Fetcher._proc_fetch_request)) or hasattr(Fetcher, "_exemplar_paced")
    assert "self._fetch_max_wait_ms" in inspect.getsource(Fetcher.__init__)


def test_a_batch_message_carries_each_records_headers():
    """shared.telemetry.BatchTrace reads StreamMessage.batch_headers (one dict per record of a batch)."""
    from faststream.message import StreamMessage

    assert "batch_headers" in inspect.signature(StreamMessage).parameters
