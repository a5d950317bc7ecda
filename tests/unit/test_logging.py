"""Library logs go through structlog: with the JSON format every line on stderr is JSON."""
from __future__ import annotations

import json
import logging

from shared.logging import configure_logging, get_logger


def test_library_records_are_rendered_as_json_lines_like_the_services_own(capsys):
    configure_logging("json", "INFO")
    logging.getLogger("aiokafka.consumer.group_coordinator").warning("Heartbeat failed for group %s", "g1")
    logging.getLogger("faststream").warning("Kafka error occurred")
    logging.getLogger("uvicorn.error").error("Exception in ASGI application")
    get_logger("probe").info("service started", service="probe", password="hunter2")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    by_event = {line["event"]: line for line in lines}
    kafka = by_event["Heartbeat failed for group g1"]
    assert kafka["logger"] == "aiokafka.consumer.group_coordinator" and kafka["level"] == "warning"
    assert kafka["timestamp"].endswith("Z")
    assert by_event["Kafka error occurred"]["logger"] == "faststream"
    assert by_event["Exception in ASGI application"]["level"] == "error"
    assert by_event["service started"]["password"] == "***"
    assert len(lines) == 4


def test_configuring_again_keeps_one_handler():
    configure_logging("json")
    configure_logging("console")
    assert sum(getattr(h, "_exemplar", False) for h in logging.getLogger().handlers) == 1


def test_a_log_line_after_the_configuring_stream_closed_still_reaches_stderr(capsys, monkeypatch):
    # Configured while stderr was a stream that has since closed (another test's capture, a redirected worker):
    # later log lines go to the stderr of the moment, never raise "I/O operation on closed file".
    import io
    import sys

    gone = io.StringIO()
    monkeypatch.setattr(sys, "stderr", gone)
    configure_logging("json")
    monkeypatch.undo()
    gone.close()
    get_logger("probe").warning("batch transaction failed", events=3)
    assert json.loads(capsys.readouterr().err.strip().splitlines()[-1])["event"] == "batch transaction failed"
