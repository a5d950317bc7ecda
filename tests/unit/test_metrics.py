"""/metrics without servers: the HTTP metrics by route template, the consumer's counters on fakes, readiness."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from shared.consumer import ForgetRevoked, PermanentFailure
from shared.service import Service
from shared.settings import Settings
from tests.unit.test_consumer import Harness, TopicPartition, withdrawn


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """name, sorted labels -> value of every sample in a Prometheus text exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


def probe() -> Service:
    svc = Service("probe", Settings(topic_prefix="unit"), title="probe")

    @svc.api.get("/things/{thing_id}")
    async def thing(thing_id: str):
        return {"id": thing_id}

    return svc


def test_requests_are_counted_by_route_template_method_and_status():
    http = TestClient(probe().api)  # not started: no servers needed for the HTTP metrics
    http.get("/things/a")
    http.get("/things/b")
    http.get("/nowhere")
    text = http.get("/metrics").text
    assert value(text, "exemplar_http_requests_total", method="GET", route="/things/{thing_id}", status="200") == 2
    assert value(text, "exemplar_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(text, "exemplar_http_request_duration_seconds_count", method="GET", route="/things/{thing_id}") == 2
    assert value(text, "exemplar_service_info", service="probe") == 1
    assert http.get("/metrics").headers["content-type"].startswith("text/plain")


def test_applied_failed_and_dead_lettered_events_are_counted_per_topic_type_and_handler():
    def behaviour(nid, call):
        if nid == "bad":
            raise PermanentFailure("unknown nomination")

    h = Harness(behaviour)
    asyncio.run(h.deliver([h.record(withdrawn("n1")), h.record(withdrawn("n2"))]))
    asyncio.run(h.deliver([h.record(withdrawn("bad")), h.record(b"{not json")]))
    text = h.consumer.metrics.render()[0].decode()
    labels = dict(topic="nominations.events", event_type="NominationWithdrawn", handler="handle")
    assert value(text, "exemplar_messages_processed_total", **labels) == 2
    assert value(text, "exemplar_messages_failed_total", **labels) == 1
    assert value(text, "exemplar_messages_dead_lettered_total", **labels, reason="PermanentFailure") == 1
    assert value(text, "exemplar_messages_dead_lettered_total", topic="nominations.events", event_type="",
                 handler="", reason="malformed") == 1
    assert value(text, "exemplar_consumer_batch_failures_total") == 1


def test_rebalances_are_counted_and_the_assignment_is_shown():
    h = Harness()
    listener = ForgetRevoked(h.consumer.settled, h.consumer.membership)
    asyncio.run(listener.on_partitions_assigned([TopicPartition("unit.nominations.events", p) for p in range(3)]))
    asyncio.run(listener.on_partitions_revoked([TopicPartition("unit.nominations.events", 0)]))
    text = h.consumer.metrics.render()[0].decode()
    assert value(text, "exemplar_consumer_rebalances_total", phase="assigned") == 1
    assert value(text, "exemplar_consumer_rebalances_total", phase="revoked") == 1
    assert value(text, "exemplar_consumer_assigned_partitions") == 2


def test_lag_per_partition_is_the_high_watermark_less_the_committed_offset():
    h = Harness()
    h.consumer.metrics.set_lag([("voting.events", 0, 120, 100), ("voting.events", 1, 5, None)])
    text = h.consumer.metrics.render()[0].decode()
    assert value(text, "exemplar_consumer_lag", topic="voting.events", partition="0") == 20
    assert value(text, "exemplar_consumer_lag", topic="voting.events", partition="1") == 5
    h.consumer.metrics.set_lag([])  # partitions no longer assigned are not shown
    assert value(h.consumer.metrics.render()[0].decode(), "exemplar_consumer_lag", topic="voting.events",
                 partition="0") is None


class FakeSubscriber:
    def __init__(self) -> None:
        self.running, self.consumer, self.tasks = True, object(), []


def test_the_consumer_is_healthy_only_running_and_in_its_group():
    h = Harness()
    c = h.consumer
    assert c.health(30) == "stopped"  # never subscribed
    c.subscriber = FakeSubscriber()
    assert c.health(30) == "ok"  # joining, within the grace period
    c.membership.since -= 31
    assert c.health(30).startswith("no group assignment for")
    c.membership.assigned([])  # in the group, even with no partition (more replicas than partitions)
    assert c.health(30) == "ok"
    done = asyncio.new_event_loop()
    task = done.create_task(asyncio.sleep(0))
    done.run_until_complete(task)
    done.close()
    c.subscriber.tasks = [task]
    assert c.health(30) == "consumer task ended"
    c.subscriber = SimpleNamespace(running=False, consumer=None, tasks=[])
    assert c.health(30) == "stopped"
