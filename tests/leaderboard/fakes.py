"""The leaderboard's read model in memory (services.leaderboard.store.ReadModel on dicts), and a projector that
applies events to it through the service's own handlers, as the consumer routes them."""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from services.leaderboard.app import ROUTES
from services.leaderboard.store import UNRANKED_FIELDS, category_key
from shared.contracts import Envelope, Event
from tests.fakes import FakeUnitOfWork, InMemoryLearnedStore

Fields = dict[str, Any]


class InMemoryReadModel(InMemoryLearnedStore):
    """Each collection a dict of documents by _id, written with the same rules as the MongoDB read model."""

    def __init__(self) -> None:
        super().__init__()
        self.categories: dict[str, Fields] = {}
        self.entries: dict[str, Fields] = {}
        self.rounds: dict[str, Fields] = {}
        self.arenas: dict[str, Fields] = {}
        self.notices: dict[str, Fields] = {}
        self.honours: dict[str, Fields] = {}
        self.standings_seq: dict[str, Fields] = {}
        self.audit: dict[str, Fields] = {}

    async def programme(self, programme_id: str) -> Fields | None:
        return copy.deepcopy(self.programmes.get(programme_id))

    async def set_stage(self, programme_id: str, stage: str, state: str, at: datetime) -> None:
        doc = _upsert(self.programmes, programme_id, {"stage_changed_at": at})
        doc.setdefault("stage_state", {})[stage] = state

    async def category(self, programme_id: str, category_id: str) -> Fields | None:
        return copy.deepcopy(self.categories.get(category_key(programme_id, category_id)))

    async def save_category(self, programme_id: str, category_id: str, fields: Fields) -> None:
        _upsert(self.categories, category_key(programme_id, category_id),
                {"programme_id": programme_id, "category_id": category_id, **fields})

    async def entry(self, nomination_id: str) -> Fields | None:
        return copy.deepcopy(self.entries.get(nomination_id))

    async def save_entry(self, nomination_id: str, fields: Fields, on_insert: Fields | None = None) -> None:
        _upsert(self.entries, nomination_id, fields, on_insert)

    async def update_entry_unless(self, nomination_id: str, fields: Fields, statuses: list[str]) -> None:
        doc = self.entries.get(nomination_id)
        if doc is not None and doc.get("status") not in statuses:
            doc.update(copy.deepcopy(fields))

    async def update_entries(self, ids: list[str], fields: Fields, *, status: str | None = None) -> None:
        for _id in ids:
            doc = self.entries.get(_id)
            if doc is not None and (status is None or doc.get("status") == status):
                doc.update(copy.deepcopy(fields))

    async def add_objections(self, nomination_id: str, delta: int) -> None:
        doc = _upsert(self.entries, nomination_id, {})
        doc["open_objections"] = doc.get("open_objections", 0) + delta

    async def name_category(self, programme_id: str, category_id: str, fields: Fields) -> None:
        for doc in self.entries.values():
            if doc.get("programme_id") == programme_id and doc.get("category_id") == category_id:
                doc.update(copy.deepcopy(fields))

    async def category_entries(self, programme_id: str, category_id: str, fields: tuple[str, ...]) -> list[Fields]:
        return [{"_id": d["_id"], **{f: copy.deepcopy(d[f]) for f in fields if f in d}}
                for d in self.entries.values()
                if d.get("programme_id") == programme_id and d.get("category_id") == category_id]

    async def save_entries(self, rows: list[tuple[str, Fields, Fields]]) -> None:
        for _id, fields, on_insert in rows:
            _upsert(self.entries, _id, fields, on_insert)

    async def unrank(self, ids: list[str]) -> None:
        for _id in ids:
            for f in UNRANKED_FIELDS:
                self.entries.get(_id, {}).pop(f, None)

    async def standings_seen(self, key: str) -> Fields | None:
        return copy.deepcopy(self.standings_seq.get(key))

    async def start_standings(self, key: str, sequence: int, part: int, ids: list[str]) -> None:
        _upsert(self.standings_seq, key, {"sequence": sequence, "parts": [part], "ids": ids})

    async def add_standings_part(self, key: str, part: int, ids: list[str]) -> None:
        doc = self.standings_seq.get(key)
        if doc is not None:
            parts = doc.setdefault("parts", [])
            if part not in parts:
                parts.append(part)
            doc.setdefault("ids", []).extend(ids)

    async def round_sequence(self, round_id: str) -> int | None:
        doc = self.rounds.get(round_id)
        return None if doc is None else int(doc.get("sequence", 0))

    async def save_round(self, round_id: str, fields: Fields, on_insert: Fields | None = None) -> None:
        _upsert(self.rounds, round_id, fields, on_insert)

    async def save_tally(self, round_id: str, fields: Fields, point: Fields, keep: int) -> None:
        doc = _upsert(self.rounds, round_id, fields)
        kept = [h for h in doc.get("history", []) if h.get("span") != point["span"]]
        doc["history"] = (kept + [copy.deepcopy(point)])[-keep:]

    async def arena_sequence(self, arena_id: str) -> int | None:
        doc = self.arenas.get(arena_id)
        return None if doc is None else int(doc.get("sequence", 0))

    async def save_arena(self, arena_id: str, fields: Fields) -> None:
        _upsert(self.arenas, arena_id, fields)

    async def save_notice(self, notice_id: str, fields: Fields) -> None:
        _upsert(self.notices, notice_id, fields)

    async def save_honour(self, honour_id: str, fields: Fields, history: Fields, *, create: bool) -> None:
        if honour_id not in self.honours and not create:
            return
        doc = _upsert(self.honours, honour_id, fields)
        doc.setdefault("history", []).append(copy.deepcopy(history))

    async def schedule_review(self, honour_id: str, review_id: str, review: Fields) -> None:
        if honour_id in self.honours:
            self.honours[honour_id].setdefault("reviews", {})[review_id] = copy.deepcopy(review)

    async def record_review(self, honour_id: str, review_id: str, fields: Fields) -> None:
        if honour_id in self.honours:
            reviews = self.honours[honour_id].setdefault("reviews", {})
            reviews.setdefault(review_id, {}).update(copy.deepcopy(fields))

    async def entries_of(self, ids: list[str]) -> list[Fields]:
        return [{"_id": i, **{f: self.entries[i][f] for f in ("nominee_id", "nominee_name") if f in self.entries[i]}}
                for i in ids if i in self.entries]

    async def save_audit(self, record: Fields) -> None:
        self.audit[record["_id"]] = copy.deepcopy(record)

    async def name_audit(self, nomination_id: str, nominee_id: str, nominee_name: str) -> None:
        for r in self.audit.values():
            for field, value in (("nominee_names", nominee_name), ("nominee_ids", nominee_id)):
                if value and nomination_id in r["nomination_ids"] and value not in r[field]:
                    r[field] = sorted(r[field] + [value])


def _upsert(coll: dict[str, Fields], _id: str, fields: Fields, on_insert: Fields | None = None) -> Fields:
    """$set the fields on the document, created with on_insert ($setOnInsert) if there is none."""
    doc = coll.get(_id)
    if doc is None:
        doc = coll[_id] = {"_id": _id, **copy.deepcopy(on_insert or {})}
    doc.update(copy.deepcopy(fields))
    return doc


# The handler of each event type is the service's own (services.leaderboard.app.ROUTES: one per type, with the
# audit record).


class FakeProjector:
    """The leaderboard's handlers applied to an in-memory read model, one event at a time, in the order given."""

    def __init__(self) -> None:
        self.store = InMemoryReadModel()
        self.uow = FakeUnitOfWork(self.store)

    async def apply(self, *events: Event, programme_id: str = "p1") -> list[Envelope]:
        return [await self.uow.deliver(ROUTES[type(e)], e, programme_id=programme_id, key="k") for e in events]

    async def deliver(self, envelopes: list[Envelope]) -> None:
        for env in envelopes:
            await self.uow.run(lambda tx, env=env: ROUTES[type(env.event())](tx, env, env.event()))
