"""The leaderboard read model: the store the projections write through (a Protocol) and its MongoDB implementation."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.learned_store import MongoLearnedStore
from shared.learning import LearnedStore, scoped_id

# The read model the dashboard reads, and that a replay rebuilds and compares (deploy/ops.py).
COLLECTIONS = ("programmes", "categories", "entries", "rounds", "arenas", "notices", "honours", "audit")

# The fields of an entry that a standing sets, and that a nomination leaving the standings loses.
STANDING_FIELDS = ("rank", "composite", "programme_version", "tie_break", "components")
UNRANKED_FIELDS = ("rank", "composite", "components", "tie_break")

Fields = dict[str, Any]


class ReadModel(LearnedStore, Protocol):
    """What the projections read and write. Every write is idempotent for its event (set, not add), except the
    objection counter, which the consumer's inbox applies once per event."""

    # programmes (saved through LearnedStore.save_programme)
    async def programme(self, programme_id: str) -> Fields | None: ...

    async def set_stage(self, programme_id: str, stage: str, state: str, at: datetime) -> None: ...

    # categories: one per programme's category once its 公示 list is published (frozen)
    async def category(self, programme_id: str, category_id: str) -> Fields | None: ...

    async def save_category(self, programme_id: str, category_id: str, fields: Fields) -> None: ...

    # entries: one per nomination
    async def entry(self, nomination_id: str) -> Fields | None: ...

    async def save_entry(self, nomination_id: str, fields: Fields, on_insert: Fields | None = None) -> None:
        """Set the fields, creating the entry if there is none (with on_insert then)."""
        ...

    async def update_entry_unless(self, nomination_id: str, fields: Fields, statuses: list[str]) -> None:
        """Set the fields of an existing entry whose status is none of `statuses`."""
        ...

    async def update_entries(self, ids: list[str], fields: Fields, *, status: str | None = None) -> None:
        """Set the fields of the existing entries among ids (only those with that status, if given)."""
        ...

    async def add_objections(self, nomination_id: str, delta: int) -> None: ...

    async def name_category(self, programme_id: str, category_id: str, fields: Fields) -> None:
        """Set the fields on every entry of the category."""
        ...

    async def category_entries(self, programme_id: str, category_id: str, fields: tuple[str, ...]) -> list[Fields]:
        ...

    async def save_entries(self, rows: list[tuple[str, Fields, Fields]]) -> None:
        """(nomination_id, fields, on_insert) for each entry, in one write."""
        ...

    async def unrank(self, ids: list[str]) -> None: ...

    # the sequence and parts of each category's standings seen so far
    async def standings_seen(self, key: str) -> Fields | None: ...

    async def start_standings(self, key: str, sequence: int, part: int, ids: list[str]) -> None: ...

    async def add_standings_part(self, key: str, part: int, ids: list[str]) -> None: ...

    # rounds
    async def round_sequence(self, round_id: str) -> int | None: ...

    async def save_round(self, round_id: str, fields: Fields, on_insert: Fields | None = None) -> None: ...

    async def save_tally(self, round_id: str, fields: Fields, point: Fields, keep: int) -> None:
        """Set the fields and put the point last in the round's history, in place of a point of the same span (tallies
        are applied in sequence order: it is the last one), keeping the last `keep` points."""
        ...

    # arenas
    async def arena_sequence(self, arena_id: str) -> int | None: ...

    async def save_arena(self, arena_id: str, fields: Fields) -> None: ...

    # notices and honours
    async def save_notice(self, notice_id: str, fields: Fields) -> None: ...

    async def save_honour(self, honour_id: str, fields: Fields, history: Fields, *, create: bool) -> None:
        """Set the fields and append to the honour's history; `create`: also when there is no such honour yet."""
        ...

    async def schedule_review(self, honour_id: str, review_id: str, review: Fields) -> None: ...

    async def record_review(self, honour_id: str, review_id: str, fields: Fields) -> None: ...

    # the audit trail (projections.audit)
    async def entries_of(self, ids: list[str]) -> list[Fields]:
        """The entries among ids, with their nominee's id and name."""
        ...

    async def save_audit(self, record: Fields) -> None:
        """Write the record under its _id (the event id): the same event writes the same record."""
        ...

    async def name_audit(self, nomination_id: str, nominee_id: str, nominee_name: str) -> None:
        """Add the nominee (name and id, each list kept sorted) to the records that name the nomination without it."""
        ...


