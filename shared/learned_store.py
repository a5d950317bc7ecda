"""The MongoDB side of shared.learning: the collections a service keeps of what it learned from nominations."""
from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from .mongo import upsert_all


class MongoLearnedStore:
    """A mixin for a service's MongoDB store: `programmes`, `units`, `members` and `nominations`.

    The store that mixes it in sets `db` and `session` (the transaction's session, or None)."""

    db: AsyncDatabase[Any]
    session: AsyncClientSession | None

    async def programme_version(self, programme_id: str) -> int | None:
        doc = await self.db.programmes.find_one({"_id": programme_id}, {"version": 1}, session=self.session)
        return None if doc is None else int(doc.get("version", 0))

    async def save_programme(self, programme_id: str, fields: dict[str, Any]) -> None:
        await self.db.programmes.update_one({"_id": programme_id}, {"$set": fields}, upsert=True,
                                            session=self.session)

    async def save_units(self, programme_id: str, units: list[dict[str, Any]]) -> None:
        await upsert_all(self.db.units, units, self.session)

    async def save_members(self, programme_id: str, members: list[dict[str, Any]]) -> None:
        await upsert_all(self.db.members, members, self.session)

    async def save_stage(self, programme_id: str, stage: str, state: str) -> None:
        await self.db.programmes.update_one({"_id": programme_id}, {"$set": {f"stage_state.{stage}": state}},
                                            upsert=True, session=self.session)

    async def nomination_status(self, nomination_id: str) -> tuple[bool, str | None]:
        doc = await self.db.nominations.find_one({"_id": nomination_id}, {"status": 1}, session=self.session)
        return (doc is not None, None if doc is None else doc.get("status"))

    async def save_nomination(self, nomination_id: str, fields: dict[str, Any],
                              on_insert: dict[str, Any] | None = None) -> None:
        update: dict[str, Any] = {"$set": fields}
        if on_insert:
            update["$setOnInsert"] = {k: v for k, v in on_insert.items() if k not in fields}
        await self.db.nominations.update_one({"_id": nomination_id}, update, upsert=True, session=self.session)
