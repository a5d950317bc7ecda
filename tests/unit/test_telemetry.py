"""Tracing is off unless the standard OTEL_* settings ask for an exporter; on, it exports what they say."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shared import telemetry
from shared.service import Service
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_off_by_default_no_provider_no_middleware_and_nothing_carried(monkeypatch):
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    svc = Service("probe", Settings(topic_prefix="unit"), title="probe")
    assert svc.tracer_provider is None and svc.consumer.tracer is None
    assert [type(m).__name__ for m in svc.broker.middlewares] == ["KafkaPrometheusMiddleware"]
    assert telemetry.current_carrier() == {}  # the outbox stores no trace


def test_none_and_disabled_mean_off(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert telemetry.tracer_provider("probe") is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert telemetry.tracer_provider("probe") is None


SCRIPT = """
from opentelemetry import trace
from shared.service import Service
from shared.settings import Settings
svc = Service("probe", Settings(topic_prefix="unit"), title="probe")
names = [getattr(m, "__name__", type(m).__name__) for m in svc.broker.middlewares]
assert names == ["KafkaPrometheusMiddleware", "KafkaTelemetryMiddleware", "BatchTrace"], names
with svc.tracer_provider.get_tracer("t").start_as_current_span("hello"):
    pass
svc.tracer_provider.shutdown()
"""


def test_the_console_exporter_prints_spans_under_the_service_name():
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "console", "PYTHONPATH": str(ROOT)}
    env.pop("OTEL_SERVICE_NAME", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    span = json.loads(out.stdout)
    assert span["name"] == "hello" and span["resource"]["attributes"]["service.name"] == "exemplar-probe"


def test_a_batch_continues_a_trace_only_when_all_its_records_share_it():
    a1 = "00-" + "a" * 32 + "-" + "1" * 16 + "-01"
    a2 = "00-" + "a" * 32 + "-" + "2" * 16 + "-01"
    b = "00-" + "b" * 32 + "-" + "3" * 16 + "-01"
    assert telemetry.single_trace([{"traceparent": a1}, {"traceparent": a2}]) == {"traceparent": a1}
    assert telemetry.single_trace([{"traceparent": a1}, {"traceparent": b}]) is None
    assert telemetry.single_trace([{"traceparent": a1}, {}]) is None
    assert telemetry.single_trace([]) is None


async def _handled_in(headers: list[dict], provider):
    """The span current while a batch with these records' headers is handled, inside faststream's batch span."""
    from types import SimpleNamespace

    from opentelemetry import trace

    msg = SimpleNamespace(batch_headers=headers, raw_message=tuple(SimpleNamespace(topic="t.ballots") for _ in headers))
    seen = []

    async def handler(m):
        seen.append(trace.get_current_span().get_span_context())

    with provider.get_tracer("faststream").start_as_current_span("t.ballots process") as batch:
        await telemetry.BatchTrace(provider.get_tracer("t"))(msg, context=None).consume_scope(handler, msg)
    return batch.get_span_context(), seen[0]


async def test_a_batch_of_one_trace_is_handled_in_a_span_of_it_and_one_of_several_in_the_batch_span():
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter, provider = InMemorySpanExporter(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    a1, a2 = ("00-" + "a" * 32 + f"-{c * 16}-01" for c in "12")
    b = "00-" + "b" * 32 + "-" + "3" * 16 + "-01"

    batch, current = await _handled_in([{"traceparent": a1}, {"traceparent": a2}], provider)
    span = next(s for s in exporter.get_finished_spans() if s.name == "t.ballots batch")
    assert current == span.context and current.trace_id == int("a" * 32, 16)
    assert span.parent.span_id == 0x1111111111111111  # the first record's producer span
    assert [link.context.span_id for link in span.links] == [batch.span_id]
    assert span.attributes["messaging.batch.message_count"] == 2

    exporter.clear()
    batch, current = await _handled_in([{"traceparent": a1}, {"traceparent": b}], provider)
    assert current == batch  # several traces: faststream's batch span (its own trace, linked to each) stays current
    assert [s.name for s in exporter.get_finished_spans()] == ["t.ballots process"]


def test_bytes_attributes_are_printed_as_text_by_the_console_exporter():
    """faststream's Kafka message keys are bytes; the SDK's console exporter raised on them and lost its batch."""
    import io

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    out, provider = io.StringIO(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.exporter("console", out=out)))
    telemetry.readable(provider)
    with provider.get_tracer("t").start_as_current_span("t.ballots publish",
                                                        attributes={"messaging.kafka.message.key": b"mark-1"}):
        pass
    assert json.loads(out.getvalue())["attributes"]["messaging.kafka.message.key"] == "mark-1"


def test_a_ballots_message_key_the_voters_mark_never_reaches_a_trace():
    """The ballots topic is keyed by the voter's mark; spans of it keep the topic but not the mark."""
    import io

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    out, provider = io.StringIO(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.exporter("console", out=out)))
    telemetry.readable(provider)
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("exemplar.voting.ballots publish", attributes={
            "messaging.destination.name": "exemplar.voting.ballots", "messaging.kafka.message.key": b"mark-secret"}):
        pass
    with tracer.start_as_current_span("exemplar.voting.events publish", attributes={
            "messaging.destination.name": "exemplar.voting.events", "messaging.kafka.message.key": b"round-1"}):
        pass
    assert "mark-secret" not in out.getvalue()
    spans = [json.loads(chunk) for chunk in out.getvalue().replace("}\n{", "}\x00{").split("\x00")]
    keys = {s["name"]: s["attributes"]["messaging.kafka.message.key"] for s in spans}
    assert keys == {"exemplar.voting.ballots "
                    "publish": telemetry.MARK_WITHHELD, "exemplar.voting.events publish": "round-1"}