class MongoReadModel(MongoLearnedStore):
    """The read model in the leaderboard's MongoDB database, bound to a transaction's session (or none)."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session

    async def ensure_indexes(self) -> None:
        await self.db.entries.create_index([("programme_id", 1), ("category_id", 1), ("rank", 1)])
        await self.db.entries.create_index([("programme_id", 1), ("board", 1)])
        await self.db.categories.create_index([("programme_id", 1)])
        await self.db.honours.create_index([("programme_id", 1), ("status", 1)])
        await self.db.audit.create_index([("programme_id", 1), ("at", -1)])
        await self.db.audit.create_index([("at", -1)])
        await self.db.audit.create_index([("nomination_ids", 1)])

    async def programme(self, programme_id: str) -> Fields | None:
        return await self.db.programmes.find_one({"_id": programme_id}, session=self.session)

    # Read side beyond the projections' needs (operations and tests; the dashboard has its own queries).
    async def round(self, round_id: str) -> Fields | None:
        return await self.db.rounds.find_one({"_id": round_id}, session=self.session)

    async def count_entries(self) -> int:
        return await self.db.entries.count_documents({}, session=self.session)

    async def set_stage(self, programme_id: str, stage: str, state: str, at: datetime) -> None:
        await self.db.programmes.update_one(
            {"_id": programme_id}, {"$set": {f"stage_state.{stage}": state, "stage_changed_at": at}}, upsert=True,
            session=self.session)

    async def category(self, programme_id: str, category_id: str) -> Fields | None:
        return await self.db.categories.find_one({"_id": category_key(programme_id, category_id)},
                                                 session=self.session)

    async def save_category(self, programme_id: str, category_id: str, fields: Fields) -> None:
        await self.db.categories.update_one(
            {"_id": category_key(programme_id, category_id)},
            {"$set": {"programme_id": programme_id, "category_id": category_id, **fields}}, upsert=True,
            session=self.session)

    async def entry(self, nomination_id: str) -> Fields | None:
        return await self.db.entries.find_one({"_id": nomination_id}, session=self.session)

    async def save_entry(self, nomination_id: str, fields: Fields, on_insert: Fields | None = None) -> None:
        await self.db.entries.update_one({"_id": nomination_id}, _set(fields, on_insert), upsert=True,
                                         session=self.session)

    async def update_entry_unless(self, nomination_id: str, fields: Fields, statuses: list[str]) -> None:
        await self.db.entries.update_one({"_id": nomination_id, "status": {"$nin": statuses}}, _set(fields),
                                         session=self.session)

    async def update_entries(self, ids: list[str], fields: Fields, *, status: str | None = None) -> None:
        query: Fields = {"_id": {"$in": ids}}
        if status is not None:
            query["status"] = status
        await self.db.entries.update_many(query, _set(fields), session=self.session)

    async def add_objections(self, nomination_id: str, delta: int) -> None:
        await self.db.entries.update_one({"_id": nomination_id}, {"$inc": {"open_objections": delta}}, upsert=True,
                                         session=self.session)

    async def name_category(self, programme_id: str, category_id: str, fields: Fields) -> None:
        await self.db.entries.update_many({"programme_id": programme_id, "category_id": category_id},
                                          {"$set": fields}, session=self.session)

    async def category_entries(self, programme_id: str, category_id: str, fields: tuple[str, ...]) -> list[Fields]:
        return await self.db.entries.find({"programme_id": programme_id, "category_id": category_id},
                                          {f: 1 for f in fields}, session=self.session).to_list()

    async def save_entries(self, rows: list[tuple[str, Fields, Fields]]) -> None:
        if rows:
            await self.db.entries.bulk_write(
                [UpdateOne({"_id": _id}, _set(fields, on_insert), upsert=True) for _id, fields, on_insert in rows],
                ordered=False, session=self.session)

    async def unrank(self, ids: list[str]) -> None:
        await self.db.entries.update_many({"_id": {"$in": ids}}, {"$unset": {f: "" for f in UNRANKED_FIELDS}},
                                          session=self.session)

    async def standings_seen(self, key: str) -> Fields | None:
        return await self.db.standings_seq.find_one({"_id": key}, session=self.session)

    async def start_standings(self, key: str, sequence: int, part: int, ids: list[str]) -> None:
        await self.db.standings_seq.update_one(
            {"_id": key}, {"$set": {"sequence": sequence, "parts": [part], "ids": ids}}, upsert=True,
            session=self.session)

    async def add_standings_part(self, key: str, part: int, ids: list[str]) -> None:
        await self.db.standings_seq.update_one(
            {"_id": key}, {"$addToSet": {"parts": part}, "$push": {"ids": {"$each": ids}}}, session=self.session)

    async def round_sequence(self, round_id: str) -> int | None:
        return _sequence(await self.db.rounds.find_one({"_id": round_id}, {"sequence": 1}, session=self.session))

    async def save_round(self, round_id: str, fields: Fields, on_insert: Fields | None = None) -> None:
        await self.db.rounds.update_one({"_id": round_id}, _set(fields, on_insert), upsert=True, session=self.session)

    async def save_tally(self, round_id: str, fields: Fields, point: Fields, keep: int) -> None:
        await self.db.rounds.update_one({"_id": round_id}, {"$pull": {"history": {"span": point["span"]}}},
                                        session=self.session)
        await self.db.rounds.update_one(
            {"_id": round_id}, {"$set": fields, "$push": {"history": {"$each": [point], "$slice": -keep}}},
            upsert=True, session=self.session)

    async def arena_sequence(self, arena_id: str) -> int | None:
        return _sequence(await self.db.arenas.find_one({"_id": arena_id}, {"sequence": 1}, session=self.session))

    async def save_arena(self, arena_id: str, fields: Fields) -> None:
        await self.db.arenas.update_one({"_id": arena_id}, {"$set": fields}, upsert=True, session=self.session)

    async def save_notice(self, notice_id: str, fields: Fields) -> None:
        await self.db.notices.update_one({"_id": notice_id}, {"$set": fields}, upsert=True, session=self.session)

    async def save_honour(self, honour_id: str, fields: Fields, history: Fields, *, create: bool) -> None:
        await self.db.honours.update_one({"_id": honour_id}, {"$set": fields, "$push": {"history": history}},
                                         upsert=create, session=self.session)

    async def schedule_review(self, honour_id: str, review_id: str, review: Fields) -> None:
        await self.db.honours.update_one({"_id": honour_id}, {"$set": {f"reviews.{review_id}": review}},
                                         session=self.session)

    async def record_review(self, honour_id: str, review_id: str, fields: Fields) -> None:
        await self.db.honours.update_one(
            {"_id": honour_id}, {"$set": {f"reviews.{review_id}.{k}": v for k, v in fields.items()}},
            session=self.session)


    async def entries_of(self, ids: list[str]) -> list[Fields]:
        return await self.db.entries.find({"_id": {"$in": ids}}, {"nominee_id": 1, "nominee_name": 1},
                                          session=self.session).to_list()

    async def save_audit(self, record: Fields) -> None:
        await self.db.audit.replace_one({"_id": record["_id"]}, record, upsert=True, session=self.session)

    async def name_audit(self, nomination_id: str, nominee_id: str, nominee_name: str) -> None:
        for field, value in (("nominee_names", nominee_name), ("nominee_ids", nominee_id)):
            if value:  # kept sorted, as projections.audit writes them
                await self.db.audit.update_many({"nomination_ids": nomination_id, field: {"$ne": value}},
                                                {"$push": {field: {"$each": [value], "$sort": 1}}},
                                                session=self.session)


def category_key(programme_id: str, category_id: str) -> str:
    """The id of a category's document: category ids are unique only within their programme."""
    return scoped_id(programme_id, category_id)


def _set(fields: Fields, on_insert: Fields | None = None) -> Fields:
    """An entry's update. Its updated_at is the time of the latest event that changed it, whatever the order in
    which the events of its several topics are read (a replay reads them in another one than the live run)."""
    fields = dict(fields)
    latest = fields.pop("updated_at", None)
    return ({"$set": fields} if fields else {}) | ({"$max": {"updated_at": latest}} if latest is not None else {}) | (
        {"$setOnInsert": on_insert} if on_insert else {})


def _sequence(doc: Fields | None) -> int | None:
    return None if doc is None else int(doc.get("sequence", 0))
