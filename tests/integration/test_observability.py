"""Observability on the real servers: /metrics moves, /readyz sees a dead consumer, a trace crosses Kafka."""
from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import metrics
from shared.contracts.nominations import NominationWithdrawn
from shared.service import PermanentFailure, Service
from tests.support import eventually, publish_envelopes, running
from tests.unit.test_metrics import value
from tests.integration.test_delivery import withdrawn

pytestmark = pytest.mark.conformance


def probe(settings, tracer_provider=None) -> Service:
    """A service that applies NominationWithdrawn (refusing n-bad for good) and emits one over HTTP."""
    svc = Service("probe", settings, title="probe", tracer_provider=tracer_provider)
    svc.applied = []

    @svc.on(NominationWithdrawn)
    async def on_withdrawn(env, e: NominationWithdrawn, session):
        if e.nomination_id == "n-bad":
            raise PermanentFailure("unknown nomination")
        svc.applied.append((e.nomination_id, env))

    @svc.api.post("/nominations/{nomination_id}/withdraw")
    async def withdraw(nomination_id: str):
        await svc.transact(lambda s: svc.emit(s, NominationWithdrawn(nomination_id=nomination_id, category_id="c"),
                                              programme_id="p", key=nomination_id))
        return {"ok": True}

    return svc


async def test_metrics_move_with_requests_events_and_dead_letters(settings):
    async with running(probe, settings) as (svc, http):
        assert (await http.post("/nominations/n1/withdraw")).status_code == 200
        bad = withdrawn(0).model_copy(update={"payload": {"nomination_id": "n-bad", "category_id": "c"}})
        await publish_envelopes(settings, [bad])
        # (the handler's list is no state: a batch that failed ran it for n1 before its transaction was undone)
        await eventually(lambda: _async(any(nid == "n1" for nid, _ in svc.applied)), timeout=30)
        labels = dict(topic="nominations.events", event_type="NominationWithdrawn", handler="on_withdrawn")

        async def scrape():
            await metrics.refresh(svc)
            text = (await http.get("/metrics")).text
            # n1 and n-bad may come in one batch, in either order: wait for both outcomes
            done = value(text, "exemplar_messages_dead_lettered_total", **labels, reason="PermanentFailure") == 1 \
                and (value(text, "exemplar_messages_processed_total", **labels) or 0) >= 1
            return text if done else None

        text = await eventually(scrape, timeout=20)
        assert value(text, "exemplar_http_requests_total", method="POST",
                     route="/nominations/{nomination_id}/withdraw", status="200") == 1
        assert value(text, "exemplar_messages_processed_total", **labels) >= 1
        assert value(text, "exemplar_events_published_total", topic="nominations.events") == 1
        assert value(text, "exemplar_consumer_rebalances_total", phase="assigned") >= 1
        assert value(text, "exemplar_consumer_assigned_partitions") == settings.kafka_partitions
        assert value(text, "exemplar_outbox_pending") == 0
        # lag is read per assigned partition, by the consumer's public API; faststream's middleware counts batches
        lags = [v for (name, _), v in _samples(text) if name == "exemplar_consumer_lag"]
        assert len(lags) == settings.kafka_partitions and all(v >= 0 for v in lags)
        assert any(name == "faststream_received_messages_total" for (name, _), _v in _samples(text))


async def test_readyz_fails_when_the_events_consumer_stops(settings):
    async with running(probe, settings) as (svc, http):
        ready = await eventually(lambda: _ready(http), timeout=30)
        assert ready["checks"]["consumer"] == "ok"
        await svc.consumer.subscriber.stop()
        r = await http.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["consumer"] == "stopped"
        assert r.json()["checks"]["kafka"] == "ok" and r.json()["checks"]["mongodb"] == "ok"


def with_commands(settings) -> Service:
    """The probe with a second subscriber of its own, as the voting service has for its ballots."""
    svc = probe(settings)

    @svc.broker.subscriber(f"{settings.topic_prefix}.probe.commands", group_id=f"{settings.topic_prefix}.cmds",
                           auto_offset_reset="earliest")
    async def command(body: bytes) -> None:
        pass

    return svc


