"""The nominations store: its Protocol and its MongoDB implementation, the only module naming collections."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .domain import ACTIVE

LIST_PROJECTION = {"materials": 0, "history": 0}
PUBLIC_PROJECTION = {"materials": 0, "history": 0, "self_assessment": 0, "attachments": 0, "review_comments": 0,
                     "reject_reason": 0}
# What the service learns from the other services' events (scoring's JudgesAssigned / JudgeRecused), built from the
# topics alone: the read-side view that `exemplar replay` rebuilds and compares (deploy/ops.py).
LEARNED_COLLECTIONS = ("judge_access",)


@dataclass(frozen=True)
class NominationFilter:
    """Which nominations of a programme a list or an export shows."""

    programme_id: str
    category_id: str | None = None
    status: str | None = None
    unit_id: str | None = None
    unit_ids: frozenset[str] | None = None  # the caller's subtree, when no unit_id is asked for
    text: str | None = None  # part of the nominee's or the unit's name


class Store(Protocol):
    # programmes and their versions
    async def get_programme(self, pid: str) -> dict | None: ...
    async def programme_exists(self, pid: str) -> bool: ...
    async def insert_programme(self, doc: dict) -> None: ...
    async def replace_programme(self, doc: dict) -> None: ...
    async def set_programme(self, pid: str, fields: dict) -> None: ...
    async def add_programme_version(self, doc: dict) -> None: ...
    async def add_programme_change(self, doc: dict) -> None: ...
    async def list_programmes(self) -> list[dict]: ...
    async def programme_history(self, pid: str) -> tuple[list[dict], list[dict]]: ...

    # the organisation tree and the roll
    async def unit_parents(self, pid: str) -> dict[str, str | None]: ...
    async def list_units(self, pid: str) -> list[dict]: ...
    async def known_units(self, pid: str) -> dict[str, dict]: ...
    async def known_members(self, pid: str) -> dict[str, dict]: ...
    async def write_units(self, pid: str, new: list[dict], updated: list[dict]) -> None: ...
    async def write_members(self, pid: str, new: list[dict], updated: list[dict]) -> None: ...
    async def get_unit(self, pid: str, unit_id: str) -> dict | None: ...
    async def get_member(self, pid: str, member_id: str) -> dict | None: ...
    async def members_page(self, pid: str, unit_id: str | None, unit_ids: frozenset[str] | None, skip: int,
                           limit: int, text: str | None = None) -> tuple[int, list[dict]]: ...

    # veto flags
    async def get_veto(self, pid: str, subject_id: str) -> dict | None: ...
    async def put_veto(self, doc: dict) -> None: ...
    async def list_vetoes(self, pid: str) -> list[dict]: ...
    async def nominee_nominations(self, pid: str, nominee_id: str) -> list[dict]: ...

    # nominations and their review
    async def get_nomination(self, nid: str, pid: str | None = None) -> dict | None: ...
    async def count_active(self, pid: str, category_id: str, unit_id: str) -> int: ...
    async def active_key_taken(self, active_key: str) -> bool: ...
    async def claim_unit_slot(self, pid: str, category_id: str, unit_id: str) -> None: ...
    async def insert_nomination(self, doc: dict) -> bool: ...
    async def update_nomination(self, nid: str, from_status: str, fields: dict, entry: dict) -> None: ...
    async def add_attachment(self, nid: str, info: dict) -> bool: ...
    async def find_nominations(self, f: NominationFilter, sort: list[tuple[str, int]], skip: int = 0,
                               limit: int = 0) -> list[dict]: ...
    async def count_nominations(self, f: NominationFilter) -> int: ...
    async def public_unit_nominations(self, pid: str, unit_id: str) -> list[dict]: ...
    async def approved_counts(self, pid: str) -> dict[str, int]: ...

    # sign-in links
    async def insert_signin_links(self, docs: list[dict]) -> None: ...
    async def get_signin_link(self, link_id: str) -> dict | None: ...
    async def list_signin_links(self, pid: str) -> list[dict]: ...
    async def set_signin_link(self, link_id: str, fields: dict) -> None: ...
    async def record_redemption(self, doc: dict) -> bool: ...

    # attachments (GridFS)
    async def upload_attachment(self, filename: str, data: bytes, metadata: dict) -> str: ...
    async def delete_attachment(self, file_id: str) -> None: ...
    async def read_attachment(self, file_id: str) -> bytes | None: ...

    # judges who may read a nominee's materials (learned from the scoring service's events)
    async def set_judge_access(self, pid: str, nid: str, judge_ids: list[str], active: bool) -> None: ...
    async def judge_may_read(self, pid: str, nid: str, judge_id: str) -> bool: ...


def in_programme(pid: str) -> dict:
    """The rows of one programme in the units and members collections: a range of the _id index."""
    return {"_id": {"$gte": f"{pid}:", "$lt": f"{pid};"}}


def nomination_query(f: NominationFilter) -> dict[str, Any]:
    query: dict[str, Any] = {"programme_id": f.programme_id}
    if f.category_id:
        query["category_id"] = f.category_id
    if f.status:
        query["status"] = f.status
    if f.unit_id:
        query["unit_id"] = f.unit_id
    elif f.unit_ids is not None:
        query["unit_id"] = {"$in": sorted(f.unit_ids)}
    if f.text:
        query["$or"] = [{"nominee_name": {"$regex": re.escape(f.text)}},
                        {"unit_name": {"$regex": re.escape(f.text)}}]
    return query


class MongoStore:
    """The store on the service's database; bound to a transaction's session, or to none (reads and GridFS)."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session

    async def ensure_indexes(self) -> None:
        await self.db.nominations.create_index("active_key", unique=True)
        await self.db.nominations.create_index([("programme_id", 1), ("unit_id", 1)])
        await self.db.nominations.create_index([("programme_id", 1), ("category_id", 1), ("status", 1)])
        await self.db.nominations.create_index([("programme_id", 1), ("nominee_id", 1)])  # a veto's nominations
        await self.db.signin_links.create_index([("programme_id", 1), ("issued_at", 1)])
        # signin_redemptions is keyed by the link id (_id): its unique index is what makes a link single use.
        # units and members have no secondary index: their _id is "<programme_id>:<id>", so a programme's rows
        # are an _id range (see in_programme); a secondary index triples the time of a 10,000-row import.

    # ---- programmes ---------------------------------------------------------------------------------------
    async def get_programme(self, pid: str) -> dict | None:
        return await self.db.programmes.find_one({"_id": pid}, session=self.session)

    async def programme_exists(self, pid: str) -> bool:
        return await self.db.programmes.find_one({"_id": pid}, {"_id": 1}, session=self.session) is not None

    async def insert_programme(self, doc: dict) -> None:
        await self.db.programmes.insert_one(doc, session=self.session)

    async def replace_programme(self, doc: dict) -> None:
        await self.db.programmes.replace_one({"_id": doc["_id"]}, doc, session=self.session)

    async def set_programme(self, pid: str, fields: dict) -> None:
        await self.db.programmes.update_one({"_id": pid}, {"$set": fields}, session=self.session)

    async def add_programme_version(self, doc: dict) -> None:
        await self.db.programme_versions.insert_one(doc, session=self.session)

    async def add_programme_change(self, doc: dict) -> None:
        await self.db.programme_changes.insert_one(doc, session=self.session)

    async def list_programmes(self) -> list[dict]:
        return await self.db.programmes.find({}, {"name": 1, "year": 1, "version": 1},
                                             session=self.session).sort("year", -1).to_list()

    async def programme_history(self, pid: str) -> tuple[list[dict], list[dict]]:
        versions = await self.db.programme_versions.find({"programme_id": pid}, session=self.session) \
            .sort("version", 1).to_list()
        changes = await self.db.programme_changes.find({"programme_id": pid}, session=self.session) \
            .sort("at", 1).to_list()
        return versions, changes

    # ---- the organisation tree and the roll -------------------------------------------------------------
    async def unit_parents(self, pid: str) -> dict[str, str | None]:
        docs = await self.db.units.find(in_programme(pid), {"unit_id": 1, "parent_id": 1},
                                        session=self.session).to_list()
        return {u["unit_id"]: u.get("parent_id") for u in docs}

    async def list_units(self, pid: str) -> list[dict]:
        return await self.db.units.find(in_programme(pid), {"_id": 0, "programme_id": 0},
                                        session=self.session).sort("unit_id", 1).to_list()

    async def known_units(self, pid: str) -> dict[str, dict]:
        stored = await self.db.units.find(in_programme(pid), {"_id": 0, "unit_id": 1, "name": 1, "parent_id": 1,
                                                              "kind": 1}, session=self.session).to_list()
        return {u["unit_id"]: u for u in stored}

    async def known_members(self, pid: str) -> dict[str, dict]:
        stored = await self.db.members.find(in_programme(pid), {"_id": 0, "member_id": 1, "name": 1, "unit_id": 1},
                                            session=self.session).to_list()
        return {m["member_id"]: m for m in stored}

    async def write_units(self, pid: str, new: list[dict], updated: list[dict]) -> None:
        await self._write_rows("units", "unit_id", pid, new, updated)

    async def write_members(self, pid: str, new: list[dict], updated: list[dict]) -> None:
        await self._write_rows("members", "member_id", pid, new, updated)

    async def _write_rows(self, coll: str, key: str, pid: str, new: list[dict], updated: list[dict]) -> None:
        if new:
            await self.db[coll].insert_many([r | {"_id": f"{pid}:{r[key]}", "programme_id": pid} for r in new],
                                            ordered=False, session=self.session)
        if updated:
            await self.db[coll].bulk_write(
                [ReplaceOne({"_id": f"{pid}:{r[key]}"}, r | {"programme_id": pid}) for r in updated],
                ordered=False, session=self.session)

    async def get_unit(self, pid: str, unit_id: str) -> dict | None:
        return await self.db.units.find_one({"_id": f"{pid}:{unit_id}"}, session=self.session)

    async def get_member(self, pid: str, member_id: str) -> dict | None:
        return await self.db.members.find_one({"_id": f"{pid}:{member_id}"}, session=self.session)

    async def members_page(self, pid: str, unit_id: str | None, unit_ids: frozenset[str] | None, skip: int,
                           limit: int, text: str | None = None) -> tuple[int, list[dict]]:
        q: dict[str, Any] = in_programme(pid)
        if unit_id:
            q["unit_id"] = unit_id
        elif unit_ids is not None:
            q["unit_id"] = {"$in": sorted(unit_ids)}
        if text:
            q["name"] = {"$regex": re.escape(text)}
        total = await self.db.members.count_documents(q, session=self.session)
        items = await self.db.members.find(q, {"_id": 0, "programme_id": 0}, session=self.session) \
            .sort("member_id", 1).skip(skip).limit(limit).to_list()
        return total, items

    # ---- veto flags -------------------------------------------------------------------------------------
    async def get_veto(self, pid: str, subject_id: str) -> dict | None:
        return await self.db.vetoes.find_one({"_id": f"{pid}:{subject_id}"}, session=self.session)

    async def put_veto(self, doc: dict) -> None:
        await self.db.vetoes.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self.session)

    async def list_vetoes(self, pid: str) -> list[dict]:
        return await self.db.vetoes.find({"programme_id": pid}, {"_id": 0}, session=self.session).to_list()

    async def nominee_nominations(self, pid: str, nominee_id: str) -> list[dict]:
        """Every nomination of a nominee in a programme (any category, any status), oldest first."""
        return await self.db.nominations.find({"programme_id": pid, "nominee_id": nominee_id},
                                              {"_id": 1, "category_id": 1, "status": 1}, session=self.session) \
            .sort("submitted_at", 1).to_list()

    # ---- nominations --------------------------------------------------------------------------------------
    async def get_nomination(self, nid: str, pid: str | None = None) -> dict | None:
        q = {"_id": nid} if pid is None else {"_id": nid, "programme_id": pid}
        return await self.db.nominations.find_one(q, session=self.session)

    async def count_active(self, pid: str, category_id: str, unit_id: str) -> int:
        return await self.db.nominations.count_documents(
            {"programme_id": pid, "category_id": category_id, "unit_id": unit_id, "status": {"$in": list(ACTIVE)}},
            session=self.session)

    async def active_key_taken(self, active_key: str) -> bool:
        return await self.db.nominations.find_one({"active_key": active_key}, session=self.session) is not None

    async def claim_unit_slot(self, pid: str, category_id: str, unit_id: str) -> None:
        # Serialise submissions of one unit in one category (two at once must not both pass the unit limit):
        # both transactions write this document, so one of them conflicts and is retried, then recounts.
        await self.db.unit_slots.update_one({"_id": f"{pid}|{category_id}|{unit_id}"}, {"$inc": {"writes": 1}},
                                            upsert=True, session=self.session)

    async def insert_nomination(self, doc: dict) -> bool:
        """False when the nominee already has an active nomination in the category (the unique active_key)."""
        try:
            await self.db.nominations.insert_one(doc, session=self.session)
        except DuplicateKeyError:
            return False
        return True

    async def update_nomination(self, nid: str, from_status: str, fields: dict, entry: dict) -> None:
        await self.db.nominations.update_one({"_id": nid, "status": from_status},
                                             {"$set": fields, "$push": {"history": entry}}, session=self.session)

    async def add_attachment(self, nid: str, info: dict) -> bool:
        res = await self.db.nominations.update_one(
            {"_id": nid, "status": {"$in": ["submitted", "returned"]}}, {"$push": {"attachments": info}},
            session=self.session)
        return bool(res.modified_count)

    async def find_nominations(self, f: NominationFilter, sort: list[tuple[str, int]], skip: int = 0,
                               limit: int = 0) -> list[dict]:
        return await self.db.nominations.find(nomination_query(f), LIST_PROJECTION, session=self.session) \
            .sort(sort).skip(skip).limit(limit).to_list()

    async def count_nominations(self, f: NominationFilter) -> int:
        return await self.db.nominations.count_documents(nomination_query(f), session=self.session)

    async def public_unit_nominations(self, pid: str, unit_id: str) -> list[dict]:
        return await self.db.nominations.find(
            {"programme_id": pid, "unit_id": unit_id, "status": {"$ne": "withdrawn"}}, PUBLIC_PROJECTION,
            session=self.session).sort("submitted_at", 1).to_list()

    async def approved_counts(self, pid: str) -> dict[str, int]:
        rows = await (await self.db.nominations.aggregate([
            {"$match": {"programme_id": pid, "status": "approved"}},
            {"$group": {"_id": "$category_id", "n": {"$sum": 1}}}], session=self.session)).to_list()
        return {r["_id"]: r["n"] for r in rows}

    # ---- sign-in links -------------------------------------------------------------------------------------
    async def insert_signin_links(self, docs: list[dict]) -> None:
        if docs:
            await self.db.signin_links.insert_many(docs, session=self.session)

    async def get_signin_link(self, link_id: str) -> dict | None:
        return await self.db.signin_links.find_one({"_id": link_id}, session=self.session)

    async def list_signin_links(self, pid: str) -> list[dict]:
        return await self.db.signin_links.find({"programme_id": pid}, session=self.session) \
            .sort("issued_at", 1).to_list()

    async def set_signin_link(self, link_id: str, fields: dict) -> None:
        await self.db.signin_links.update_one({"_id": link_id}, {"$set": fields}, session=self.session)

    async def record_redemption(self, doc: dict) -> bool:
        """False when the link was redeemed before (its id is the _id of the redemption)."""
        try:
            await self.db.signin_redemptions.insert_one(doc, session=self.session)
        except DuplicateKeyError:
            return False
        return True

    # ---- attachments (GridFS) -----------------------------------------------------------------------------
    def _bucket(self) -> AsyncGridFSBucket:
        return AsyncGridFSBucket(self.db, bucket_name="attachments")

    async def upload_attachment(self, filename: str, data: bytes, metadata: dict) -> str:
        return str(await self._bucket().upload_from_stream(filename, data, metadata=metadata, session=self.session))

    async def delete_attachment(self, file_id: str) -> None:
        await self._bucket().delete(ObjectId(file_id), session=self.session)

    async def read_attachment(self, file_id: str) -> bytes | None:
        try:
            stream = await self._bucket().open_download_stream(ObjectId(file_id), session=self.session)
        except NoFile:
            return None
        return await stream.read()

    # ---- judges' access (learned from JudgesAssigned / JudgeRecused) -------------------------------------------
    async def set_judge_access(self, pid: str, nid: str, judge_ids: list[str], active: bool) -> None:
        for jid in judge_ids:
            await self.db.judge_access.update_one(
                {"_id": f"{nid}:{jid}"}, {"$set": {"programme_id": pid, "nomination_id": nid, "judge_id": jid,
                                                  "active": active}}, upsert=True, session=self.session)

    async def judge_may_read(self, pid: str, nid: str, judge_id: str) -> bool:
        doc = await self.db.judge_access.find_one({"_id": f"{nid}:{judge_id}", "programme_id": pid},
                                                  session=self.session)
        return bool(doc and doc.get("active"))
