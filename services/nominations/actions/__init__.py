"""The use cases of the nominations service, one module per use case or a few close ones, each with its roles."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from shared.uow import UnitOfWork

from ..store import Store

F = TypeVar("F", bound=Callable)


class Work(UnitOfWork[Store], Protocol):
    """The unit of work of an action, and the store outside any transaction: the reads an action makes before
    its write (as the routes did), and GridFS, which stays out of transactions."""

    @property
    def store(self) -> Store: ...


def roles(*names: str) -> Callable[[F], F]:
    """The roles allowed to run an action, stated beside it; the HTTP route requires exactly these."""

    def mark(fn: F) -> F:
        fn.roles = names  # type: ignore[attr-defined]
        return fn

    return mark
