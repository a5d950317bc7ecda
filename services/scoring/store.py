"""The scoring service's store: its Protocol and the MongoDB implementation, the only module naming collections."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from uuid import uuid4

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.learned_store import MongoLearnedStore
from shared.learning import LearnedStore, scoped_id
from shared.mongo import after_commit

Doc = dict[str, Any]

# What the service learns from the other services' events, built from the topics alone: the read-side views
# that `exemplar replay` rebuilds and compares with the live ones (deploy/ops.py). The rest is its own (command) state.
LEARNED_COLLECTIONS = ("programmes", "units", "members", "nominations", "rounds", "tallies", "publications")


class ScoringStore(LearnedStore, Protocol):
    """What the scoring actions read and write. Besides what it learned (LearnedStore): config, judges, panels,
    assignments, scores, indicators, spot checks, tallies, standings, dirty marks and arena contests."""

    # ---- programmes (learned), configuration, the tree and the roll (each programme's own: see scoped_id)
    async def programme(self, programme_id: str) -> Doc | None: ...
    async def config(self, programme_id: str) -> Doc | None: ...
    async def save_config(self, programme_id: str, fields: Doc) -> None: ...
    async def parents(self, programme_id: str) -> dict[str, str | None]: ...
    async def unit_exists(self, programme_id: str, unit_id: str) -> bool: ...
    async def member(self, programme_id: str, member_id: str) -> Doc | None: ...

    # ---- nominations (learned)
    async def nomination(self, nomination_id: str, programme_id: str | None = None) -> Doc | None: ...
    async def approved_nominations(self, programme_id: str, category_id: str) -> list[Doc]: ...
    async def nomination_categories(self, nomination_ids: list[str]) -> list[str]: ...

    # ---- judges (stored as scoped_id(programme_id, judge_id), with judge_id)
    async def judge(self, programme_id: str, judge_id: str) -> Doc | None: ...
    async def judges(self, programme_id: str, judge_ids: list[str]) -> list[Doc]: ...
    async def registered_judge_ids(self, programme_id: str, judge_ids: list[str]) -> set[str]: ...
    async def all_judges(self, programme_id: str) -> list[Doc]: ...
    async def judges_of_members(self, programme_id: str, member_ids: list[str]) -> list[Doc]: ...
    async def insert_judge(self, doc: Doc) -> bool: ...
    async def set_judge_branch(self, programme_id: str, judge_id: str, branch_id: str) -> None: ...

    # ---- panels (stored as scoped_id(programme_id, panel_id), with panel_id)
    async def panel(self, programme_id: str, panel_id: str) -> Doc | None: ...
    async def insert_panel(self, doc: Doc) -> bool: ...
    async def add_panel_judges(self, programme_id: str, panel_id: str, judge_ids: list[str]) -> None: ...
    async def update_panel(self, programme_id: str, panel_id: str, fields: Doc) -> None: ...

    # ---- assignments
    async def assignment(self, assignment_id: str, programme_id: str | None = None) -> Doc | None: ...
    async def active_assignments(self, programme_id: str, category_id: str) -> list[Doc]: ...
    async def all_active_assignments(self, programme_id: str) -> list[Doc]: ...
    async def assignments_of_nomination(self, nomination_id: str) -> list[Doc]: ...
    async def assignments_of_panel(self, programme_id: str, panel_id: str) -> list[Doc]: ...
    async def insert_assignment(self, doc: Doc) -> bool: ...
    async def insert_assignments(self, docs: list[Doc]) -> None: ...
    async def update_assignment(self, assignment_id: str, fields: Doc) -> None: ...

    # ---- scores
    async def score(self, score_id: str) -> Doc | None: ...
    async def save_score(self, score_id: str, fields: Doc, entry: Doc) -> None: ...
    async def category_scores(self, programme_id: str, category_id: str) -> list[Doc]: ...
    async def count_scores(self, score_ids: list[str]) -> int: ...

    # ---- indicators and spot checks
    async def indicators(self, nomination_id: str) -> Doc | None: ...
    async def save_indicators(self, nomination_id: str, fields: Doc) -> None: ...
    async def category_indicators(self, programme_id: str, category_id: str) -> list[Doc]: ...
    async def spot_checks(self, key: str) -> Doc | None: ...
    async def save_spot_draw(self, key: str, fields: Doc) -> None: ...
    async def save_spot_result(self, key: str, slot: str, result: Doc) -> None: ...

    # ---- rounds and tallies (learned from voting, per programme), publications (learned from publicity)
    async def save_round(self, programme_id: str, round_id: str, fields: Doc) -> None: ...
    async def category_rounds(self, programme_id: str, category_id: str) -> list[Doc]: ...
    async def tally_sequence(self, programme_id: str, round_id: str) -> int | None: ...
    async def save_tally(self, programme_id: str, round_id: str, fields: Doc) -> None: ...
    async def programme_tallies(self, programme_id: str) -> list[Doc]: ...
    async def save_publication(self, programme_id: str, category_id: str, fields: Doc) -> None: ...
    async def publication(self, programme_id: str, category_id: str) -> Doc | None: ...
    async def published_categories(self, programme_id: str) -> list[str]: ...

    # ---- standings
    async def standings(self, key: str) -> Doc | None: ...
    async def save_standings(self, key: str, fields: Doc) -> Doc: ...

    # ---- dirty marks and claims of the recomputation
    async def mark_dirty(self, programme_id: str, category_id: str, at: float) -> None: ...
    async def dirty_marks(self) -> list[Doc]: ...
    async def delete_marks(self, mark_ids: list[str]) -> None: ...
    async def claim(self, key: str, now: float, until: float) -> bool: ...
    async def release(self, key: str) -> None: ...

    # ---- arena contests
    async def arena(self, arena_id: str) -> Doc | None: ...
    async def insert_arena(self, doc: Doc) -> bool: ...
    async def bump_arena(self, arena_id: str, change: Doc | None) -> Doc: ...
    async def arena_scores(self, arena_id: str) -> list[Doc]: ...
    async def arena_score(self, score_id: str) -> Doc | None: ...
    async def save_arena_score(self, score_id: str, fields: Doc, entry: Doc) -> None: ...


async def ensure_indexes(db: AsyncDatabase) -> None:
    await db.panels.create_index([("programme_id", 1), ("category_id", 1)], unique=True)
    await db.assignments.create_index([("programme_id", 1), ("category_id", 1)])
    await db.assignments.create_index([("judge_id", 1)])
    await db.assignments.create_index([("programme_id", 1), ("panel_id", 1)])
    await db.judges.create_index([("programme_id", 1), ("member_id", 1)])
    await db.units.create_index([("programme_id", 1)])
    await db.rounds.create_index([("programme_id", 1), ("category_ids", 1)])
    await db.publications.create_index([("programme_id", 1)])
    await db.scores.create_index([("programme_id", 1), ("category_id", 1)])
    await db.nominations.create_index([("programme_id", 1), ("category_id", 1), ("status", 1)])
    await db.indicators.create_index([("programme_id", 1), ("category_id", 1)])
    await db.arena_scores.create_index([("arena_id", 1)])


class MongoScoringStore(MongoLearnedStore):
    """ScoringStore on MongoDB, bound to a transaction's session (or to none, for the recomputation loop's reads).

    on_mark runs once a transaction that marked a category dirty has committed (it wakes the recomputation)."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None,
                 on_mark: Callable[[], Any] | None = None) -> None:
        self.db = db
        self.session = session
        self.on_mark = on_mark

    def bind(self, session: AsyncClientSession | None) -> "MongoScoringStore":
        return MongoScoringStore(self.db, session, self.on_mark)

    async def ensure_indexes(self) -> None:
        await ensure_indexes(self.db)

    async def _one(self, coll: str, query: Doc, projection: Doc | None = None) -> Doc | None:
        return await self.db[coll].find_one(query, projection, session=self.session)

    async def _all(self, coll: str, query: Doc, projection: Doc | None = None, sort: Any = None) -> list[Doc]:
        cursor = self.db[coll].find(query, projection, session=self.session)
        if sort is not None:
            cursor = cursor.sort(sort)
        return await cursor.to_list()

    async def _insert(self, coll: str, doc: Doc) -> bool:
        try:
            await self.db[coll].insert_one(doc, session=self.session)
        except DuplicateKeyError:
            return False
        return True

    # ---- programmes, configuration, the tree and the roll ---------------------------------------------------------
    async def programme(self, programme_id: str) -> Doc | None:
        return await self._one("programmes", {"_id": programme_id})

    async def config(self, programme_id: str) -> Doc | None:
        return await self._one("config", {"_id": programme_id})

    async def save_config(self, programme_id: str, fields: Doc) -> None:
        await self.db.config.update_one({"_id": programme_id}, {"$set": fields}, upsert=True, session=self.session)

    async def parents(self, programme_id: str) -> dict[str, str | None]:
        # Only the programme's own tree: two programmes re-using unit ids (next year's org chart) never mix.
        return {u["unit_id"]: u.get("parent_id")
                for u in await self._all("units", {"programme_id": programme_id}, {"unit_id": 1, "parent_id": 1})}

    async def unit_exists(self, programme_id: str, unit_id: str) -> bool:
        return await self._one("units", {"_id": scoped_id(programme_id, unit_id)}, {"_id": 1}) is not None

    async def member(self, programme_id: str, member_id: str) -> Doc | None:
        return await self._one("members", {"_id": scoped_id(programme_id, member_id)})

    # ---- nominations ----------------------------------------------------------------------------------------------
    async def nomination(self, nomination_id: str, programme_id: str | None = None) -> Doc | None:
        query = {"_id": nomination_id} if programme_id is None else {"_id": nomination_id, "programme_id": programme_id}
        return await self._one("nominations", query)

    async def approved_nominations(self, programme_id: str, category_id: str) -> list[Doc]:
        return await self._all("nominations", {"programme_id": programme_id, "category_id": category_id,
                                               "status": "approved"})

    async def nomination_categories(self, nomination_ids: list[str]) -> list[str]:
        return [n["category_id"] for n in await self._all("nominations", {"_id": {"$in": nomination_ids}},
                                                          {"category_id": 1})]

    # ---- judges ---------------------------------------------------------------------------------------------------
    async def judge(self, programme_id: str, judge_id: str) -> Doc | None:
        return await self._one("judges", {"_id": scoped_id(programme_id, judge_id)})

    async def judges(self, programme_id: str, judge_ids: list[str]) -> list[Doc]:
        return await self._all("judges", {"_id": {"$in": [scoped_id(programme_id, j) for j in judge_ids]}})

    async def registered_judge_ids(self, programme_id: str, judge_ids: list[str]) -> set[str]:
        return {j["judge_id"] for j in await self.judges(programme_id, judge_ids)}

    async def all_judges(self, programme_id: str) -> list[Doc]:
        return await self._all("judges", {"programme_id": programme_id})

    async def judges_of_members(self, programme_id: str, member_ids: list[str]) -> list[Doc]:
        return await self._all("judges", {"programme_id": programme_id, "member_id": {"$in": member_ids}},
                               {"judge_id": 1, "member_id": 1})

    async def insert_judge(self, doc: Doc) -> bool:
        return await self._insert("judges", doc)

    async def set_judge_branch(self, programme_id: str, judge_id: str, branch_id: str) -> None:
        await self.db.judges.update_one({"_id": scoped_id(programme_id, judge_id)},
                                        {"$set": {"branch_id": branch_id}}, session=self.session)

    # ---- panels ---------------------------------------------------------------------------------------------------
    async def panel(self, programme_id: str, panel_id: str) -> Doc | None:
        return await self._one("panels", {"_id": scoped_id(programme_id, panel_id)})

    async def insert_panel(self, doc: Doc) -> bool:
        return await self._insert("panels", doc)  # also refused for a second panel of the category (unique index)

    async def add_panel_judges(self, programme_id: str, panel_id: str, judge_ids: list[str]) -> None:
        await self.db.panels.update_one({"_id": scoped_id(programme_id, panel_id)},
                                        {"$addToSet": {"judge_ids": {"$each": judge_ids}}}, session=self.session)

    async def update_panel(self, programme_id: str, panel_id: str, fields: Doc) -> None:
        await self.db.panels.update_one({"_id": scoped_id(programme_id, panel_id)}, {"$set": fields},
                                        session=self.session)

    # ---- assignments ----------------------------------------------------------------------------------------------
    async def assignment(self, assignment_id: str, programme_id: str | None = None) -> Doc | None:
        query = {"_id": assignment_id} if programme_id is None else {"_id": assignment_id,
                                                                      "programme_id": programme_id}
        return await self._one("assignments", query)

    async def active_assignments(self, programme_id: str, category_id: str) -> list[Doc]:
        return await self._all("assignments", {"programme_id": programme_id, "category_id": category_id,
                                               "recused": False})

    async def all_active_assignments(self, programme_id: str) -> list[Doc]:
        return await self._all("assignments", {"programme_id": programme_id, "recused": False})

    async def assignments_of_nomination(self, nomination_id: str) -> list[Doc]:
        return await self._all("assignments", {"nomination_id": nomination_id}, sort="_id")

    async def assignments_of_panel(self, programme_id: str, panel_id: str) -> list[Doc]:
        return await self._all("assignments", {"programme_id": programme_id, "panel_id": panel_id}, sort="_id")

    async def insert_assignment(self, doc: Doc) -> bool:
        return await self._insert("assignments", doc)

    async def insert_assignments(self, docs: list[Doc]) -> None:
        await self.db.assignments.insert_many(docs, session=self.session)

    async def update_assignment(self, assignment_id: str, fields: Doc) -> None:
        await self.db.assignments.update_one({"_id": assignment_id}, {"$set": fields}, session=self.session)

    # ---- scores ---------------------------------------------------------------------------------------------------
    async def score(self, score_id: str) -> Doc | None:
        return await self._one("scores", {"_id": score_id})

    async def save_score(self, score_id: str, fields: Doc, entry: Doc) -> None:
        await self.db.scores.update_one({"_id": score_id}, {"$set": fields, "$push": {"history": entry}},
                                        upsert=True, session=self.session)

    async def category_scores(self, programme_id: str, category_id: str) -> list[Doc]:
        return await self._all("scores", {"programme_id": programme_id, "category_id": category_id})

    async def count_scores(self, score_ids: list[str]) -> int:
        # By _id (nomination:judge:criterion): a count by fields scanned every score of the programme.
        return len(await self._all("scores", {"_id": {"$in": score_ids}}, {"_id": 1}))

    # ---- indicators and spot checks -------------------------------------------------------------------------------
    async def indicators(self, nomination_id: str) -> Doc | None:
        return await self._one("indicators", {"_id": nomination_id})

    async def save_indicators(self, nomination_id: str, fields: Doc) -> None:
        await self.db.indicators.update_one({"_id": nomination_id}, {"$set": fields}, upsert=True,
                                            session=self.session)

    async def category_indicators(self, programme_id: str, category_id: str) -> list[Doc]:
        return await self._all("indicators", {"programme_id": programme_id, "category_id": category_id})

    async def spot_checks(self, key: str) -> Doc | None:
        return await self._one("spot_checks", {"_id": key})

    async def save_spot_draw(self, key: str, fields: Doc) -> None:
        await self.db.spot_checks.update_one({"_id": key}, {"$set": fields, "$setOnInsert": {"results": {}}},
                                             upsert=True, session=self.session)

    async def save_spot_result(self, key: str, slot: str, result: Doc) -> None:
        await self.db.spot_checks.update_one({"_id": key}, {"$set": {f"results.{slot}": result}},
                                             session=self.session)

    # ---- rounds, tallies and publications -------------------------------------------------------------------------
    async def save_round(self, programme_id: str, round_id: str, fields: Doc) -> None:
        await self.db.rounds.update_one({"_id": scoped_id(programme_id, round_id)}, {"$set": fields}, upsert=True,
                                        session=self.session)

    async def category_rounds(self, programme_id: str, category_id: str) -> list[Doc]:
        return await self._all("rounds", {"programme_id": programme_id, "category_ids": category_id},
                               sort=[("opened_at", ASCENDING), ("round_id", ASCENDING)])

    async def tally_sequence(self, programme_id: str, round_id: str) -> int | None:
        doc = await self._one("tallies", {"_id": scoped_id(programme_id, round_id)}, {"sequence": 1})
        return None if doc is None else doc["sequence"]

    async def save_tally(self, programme_id: str, round_id: str, fields: Doc) -> None:
        await self.db.tallies.update_one({"_id": scoped_id(programme_id, round_id)}, {"$set": fields}, upsert=True,
                                         session=self.session)

    async def programme_tallies(self, programme_id: str) -> list[Doc]:
        return await self._all("tallies", {"programme_id": programme_id},
                               {"round_id": 1, "candidates": 1, "updated_at": 1},
                               sort=[("updated_at", ASCENDING), ("_id", ASCENDING)])

    async def save_publication(self, programme_id: str, category_id: str, fields: Doc) -> None:
        await self.db.publications.update_one({"_id": f"{programme_id}:{category_id}"}, {"$set": fields},
                                              upsert=True, session=self.session)

    async def publication(self, programme_id: str, category_id: str) -> Doc | None:
        return await self._one("publications", {"_id": f"{programme_id}:{category_id}"})

    async def published_categories(self, programme_id: str) -> list[str]:
        return sorted(p["category_id"] for p in await self._all("publications", {"programme_id": programme_id},
                                                                {"category_id": 1}))

    # ---- standings ------------------------------------------------------------------------------------------------
    async def standings(self, key: str) -> Doc | None:
        return await self._one("standings", {"_id": key})

    async def save_standings(self, key: str, fields: Doc) -> Doc:
        return await self.db.standings.find_one_and_update(
            {"_id": key}, {"$inc": {"sequence": 1}, "$set": fields}, upsert=True,
            return_document=ReturnDocument.AFTER, session=self.session)

    # ---- dirty marks and claims -----------------------------------------------------------------------------------
    async def mark_dirty(self, programme_id: str, category_id: str, at: float) -> None:
        # One mark per change, never an update of a shared document: concurrent transactions (many judges scoring
        # one category) would otherwise conflict on it and retry each other to a standstill.
        await self.db.dirty_marks.insert_one(
            {"_id": uuid4().hex, "programme_id": programme_id, "category_id": category_id, "at": at},
            session=self.session)
        # Wake the recomputation once the mark is committed: woken earlier, it would find nothing and sleep a poll
        # interval; and a transaction that is aborted (a batch of events re-applied one by one) has marked nothing.
        if self.on_mark is not None:
            after_commit(self.on_mark)

    async def dirty_marks(self) -> list[Doc]:
        return await self._all("dirty_marks", {})

    async def delete_marks(self, mark_ids: list[str]) -> None:
        await self.db.dirty_marks.delete_many({"_id": {"$in": mark_ids}}, session=self.session)

    async def claim(self, key: str, now: float, until: float) -> bool:
        try:
            claimed = await self.db.dirty_claims.find_one_and_update(
                {"_id": key, "claimed_until": {"$lt": now}}, {"$set": {"claimed_until": until}},
                upsert=True, return_document=ReturnDocument.AFTER, session=self.session)
        except DuplicateKeyError:  # claimed by another replica: the upsert met its document
            return False
        return bool(claimed)

    async def release(self, key: str) -> None:
        await self.db.dirty_claims.update_one({"_id": key}, {"$set": {"claimed_until": 0}}, session=self.session)

    # ---- arena contests -------------------------------------------------------------------------------------------
    async def arena(self, arena_id: str) -> Doc | None:
        return await self._one("arenas", {"_id": arena_id})

    async def insert_arena(self, doc: Doc) -> bool:
        return await self._insert("arenas", doc)

    async def bump_arena(self, arena_id: str, change: Doc | None) -> Doc:
        update: Doc = {"$inc": {"sequence": 1}}
        if change:
            update["$set"] = change
        return await self.db.arenas.find_one_and_update({"_id": arena_id}, update,
                                                        return_document=ReturnDocument.AFTER, session=self.session)

    async def arena_scores(self, arena_id: str) -> list[Doc]:
        return await self._all("arena_scores", {"arena_id": arena_id})

    async def arena_score(self, score_id: str) -> Doc | None:
        return await self._one("arena_scores", {"_id": score_id})

    async def save_arena_score(self, score_id: str, fields: Doc, entry: Doc) -> None:
        await self.db.arena_scores.update_one({"_id": score_id}, {"$set": fields, "$push": {"history": entry}},
                                              upsert=True, session=self.session)
