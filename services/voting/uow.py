"""The voting unit of work: the shared one, plus reads outside any transaction and several events in one write."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from shared.contracts import Event
from shared.uow import MongoTransaction, MongoUnitOfWork, Transaction

from .store import MongoVotingStore, VotingStore

if TYPE_CHECKING:
    from shared.service import Service

T = TypeVar("T")


class VotingTransaction(Transaction[VotingStore], Protocol):
    async def emit_many(self, events: list[tuple[Event, str, str]]) -> None:
        """(event, programme_id, key) triples, written to the outbox together (one write, as the counter needs)."""
        ...


class VotingUnitOfWork(Protocol):
    @property
    def store(self) -> VotingStore:
        """The store outside any transaction: reads the casting edge makes on every ballot, and single writes."""
        ...

    async def run(self, fn: Callable[[VotingTransaction], Awaitable[T]]) -> T: ...


class MongoVotingTransaction(MongoTransaction[MongoVotingStore]):
    async def emit_many(self, events: list[tuple[Event, str, str]]) -> None:
        self.emitted.extend(await self.service.emit_many(self.session, events))


class MongoVotingUnitOfWork(MongoUnitOfWork[MongoVotingStore]):
    def __init__(self, service: "Service") -> None:
        super().__init__(service, lambda session: MongoVotingStore(service.db, session))

    @property
    def store(self) -> MongoVotingStore:
        return MongoVotingStore(self.service.db)

    def for_session(self, session) -> MongoVotingTransaction:
        return MongoVotingTransaction(self.bind(session), self.service, session)
