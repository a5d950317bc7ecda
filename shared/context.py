"""Per-request and per-message context: the correlation id and the acting principal travel from HTTP (or from the
event being handled) into the events it causes."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from uuid import uuid4

from .contracts.base import Actor

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
# Who is acting: set by shared.auth.require for a request, by the events consumer for an event's handling.
actor: ContextVar[Actor | None] = ContextVar("actor", default=None)


def current_correlation_id() -> str:
    return correlation_id.get() or uuid4().hex


def current_actor() -> Actor | None:
    return actor.get()


def principal_actor(principal: Any) -> Actor | None:
    """The actor of a signed-in principal; None for a member: a voter's identity is never put on an event."""
    if principal is None or principal.role == "member":
        return None
    return Actor(role=principal.role, subject=principal.subject, name=principal.name or "",
                 unit_id=principal.unit_id if principal.role == "unit" else None,
                 judge_id=principal.judge_id if principal.role == "judge" else None)


def system_actor(cause: str | None = None) -> Actor:
    return Actor(role="system", cause=cause)


@contextlib.contextmanager
def acting(who: Actor | None) -> Iterator[None]:
    """The events emitted inside carry `who` as their actor."""
    token = actor.set(who)
    try:
        yield
    finally:
        actor.reset(token)
