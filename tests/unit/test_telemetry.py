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
assert [type(m).__name__ for m in svc.broker.middlewares] == ["KafkaPrometheusMiddleware", "KafkaTelemetryMiddleware"]
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
