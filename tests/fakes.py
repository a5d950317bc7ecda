"""In-memory fakes shared by every service's fast tests: a unit of work that records the events it emits, and the
learned part of a store (programmes, units, members, nominations)."""
from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from shared.contracts import Envelope, Event
from shared.uow import Emitted

S = TypeVar("S")
T = TypeVar("T")


@dataclass
class FakeTransaction(Generic[S]):
    store: S
    emitted: list[Emitted] = field(default_factory=list)

    async def emit(self, event: Event, *, programme_id: str, key: str) -> None:
        self.emitted.append(Emitted(event, programme_id, key))

    async def emit_many(self, events: list[tuple[Event, str, str]]) -> None:
        self.emitted.extend(Emitted(e, p, k) for e, p, k in events)


class FakeUnitOfWork(Generic[S]):
    """Runs a use case on a copy of the store and keeps the copy only if it returns: like a transaction, a refused
    request leaves the store and the events as they were."""

    def __init__(self, store: S) -> None:
        self.store = store
        self.events: list[Emitted] = []
        self.commits = 0

    async def run(self, fn: Callable[[FakeTransaction[S]], Awaitable[T]]) -> T:
        draft = copy.deepcopy(self.store)
        tx = FakeTransaction(draft)
        result = await fn(tx)
        self.store.__dict__.update(draft.__dict__)
        self.events.extend(tx.emitted)
        self.commits += 1
        return result

    def for_session(self, _session: Any = None) -> FakeTransaction[S]:
        """A transaction straight on the store, as an event handler sees it inside the consumer's transaction."""
        return FakeTransaction(self.store, self.events)

    async def deliver(self, handler: Callable[[Any, Envelope, Any], Awaitable[None]], event: Event, *,
                      programme_id: str = "p1", key: str = "k") -> Envelope:
        """Apply one event to a handler `(tx, envelope, event)` as the consumer would; returns the envelope."""
        env = Envelope.wrap(event, programme_id=programme_id, key=key, correlation_id="test")
        await self.run(lambda tx: handler(tx, env, env.event()))
        return env

    def of_type(self, cls: type[Event]) -> list[Any]:
        return [e.event for e in self.events if isinstance(e.event, cls)]

    def types(self) -> list[str]:
        return [type(e.event).__name__ for e in self.events]


class InMemoryLearnedStore:
    """shared.learning.LearnedStore on dicts; a service's in-memory store mixes it in."""

    def __init__(self) -> None:
        self.programmes: dict[str, dict[str, Any]] = {}
        self.units: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}
        self.nominations: dict[str, dict[str, Any]] = {}

    async def programme_version(self, programme_id: str) -> int | None:
        doc = self.programmes.get(programme_id)
        return None if doc is None else int(doc.get("version", 0))

    async def save_programme(self, programme_id: str, fields: dict[str, Any]) -> None:
        self.programmes.setdefault(programme_id, {"_id": programme_id}).update(copy.deepcopy(fields))

    async def save_units(self, programme_id: str, units: list[dict[str, Any]]) -> None:
        for u in units:
            self.units[u["_id"]] = copy.deepcopy(u)

    async def save_members(self, programme_id: str, members: list[dict[str, Any]]) -> None:
        for m in members:
            self.members[m["_id"]] = copy.deepcopy(m)

    async def save_stage(self, programme_id: str, stage: str, state: str) -> None:
        doc = self.programmes.setdefault(programme_id, {"_id": programme_id})
        doc.setdefault("stage_state", {})[stage] = state

    async def nomination_status(self, nomination_id: str) -> tuple[bool, str | None]:
        doc = self.nominations.get(nomination_id)
        return (doc is not None, None if doc is None else doc.get("status"))

    async def save_nomination(self, nomination_id: str, fields: dict[str, Any],
                              on_insert: dict[str, Any] | None = None) -> None:
        doc = self.nominations.get(nomination_id)
        if doc is None:
            doc = self.nominations[nomination_id] = {"_id": nomination_id, **copy.deepcopy(on_insert or {})}
        doc.update(copy.deepcopy(fields))
