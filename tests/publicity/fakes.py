"""In-memory fakes of the publicity store and its attachments, and a context for the actions built on them."""
from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from services.publicity.actions.context import Context
from services.publicity.domain import OPEN_OBJECTION_STATES
from services.publicity.privacy import ContactVault
from shared.ratelimit import RateLimiter
from shared.settings import Settings
from tests.fakes import FakeUnitOfWork, InMemoryLearnedStore

Doc = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _copy(doc: Doc | None) -> Doc | None:
    return copy.deepcopy(doc)


def _matches(doc: Doc, **fields: Any) -> bool:
    return all(doc.get(k) == v for k, v in fields.items() if v)


class InMemoryPublicityStore(InMemoryLearnedStore):
    """services.publicity.store.PublicityStore on dicts; it hands out copies, as a database would."""

    def __init__(self) -> None:
        super().__init__()
        self.boards: dict[str, Doc] = {}
        self.calendar_docs: dict[int, Doc] = {}
        self.notice_docs: dict[str, Doc] = {}
        self.objection_docs: dict[str, Doc] = {}
        self.contacts: dict[str, Doc] = {}
        self.honour_docs: dict[str, Doc] = {}
        self.review_docs: dict[str, Doc] = {}
        self.veto_docs: dict[str, Doc] = {}

    async def ensure_indexes(self) -> None:
        return None

    # -- learned --------------------------------------------------------------------------------------------------
    async def programme(self, programme_id: str) -> Doc | None:
        return _copy(self.programmes.get(programme_id))

    async def nominations_of(self, nomination_ids: list[str]) -> dict[str, Doc]:
        return {i: _copy(self.nominations[i]) for i in nomination_ids
                if i in self.nominations and "nominee_name" in self.nominations[i]}

    async def board(self, key: str) -> Doc | None:
        return _copy(self.boards.get(key))

    async def boards_of(self, programme_id: str) -> list[Doc]:
        return [_copy(b) for b in self.boards.values() if b.get("programme_id") == programme_id]

    async def save_pending_board(self, key: str, pending: Doc) -> None:
        self.boards.setdefault(key, {"_id": key})["pending"] = copy.deepcopy(pending)

    async def save_board(self, key: str, fields: Doc) -> None:
        doc = self.boards.setdefault(key, {"_id": key})
        doc.update(copy.deepcopy(fields))
        doc.pop("pending", None)

    # -- calendars ------------------------------------------------------------------------------------------------
    async def calendars(self) -> list[Doc]:
        return [_copy(c) for c in self.calendar_docs.values()]

    async def calendar(self, year: int) -> Doc | None:
        return _copy(self.calendar_docs.get(year))

    async def save_calendar(self, doc: Doc) -> None:
        self.calendar_docs[doc["_id"]] = copy.deepcopy(doc)

    # -- notices --------------------------------------------------------------------------------------------------
    async def notice(self, notice_id: str, *, open_only: bool = False) -> Doc | None:
        n = self.notice_docs.get(notice_id)
        return None if n is None or (open_only and n["state"] != "open") else _copy(n)

    async def notices(self, programme_id: str | None = None, state: str | None = None) -> list[Doc]:
        docs = [n for n in self.notice_docs.values() if _matches(n, programme_id=programme_id, state=state)]
        return [_copy(n) for n in sorted(docs, key=lambda n: n["created_at"], reverse=True)[:500]]

    async def listed(self, programme_id: str, category_id: str) -> set[str]:
        return {e["nomination_id"] for n in self.notice_docs.values()
                if n["programme_id"] == programme_id and n["category_id"] == category_id for e in n["entries"]}

    async def insert_notice(self, doc: Doc) -> None:
        assert doc["_id"] not in self.notice_docs
        self.notice_docs[doc["_id"]] = copy.deepcopy(doc)

    async def set_entry_status(self, notice_id: str, nomination_id: str, status: str) -> None:
        for e in self.notice_docs[notice_id]["entries"]:
            if e["nomination_id"] == nomination_id:
                e["status"] = status
                return

    async def close_notice(self, notice_id: str, entries: list[Doc], closed_at: datetime) -> None:
        n = self.notice_docs[notice_id]
        if n["state"] == "open":
            n.update(state="closed", closed_at=closed_at, entries=copy.deepcopy(entries))

    async def due_notices(self, now: datetime) -> list[str]:
        return [n["_id"] for n in self.notice_docs.values() if n["state"] == "open" and n["ends_at"] <= now]

    async def count_replacements(self, removed: list[str]) -> int:
        return sum(1 for n in self.notice_docs.values() if set(n.get("replaces", [])) & set(removed))

    async def notices_listing(self, nomination_id: str) -> list[Doc]:
        return [_copy(n) for n in self.notice_docs.values()
                if any(e["nomination_id"] == nomination_id for e in n["entries"])]

    async def add_notice_record(self, notice_id: str, record: Doc) -> None:
        self.notice_docs[notice_id].setdefault("record", []).append(copy.deepcopy(record))

    async def correct_notice(self, notice_id: str, fields: Doc, prior: Doc) -> None:
        n = self.notice_docs[notice_id]
        n.update(copy.deepcopy(fields))
        n.setdefault("versions", []).append(copy.deepcopy(prior))

    # -- vetoes ---------------------------------------------------------------------------------------------------
    async def save_veto(self, programme_id: str, nominee_id: str, fields: Doc, history: Doc) -> None:
        doc = self.veto_docs.setdefault(f"{programme_id}/{nominee_id}", {"_id": f"{programme_id}/{nominee_id}",
                                                                           "history": []})
        doc.update(copy.deepcopy(fields) | {"programme_id": programme_id, "nominee_id": nominee_id})
        doc["history"].append(copy.deepcopy(history))

    async def vetoed(self, programme_id: str) -> set[str]:
        return {nid for d in self.veto_docs.values() if d["programme_id"] == programme_id and d["state"] == "set"
                for nid in d.get("nomination_ids", [])}

    async def vetoes(self, programme_id: str | None = None) -> list[Doc]:
        return [_copy(d) for d in self.veto_docs.values() if _matches(d, programme_id=programme_id)]

    # -- objections -----------------------------------------------------------------------------------------------
    async def insert_objection(self, doc: Doc, sealed: str) -> None:
        assert all(o["tracking_no"] != doc["tracking_no"] for o in self.objection_docs.values())
        self.objection_docs[doc["_id"]] = copy.deepcopy(doc)
        self.contacts[doc["_id"]] = {"_id": doc["_id"], "sealed": sealed}

    async def objection(self, objection_id: str) -> Doc | None:
        return _copy(self.objection_docs.get(objection_id))

    async def objection_by_tracking(self, tracking_no: str) -> Doc | None:
        o = next((o for o in self.objection_docs.values() if o["tracking_no"] == tracking_no), None)
        return None if o is None else {"_id": o["_id"], "state": o["state"]}

    async def objections(self, notice_id: str | None = None, state: str | None = None) -> list[Doc]:
        docs = [o for o in self.objection_docs.values() if _matches(o, notice_id=notice_id, state=state)]
        return [_copy(o) for o in sorted(docs, key=lambda o: o["filed_at"])[:1000]]

    async def count_objections(self, notice_id: str | None = None) -> int:
        return sum(1 for o in self.objection_docs.values() if _matches(o, notice_id=notice_id))

    async def count_open_objections(self, notice_id: str, nomination_id: str) -> int:
        return sum(1 for o in self.objection_docs.values() if o["notice_id"] == notice_id
                   and o["nomination_id"] == nomination_id and o["state"] in OPEN_OBJECTION_STATES)

    async def open_objection_counts(self, notice_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in self.objection_docs.values():
            if o["notice_id"] == notice_id and o["state"] in OPEN_OBJECTION_STATES:
                counts[o["nomination_id"]] = counts.get(o["nomination_id"], 0) + 1
        return counts

    async def update_objection(self, objection_id: str, fields: Doc, *, history: Doc,
                               finding: Doc | None = None) -> None:
        o = self.objection_docs[objection_id]
        o.update(copy.deepcopy(fields))
        if finding:
            o.setdefault("findings", []).append(copy.deepcopy(finding))
        o.setdefault("history", []).append(copy.deepcopy(history))

    async def sealed_contact(self, objection_id: str) -> str | None:
        doc = self.contacts.get(objection_id)
        return None if doc is None else doc["sealed"]

    async def sealed_contacts(self) -> list[Doc]:
        return [_copy(c) for c in self.contacts.values()]

    # -- honours and reviews --------------------------------------------------------------------------------------
    async def insert_honour(self, doc: Doc) -> bool:
        if doc["_id"] in self.honour_docs:
            return False
        self.honour_docs[doc["_id"]] = copy.deepcopy(doc)
        return True

    async def honour(self, honour_id: str) -> Doc | None:
        return _copy(self.honour_docs.get(honour_id))

    async def honours(self, programme_id: str | None = None, status: str | None = None) -> list[Doc]:
        docs = [h for h in self.honour_docs.values() if _matches(h, programme_id=programme_id, status=status)]
        return [_copy(h) for h in sorted(docs, key=lambda h: h.get("confirmed_at", EPOCH))[:2000]]

    async def revoke_honour(self, honour_id: str, fields: Doc, history: Doc) -> None:
        h = self.honour_docs[honour_id]
        if h["status"] == "confirmed":
            h.update(copy.deepcopy(fields))
            h["history"].append(copy.deepcopy(history))

    async def add_honour_history(self, honour_id: str, history: Doc) -> None:
        self.honour_docs[honour_id]["history"].append(copy.deepcopy(history))

    async def insert_review(self, doc: Doc) -> None:
        self.review_docs[doc["_id"]] = copy.deepcopy(doc)

    async def review(self, review_id: str, honour_id: str | None = None) -> Doc | None:
        r = self.review_docs.get(review_id)
        return None if r is None or (honour_id and r["honour_id"] != honour_id) else _copy(r)

    async def set_review_outcome(self, review_id: str, fields: Doc) -> None:
        self.review_docs[review_id].update(copy.deepcopy(fields))

    async def reviews_of(self, honour_id: str) -> list[Doc]:
        return [_copy(r) for r in sorted(self.review_docs.values(), key=lambda r: r["due_date"])
                if r["honour_id"] == honour_id]

    async def reviews(self, due_by: date | None = None, pending: bool = False) -> list[Doc]:
        docs = [r for r in self.review_docs.values()
                if (not due_by or r["due_date"] <= due_by.isoformat()) and (not pending or r["outcome"] is None)]
        return [_copy(r) for r in sorted(docs, key=lambda r: r["due_date"])[:2000]]

    async def count_reviews(self) -> int:
        return len(self.review_docs)


class FakeAttachments:
    """services.publicity.store.Attachments in memory."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes, Doc]] = {}
        self.deleted: list[str] = []

    async def put(self, filename: str, data: bytes, metadata: Doc) -> str:
        file_id = f"f{len(self.files) + len(self.deleted) + 1:04d}"
        self.files[file_id] = (filename, data, dict(metadata))
        return file_id

    async def delete(self, file_id: str) -> None:
        if self.files.pop(file_id, None) is not None:
            self.deleted.append(file_id)

    async def read(self, file_id: str) -> bytes:
        return self.files[file_id][1]


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def make_context(clock: Clock, *, objection_rate: tuple[int, int] = (600, 100),
                 contact_rate: tuple[int, int] = (600, 100)) -> tuple[Context, InMemoryPublicityStore,
                                                                      FakeUnitOfWork]:
    store = InMemoryPublicityStore()
    uow = FakeUnitOfWork(store)
    ctx = Context(uow=uow, store=store, attachments=FakeAttachments(), vault=ContactVault(Settings()), clock=clock,
                  address_limiter=RateLimiter(*objection_rate), contact_limiter=RateLimiter(*contact_rate))
    return ctx, store, uow


async def learned(ctx: Context, uow: FakeUnitOfWork, quota: int = 3, publicity_open: bool = True) -> None:
    """Feed the fake the events of tests.publicity.helpers (programme, four nominations, the board, the publicity
    stage opened) through the service's own learning handlers, as the consumer would."""
    from services.publicity import learning
    from shared.contracts.nominations import NominationSubmitted, ProgrammeDefined, StageChanged
    from shared.learning import Learning
    from tests.publicity.helpers import programme_events

    learn = Learning()
    handlers = {ProgrammeDefined: learn.programme_defined, NominationSubmitted: learn.nomination_submitted,
                StageChanged: learn.stage_changed}
    for env in programme_events(quota, publicity_open):
        event = env.event()
        handler = handlers.get(type(event), learning.standings_updated)
        await uow.deliver(handler, event, programme_id=env.programme_id, key=env.key)
    uow.events.clear()
    uow.commits = 0
