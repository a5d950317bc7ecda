"""Prometheus metrics of one service: HTTP, the events consumer, consumer lag, the outbox and the producer."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# No "_created" series beside every counter: twice the series for a timestamp no dashboard reads.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated

# Seconds; the casting edge answers in about a millisecond, an import of a roll in seconds.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """The metrics of one service, in a registry of its own (tests run several services in one process)."""

    def __init__(self, service: str = "") -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.info = Gauge("exemplar_service_info", "Always 1; names the service.", ["service"], registry=r)
        self.info.labels(service or "unknown").set(1)
        self.http_requests = Counter("exemplar_http_requests", "HTTP requests answered, by route template.",
                                     ["method", "route", "status"], registry=r)
        self.http_duration = Histogram("exemplar_http_request_duration_seconds",
                                       "Time to answer an HTTP request, by route template.", ["method", "route"],
                                       buckets=HTTP_BUCKETS, registry=r)
        labels = ["topic", "event_type", "handler"]
        self.processed = Counter("exemplar_messages_processed", "Events applied by a handler (or found applied "
                                 "before: a redelivery).", labels, registry=r)
        self.failed = Counter("exemplar_messages_failed", "Handler failures of an event (each attempt).", labels,
                              registry=r)
        self.dead_lettered = Counter("exemplar_messages_dead_lettered", "Records put on the dead-letter topic.",
                                     [*labels, "reason"], registry=r)
        self.superseded = Counter("exemplar_messages_superseded", "Events marked applied without running their "
                                  "handler: a newer one of the same key in the same batch replaces them.",
                                  ["topic", "event_type"], registry=r)
        self.batch_failures = Counter("exemplar_consumer_batch_failures", "Batch transactions that failed and were "
                                      "applied again one event at a time.", registry=r)
        self.published = Counter("exemplar_events_published", "Events the outbox relay published to Kafka.",
                                 ["topic"], registry=r)
        self.rebalances = Counter("exemplar_consumer_rebalances", "Rebalance callbacks of the events consumer: "
                                  "partitions revoked or assigned.", ["phase"], registry=r)
        self.assigned = Gauge("exemplar_consumer_assigned_partitions", "Partitions assigned to the events consumer.",
                              registry=r)
        tp = ["topic", "partition"]
        self.lag = Gauge("exemplar_consumer_lag", "Records on a partition not yet committed by this group "
                         "(high watermark - committed offset).", tp, registry=r)
        self.highwater = Gauge("exemplar_consumer_highwater", "A partition's high watermark as last fetched.", tp,
                               registry=r)
        self.committed = Gauge("exemplar_consumer_committed_offset", "The group's committed offset of a partition.",
                               tp, registry=r)
        self.outbox_pending = Gauge("exemplar_outbox_pending", "Events in the outbox not yet published.", registry=r)
        self.outbox_age = Gauge("exemplar_outbox_oldest_age_seconds", "Age of the oldest event in the outbox "
                                "(0 when it is empty).", registry=r)
        self.producer_renewals = Counter("exemplar_producer_renewals", "Kafka producers given up for a new one.",
                                         registry=r)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)

    def set_lag(self, rows: list[tuple[str, int, int | None, int | None]]) -> None:
        """rows: (topic, partition, high watermark, committed offset) of the partitions assigned now."""
        for gauge in (self.lag, self.highwater, self.committed):
            gauge.clear()
        for topic, partition, high, committed in rows:
            labels = (topic, str(partition))
            if high is not None:
                self.highwater.labels(*labels).set(high)
            if committed is not None:
                self.committed.labels(*labels).set(committed)
            if high is not None:
                self.lag.labels(*labels).set(max(0, high - (committed or 0)))


def route_template(scope: Mapping[str, Any]) -> str:
    """The path template of the route that answered ("/rounds/{round_id}"), not the raw path: bounded labels."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


async def partition_lag(consumer: Any, prefix: str) -> list[tuple[str, int, int | None, int | None]]:
    """(topic, partition, high watermark, committed) of each partition assigned to an aiokafka consumer, by its
    public API: highwater() is what the last fetch said, committed() asks the group coordinator. Topics are named
    without the installation's prefix."""
    rows = []
    for tp in sorted(consumer.assignment()):
        committed = await consumer.committed(tp)
        topic = tp.topic[len(prefix) + 1:] if tp.topic.startswith(prefix + ".") else tp.topic
        rows.append((topic, tp.partition, consumer.highwater(tp), committed))
    return rows


async def outbox_backlog(coll: Any) -> tuple[int, float]:
    """(events waiting, age of the oldest in seconds) of an outbox collection."""
    pending = await coll.count_documents({})
    oldest = await coll.find_one({}, {"created_at": 1}, sort=[("created_at", 1)]) if pending else None
    age = 0.0
    if oldest and oldest.get("created_at"):
        created = oldest["created_at"]
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        age = max(0.0, (datetime.now(UTC) - created).total_seconds())
    return pending, age


async def refresh_loop(svc: Any, interval: float, stop: asyncio.Event) -> None:
    """Refresh the gauges that need a query (lag, outbox) every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        # A broker or database that is away shows in /readyz; here it only must not hold the loop up.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(refresh(svc), timeout=interval)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def refresh(svc: Any) -> None:
    m: ServiceMetrics = svc.metrics
    if svc.outbox is not None:
        pending, age = await outbox_backlog(svc.outbox.coll)
        m.outbox_pending.set(pending)
        m.outbox_age.set(age)
    rows = []
    for sub in svc.broker.subscribers:  # the events consumer, and any other (the voting counter's ballots)
        kafka = getattr(sub, "consumer", None)
        if kafka is not None:
            rows += await partition_lag(kafka, svc.settings.topic_prefix)
    m.set_lag(rows)
