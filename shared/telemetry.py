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
import sys
import weakref
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from faststream import BaseMiddleware
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

_instrumented_pymongo = False
_readable: weakref.WeakSet[Any] = weakref.WeakSet()  # the tracer providers that turn bytes into text
# faststream's process span of the batch being handled, while BatchTrace handles it in its messages' trace.
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


def exporter(name: str, out: Any = None) -> Any:
    """The span exporter OTEL_TRACES_EXPORTER names (console: to `out`, standard output by default)."""
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(out=out or sys.stdout)
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
        provider.add_span_processor(BatchSpanProcessor(exporter(name)))
    trace.set_tracer_provider(provider)
    return provider


def _text_attributes() -> Any:
    """A span processor that turns bytes attribute values into text as each span starts.

    faststream records a Kafka message's key as bytes (messaging.kafka.message.key, a string in the semantic
    conventions). The SDK's console exporter cannot write a span holding bytes (its to_json raises TypeError), and
    the batch processor then drops every span after it in that export: with OTEL_TRACES_EXPORTER=console a ballot's
    request span, its publish and the counting were lost, while the HTTP receive span before them was printed."""
    from opentelemetry.sdk.trace import SpanProcessor

    class TextAttributes(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            attributes = dict(span.attributes or {})
            for key, value in attributes.items():
                if isinstance(value, bytes):
                    span.set_attribute(key, value.decode("utf-8", "backslashreplace"))
            if _on_ballots_topic(attributes) and "messaging.kafka.message.key" in attributes:
                # A ballot's key is the voter's mark: a trace (with the request's address and time) keeps none.
                span.set_attribute("messaging.kafka.message.key", MARK_WITHHELD)

    return TextAttributes()


MARK_WITHHELD = "[voter mark withheld]"


def _on_ballots_topic(attributes: dict[str, Any]) -> bool:
    from .contracts import topics

    for key in ("messaging.destination.name", "messaging.destination", "messaging.source.name"):
        value = attributes.get(key)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.endswith(topics.BALLOTS):
            return True
    return False


def readable(provider: Any) -> Any:
    """The provider, with _text_attributes' processor among its span processors (once)."""
    if provider not in _readable:
        provider.add_span_processor(_text_attributes())
        _readable.add(provider)
    return provider


def instrument(api: Any, provider: Any, *, pymongo: bool = True) -> None:
    """FastAPI's request spans on this app; PyMongo's command spans on every client of the process (with the
    process's provider: the instrumentation is process-wide)."""
    global _instrumented_pymongo
    readable(provider)
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


class BatchTrace:
    """A batch handler's work joins its messages' trace when they all come from one (one ballot, say).

    faststream's telemetry middleware gives a delivered batch a process span in a trace of its own, linked to each
    message's; so the counting of one ballot, and the tally it emits, would leave the ballot's trace. Inside that
    span, this middleware handles a batch whose records all come from one trace in a span "<topic> batch" of that
    trace (a child of the producer's span, linked to faststream's batch span), so what the handler does and emits
    (the outbox keeps the current trace) continues it. A batch of several traces keeps the links only.

    A middleware factory for the broker: called with each message, as faststream calls its middlewares."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def __call__(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _BatchScope(msg, context=context, tracer=self.tracer)


class _BatchScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, tracer: Any) -> None:
        super().__init__(msg, context=context)
        self.tracer = tracer

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        headers = getattr(msg, "batch_headers", None) or []
        carrier = single_trace(headers)
        if carrier is None:
            return await call_next(msg)
        batch = trace.get_current_span().get_span_context()  # faststream's process span of the batch
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else ()
        topic = getattr(records[0], "topic", "") if records else ""
        attributes = {"messaging.system": "kafka", "messaging.operation": "process",
                      "messaging.destination.name": topic, "messaging.batch.message_count": len(headers)}
        token = _batch_span.set(batch)
        try:
            with self.tracer.start_as_current_span(f"{topic} batch", context=propagate.extract(carrier),
                                                   kind=trace.SpanKind.CONSUMER, attributes=attributes,
                                                   links=[trace.Link(batch)] if batch.is_valid else None):
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
