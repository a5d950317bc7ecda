"""The request context of every service as plain ASGI middleware: correlation id, body size limit, 5xx log.

Starlette's BaseHTTPMiddleware (what `@app.middleware("http")` builds) runs the endpoint in a separate task and
streams the response through memory channels; on the casting edge that cost as much as the endpoint itself.
This middleware only wraps `send`.
"""
from __future__ import annotations

import json
import time
from typing import Any
from uuid import uuid4

import structlog
from starlette.types import Message, Receive, Scope, Send

from .context import actor as actor_var
from .context import correlation_id as correlation_var
from .metrics import route_template

TOO_LARGE = json.dumps({"error": {"code": "too_large", "message": "request body is too large"}}).encode()


class RequestContext:
    def __init__(self, app: Any, *, log: Any, max_body_bytes: int, metrics: Any = None) -> None:
        self.app = app
        self.log = log
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics  # a ServiceMetrics: requests, status and latency by route template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = length = None
        for name, value in scope["headers"]:
            if name == b"x-correlation-id":
                cid = value.decode("latin-1")[:128]
            elif name == b"content-length":
                length = value
        cid = cid or uuid4().hex
        if length and length.isdigit() and int(length) > self.max_body_bytes:
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(TOO_LARGE)).encode()),
                                    (b"x-correlation-id", cid.encode("latin-1"))]})
            await send({"type": "http.response.body", "body": TOO_LARGE})
            return
        status = 500
        header = (b"x-correlation-id", cid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = correlation_var.set(cid)
        acting = actor_var.set(None)  # shared.auth.require sets the request's actor; none leaks to the next request
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            actor_var.reset(acting)
            correlation_var.reset(token)
            structlog.contextvars.unbind_contextvars("correlation_id")
            elapsed = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe_request(scope.get("method", ""), route_template(scope), status, elapsed)
            if status >= 500:
                self.log.error("request failed", path=scope.get("path", ""), status=status,
                               ms=round(elapsed * 1000, 1))
