"""Per-request and per-message context: the correlation id travels from HTTP into the events it causes."""
from __future__ import annotations

from contextvars import ContextVar
from uuid import uuid4

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str:
    return correlation_id.get() or uuid4().hex
