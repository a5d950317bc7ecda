"""A unit of work: one transaction that changes a service's store and records the events it emits with it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from .contracts import Envelope, Event

if TYPE_CHECKING:
    from .service import Service

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Emitted:
    event: Event
    programme_id: str
    key: str


class Transaction(Protocol[S_co]):
    """What a use case sees inside its unit of work: the store bound to the transaction, and the outbox."""

    @property
    def store(self) -> S_co: ...

    async def emit(self, event: Event, *, programme_id: str, key: str) -> None: ...

    async def emit_many(self, events: list[tuple[Event, str, str]]) -> None:
        """(event, programme_id, key) triples, in order: one outbox write for many events."""
        ...


class UnitOfWork(Protocol[S_co]):
    async def run(self, fn: Callable[[Transaction[S_co]], Awaitable[T]]) -> T: ...


@dataclass(slots=True)
class MongoTransaction(Generic[S]):
    store: S
    service: "Service"
    session: AsyncClientSession
    emitted: list[Envelope] = field(default_factory=list)

    async def emit(self, event: Event, *, programme_id: str, key: str) -> None:
        self.emitted.append(await self.service.emit(self.session, event, programme_id=programme_id, key=key))

    async def emit_many(self, events: list[tuple[Event, str, str]]) -> None:
        if events:
            self.emitted.extend(await self.service.emit_many(self.session, events))


class MongoUnitOfWork(Generic[S]):
    """Runs a use case in one MongoDB transaction: its writes and its outbox events commit together or not at all.

    `bind(session)` gives the service's store bound to the transaction's session; event handlers, which already
    run in the consumer's transaction, get the same view from `for_session`."""

    def __init__(self, service: "Service", bind: Callable[[AsyncClientSession], S]) -> None:
        self.service = service
        self.bind = bind

    def for_session(self, session: AsyncClientSession) -> MongoTransaction[S]:
        return MongoTransaction(self.bind(session), self.service, session)

    async def run(self, fn: Callable[[Transaction[S]], Awaitable[T]]) -> T:
        async def txn(session: AsyncClientSession) -> T:
            return await fn(self.for_session(session))

        return await self.service.transact(txn)

    def handler(self, fn: Callable[[Transaction[S], Envelope, Any], Awaitable[None]]
                ) -> Callable[[Envelope, Any, AsyncClientSession], Awaitable[None]]:
        """An event handler of the consumer (envelope, event, session) that runs `fn(tx, envelope, event)`."""

        async def on_event(env: Envelope, event: Any, session: AsyncClientSession) -> None:
            await fn(self.for_session(session), env, event)

        on_event.__name__ = getattr(fn, "__name__", "on_event")
        return on_event
