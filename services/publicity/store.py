"""The publicity store: notices, calendars, objections and their sealed contacts, honours, reviews, the learned
boards and GridFS attachments. The only module that names the service's collections; it holds their indexes."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.learned_store import MongoLearnedStore
from shared.learning import LearnedStore

from .domain import OPEN_OBJECTION_STATES

Doc = dict[str, Any]

# What the service learns from the other services' events, built from the topics alone: the read-side views
# that `exemplar replay` rebuilds and compares with the live ones (deploy/ops.py). The rest is its own (command) state.
LEARNED_COLLECTIONS = ("programmes", "nominations", "standings", "vetoes")


class PublicityStore(LearnedStore, Protocol):
    # -- learned: programmes and nominations (shared.learning), the ranked boards -----------------------------
    async def programme(self, programme_id: str) -> Doc | None: ...
    async def nominations_of(self, nomination_ids: list[str]) -> dict[str, Doc]: ...
    async def board(self, key: str) -> Doc | None: ...
    async def boards_of(self, programme_id: str) -> list[Doc]: ...
    async def save_pending_board(self, key: str, pending: Doc) -> None: ...
    async def save_board(self, key: str, fields: Doc) -> None: ...

    # -- calendars ------------------------------------------------------------------------------------------
    async def calendars(self) -> list[Doc]: ...
    async def calendar(self, year: int) -> Doc | None: ...
    async def save_calendar(self, doc: Doc) -> None: ...

    # -- notices --------------------------------------------------------------------------------------------
    async def notice(self, notice_id: str, *, open_only: bool = False) -> Doc | None: ...
    async def notices(self, programme_id: str | None = None, state: str | None = None) -> list[Doc]: ...
    async def listed(self, programme_id: str, category_id: str) -> set[str]: ...
    async def insert_notice(self, doc: Doc) -> None: ...
    async def set_entry_status(self, notice_id: str, nomination_id: str, status: str) -> None: ...
    async def close_notice(self, notice_id: str, entries: list[Doc], closed_at: datetime) -> None: ...
    async def due_notices(self, now: datetime) -> list[str]: ...
    async def count_replacements(self, removed: list[str]) -> int: ...
    async def notices_listing(self, nomination_id: str) -> list[Doc]: ...
    async def add_notice_record(self, notice_id: str, record: Doc) -> None: ...
    async def correct_notice(self, notice_id: str, fields: Doc, prior: Doc) -> None:
        """Set the corrected dates (and the next version) and append the prior version to `versions`."""
        ...

    # -- vetoes (一票否决, learned from the nominations service) --------------------------------------------------
    async def save_veto(self, programme_id: str, nominee_id: str, fields: Doc, history: Doc) -> None: ...
    async def vetoed(self, programme_id: str) -> set[str]:
        """The nomination ids under a veto that is set (not lifted) in the programme."""
        ...
    async def vetoes(self, programme_id: str | None = None) -> list[Doc]: ...

    # -- objections -----------------------------------------------------------------------------------------
    async def insert_objection(self, doc: Doc, sealed: str) -> None: ...
    async def objection(self, objection_id: str) -> Doc | None: ...
    async def objection_by_tracking(self, tracking_no: str) -> Doc | None: ...
    async def objections(self, notice_id: str | None = None, state: str | None = None) -> list[Doc]: ...
    async def count_objections(self, notice_id: str | None = None) -> int: ...
    async def count_open_objections(self, notice_id: str, nomination_id: str) -> int: ...
    async def open_objection_counts(self, notice_id: str) -> dict[str, int]: ...
    async def update_objection(self, objection_id: str, fields: Doc, *, history: Doc,
                               finding: Doc | None = None) -> None: ...
    async def sealed_contact(self, objection_id: str) -> str | None: ...
    async def sealed_contacts(self) -> list[Doc]: ...

    # -- honours and reviews --------------------------------------------------------------------------------
    async def insert_honour(self, doc: Doc) -> bool: ...
    async def honour(self, honour_id: str) -> Doc | None: ...
    async def honours(self, programme_id: str | None = None, status: str | None = None) -> list[Doc]: ...
    async def revoke_honour(self, honour_id: str, fields: Doc, history: Doc) -> None: ...
    async def add_honour_history(self, honour_id: str, history: Doc) -> None: ...
    async def insert_review(self, doc: Doc) -> None: ...
    async def review(self, review_id: str, honour_id: str | None = None) -> Doc | None: ...
    async def set_review_outcome(self, review_id: str, fields: Doc) -> None: ...
    async def reviews_of(self, honour_id: str) -> list[Doc]: ...
    async def reviews(self, due_by: date | None = None, pending: bool = False) -> list[Doc]: ...
    async def count_reviews(self) -> int: ...


class Attachments(Protocol):
    """Objection attachments, stored apart from the transaction (GridFS)."""

    async def put(self, filename: str, data: bytes, metadata: Doc) -> str: ...
    async def delete(self, file_id: str) -> None: ...
    async def read(self, file_id: str) -> bytes: ...


class MongoPublicityStore(MongoLearnedStore):
    """The store on MongoDB; `session` is the transaction's (None outside one). `database` gives the service's
    database once it has started."""

    def __init__(self, database: Callable[[], AsyncDatabase], session: AsyncClientSession | None = None) -> None:
        self._database = database
        self.session = session

    @property
    def db(self) -> AsyncDatabase:  # type: ignore[override]
        return self._database()

    def bound(self, session: AsyncClientSession | None) -> "MongoPublicityStore":
        return MongoPublicityStore(self._database, session)

    async def ensure_indexes(self) -> None:
        await self.db.notices.create_index([("state", 1), ("ends_at", 1)])
        await self.db.notices.create_index([("programme_id", 1), ("category_id", 1)])
        await self.db.objections.create_index("tracking_no", unique=True)
        await self.db.objections.create_index([("notice_id", 1), ("nomination_id", 1), ("state", 1)])
        await self.db.honours.create_index([("programme_id", 1), ("status", 1)])
        await self.db.reviews.create_index([("honour_id", 1), ("due_date", 1)])
        await self.db.listed.create_index([("programme_id", 1), ("category_id", 1)])
        await self.db.notices.create_index("entries.nomination_id")
        await self.db.vetoes.create_index([("programme_id", 1), ("state", 1)])

    # -- learned ----------------------------------------------------------------------------------------------
    async def programme(self, programme_id: str) -> Doc | None:
        return await self.db.programmes.find_one({"_id": programme_id}, session=self.session)

    async def nominations_of(self, nomination_ids: list[str]) -> dict[str, Doc]:
        # A status event learned before its submission leaves a document without the nominee's details: it is not
        # a known nomination yet.
        docs = await self.db.nominations.find({"_id": {"$in": nomination_ids}, "nominee_name": {"$exists": True}},
                                              session=self.session).to_list()
        return {d["_id"]: d for d in docs}

    async def board(self, key: str) -> Doc | None:
        return await self.db.standings.find_one({"_id": key}, session=self.session)

    async def boards_of(self, programme_id: str) -> list[Doc]:
        return await self.db.standings.find({"programme_id": programme_id}, session=self.session).to_list()

    async def save_pending_board(self, key: str, pending: Doc) -> None:
        await self.db.standings.update_one({"_id": key}, {"$set": {"pending": pending}}, upsert=True,
                                           session=self.session)

    async def save_board(self, key: str, fields: Doc) -> None:
        await self.db.standings.update_one({"_id": key}, {"$set": fields, "$unset": {"pending": ""}}, upsert=True,
                                           session=self.session)

    # -- calendars --------------------------------------------------------------------------------------------
    async def calendars(self) -> list[Doc]:
        return await self.db.calendars.find({}, session=self.session).to_list()

    async def calendar(self, year: int) -> Doc | None:
        return await self.db.calendars.find_one({"_id": year}, session=self.session)

    async def save_calendar(self, doc: Doc) -> None:
        await self.db.calendars.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self.session)

    # -- notices ----------------------------------------------------------------------------------------------
    async def notice(self, notice_id: str, *, open_only: bool = False) -> Doc | None:
        q: Doc = {"_id": notice_id} | ({"state": "open"} if open_only else {})
        return await self.db.notices.find_one(q, session=self.session)

    async def notices(self, programme_id: str | None = None, state: str | None = None) -> list[Doc]:
        q = _query(programme_id=programme_id, state=state)
        return await self.db.notices.find(q, session=self.session).sort("created_at", -1).limit(500).to_list()

    async def listed(self, programme_id: str, category_id: str) -> set[str]:
        listed: set[str] = set()
        for n in await self.db.notices.find({"programme_id": programme_id, "category_id": category_id},
                                            {"entries.nomination_id": 1}, session=self.session).to_list():
            listed |= {e["nomination_id"] for e in n["entries"]}
        return listed

    async def insert_notice(self, doc: Doc) -> None:
        await self.db.notices.insert_one(doc, session=self.session)

    async def set_entry_status(self, notice_id: str, nomination_id: str, status: str) -> None:
        await self.db.notices.update_one({"_id": notice_id, "entries.nomination_id": nomination_id},
                                         {"$set": {"entries.$.status": status}}, session=self.session)

    async def close_notice(self, notice_id: str, entries: list[Doc], closed_at: datetime) -> None:
        await self.db.notices.update_one({"_id": notice_id, "state": "open"}, {
            "$set": {"state": "closed", "closed_at": closed_at, "entries": entries}}, session=self.session)

    async def due_notices(self, now: datetime) -> list[str]:
        due = await self.db.notices.find({"state": "open", "ends_at": {"$lte": now}}, {"_id": 1},
                                         session=self.session).to_list()
        return [d["_id"] for d in due]

    async def count_replacements(self, removed: list[str]) -> int:
        return await self.db.notices.count_documents({"replaces": {"$in": removed}}, session=self.session)

    async def notices_listing(self, nomination_id: str) -> list[Doc]:
        return await self.db.notices.find({"entries.nomination_id": nomination_id},
                                          session=self.session).to_list()

    async def add_notice_record(self, notice_id: str, record: Doc) -> None:
        await self.db.notices.update_one({"_id": notice_id}, {"$push": {"record": record}}, session=self.session)

    async def correct_notice(self, notice_id: str, fields: Doc, prior: Doc) -> None:
        await self.db.notices.update_one({"_id": notice_id}, {"$set": fields, "$push": {"versions": prior}},
                                         session=self.session)

    # -- vetoes -----------------------------------------------------------------------------------------------
    async def save_veto(self, programme_id: str, nominee_id: str, fields: Doc, history: Doc) -> None:
        await self.db.vetoes.update_one(
            {"_id": f"{programme_id}/{nominee_id}"},
            {"$set": fields | {"programme_id": programme_id, "nominee_id": nominee_id}, "$push": {"history": history}},
            upsert=True, session=self.session)

    async def vetoed(self, programme_id: str) -> set[str]:
        docs = await self.db.vetoes.find({"programme_id": programme_id, "state": "set"}, {"nomination_ids": 1},
                                         session=self.session).to_list()
        return {nid for d in docs for nid in d.get("nomination_ids", [])}

    async def vetoes(self, programme_id: str | None = None) -> list[Doc]:
        return await self.db.vetoes.find(_query(programme_id=programme_id), session=self.session).to_list()

    # -- objections -------------------------------------------------------------------------------------------
    async def insert_objection(self, doc: Doc, sealed: str) -> None:
        await self.db.objections.insert_one(doc, session=self.session)
        await self.db.objector_contacts.insert_one({"_id": doc["_id"], "sealed": sealed}, session=self.session)

    async def objection(self, objection_id: str) -> Doc | None:
        return await self.db.objections.find_one({"_id": objection_id}, session=self.session)

    async def objection_by_tracking(self, tracking_no: str) -> Doc | None:
        return await self.db.objections.find_one({"tracking_no": tracking_no}, {"state": 1}, session=self.session)

    async def objections(self, notice_id: str | None = None, state: str | None = None) -> list[Doc]:
        q = _query(notice_id=notice_id, state=state)
        return await self.db.objections.find(q, session=self.session).sort("filed_at", 1).limit(1000).to_list()

    async def count_objections(self, notice_id: str | None = None) -> int:
        return await self.db.objections.count_documents(_query(notice_id=notice_id), session=self.session)

    async def count_open_objections(self, notice_id: str, nomination_id: str) -> int:
        return await self.db.objections.count_documents(
            {"notice_id": notice_id, "nomination_id": nomination_id,
             "state": {"$in": list(OPEN_OBJECTION_STATES)}}, session=self.session)

    async def open_objection_counts(self, notice_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in await self.db.objections.find(
                {"notice_id": notice_id, "state": {"$in": list(OPEN_OBJECTION_STATES)}},
                {"nomination_id": 1}, session=self.session).to_list():
            counts[o["nomination_id"]] = counts.get(o["nomination_id"], 0) + 1
        return counts

    async def update_objection(self, objection_id: str, fields: Doc, *, history: Doc,
                               finding: Doc | None = None) -> None:
        push: Doc = ({"findings": finding} if finding else {}) | {"history": history}
        await self.db.objections.update_one({"_id": objection_id}, {"$set": fields, "$push": push},
                                            session=self.session)

    async def sealed_contact(self, objection_id: str) -> str | None:
        doc = await self.db.objector_contacts.find_one({"_id": objection_id}, session=self.session)
        return None if doc is None else doc["sealed"]

    async def sealed_contacts(self) -> list[Doc]:
        return await self.db.objector_contacts.find({}, session=self.session).to_list()

    # -- honours and reviews ------------------------------------------------------------------------------------
    async def insert_honour(self, doc: Doc) -> bool:
        """False when the honour exists already (a redelivery or a second closing confirms once)."""
        try:
            await self.db.honours.insert_one(doc, session=self.session)
        except DuplicateKeyError:
            return False
        return True

    async def honour(self, honour_id: str) -> Doc | None:
        return await self.db.honours.find_one({"_id": honour_id}, session=self.session)

    async def honours(self, programme_id: str | None = None, status: str | None = None) -> list[Doc]:
        q = _query(programme_id=programme_id, status=status)
        return await self.db.honours.find(q, session=self.session).sort("confirmed_at", 1).limit(2000).to_list()

    async def revoke_honour(self, honour_id: str, fields: Doc, history: Doc) -> None:
        await self.db.honours.update_one({"_id": honour_id, "status": "confirmed"},
                                         {"$set": fields, "$push": {"history": history}}, session=self.session)

    async def add_honour_history(self, honour_id: str, history: Doc) -> None:
        await self.db.honours.update_one({"_id": honour_id}, {"$push": {"history": history}}, session=self.session)

    async def insert_review(self, doc: Doc) -> None:
        await self.db.reviews.insert_one(doc, session=self.session)

    async def review(self, review_id: str, honour_id: str | None = None) -> Doc | None:
        q: Doc = {"_id": review_id} | ({"honour_id": honour_id} if honour_id else {})
        return await self.db.reviews.find_one(q, session=self.session)

    async def set_review_outcome(self, review_id: str, fields: Doc) -> None:
        await self.db.reviews.update_one({"_id": review_id}, {"$set": fields}, session=self.session)

    async def reviews_of(self, honour_id: str) -> list[Doc]:
        return await self.db.reviews.find({"honour_id": honour_id}, session=self.session).sort("due_date", 1).to_list()

    async def reviews(self, due_by: date | None = None, pending: bool = False) -> list[Doc]:
        q: Doc = {}
        if due_by:
            q["due_date"] = {"$lte": due_by.isoformat()}
        if pending:
            q["outcome"] = None
        return await self.db.reviews.find(q, session=self.session).sort("due_date", 1).limit(2000).to_list()

    async def count_reviews(self) -> int:
        return await self.db.reviews.count_documents({}, session=self.session)


class GridFSAttachments:
    """Attachments in the `attachments` GridFS bucket, with the objection id in their metadata."""

    def __init__(self, database: Callable[[], AsyncDatabase]) -> None:
        self._database = database

    def _bucket(self) -> AsyncGridFSBucket:
        return AsyncGridFSBucket(self._database(), bucket_name="attachments")

    async def put(self, filename: str, data: bytes, metadata: Doc) -> str:
        return str(await self._bucket().upload_from_stream(filename, io.BytesIO(data), metadata=metadata))

    async def delete(self, file_id: str) -> None:
        try:
            await self._bucket().delete(ObjectId(file_id))
        except (NoFile, PyMongoError):
            pass

    async def read(self, file_id: str) -> bytes:
        stream = await self._bucket().open_download_stream(ObjectId(file_id))
        return await stream.read()


def _query(**fields: Any) -> Doc:
    """The equality filter of the fields given (a None or empty one filters nothing)."""
    return {k: v for k, v in fields.items() if v}
