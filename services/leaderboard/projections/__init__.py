"""One module of projections per source service; each lists its handlers as Projections, which app.py subscribes."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.contracts import Envelope, Event
from shared.uow import Transaction

from ..store import ReadModel

Apply = Callable[[Transaction[ReadModel], Envelope, Any], Awaitable[None]]
Supersede = Callable[[Envelope, Any], tuple[Any, int]]


@dataclass(frozen=True)
class Projection:
    """A handler `(tx, envelope, event)` of the given event types; `supersede` as in Service.on."""

    events: tuple[type[Event], ...]
    apply: Apply
    supersede: Supersede | None = None
