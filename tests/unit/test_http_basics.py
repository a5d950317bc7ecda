"""The routes every service has, on a Service that is not started (no servers)."""
from __future__ import annotations

from fastapi.testclient import TestClient

from shared.service import Service
from shared.settings import Settings


def client() -> TestClient:
    # Not used as a context manager: the lifespan (MongoDB, Kafka) does not run.
    return TestClient(Service("probe", Settings(topic_prefix="unit"), title="probe").api)


def test_healthz_names_the_service():
    assert client().get("/healthz").json() == {"status": "ok", "service": "probe"}


def test_readyz_says_what_is_unreachable():
    r = client().get("/readyz")
    body = r.json()
    assert r.status_code == 503 and body["status"] == "not ready" and body["service"] == "probe"
    assert body["checks"]["mongodb"].startswith("unreachable") and body["checks"]["kafka"].startswith("unreachable")


def test_the_asyncapi_document_and_page():
    http = client()
    doc = http.get("/asyncapi.json").json()
    assert doc["info"]["title"].endswith("probe")
    assert doc["channels"]["nominations_events"]["address"] == "unit.nominations.events"
    assert "StageChanged" in http.get("/asyncapi").text


def test_every_response_carries_a_correlation_id():
    assert client().get("/healthz").headers.get("x-correlation-id")
