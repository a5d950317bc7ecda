"""Wiring of the publicity service (公示): notices over working days, real-name objections and their investigation,
confirmed and revoked honours, periodic reviews (复查).

Events consumed: ProgrammeDefined, NominationSubmitted (names and units), StandingsUpdated (the ranked shortlist).
Events emitted: PublicityOpened, ObjectionFiled, ObjectionAssigned, ObjectionFindingsRecorded, ObjectionResolved,
NomineeRemoved, PublicityClosed, HonourConfirmed, HonourRevoked, HonourReviewScheduled, HonourReviewed.
Every event of a notice, its objections and its honours is keyed by the notice id, so they stay in order.
"""
from __future__ import annotations

import asyncio
import io
import os
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from uuid import uuid4

from bson import ObjectId
from fastapi import Depends, File, Form, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import JSONResponse, Response
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pydantic import BaseModel, Field
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.auth import Principal, require
from shared.contracts import Envelope
from shared.contracts.nominations import NominationSubmitted, ProgrammeDefined
from shared.contracts.publicity import (
    HonourConfirmed,
    HonourReviewed,
    HonourReviewScheduled,
    HonourRevoked,
    NomineeRemoved,
    ObjectionAssigned,
    ObjectionFiled,
    ObjectionFindingsRecorded,
    ObjectionResolved,
    PublicityClosed,
    PublicityOpened,
)
from shared.contracts.scoring import StandingsUpdated
from shared.errors import Closed, Conflict, Invalid, NotFound, TooManyRequests
from shared.ratelimit import RateLimiter
from shared.service import Service
from shared.settings import Settings

from . import domain
from .documents import notice_docx, notice_xlsx
from .privacy import ContactVault

Clock = Callable[[], datetime]

MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {  # extension -> (content type, magic prefix)
    "pdf": ("application/pdf", b"%PDF"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
}
MAX_BACKDATE = timedelta(days=60)
ENTRY_LABELS = {"in_publicity": "公示中", "blocked": "待异议核查", "removed": "已取消", "confirmed": "已确认"}
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class NoticeIn(BaseModel):
    programme_id: str = Field(min_length=1)
    category_id: str = Field(min_length=1)
    working_days: int = Field(default=5, ge=1, le=domain.MAX_WORKING_DAYS)
    starts_at: datetime | None = Field(
        default=None, description="Defaults to now; without a zone it is Asia/Shanghai time. "
                                  "A past start (up to 60 days) records a publicity held earlier.")
    nomination_ids: list[str] | None = Field(default=None, description="Defaults to the top `quota` by rank.")
    contact_office: str = Field(default="市直机关工委组织部", min_length=2, max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=120)
    issuer: str = Field(default="市直机关工作委员会", min_length=2, max_length=100)
    objection_url: str = Field(default="", max_length=300)
    fallback_weekends_only: bool = Field(
        default=False, description="When a year's holiday calendar is unknown, count weekends only (with a warning).")


class ReplacementIn(BaseModel):
    nomination_id: str | None = Field(default=None, description="Defaults to the next-ranked candidate.")
    working_days: int | None = Field(default=None, ge=1, le=domain.MAX_WORKING_DAYS)
    fallback_weekends_only: bool = False


class AssignIn(BaseModel):
    investigator: str = Field(min_length=1, max_length=100)


class FindingsIn(BaseModel):
    findings: str = Field(min_length=2, max_length=10_000)


class ResolveIn(BaseModel):
    outcome: Literal["sustained", "dismissed"]
    reason: str = Field(min_length=2, max_length=2000)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=2, max_length=2000)


class ReviewIn(BaseModel):
    due_date: date
    note: str = Field(default="", max_length=2000)


class ReviewOutcomeIn(BaseModel):
    outcome: Literal["maintained", "rectification", "revoke"]
    note: str = Field(default="", max_length=2000)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _given(t: datetime) -> datetime:
    """A time given by a user: without a zone it is Asia/Shanghai time."""
    return t.replace(tzinfo=domain.SHANGHAI).astimezone(UTC) if t.tzinfo is None else t.astimezone(UTC)


def _public_notice(n: dict, now: datetime) -> dict:
    return {
        "notice_id": n["_id"], "programme_id": n["programme_id"], "category_id": n["category_id"],
        "category_name": n.get("category_name", ""), "title": n["title"], "state": n["state"],
        "window": domain.window_state(now, _utc(n["starts_at"]), _utc(n["ends_at"])),
        "starts_at": _utc(n["starts_at"]).isoformat(), "ends_at": _utc(n["ends_at"]).isoformat(),
        "working_days": n["working_days"], "days": n["days"], "calendar_warning": n.get("calendar_warning", ""),
        "supplementary": bool(n.get("replaces")),
        "entries": [{"nomination_id": e["nomination_id"], "nominee_name": e["nominee_name"],
                     "unit_name": e["unit_name"], "rank": e.get("rank"), "status": e["status"],
                     "status_label": ENTRY_LABELS.get(e["status"], e["status"])} for e in n["entries"]],
        "text": n["text"],
    }


def _public_honour(h: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in h.items()
            if k not in ("_id",)} | {"honour_id": h["_id"]}