async def test_readyz_fails_when_another_subscriber_of_the_service_stops(settings):
    async with running(with_commands, settings) as (svc, http):
        ready = await eventually(lambda: _ready(http), timeout=30)
        key = f"subscriber {settings.topic_prefix}.probe.commands"
        assert ready["checks"][key] == "ok"
        other = next(s for s in svc.broker.subscribers if s is not svc.consumer.subscriber)
        await other.stop()
        r = await http.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"][key] == "stopped"
        assert r.json()["checks"]["consumer"] == "ok"


async def test_the_consumer_span_continues_the_trace_of_the_request_that_emitted_the_event(settings):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with running(lambda s: probe(s, provider), settings) as (svc, http):
        assert (await http.post("/nominations/n7/withdraw")).status_code == 200
        await eventually(lambda: _async(bool(svc.applied)), timeout=20)
    spans = exporter.get_finished_spans()
    request = next(s for s in spans if s.kind == SpanKind.SERVER)
    applied = next(s for s in spans if s.name == "NominationWithdrawn apply")
    publish = next(s for s in spans if s.name.endswith("nominations.events publish"))
    assert applied.context.trace_id == request.context.trace_id == publish.context.trace_id
    assert applied.kind == SpanKind.CONSUMER
    assert applied.attributes["messaging.message.id"] == svc.applied[0][1].event_id
    batch = next(s for s in spans if s.name.endswith("nominations.events process"))
    assert [link.context.span_id for link in applied.links] == [batch.context.span_id]
    print("\n" + "\n".join(f"{s.context.trace_id:032x} {s.context.span_id:016x} "
                           f"parent={s.parent.span_id if s.parent else 0:016x} {s.kind.name:8} {s.name}"
                           for s in sorted(spans, key=lambda s: s.start_time)))


async def _ready(http):
    r = await http.get("/readyz")
    return r.json() if r.status_code == 200 else None


async def _async(v):
    return v


def _samples(text: str):
    from tests.unit.test_metrics import samples

    return samples(text).items()


def counting(settings, provider) -> Service:
    """The probe with a batch command consumer of its own that emits an event, as the voting counter does."""
    svc = probe(settings, provider)
    commands = f"{settings.topic_prefix}.probe.commands"

    @svc.api.post("/commands/{nomination_id}")
    async def command(nomination_id: str):
        await svc.send(nomination_id.encode(), topic=commands, key=nomination_id.encode())
        return {"ok": True}

    @svc.broker.subscriber(commands, batch=True, group_id=f"{settings.topic_prefix}.cmds",
                           auto_offset_reset="earliest")
    async def count(bodies: list[bytes]) -> None:
        for body in bodies:
            event = NominationWithdrawn(nomination_id=body.decode(), category_id="c")
            await svc.transact(lambda s, e=event: svc.emit(s, e, programme_id="p", key=e.nomination_id))

    return svc


async def test_a_command_counted_in_a_batch_keeps_its_trace_to_the_event_it_leads_to(settings):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with running(lambda s: counting(s, provider), settings) as (svc, http):
        await eventually(lambda: _ready(http), timeout=30)
        assert (await http.post("/commands/n9")).status_code == 200
        await eventually(lambda: _async(bool(svc.applied)), timeout=20)
    spans = exporter.get_finished_spans()
    request = next(s for s in spans if s.kind == SpanKind.SERVER and "commands" in s.name)
    applied = next(s for s in spans if s.name == "NominationWithdrawn apply")
    batch = next(s for s in spans if s.name.endswith("probe.commands process"))
    assert applied.context.trace_id == request.context.trace_id  # HTTP -> command -> batch -> event -> apply
    # faststream's batch span stays in a trace of its own, linked to the command's
    linked = next(s for s in spans if s.context.trace_id == batch.context.trace_id and s.links)
    assert batch.context.trace_id != request.context.trace_id
    assert linked.links[0].context.trace_id == request.context.trace_id
