"""MongoDB helpers on PyMongo's AsyncMongoClient (the official successor of Motor)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

T = TypeVar("T")


def connect(url: str, **kw: Any) -> AsyncMongoClient:
    kw.setdefault("serverSelectionTimeoutMS", 5000)
    kw.setdefault("tz_aware", True)
    return AsyncMongoClient(url, **kw)


async def in_transaction(client: AsyncMongoClient, fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run fn in a transaction; transient conflicts are retried by the driver."""
    async with client.start_session() as session:
        return await session.with_transaction(fn)
