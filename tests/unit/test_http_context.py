"""The request context middleware: correlation ids, the body size limit, failed requests logged."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.context import current_correlation_id
from shared.http_context import RequestContext


class Log:
    def __init__(self) -> None:
        self.errors: list[tuple[str, dict]] = []

    def error(self, message: str, **fields) -> None:
        self.errors.append((message, fields))


def _client(log: Log) -> TestClient:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict):
        return {"seen_correlation_id": current_correlation_id(), "body": body}

    @app.get("/broken")
    async def broken():
        raise RuntimeError("boom")

    app.add_middleware(RequestContext, log=log, max_body_bytes=1000)
    return TestClient(app, raise_server_exceptions=False)


def test_the_callers_correlation_id_reaches_the_handler_and_comes_back():
    r = _client(Log()).post("/echo", json={"a": 1}, headers={"x-correlation-id": "req-42"})
    assert r.status_code == 200
    assert r.json() == {"seen_correlation_id": "req-42", "body": {"a": 1}}
    assert r.headers["x-correlation-id"] == "req-42"


def test_a_request_without_one_gets_a_fresh_id_each_time():
    client = _client(Log())
    first, second = (client.post("/echo", json={}) for _ in range(2))
    ids = {first.headers["x-correlation-id"], second.headers["x-correlation-id"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
    assert first.json()["seen_correlation_id"] == first.headers["x-correlation-id"]


def test_a_body_over_the_limit_is_refused_with_413_before_the_handler_runs():
    r = _client(Log()).post("/echo", content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error": {"code": "too_large", "message": "request body is too large"}}
    assert r.headers["x-correlation-id"]


def test_a_failing_request_answers_500_and_is_logged_with_its_path():
    log = Log()
    r = _client(log).get("/broken", headers={"x-correlation-id": "req-500"})
    assert r.status_code == 500
    assert [(m, f["path"], f["status"]) for m, f in log.errors] == [("request failed", "/broken", 500)]
