"""The voting store on MongoDB: rounds, the roll, voter marks, ballot sheets, refusals, flags, tallies, indexes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.learned_store import MongoLearnedStore
from shared.learning import scoped_id

from .tallies import MongoTallies

ROLL_CHUNK = 5000


class MongoVotingStore(MongoLearnedStore, MongoTallies):
    """Every read and write of the voting service's collections; bound to a transaction's session, or to none."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session

    async def ensure_indexes(self) -> None:
        db = self.db
        # The roll keeps no voter mark since issue 16: the unique index on it would refuse the second entry.
        if "round_id_1_mark_1" in await db.roll.index_information():
            await db.roll.drop_index("round_id_1_mark_1")
        await db.roll.create_index([("round_id", ASCENDING), ("cred", ASCENDING)])
        await db.roll.create_index([("round_id", ASCENDING), ("unit_id", ASCENDING)])
        await db.ballot_sheets.create_index([("round_id", ASCENDING)])
        await db.tally_parts.create_index([("round_id", ASCENDING)])
        await db.rejections.create_index([("round_id", ASCENDING)])
        await db.nominations.create_index([("programme_id", ASCENDING), ("category_id", ASCENDING),
                                           ("status", ASCENDING)])
        await db.members.create_index([("programme_id", ASCENDING), ("unit_id", ASCENDING)])
        await db.flags.create_index([("round_id", ASCENDING)])

    # ---- rounds --------------------------------------------------------------------------------------------
    async def get_round(self, round_id: str, fields: dict[str, int] | None = None) -> dict | None:
        return await self.db.rounds.find_one({"_id": round_id}, fields, session=self.session)

    async def round_exists(self, round_id: str) -> bool:
        return await self.db.rounds.find_one({"_id": round_id}, {"_id": 1}, session=self.session) is not None

    async def insert_round(self, rnd: dict) -> None:
        await self.db.rounds.insert_one(rnd, session=self.session)

    async def set_round(self, round_id: str, fields: dict[str, Any]) -> None:
        await self.db.rounds.update_one({"_id": round_id}, {"$set": fields}, session=self.session)

    async def due_rounds(self, now: datetime) -> list[str]:
        docs = await self.db.rounds.find({"state": "open", "closes_at": {"$lte": now}}, {"_id": 1},
                                         session=self.session).to_list()
        return [d["_id"] for d in docs]

    async def list_rounds(self, programme_id: str | None) -> list[dict]:
        q = {"programme_id": programme_id} if programme_id else {}
        return await self.db.rounds.find(q, session=self.session).sort("created_at", ASCENDING).to_list()

    async def mark_withdrawn(self, programme_id: str, nomination_id: str) -> None:
        """A withdrawn nominee stays on open ballots' lists, marked, and can no longer be selected."""
        await self.db.rounds.update_many(
            {"programme_id": programme_id, "candidates.nomination_id": nomination_id, "state": "open"},
            {"$set": {"candidates.$[c].withdrawn": True}},
            array_filters=[{"c.nomination_id": nomination_id}], session=self.session)

    async def feeding_rounds(self, programme_id: str, category_ids: list[str]) -> list[dict]:
        """The programme's rounds that feed the peer vote of any of these categories, the latest first (a round
        stored before rounds said whether they feed, fed)."""
        return await self.db.rounds.find(
            {"programme_id": programme_id, "category_ids": {"$in": category_ids}, "feeds_peer_vote": {"$ne": False}},
            {"name": 1, "category_ids": 1, "created_at": 1}, session=self.session).sort("created_at", -1).to_list()

    async def set_voting_stage(self, programme_id: str, snapshot: dict) -> None:
        """The programme's voting stage as its rounds not yet closed keep it (the edge and the counter gate on it)."""
        await self.db.rounds.update_many({"programme_id": programme_id, "state": {"$ne": "closed"}},
                                         {"$set": {"voting_stage": snapshot}}, session=self.session)

    # ---- what was learned from nominations, as the rounds need it --------------------------------------------
    async def programme(self, programme_id: str) -> dict | None:
        return await self.db.programmes.find_one({"_id": programme_id}, session=self.session)

    async def set_published(self, programme_id: str, category_ids: list[str]) -> None:
        """The categories whose 公示 list is published (PublicityOpened): they take no new round from now on."""
        await self.db.programmes.update_one({"_id": programme_id},
                                            {"$set": {"published_categories": category_ids}}, upsert=True,
                                            session=self.session)

    async def approved_nominations(self, programme_id: str, category_ids: list[str]) -> list[dict]:
        return await self.db.nominations.find({"programme_id": programme_id, "status": "approved",
                                               "category_id": {"$in": category_ids}},
                                              session=self.session).sort("_id", 1).to_list()

    async def candidates(self, programme_id: str, category_id: str | None) -> list[dict]:
        q = {"programme_id": programme_id, "status": "approved"}
        if category_id:
            q["category_id"] = category_id
        return await self.db.nominations.find(q, session=self.session).sort("_id", ASCENDING).to_list()

    async def count_members(self, programme_id: str | None = None) -> int:
        """The programme's members; without one, every programme's (what an operator waiting on learning counts)."""
        q = {"programme_id": programme_id} if programme_id is not None else {}
        return await self.db.members.count_documents(q, session=self.session)

    async def members_in(self, programme_id: str, *, unit_ids: list[str] | None = None,
                         member_ids: list[str] | None = None) -> list[dict]:
        """The programme's members (member_id, unit_id) of the given units, or with the given ids, or all of them.

        Learned members are stored per programme (shared.learning.scoped_id): another programme's roll, even
        with the same ids, is never read."""
        q: dict[str, Any] = {"programme_id": programme_id}
        if unit_ids is not None:
            q["unit_id"] = {"$in": unit_ids}
        elif member_ids is not None:
            q["_id"] = {"$in": [scoped_id(programme_id, m) for m in member_ids]}
        return await self.db.members.find(q, {"member_id": 1, "unit_id": 1, "_id": 0},
                                          session=self.session).to_list()

    async def known_units(self, programme_id: str, unit_ids: list[str]) -> set[str]:
        docs = await self.db.units.find({"_id": {"$in": [scoped_id(programme_id, u) for u in unit_ids]}},
                                        {"unit_id": 1}, session=self.session).to_list()
        return {u["unit_id"] for u in docs}

    async def unit_names(self, programme_id: str, unit_ids: list[str]) -> dict[str, str]:
        docs = await self.db.units.find({"_id": {"$in": [scoped_id(programme_id, u) for u in unit_ids]}},
                                        {"unit_id": 1, "name": 1}, session=self.session).to_list()
        return {u["unit_id"]: u.get("name", "") for u in docs}

    async def member_names(self, programme_id: str, member_ids: list[str]) -> dict[str, str]:
        docs = await self.db.members.find({"_id": {"$in": [scoped_id(programme_id, m) for m in member_ids]}},
                                          {"member_id": 1, "name": 1}, session=self.session).to_list()
        return {m["member_id"]: m.get("name", "") for m in docs}

    # ---- the roll ------------------------------------------------------------------------------------------
    async def insert_roll(self, entries: list[dict]) -> None:
        try:
            for i in range(0, len(entries), ROLL_CHUNK):
                await self.db.roll.insert_many(entries[i:i + ROLL_CHUNK], ordered=False, session=self.session)
        except BulkWriteError:
            pass  # the same round id created twice at once: the round insert decides

    async def roll_by_credential(self, round_id: str, credential_hash: str) -> dict | None:
        return await self.db.roll.find_one({"round_id": round_id, "cred": credential_hash}, {"member_id": 1},
                                           session=self.session)

    async def roll_entry(self, round_id: str, member_id: str) -> dict | None:
        return await self.db.roll.find_one({"_id": f"{round_id}:{member_id}"}, {"member_id": 1},
                                           session=self.session)

    async def unit_roll(self, round_id: str, unit_id: str) -> list[dict]:
        return await self.db.roll.find({"round_id": round_id, "unit_id": unit_id},
                                       session=self.session).sort("member_id", 1).to_list()

    async def roll_members(self, round_id: str) -> list[dict]:
        """The round's members with their unit, and nothing else of the roll (the counter recomputes their marks)."""
        return await self.db.roll.find({"round_id": round_id}, {"member_id": 1, "unit_id": 1, "_id": 0},
                                       session=self.session).to_list()

    async def set_credentials(self, issued: list[tuple[str, str, datetime]]) -> None:
        """(roll entry id, credential hash, issued at): one unordered bulk write."""
        if issued:
            await self.db.roll.bulk_write([UpdateOne({"_id": rid}, {"$set": {"cred": chash, "cred_issued_at": at}})
                                           for rid, chash, at in issued], ordered=False, session=self.session)

    # ---- voter marks ---------------------------------------------------------------------------------------
    async def voted(self, marks: list[str]) -> set[str]:
        docs = await self.db.marks.find({"_id": {"$in": marks}}, {"_id": 1}, session=self.session).to_list()
        return {d["_id"] for d in docs}

    async def has_voted(self, mark: str) -> bool:
        return await self.db.marks.find_one({"_id": mark}, {"_id": 1}, session=self.session) is not None

    async def mark(self, mark: str) -> dict | None:
        """The voter mark with the tag of the command that wrote it."""
        return await self.db.marks.find_one({"_id": mark}, {"tag": 1}, session=self.session)

    async def mark_tags(self, marks: list[str]) -> dict[str, str | None]:
        docs = await self.db.marks.find({"_id": {"$in": marks}}, {"tag": 1}, session=self.session).to_list()
        return {d["_id"]: d.get("tag") for d in docs}

    async def insert_marks(self, marks: list[dict]) -> None:
        await self.db.marks.insert_many(marks, ordered=False, session=self.session)

    # ---- ballot sheets -------------------------------------------------------------------------------------
    async def insert_sheet(self, sheet: dict) -> None:
        await self.db.ballot_sheets.insert_one(sheet, session=self.session)

    async def sheets(self, round_id: str) -> list[dict]:
        return await self.db.ballot_sheets.find({"round_id": round_id}, session=self.session).to_list()

    async def round_receipts(self, round_id: str) -> list[str]:
        """Every receipt counted in the round so far, sorted (the sheets' receipts only, never their contents)."""
        docs = await self.db.ballot_sheets.find({"round_id": round_id}, {"receipts": 1, "_id": 0},
                                                session=self.session).to_list()
        return sorted(r for d in docs for r in d["receipts"])

    async def receipt_recorded(self, round_id: str, receipt: str) -> bool:
        return await self.db.ballot_sheets.find_one({"round_id": round_id, "receipts": receipt}, {"_id": 1},
                                                    session=self.session) is not None

    # ---- refusals ------------------------------------------------------------------------------------------
    async def insert_rejection(self, doc: dict) -> None:
        await self.db.rejections.insert_one(doc, session=self.session)

    async def insert_rejections(self, docs: list[dict]) -> None:
        await self.db.rejections.insert_many(docs, ordered=False, session=self.session)

    async def rejection(self, command_id: str) -> dict | None:
        return await self.db.rejections.find_one({"_id": command_id}, session=self.session)

    async def recorded_rejections(self, command_ids: list[str]) -> set[str]:
        docs = await self.db.rejections.find({"_id": {"$in": command_ids}}, {"_id": 1},
                                             session=self.session).to_list()
        return {d["_id"] for d in docs}

    # ---- burst flags ---------------------------------------------------------------------------------------
    async def flags(self, round_id: str) -> list[dict]:
        return await self.db.flags.find({"round_id": round_id},
                                        session=self.session).sort("minute_start", ASCENDING).to_list()

    async def save_flag(self, flag_id: str, fields: dict[str, Any]) -> None:
        await self.db.flags.update_one({"_id": flag_id}, {"$set": fields}, upsert=True, session=self.session)

    # ---- audit: the stored documents as a reader of the database sees them (tests, operators) --------------
    async def round_roll(self, round_id: str) -> list[dict]:
        return await self.db.roll.find({"round_id": round_id}, session=self.session).to_list()

    async def all_marks(self) -> list[dict]:
        """Every voter mark of every round (a mark names no round: it is an HMAC of round and member)."""
        return await self.db.marks.find({}, session=self.session).to_list()

    async def count_marks(self) -> int:
        return await self.db.marks.count_documents({}, session=self.session)

    async def all_collections(self) -> dict[str, list[dict]]:
        """Every document of every collection of the voting database (the secrecy test reads them all)."""
        names = await self.db.list_collection_names(session=self.session)
        return {n: await self.db[n].find({}, session=self.session).to_list() for n in sorted(names)}

    async def all_sheets(self) -> list[dict]:
        return await self.db.ballot_sheets.find({}, session=self.session).to_list()

    async def spoiled_rejections(self) -> list[dict]:
        return await self.db.rejections.find({"spoiled": True}, session=self.session).to_list()

    async def collection_names(self, pattern: str) -> list[str]:
        return await self.db.list_collection_names(filter={"name": {"$regex": pattern}}, session=self.session)