def create_service(settings: Settings | None = None, *, clock: Clock | None = None, tick_seconds: float | None = None,
                   objection_rate: tuple[int, int] = (10, 5), contact_rate: tuple[int, int] = (2, 3)) -> Service:
    svc = Service("publicity", settings, title="Publicity service (公示与异议处理)",
                  description="Publicity notices over working days, real-name objections, honours and reviews. "
                              "A period ends at 17:30 Asia/Shanghai on its last working day.")
    api = svc.api
    now: Clock = clock or (lambda: datetime.now(UTC))
    tick = tick_seconds if tick_seconds is not None else float(os.environ.get("EXEMPLAR_PUBLICITY_TICK_SECONDS", "5"))
    vault = ContactVault(svc.settings)
    address_limiter = RateLimiter(*objection_rate)
    contact_limiter = RateLimiter(*contact_rate)

    def bucket() -> AsyncGridFSBucket:
        return AsyncGridFSBucket(svc.db, bucket_name="attachments")

    @svc.on_startup
    async def indexes() -> None:
        await svc.db.notices.create_index([("state", 1), ("ends_at", 1)])
        await svc.db.notices.create_index([("programme_id", 1), ("category_id", 1)])
        await svc.db.objections.create_index("tracking_no", unique=True)
        await svc.db.objections.create_index([("notice_id", 1), ("nomination_id", 1), ("state", 1)])
        await svc.db.honours.create_index([("programme_id", 1), ("status", 1)])
        await svc.db.reviews.create_index([("honour_id", 1), ("due_date", 1)])
        await svc.db.listed.create_index([("programme_id", 1), ("category_id", 1)])

    # ---- what the service learns from events ----------------------------------------------------------------
    @svc.on(ProgrammeDefined)
    async def programme_defined(env: Envelope, e: ProgrammeDefined, s) -> None:
        current = await svc.db.programmes.find_one({"_id": e.programme_id}, {"version": 1}, session=s)
        if current and current.get("version", 0) > e.version:
            return
        await svc.db.programmes.update_one({"_id": e.programme_id}, {"$set": {
            "name": e.name, "year": e.year, "version": e.version,
            "categories": [{"category_id": c.category_id, "name": c.name, "nominee_kind": c.nominee_kind,
                            "quota": c.quota, "board": c.board} for c in e.categories]}}, upsert=True, session=s)

    @svc.on(NominationSubmitted)
    async def nomination_submitted(env: Envelope, e: NominationSubmitted, s) -> None:
        await svc.db.nominations.update_one({"_id": e.nomination_id}, {"$set": {
            "programme_id": env.programme_id, "category_id": e.category_id, "nominee_id": e.nominee_id,
            "nominee_name": e.nominee_name, "nominee_kind": e.nominee_kind, "unit_id": e.unit_id,
            "unit_name": e.unit_name}}, upsert=True, session=s)

    @svc.on(StandingsUpdated)
    async def standings_updated(env: Envelope, e: StandingsUpdated, s) -> None:
        key = f"{env.programme_id}:{e.category_id}"
        current = await svc.db.standings.find_one({"_id": key}, {"sequence": 1, "pending": 1}, session=s)
        if current and current.get("sequence", -1) >= e.sequence:
            return  # an older or repeated board; the newest wins
        rows = [{"nomination_id": x.nomination_id, "rank": x.rank, "composite": x.composite} for x in e.standings]
        # A board in parts is assembled aside and replaces the shortlist only once complete: a notice is never
        # drawn from half a ranking.
        pending = (current or {}).get("pending") or {}
        if pending.get("sequence") != e.sequence:
            pending = {"sequence": e.sequence, "parts": {}}
        if str(e.part) in pending["parts"]:
            return
        pending["parts"][str(e.part)] = rows
        if len(pending["parts"]) < e.parts:
            await svc.db.standings.update_one({"_id": key}, {"$set": {"pending": pending}}, upsert=True, session=s)
            return
        ranked = [r for part in sorted(pending["parts"], key=int) for r in pending["parts"][part]]
        await svc.db.standings.update_one({"_id": key}, {"$set": {
            "programme_id": env.programme_id, "category_id": e.category_id, "sequence": e.sequence,
            "programme_version": e.programme_version, "updated_at": env.occurred_at,
            "standings": ranked}, "$unset": {"pending": ""}}, upsert=True, session=s)

    # ---- calendar ---------------------------------------------------------------------------------------------
    async def overrides(session=None) -> dict[int, domain.YearCalendar]:
        out = {}
        for doc in await svc.db.calendars.find({}, session=session).to_list():
            out[doc["_id"]] = domain.YearCalendar(
                year=doc["_id"], holidays=frozenset(date.fromisoformat(d) for d in doc["holidays"]),
                workdays=frozenset(date.fromisoformat(d) for d in doc["workdays"]), source="upload")
        return out

    @api.post("/calendars", status_code=201, tags=["calendar"],
              summary="Upload or replace a year's holiday calendar (JSON/YAML: year, holidays, workdays)")
    async def upload_calendar(file: UploadFile = File(..., description="calendar.json or calendar.yaml"),
                              who: Principal = Depends(require("organiser"))):
        content = await file.read(256 * 1024 + 1)
        if len(content) > 256 * 1024:
            raise Invalid("file: a calendar file is at most 256 KB", field="file")
        try:
            cal = domain.parse_calendar_file(content, file.filename or "")
        except domain.CalendarFileError as exc:
            raise Invalid(str(exc), field=exc.field) from None
        doc = {"_id": cal.year, "holidays": sorted(d.isoformat() for d in cal.holidays),
               "workdays": sorted(d.isoformat() for d in cal.workdays), "filename": file.filename or "",
               "uploaded_by": who.subject, "uploaded_at": now()}
        await svc.db.calendars.replace_one({"_id": cal.year}, doc, upsert=True)
        return {"year": cal.year, "holidays": len(cal.holidays), "workdays": len(cal.workdays),
                "source": "upload", "replaces_package_data": True}

    @api.get("/calendars/{year}", tags=["calendar"], summary="A year's calendar: uploaded override or package data")
    async def get_calendar(request: Request, year: int = FPath(ge=1900, le=2200, description="Gregorian year")):
        svc.check_public_rate(request)
        doc = await svc.db.calendars.find_one({"_id": year})
        if doc:
            return {"year": year, "source": "upload", "holidays": doc["holidays"], "workdays": doc["workdays"]}
        try:
            domain.day_kind(date(year, 1, 1), {})
        except domain.CalendarUnknown as exc:
            raise NotFound(str(exc), field="year") from None
        days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        kinds = {d: domain.day_kind(d, {}) for d in days}
        return {"year": year, "source": "chinese-calendar",
                "holidays": [d.isoformat() for d in days if kinds[d] == "holiday"],
                "workdays": [d.isoformat() for d in days if kinds[d] == "makeup_workday"]}

    @api.get("/working-days", tags=["calendar"], summary="Preview a period: start moment plus N working days")
    async def preview_period(request: Request, working_days: int = 5, start: datetime | None = None,
                             fallback_weekends_only: bool = False):
        svc.check_public_rate(request)
        period = await compute_period(_given(start) if start else now(), working_days, fallback_weekends_only)
        return {"starts_at": period.starts_at.isoformat(), "ends_at": period.ends_at.isoformat(),
                "days": [d.isoformat() for d in period.days], "warning": period.warning}

    async def compute_period(start: datetime, working_days: int, fallback: bool) -> domain.Period:
        if not 1 <= working_days <= domain.MAX_WORKING_DAYS:
            raise Invalid(f"working_days: must be between 1 and {domain.MAX_WORKING_DAYS}", field="working_days")
        try:
            return domain.publicity_period(_utc(start), working_days, await overrides(),
                                           fallback_weekends_only=fallback)
        except domain.CalendarUnknown as exc:
            raise Invalid(str(exc), field="starts_at") from None

    # ---- notices ----------------------------------------------------------------------------------------------
    @api.get("/programmes/{programme_id}/shortlists", tags=["notices"],
             summary="The ranked shortlists this service knows, per category (organiser)")
    async def shortlists(programme_id: str, _: Principal = Depends(require("organiser"))):
        programme = await svc.db.programmes.find_one({"_id": programme_id})
        out = []
        for doc in await svc.db.standings.find({"programme_id": programme_id}).to_list():
            cat = next((c for c in (programme or {}).get("categories", []) if c["category_id"] == doc["category_id"]),
                       {})
            names = {n["_id"]: n for n in await svc.db.nominations.find(
                {"_id": {"$in": [x["nomination_id"] for x in doc["standings"]]}}).to_list()}
            out.append({"category_id": doc["category_id"], "category_name": cat.get("name", ""),
                        "quota": cat.get("quota"), "sequence": doc["sequence"],
                        "standings": [x | {"nominee_name": names.get(x["nomination_id"], {}).get("nominee_name", ""),
                                           "unit_name": names.get(x["nomination_id"], {}).get("unit_name", "")}
                                      for x in sorted(doc["standings"], key=lambda x: x["rank"])]})
        return {"programme_id": programme_id, "known": programme is not None, "categories": out}

    async def already_listed(programme_id: str, category_id: str, session=None) -> set[str]:
        listed = set()
        for n in await svc.db.notices.find({"programme_id": programme_id, "category_id": category_id},
                                           {"entries.nomination_id": 1}, session=session).to_list():
            listed |= {e["nomination_id"] for e in n["entries"]}
        return listed

    async def open_notice(body: NoticeIn, *, replaces: list[str] | None = None) -> dict:
        programme = await svc.db.programmes.find_one({"_id": body.programme_id})
        if programme is None:
            raise NotFound(f"programme_id: programme {body.programme_id} is not known to the publicity service "
                           f"(no ProgrammeDefined received)", field="programme_id")
        category = next((c for c in programme["categories"] if c["category_id"] == body.category_id), None)
        if category is None:
            raise NotFound(f"category_id: category {body.category_id} is not in programme {body.programme_id}",
                           field="category_id")
        board = await svc.db.standings.find_one({"_id": f"{body.programme_id}:{body.category_id}"})
        if board is None and not body.nomination_ids:
            raise Conflict(f"category_id: no ranked shortlist for {category['name']} yet (no StandingsUpdated "
                           f"received); list nomination_ids or wait for the ranking", field="category_id")
        ranked = [domain.Ranked(x["nomination_id"], x["rank"], x.get("composite", 0.0))
                  for x in (board or {}).get("standings", [])]
        listed_before = await already_listed(body.programme_id, body.category_id)
        if body.nomination_ids is not None and not body.nomination_ids:
            raise Invalid("nomination_ids: list at least one nomination, or omit it for the top of the ranking",
                          field="nomination_ids")
        if not body.nomination_ids and listed_before:
            raise Conflict(f"category_id: {category['name']} already has a publicity notice; list nomination_ids "
                           f"explicitly, or use POST /notices/{{id}}/replacements after a removal", field="category_id")
        picked = domain.shortlist(ranked, category["quota"], body.nomination_ids, excluded=listed_before)
        if not picked:
            raise Conflict("category_id: every ranked candidate of this category is already in a notice",
                           field="category_id")
        docs = {n["_id"]: n for n in await svc.db.nominations.find(
            {"_id": {"$in": [p.nomination_id for p in picked]}}).to_list()}
        for p in picked:
            doc = docs.get(p.nomination_id)
            if doc is None and not body.nomination_ids:
                raise Conflict(f"category_id: the ranking lists nomination {p.nomination_id}, whose details have not "
                               f"reached the publicity service yet; try again shortly", field="category_id")
            if doc is None or doc.get("category_id") != body.category_id:
                raise NotFound(f"nomination_ids: nomination {p.nomination_id} is not a known nomination of "
                               f"{category['name']}", field="nomination_ids")
            if p.nomination_id in listed_before:
                raise Conflict(f"nomination_ids: {doc['nominee_name']} ({p.nomination_id}) is already in a notice",
                               field="nomination_ids")
        current = now()
        start = _given(body.starts_at) if body.starts_at else current
        if start < current - MAX_BACKDATE:
            raise Invalid("starts_at: a notice can be backdated by at most 60 days", field="starts_at")
        if start > current + timedelta(days=90):
            raise Invalid("starts_at: a notice can be scheduled at most 90 days ahead", field="starts_at")
        period = await compute_period(start, body.working_days, body.fallback_weekends_only)
        rows = [(docs[p.nomination_id]["nominee_name"], docs[p.nomination_id].get("unit_name", "")) for p in picked]
        text = domain.notice_text(
            programme_name=programme.get("name", ""), year=programme.get("year"), category_name=category["name"],
            nominee_kind=category.get("nominee_kind", ""), rows=rows, period=period,
            contact_office=body.contact_office, contact_phone=body.contact_phone, contact_email=body.contact_email,
            issuer=body.issuer, issued_on=start.astimezone(domain.SHANGHAI).date(), supplementary=bool(replaces),
            objection_url=body.objection_url)
        notice_id = "n" + uuid4().hex[:12]
        notice = {
            "_id": notice_id, "programme_id": body.programme_id, "category_id": body.category_id,
            "category_name": category["name"], "nominee_kind": category.get("nominee_kind", ""),
            "programme_name": programme.get("name", ""), "year": programme.get("year"),
            "title": text.title, "text": text.plain(), "state": "open",
            "starts_at": period.starts_at, "ends_at": period.ends_at, "working_days": body.working_days,
            "days": [d.isoformat() for d in period.days], "calendar_warning": period.warning,
            "contact_office": body.contact_office, "contact_phone": body.contact_phone,
            "contact_email": body.contact_email, "issuer": body.issuer, "objection_url": body.objection_url,
            "replaces": replaces or [], "created_at": current,
            "entries": [{"nomination_id": p.nomination_id, "nominee_name": docs[p.nomination_id]["nominee_name"],
                         "unit_name": docs[p.nomination_id].get("unit_name", ""), "rank": p.rank or None,
                         "composite": p.composite, "status": "in_publicity"} for p in picked],
        }

        async def txn(s):
            if await already_listed(body.programme_id, body.category_id, s) & {p.nomination_id for p in picked}:
                raise Conflict("nomination_ids: a listed nomination was put in another notice meanwhile",
                               field="nomination_ids")
            await svc.db.notices.insert_one(notice, session=s)
            await svc.emit(s, PublicityOpened(
                notice_id=notice_id, category_id=body.category_id, nomination_ids=[p.nomination_id for p in picked],
                starts_at=period.starts_at, ends_at=period.ends_at, working_days=body.working_days, title=text.title,
                calendar_warning=period.warning, replaces=replaces or []),
                programme_id=body.programme_id, key=notice_id)

        await svc.transact(txn)
        return _public_notice(notice, current)

    @api.post("/notices", status_code=201, tags=["notices"],
              summary="Open a publicity notice (公示) for a category's ranked shortlist")
    async def create_notice(body: NoticeIn, _: Principal = Depends(require("organiser"))):
        return await open_notice(body)

    @api.get("/notices", tags=["notices"], summary="Publicity notices (public)")
    async def list_notices(request: Request, programme_id: str | None = None, state: str | None = None):
        svc.check_public_rate(request)
        q: dict = {}
        if programme_id:
            q["programme_id"] = programme_id
        if state:
            q["state"] = state
        docs = await svc.db.notices.find(q).sort("created_at", -1).limit(500).to_list()
        current = now()
        return {"notices": [_public_notice(n, current) for n in docs]}

    async def get_notice_doc(notice_id: str) -> dict:
        n = await svc.db.notices.find_one({"_id": notice_id})
        if n is None:
            raise NotFound(f"notice {notice_id} does not exist", field="notice_id")
        return n

    @api.get("/notices/{notice_id}", tags=["notices"], summary="One publicity notice with its text (public)")
    async def get_notice(notice_id: str, request: Request):
        svc.check_public_rate(request)
        return _public_notice(await get_notice_doc(notice_id), now())

    def rebuild_text(n: dict) -> domain.NoticeText:
        days = tuple(date.fromisoformat(d) for d in n["days"])
        period = domain.Period(starts_at=_utc(n["starts_at"]), ends_at=_utc(n["ends_at"]), days=days,
                               warning=n.get("calendar_warning", ""))
        return domain.notice_text(
            programme_name=n.get("programme_name", ""), year=n.get("year"), category_name=n["category_name"],
            nominee_kind=n.get("nominee_kind", ""), rows=[(e["nominee_name"], e["unit_name"]) for e in n["entries"]],
            period=period, contact_office=n["contact_office"], contact_phone=n.get("contact_phone", ""),
            contact_email=n.get("contact_email", ""), issuer=n["issuer"],
            issued_on=_utc(n["starts_at"]).astimezone(domain.SHANGHAI).date(), supplementary=bool(n.get("replaces")),
            objection_url=n.get("objection_url", ""))

    @api.get("/notices/{notice_id}/download/{fmt}", tags=["notices"],
             summary="Download the notice as docx or xlsx (pdf: 501, no CJK-embedding PDF renderer is installed)")
    async def download(notice_id: str, fmt: str, request: Request):
        svc.check_public_rate(request)
        n = await get_notice_doc(notice_id)
        text = rebuild_text(n)
        filename = f"publicity-{notice_id}.{fmt}"
        disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if fmt == "docx":
            return Response(notice_docx(text), headers=disposition,
                            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        if fmt == "xlsx":
            statuses = {e["nominee_name"]: ENTRY_LABELS.get(e["status"], e["status"]) for e in n["entries"]}
            body = notice_xlsx(text, starts=domain.cn_moment(_utc(n["starts_at"])),
                               ends=domain.cn_moment(_utc(n["ends_at"])), statuses=statuses)
            return Response(body, headers=disposition,
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if fmt == "pdf":
            return JSONResponse({"error": {"code": "not_implemented", "field": "fmt", "message": (
                "PDF is not offered on this server: no PDF renderer that embeds a CJK font is installed; "
                "download the notice as docx or xlsx instead")}}, status_code=501)
        raise NotFound("fmt: choose docx, xlsx or pdf", field="fmt")

    @api.post("/notices/{notice_id}/replacements", status_code=201, tags=["notices"],
              summary="Open a fresh notice for the next-ranked candidate after a removal (递补)")
    async def replacement(notice_id: str, body: ReplacementIn, _: Principal = Depends(require("organiser"))):
        n = await get_notice_doc(notice_id)
        removed = [e["nomination_id"] for e in n["entries"] if e["status"] == "removed"]
        if not removed:
            raise Conflict("notice_id: no nominee of this notice was removed; a replacement follows a sustained "
                           "objection", field="notice_id")
        replaced = await svc.db.notices.count_documents({"replaces": {"$in": removed}})
        if replaced >= len(removed):
            raise Conflict("notice_id: every removed nominee of this notice already has a replacement",
                           field="notice_id")
        chosen = body.nomination_id
        if chosen is None:
            board = await svc.db.standings.find_one({"_id": f"{n['programme_id']}:{n['category_id']}"}) or {}
            ranked = [domain.Ranked(x["nomination_id"], x["rank"], x.get("composite", 0.0))
                      for x in board.get("standings", [])]
            nxt = domain.next_ranked(ranked, await already_listed(n["programme_id"], n["category_id"]))
            if nxt is None:
                raise Conflict("nomination_id: no further ranked candidate in this category", field="nomination_id")
            chosen = nxt.nomination_id
        spec = NoticeIn(programme_id=n["programme_id"], category_id=n["category_id"],
                        working_days=body.working_days or n["working_days"], nomination_ids=[chosen],
                        contact_office=n["contact_office"], contact_phone=n.get("contact_phone", ""),
                        contact_email=n.get("contact_email", ""), issuer=n["issuer"],
                        objection_url=n.get("objection_url", ""), fallback_weekends_only=body.fallback_weekends_only)
        return await open_notice(spec, replaces=removed[replaced:replaced + 1])

    # ---- objections ------------------------------------------------------------------------------------------
    def tracking_number(year: int) -> str:
        return f"YY{year}-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))

    async def read_attachments(files: list[UploadFile]) -> list[tuple[str, str, bytes]]:
        files = [f for f in files if f is not None and (f.filename or "")]
        if len(files) > MAX_ATTACHMENTS:
            raise Invalid(f"attachments: at most {MAX_ATTACHMENTS} files", field="attachments")
        out = []
        for f in files:
            ext = (f.filename or "").rsplit(".", 1)[-1].lower() if "." in (f.filename or "") else ""
            if ext not in ATTACHMENT_TYPES:
                raise Invalid(f"attachments: {f.filename} is not an accepted type (pdf, jpg, png, docx)",
                              field="attachments")
            data = await f.read(MAX_ATTACHMENT_BYTES + 1)
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise Invalid(f"attachments: {f.filename} is larger than 5 MB", field="attachments")
            if not data:
                raise Invalid(f"attachments: {f.filename} is empty", field="attachments")
            ctype, magic = ATTACHMENT_TYPES[ext]
            if not data.startswith(magic):
                raise Invalid(f"attachments: {f.filename} does not look like a .{ext} file", field="attachments")
            out.append((f.filename or f"attachment.{ext}", ctype, data))
        return out

    @api.post("/notices/{notice_id}/objections", status_code=201, tags=["objections"],
              summary="File a real-name objection during the period (public; multipart form)")
    async def file_objection(
        notice_id: str, request: Request,
        nomination_id: str = Form(..., description="the nominee objected to"),
        name: str = Form(..., description="your real name (实名)"),
        reason: str = Form(..., min_length=10, max_length=5000, description="facts and grounds"),
        phone: str = Form(default=""), email: str = Form(default=""),
        attachments: list[UploadFile] = File(default=[]),
    ):
        svc.check_public_rate(request)
        client = request.client.host if request.client else "unknown"
        if not address_limiter.allow(f"addr:{client}"):
            raise TooManyRequests("too many objections from this address; try again later")
        problem = domain.contact_problem(name, phone, email)
        if problem:
            raise Invalid(problem[1], field=problem[0])
        contacts = [c for c in (domain.normalise_phone(phone) if phone.strip() else "", email.strip().lower()) if c]
        n = await get_notice_doc(notice_id)
        current = now()
        state = domain.window_state(current, _utc(n["starts_at"]), _utc(n["ends_at"]))
        if state != "open" or n["state"] != "open":
            first, last = domain.cn_date(date.fromisoformat(n["days"][0])), domain.cn_moment(_utc(n["ends_at"]))
            when = "has not started" if state == "before" else "has ended"
            raise Closed(f"the publicity period {when}: objections are accepted from "
                         f"{domain.cn_moment(_utc(n['starts_at']))} ({first}) to {last} (Asia/Shanghai)",
                         field="notice_id")
        entry = next((e for e in n["entries"] if e["nomination_id"] == nomination_id), None)
        if entry is None:
            raise NotFound(f"nomination_id: {nomination_id} is not listed in this notice", field="nomination_id")
        if entry["status"] != "in_publicity":
            raise Conflict(f"nomination_id: {entry['nominee_name']} is no longer in publicity", field="nomination_id")
        for c in contacts:
            if not contact_limiter.allow(vault.key_of(c)):
                raise TooManyRequests("too many objections from this contact; try again later")
        files = await read_attachments(attachments)
        objection_id = "o" + uuid4().hex[:15]
        stored = []
        fs = bucket()
        try:
            for fname, ctype, data in files:
                fid = await fs.upload_from_stream(fname, io.BytesIO(data), metadata={
                    "objection_id": objection_id, "content_type": ctype})
                stored.append({"file_id": str(fid), "filename": fname, "content_type": ctype, "size": len(data)})
            tracking = tracking_number(current.astimezone(domain.SHANGHAI).year)
            doc = {"_id": objection_id, "tracking_no": tracking, "notice_id": notice_id,
                   "programme_id": n["programme_id"], "category_id": n["category_id"], "nomination_id": nomination_id,
                   "nominee_name": entry["nominee_name"], "reason": reason.strip(),
                   "attachments": stored, "state": "filed", "filed_at": current, "findings": [],
                   "history": [{"at": current, "step": "filed"}]}
            sealed = vault.seal(objection_id, {"name": name.strip(), "phone": domain.normalise_phone(phone)
                                               if phone.strip() else "", "email": email.strip()})

            async def txn(s):
                await svc.db.objections.insert_one(doc, session=s)
                await svc.db.objector_contacts.insert_one({"_id": objection_id, "sealed": sealed}, session=s)
                await svc.emit(s, ObjectionFiled(objection_id=objection_id, notice_id=notice_id,
                                                 nomination_id=nomination_id, tracking_no=tracking),
                               programme_id=n["programme_id"], key=notice_id)

            await svc.transact(txn)
        except BaseException:
            for a in stored:
                try:
                    await fs.delete(ObjectId(a["file_id"]))
                except (NoFile, PyMongoError):
                    pass
            raise
        return {"tracking_no": tracking, "state": "filed", "state_label": domain.OBJECTION_LABELS["filed"],
                "message": "您的异议已受理，请凭受理编号查询办理状态。"}

    @api.get("/objections/status/{tracking_no}", tags=["objections"],
             summary="The state of an objection by tracking number (public; shows the state only)")
    async def objection_status(tracking_no: str, request: Request):
        svc.check_public_rate(request)
        client = request.client.host if request.client else "unknown"
        if not address_limiter.allow(f"lookup:{client}"):
            raise TooManyRequests("too many look-ups from this address; try again later")
        o = await svc.db.objections.find_one({"tracking_no": tracking_no.strip().upper()}, {"state": 1})
        if o is None:
            raise NotFound("tracking_no: no objection has this tracking number", field="tracking_no")
        return {"tracking_no": tracking_no.strip().upper(), "state": o["state"],
                "state_label": domain.OBJECTION_LABELS[o["state"]]}

    def organiser_view(o: dict) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in o.items() if k != "_id"} | {
            "objection_id": o["_id"],
            "history": [{**h, "at": _utc(h["at"]).isoformat()} for h in o.get("history", [])],
            "findings": [{**f, "at": _utc(f["at"]).isoformat()} for f in o.get("findings", [])]}

    @api.get("/objections", tags=["objections"], summary="Objections (organiser; no contact details)")
    async def list_objections(notice_id: str | None = None, state: str | None = None,
                              _: Principal = Depends(require("organiser"))):
        q: dict = {}
        if notice_id:
            q["notice_id"] = notice_id
        if state:
            q["state"] = state
        return {"objections": [organiser_view(o) for o in
                               await svc.db.objections.find(q).sort("filed_at", 1).limit(1000).to_list()]}

    async def objection_doc(objection_id: str, session=None) -> dict:
        o = await svc.db.objections.find_one({"_id": objection_id}, session=session)
        if o is None:
            raise NotFound(f"objection {objection_id} does not exist", field="objection_id")
        return o

    @api.get("/objections/{objection_id}", tags=["objections"], summary="One objection (organiser)")
    async def get_objection(objection_id: str, _: Principal = Depends(require("organiser"))):
        return organiser_view(await objection_doc(objection_id))

    @api.get("/objections/{objection_id}/contact", tags=["objections"],
             summary="The objector's contact details, for the investigator (organiser)")
    async def objection_contact(objection_id: str, _: Principal = Depends(require("organiser"))):
        doc = await svc.db.objector_contacts.find_one({"_id": objection_id})
        if doc is None:
            raise NotFound(f"objection {objection_id} does not exist", field="objection_id")
        return {"objection_id": objection_id, **vault.open(objection_id, doc["sealed"])}

    @api.get("/objections/{objection_id}/attachments/{file_id}", tags=["objections"],
             summary="Download an attachment of an objection (organiser)")
    async def attachment(objection_id: str, file_id: str, _: Principal = Depends(require("organiser"))):
        o = await objection_doc(objection_id)
        meta = next((a for a in o["attachments"] if a["file_id"] == file_id), None)
        if meta is None:
            raise NotFound("file_id: no such attachment on this objection", field="file_id")
        stream = await bucket().open_download_stream(ObjectId(file_id))
        data = await stream.read()
        return Response(data, media_type=meta["content_type"],
                        headers={"Content-Disposition": f'attachment; filename="attachment-{file_id}"'})

    async def step(objection_id: str, name: str, who: Principal, fn) -> dict:
        async def txn(s):
            o = await objection_doc(objection_id, s)
            if not domain.objection_step_allowed(o["state"], name):
                raise Conflict(f"objection {objection_id} is {o['state']}; it cannot be {name} now", field="state")
            n = await svc.db.notices.find_one({"_id": o["notice_id"]}, session=s)
            await fn(s, o, n)
            return await objection_doc(objection_id, s)

        return organiser_view(await svc.transact(txn))

    @api.post("/objections/{objection_id}/assign", tags=["objections"], summary="Assign an investigator")
    async def assign(objection_id: str, body: AssignIn, who: Principal = Depends(require("organiser"))):
        async def fn(s, o, n):
            t = now()
            await svc.db.objections.update_one({"_id": o["_id"]}, {
                "$set": {"state": "assigned" if o["state"] == "filed" else o["state"],
                         "investigator": body.investigator},
                "$push": {"history": {"at": t, "step": "assigned", "by": who.subject,
                                      "investigator": body.investigator}}}, session=s)
            await svc.emit(s, ObjectionAssigned(objection_id=o["_id"], nomination_id=o["nomination_id"],
                                                investigator=body.investigator),
                           programme_id=o["programme_id"], key=o["notice_id"])

        return await step(objection_id, "assign", who, fn)

    @api.post("/objections/{objection_id}/findings", tags=["objections"], summary="Record investigation findings")
    async def findings(objection_id: str, body: FindingsIn, who: Principal = Depends(require("organiser"))):
        async def fn(s, o, n):
            t = now()
            investigator = o.get("investigator") or who.name or who.subject
            await svc.db.objections.update_one({"_id": o["_id"]}, {
                "$set": {"state": "investigating"},
                "$push": {"findings": {"at": t, "by": who.subject, "text": body.findings},
                          "history": {"at": t, "step": "findings", "by": who.subject}}}, session=s)
            await svc.emit(s, ObjectionFindingsRecorded(objection_id=o["_id"], nomination_id=o["nomination_id"],
                                                        investigator=investigator,
                                                        findings_count=len(o.get("findings", [])) + 1),
                           programme_id=o["programme_id"], key=o["notice_id"])

        return await step(objection_id, "findings", who, fn)

    async def confirm(s, n: dict, nomination_id: str) -> None:
        """Confirm one nominee of notice n: honour document, entry status, HonourConfirmed."""
        entry = next(e for e in n["entries"] if e["nomination_id"] == nomination_id)
        honour_id = f"h-{nomination_id}"
        title = domain.honour_title(n.get("year"), n["category_name"])
        t = now()
        try:
            await svc.db.honours.insert_one({
                "_id": honour_id, "programme_id": n["programme_id"], "notice_id": n["_id"],
                "nomination_id": nomination_id, "category_id": n["category_id"], "category_name": n["category_name"],
                "title": title, "nominee_name": entry["nominee_name"], "unit_name": entry["unit_name"],
                "status": "confirmed", "confirmed_at": t,
                "history": [{"at": t, "status": "confirmed", "reason": "公示期满无异议或异议经核查不属实"}]},
                session=s)
        except DuplicateKeyError:
            return
        await svc.db.notices.update_one({"_id": n["_id"], "entries.nomination_id": nomination_id},
                                        {"$set": {"entries.$.status": "confirmed"}}, session=s)
        await svc.emit(s, HonourConfirmed(honour_id=honour_id, notice_id=n["_id"], nomination_id=nomination_id,
                                          category_id=n["category_id"], title=title,
                                          nominee_name=entry["nominee_name"], unit_name=entry["unit_name"]),
                       programme_id=n["programme_id"], key=n["_id"])

    @api.post("/objections/{objection_id}/resolve", tags=["objections"],
              summary="Resolve an objection: sustained (the nominee is removed) or dismissed")
    async def resolve(objection_id: str, body: ResolveIn, who: Principal = Depends(require("organiser"))):
        async def fn(s, o, n):
            t = now()
            await svc.db.objections.update_one({"_id": o["_id"]}, {
                "$set": {"state": body.outcome, "outcome": body.outcome, "resolution_reason": body.reason,
                         "resolved_at": t},
                "$push": {"history": {"at": t, "step": body.outcome, "by": who.subject}}}, session=s)
            await svc.emit(s, ObjectionResolved(objection_id=o["_id"], nomination_id=o["nomination_id"],
                                                outcome=body.outcome, reason=body.reason),
                           programme_id=o["programme_id"], key=o["notice_id"])
            entry = next(e for e in n["entries"] if e["nomination_id"] == o["nomination_id"])
            other_open = await svc.db.objections.count_documents(
                {"notice_id": n["_id"], "nomination_id": o["nomination_id"],
                 "state": {"$in": list(domain.OPEN_OBJECTION_STATES)}}, session=s)
            ended = n["state"] == "closed" or t >= _utc(n["ends_at"])
            effect = domain.resolution_effect(body.outcome, entry_status=entry["status"], period_ended=ended,
                                              other_open=other_open)
            if effect == "remove":
                await svc.db.notices.update_one({"_id": n["_id"], "entries.nomination_id": o["nomination_id"]},
                                                {"$set": {"entries.$.status": "removed"}}, session=s)
                await svc.emit(s, NomineeRemoved(notice_id=n["_id"], nomination_id=o["nomination_id"],
                                                 reason=body.reason), programme_id=n["programme_id"], key=n["_id"])
            elif effect == "confirm" and n["state"] == "closed":
                await confirm(s, n, o["nomination_id"])
            # a dismissal after the end but before the scheduler closed the notice: the closing confirms it.

        return await step(objection_id, "resolve", who, fn)

    # ---- closing: the scheduler -----------------------------------------------------------------------------
    async def close_one(notice_id: str) -> bool:
        async def txn(s):
            n = await svc.db.notices.find_one({"_id": notice_id, "state": "open"}, session=s)
            if n is None or _utc(n["ends_at"]) > now():
                return False
            counts: dict[str, int] = {}
            for o in await svc.db.objections.find(
                    {"notice_id": notice_id, "state": {"$in": list(domain.OPEN_OBJECTION_STATES)}},
                    {"nomination_id": 1}, session=s).to_list():
                counts[o["nomination_id"]] = counts.get(o["nomination_id"], 0) + 1
            decision = domain.close_notice(n["entries"], counts)
            entries = [e | {"status": "blocked"} if e["nomination_id"] in decision.blocked else e
                       for e in n["entries"]]
            await svc.db.notices.update_one({"_id": notice_id, "state": "open"}, {
                "$set": {"state": "closed", "closed_at": now(), "entries": entries}}, session=s)
            await svc.emit(s, PublicityClosed(notice_id=notice_id, category_id=n["category_id"],
                                              confirmed=decision.confirm, blocked=decision.blocked,
                                              removed=decision.removed),
                           programme_id=n["programme_id"], key=notice_id)
            n["entries"], n["state"] = entries, "closed"
            for nid in decision.confirm:
                await confirm(s, n, nid)
            return True

        return await svc.transact(txn)

    async def close_due() -> int:
        """Close every notice whose period has ended; safe to run on many replicas and after restarts."""
        due = await svc.db.notices.find({"state": "open", "ends_at": {"$lte": now()}}, {"_id": 1}).to_list()
        closed = 0
        for d in due:
            if await close_one(d["_id"]):
                closed += 1
        return closed

    svc.close_due_notices = close_due  # for operators' tooling and tests

    @svc.background
    async def scheduler(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await close_due()
            except Exception as exc:  # keep the scheduler alive; the next tick retries
                svc.log.warning("closing due notices failed; will retry", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick)
            except asyncio.TimeoutError:
                pass

    # ---- honours and reviews --------------------------------------------------------------------------------
    @api.get("/honours", tags=["honours"], summary="Confirmed and revoked honours with their history (public)")
    async def list_honours(request: Request, programme_id: str | None = None, status: str | None = None):
        svc.check_public_rate(request)
        q: dict = {}
        if programme_id:
            q["programme_id"] = programme_id
        if status:
            q["status"] = status
        docs = await svc.db.honours.find(q).sort("confirmed_at", 1).limit(2000).to_list()
        return {"honours": [_public_honour(h) for h in docs]}

    async def honour_doc(honour_id: str, session=None) -> dict:
        h = await svc.db.honours.find_one({"_id": honour_id}, session=session)
        if h is None:
            raise NotFound(f"honour {honour_id} does not exist", field="honour_id")
        return h

    @api.get("/honours/{honour_id}", tags=["honours"], summary="One honour with its history and reviews (public)")
    async def get_honour(honour_id: str, request: Request):
        svc.check_public_rate(request)
        h = _public_honour(await honour_doc(honour_id))
        reviews = await svc.db.reviews.find({"honour_id": honour_id}).sort("due_date", 1).to_list()
        h["reviews"] = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "_id"}
                        | {"review_id": r["_id"]} for r in reviews]
        return h

    async def revoke_in(s, h: dict, reason: str, who: Principal) -> None:
        if h["status"] == "revoked":
            raise Conflict(f"honour {h['_id']} is already revoked", field="honour_id")
        t = now()
        await svc.db.honours.update_one({"_id": h["_id"], "status": "confirmed"}, {
            "$set": {"status": "revoked", "revoked_at": t, "revoked_reason": reason},
            "$push": {"history": {"at": t, "status": "revoked", "reason": reason, "by": who.subject}}}, session=s)
        await svc.emit(s, HonourRevoked(honour_id=h["_id"], nomination_id=h["nomination_id"], reason=reason),
                       programme_id=h["programme_id"], key=h["notice_id"])

    @api.post("/honours/{honour_id}/revoke", tags=["honours"], summary="Revoke an honour with a reason (动态管理)")
    async def revoke(honour_id: str, body: RevokeIn, who: Principal = Depends(require("organiser"))):
        async def txn(s):
            await revoke_in(s, await honour_doc(honour_id, s), body.reason, who)
            return await honour_doc(honour_id, s)

        return _public_honour(await svc.transact(txn))

    @api.post("/honours/{honour_id}/reviews", status_code=201, tags=["honours"],
              summary="Schedule a periodic review (复查) of a confirmed honour")
    async def schedule_review(honour_id: str, body: ReviewIn, who: Principal = Depends(require("organiser"))):
        async def txn(s):
            h = await honour_doc(honour_id, s)
            if h["status"] != "confirmed":
                raise Conflict(f"honour {honour_id} is {h['status']}; only a confirmed honour is reviewed",
                               field="honour_id")
            if body.due_date < _utc(h["confirmed_at"]).astimezone(domain.SHANGHAI).date():
                raise Invalid("due_date: a review cannot be due before the honour was confirmed", field="due_date")
            review_id = "r" + uuid4().hex[:12]
            doc = {"_id": review_id, "honour_id": honour_id, "nomination_id": h["nomination_id"],
                   "due_date": body.due_date.isoformat(), "note": body.note, "outcome": None,
                   "scheduled_at": now(), "scheduled_by": who.subject}
            await svc.db.reviews.insert_one(doc, session=s)
            await svc.emit(s, HonourReviewScheduled(honour_id=honour_id, review_id=review_id,
                                                    nomination_id=h["nomination_id"], due_date=body.due_date),
                           programme_id=h["programme_id"], key=h["notice_id"])
            return doc

        doc = await svc.transact(txn)
        return {"review_id": doc["_id"], "honour_id": honour_id, "due_date": doc["due_date"], "outcome": None}

    @api.post("/honours/{honour_id}/reviews/{review_id}/outcome", tags=["honours"],
              summary="Record a review's outcome; 'revoke' also revokes the honour with the note as reason")
    async def review_outcome(honour_id: str, review_id: str, body: ReviewOutcomeIn,
                             who: Principal = Depends(require("organiser"))):
        if body.outcome == "revoke" and len(body.note.strip()) < 2:
            raise Invalid("note: give the reason for revocation (at least 2 characters)", field="note")

        async def txn(s):
            h = await honour_doc(honour_id, s)
            r = await svc.db.reviews.find_one({"_id": review_id, "honour_id": honour_id}, session=s)
            if r is None:
                raise NotFound(f"review {review_id} of honour {honour_id} does not exist", field="review_id")
            if r.get("outcome"):
                raise Conflict(f"review {review_id} already has the outcome {r['outcome']}", field="review_id")
            t = now()
            await svc.db.reviews.update_one({"_id": review_id}, {"$set": {
                "outcome": body.outcome, "outcome_label": domain.REVIEW_OUTCOMES[body.outcome],
                "outcome_note": body.note, "recorded_at": t, "recorded_by": who.subject}}, session=s)
            await svc.db.honours.update_one({"_id": honour_id}, {"$push": {"history": {
                "at": t, "status": h["status"], "review_id": review_id, "review_outcome": body.outcome,
                "reason": body.note}}}, session=s)
            await svc.emit(s, HonourReviewed(honour_id=honour_id, review_id=review_id,
                                             nomination_id=h["nomination_id"], outcome=body.outcome, note=body.note),
                           programme_id=h["programme_id"], key=h["notice_id"])
            if body.outcome == "revoke":
                await revoke_in(s, h, body.note.strip(), who)
            return await svc.db.reviews.find_one({"_id": review_id}, session=s)

        r = await svc.transact(txn)
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "_id"} | {
            "review_id": r["_id"]}

    @api.get("/reviews", tags=["honours"], summary="Reviews, e.g. those still pending and due by a date (organiser)")
    async def list_reviews(due_by: date | None = None, pending: bool = False,
                           _: Principal = Depends(require("organiser"))):
        q: dict = {}
        if due_by:
            q["due_date"] = {"$lte": due_by.isoformat()}
        if pending:
            q["outcome"] = None
        docs = await svc.db.reviews.find(q).sort("due_date", 1).limit(2000).to_list()
        return {"reviews": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()
                             if k != "_id"} | {"review_id": r["_id"]} for r in docs]}

    return svc
