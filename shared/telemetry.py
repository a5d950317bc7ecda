"""OpenTelemetry traces, off unless the standard OTEL_* settings ask for an exporter.

On: OTEL_TRACES_EXPORTER=console|otlp (a comma-separated list), OTEL_SERVICE_NAME (default exemplar-<service>),
OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, read by the
SDK itself. Unset, "none", or OTEL_SDK_DISABLED=true: no tracer provider, no instrumentation, no middleware; the
only cost left is one propagator call per emitted event that finds no span to carry. A process that already has an
SDK tracer provider (`opentelemetry-instrument`, or a test's in-memory exporter) is instrumented with it.

The trace context goes with an event: the outbox document keeps the W3C traceparent of the request (or event) that
emitted it, the relay publishes it in the Kafka headers, and the consumer applies the event in a span of that trace.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from faststream import BaseMiddleware
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

_instrumented_pymongo = False
# The process span of the batch being handled, while BatchTrace has made its messages' trace the current one.
_batch_span: ContextVar[Any] = ContextVar("exemplar_batch_span", default=None)


def _exporters_asked() -> list[str]:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")]
    return [n for n in names if n and n != "none"]


def _sdk_provider() -> Any:
    """The global tracer provider when it is the SDK's (someone set one up), else None."""
    from opentelemetry.sdk.trace import TracerProvider

    provider = trace.get_tracer_provider()
    return provider if isinstance(provider, TracerProvider) else None


def _exporter(name: str) -> Any:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER: unsupported exporter {name!r} (use console, otlp or none)")


def tracer_provider(service: str) -> Any:
    """The SDK tracer provider to trace with, set up from OTEL_* once per process; None when tracing is off."""
    if not _exporters_asked():
        return _sdk_provider()
    existing = _sdk_provider()
    if existing is not None:
        return existing
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": f"exemplar-{service}"})
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
    resource = resource.merge(OTELResourceDetector().detect())
    if os.environ.get("OTEL_SERVICE_NAME"):
        resource = resource.merge(Resource({"service.name": os.environ["OTEL_SERVICE_NAME"]}))
    provider = TracerProvider(resource=resource)
    for name in _exporters_asked():
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    return provider


def instrument(api: Any, provider: Any, *, pymongo: bool = True) -> None:
    """FastAPI's request spans on this app; PyMongo's command spans on every client of the process (with the
    process's provider: the instrumentation is process-wide)."""
    global _instrumented_pymongo
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(api, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")
    if pymongo and not _instrumented_pymongo:
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        PymongoInstrumentor().instrument(tracer_provider=provider)
        _instrumented_pymongo = True


@contextlib.contextmanager
def untraced() -> Iterator[None]:
    """No instrumentation spans (PyMongo's) for what runs here, nor for the tasks created here: the outbox relay's
    and the metrics' polling would otherwise start a trace of their own twice a second per service."""
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        yield


def current_carrier() -> dict[str, str]:
    """The W3C trace context (traceparent, tracestate) of the current span; empty when nothing is traced."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextlib.contextmanager
def continued(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Make the trace context in `carrier` the current one (nothing to do for an empty carrier)."""
    if not carrier:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(carrier)))
    try:
        yield
    finally:
        otel_context.detach(token)


def single_trace(batch_headers: list[dict[str, Any]]) -> dict[str, str] | None:
    """The trace context of a delivered batch whose every record comes from one and the same trace, else None."""
    parents = [h.get("traceparent") for h in batch_headers or ()]
    traceparents = [p for p in parents if isinstance(p, str) and p.count("-") == 3]
    if not parents or len(traceparents) != len(parents):
        return None
    if len({p.split("-")[1] for p in traceparents}) != 1:
        return None
    carrier = {"traceparent": traceparents[0]}
    if isinstance(batch_headers[0].get("tracestate"), str):
        carrier["tracestate"] = batch_headers[0]["tracestate"]
    return carrier


class BatchTrace(BaseMiddleware):
    """A batch handler's work joins its messages' trace when they all come from one (one ballot, say).

    faststream's telemetry middleware gives a delivered batch a process span in a trace of its own, linked to each
    message's; so a tally emitted for one ballot would leave the ballot's trace. Inside that span, this middleware
    makes the producer's context the current one when the whole batch has one trace, so what the handler does and
    emits (the outbox keeps the current trace) continues it. A batch of several traces keeps the links only."""

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        carrier = single_trace(getattr(msg, "batch_headers", None) or [])
        if carrier is None:
            return await call_next(msg)
        token = _batch_span.set(trace.get_current_span().get_span_context())
        try:
            with continued(carrier):
                return await call_next(msg)
        finally:
            _batch_span.reset(token)


def record_carrier(record: Any) -> dict[str, str]:
    """The trace context in a Kafka record's headers."""
    out = {}
    for key, value in getattr(record, "headers", None) or ():
        if key in ("traceparent", "tracestate") and value is not None:
            out[key] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return out


@contextlib.contextmanager
def event_span(tracer: Any, item: Any) -> Iterator[None]:
    """A consumer span for applying one event, in the trace of the request or event that emitted it."""
    if tracer is None or item.env is None:
        yield
        return
    parent = propagate.extract(record_carrier(item.record))
    attributes = {
        "messaging.system": "kafka",
        "messaging.operation": "process",
        "messaging.destination.name": getattr(item.record, "topic", item.topic),
        "messaging.kafka.destination.partition": getattr(item.record, "partition", -1),
        "messaging.kafka.message.offset": getattr(item.record, "offset", -1),
        "messaging.message.id": item.env.event_id,
        "messaging.message.conversation_id": item.env.correlation_id or "",
        "exemplar.event_type": item.env.type,
        "exemplar.handler": getattr(item.handler, "__name__", ""),
    }
    # The batch it came in (faststream's "process" span of the delivered batch), when there is one.
    batch = _batch_span.get() or trace.get_current_span().get_span_context()
    links = [trace.Link(batch)] if batch.is_valid else None
    with tracer.start_as_current_span(f"{item.env.type} apply", context=parent, kind=trace.SpanKind.CONSUMER,
                                      attributes=attributes, links=links):
        yield
