"""The publicity HTTP API: each route parses, checks the role, calls an action or a view, and shapes the answer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import JSONResponse, Response

from shared.auth import Principal, require
from shared.ids import IdPath, IdQuery

from . import domain, views
from .actions import calendars, documents, honours, investigation, notices, objections
from .actions.context import Context
from .commands import (
    AssignIn,
    CorrectionIn,
    FindingsIn,
    NoticeIn,
    ObjectionIn,
    ReplacementIn,
    ResolveIn,
    ReviewIn,
    ReviewOutcomeIn,
    RevokeIn,
)
from .domain import MAX_ATTACHMENT_BYTES

router = APIRouter()

# The states a filter may name (a bad value is a 422 naming the parameter, never an empty list).
NoticeState = Literal["open", "closed"]
ObjectionState = Literal["filed", "assigned", "investigating", "sustained", "dismissed"]
HonourStatus = Literal["confirmed", "revoked"]


@dataclass
class Web:
    """What a route needs: the actions' context and the service's public rate limit."""

    actions: Context
    check_public_rate: Any  # (request) -> None; raises TooManyRequests

    def public(self, request: Request) -> Context:
        self.check_public_rate(request)
        return self.actions


def web(request: Request) -> Web:
    return request.app.state.publicity


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _attachment(d: documents.Download) -> Response:
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"'})


# ---- calendar ---------------------------------------------------------------------------------------------------

@router.post("/calendars", status_code=201, tags=["calendar"],
             summary="Upload or replace a year's holiday calendar (JSON/YAML: year, holidays, workdays)")
async def upload_calendar(file: UploadFile = File(..., description="calendar.json or calendar.yaml"),
                          who: Principal = Depends(require(*calendars.UPLOAD_CALENDAR_ROLES)), w: Web = Depends(web)):
    content = await file.read(calendars.MAX_CALENDAR_BYTES + 1)
    return await calendars.upload_calendar(w.actions, who, content, file.filename or "")


@router.get("/calendars/{year}", tags=["calendar"], summary="A year's calendar: uploaded override or package data")
async def get_calendar(request: Request, year: int = FPath(ge=1900, le=2200, description="Gregorian year"),
                       w: Web = Depends(web)):
    return await views.calendar(w.public(request).store, year)


@router.get("/working-days", tags=["calendar"], summary="Preview a period: start moment plus N working days")
async def preview_period(request: Request, working_days: int = 5, start: datetime | None = None,
                         fallback_weekends_only: bool = False, w: Web = Depends(web)):
    ctx = w.public(request)
    period = await calendars.period(ctx, domain.given_time(start) if start else ctx.clock(), working_days,
                                    fallback_weekends_only)
    return {"starts_at": period.starts_at.isoformat(), "ends_at": period.ends_at.isoformat(),
            "days": [d.isoformat() for d in period.days], "warning": period.warning}


# ---- notices ----------------------------------------------------------------------------------------------------

@router.get("/programmes/{programme_id}/shortlists", tags=["notices"],
            summary="The ranked shortlists this service knows, per category (organiser)")
async def shortlists(programme_id: IdPath, _: Principal = Depends(require("organiser")), w: Web = Depends(web)):
    return await views.shortlists(w.actions.store, programme_id)


@router.post("/notices", status_code=201, tags=["notices"],
             summary="Open a publicity notice (公示) for a category's ranked shortlist")
async def create_notice(body: NoticeIn, who: Principal = Depends(require(*notices.OPEN_NOTICE_ROLES)),
                        w: Web = Depends(web)):
    n = await notices.open_notice(w.actions, who, body)
    return views.public_notice(n, n["created_at"])


@router.get("/notices", tags=["notices"], summary="Publicity notices (public)")
async def list_notices(request: Request, programme_id: IdQuery = None, state: NoticeState | None = None,
                       w: Web = Depends(web)):
    ctx = w.public(request)
    return await views.notices(ctx.store, ctx.clock(), programme_id, state)


@router.get("/notices/{notice_id}", tags=["notices"], summary="One publicity notice with its text (public)")
async def get_notice(notice_id: IdPath, request: Request, w: Web = Depends(web)):
    ctx = w.public(request)
    return await views.notice(ctx.store, ctx.clock(), notice_id)


@router.get("/notices/{notice_id}/download/{fmt}", tags=["notices"],
            summary="Download the notice as docx, xlsx or pdf (CJK font embedded; 501 when no CJK font is installed)")
async def download(notice_id: IdPath, fmt: str, request: Request, w: Web = Depends(web)):
    try:
        return _attachment(await documents.notice_document(w.public(request), notice_id, fmt))
    except documents.PdfUnavailable:
        return _no_pdf()


def _no_pdf() -> Response:
    return JSONResponse({"error": {"code": "not_implemented", "field": "fmt", "message": (
        "PDF is not offered on this server: no CJK font to embed is installed (Debian: fonts-noto-cjk); "
        "download it as docx or xlsx instead")}}, status_code=501)


@router.get("/notices/{notice_id}/published-list.json", tags=["notices"],
            summary="Download the published list with its inputs, for ./exemplar verify (public)")
async def download_published_list(notice_id: IdPath, request: Request, w: Web = Depends(web)):
    doc = await views.published_list_of(w.public(request).store, notice_id)
    return JSONResponse(doc, headers={"Content-Disposition": f'attachment; filename="published-list-{notice_id}.json"'})


@router.post("/notices/{notice_id}/corrections", tags=["notices"],
             summary="Correct a notice's dates: a new recorded version (the prior one stays in `versions`)")
async def correct_dates(notice_id: IdPath, body: CorrectionIn,
                        who: Principal = Depends(require(*notices.CORRECT_DATES_ROLES)), w: Web = Depends(web)):
    n = await notices.correct_dates(w.actions, who, notice_id, body)
    return views.public_notice(n, w.actions.clock())


@router.get("/vetoes", tags=["notices"], summary="Vetoes (一票否决) learned, set or lifted, with history (organiser)")
async def list_vetoes(programme_id: IdQuery = None, _: Principal = Depends(require("organiser")),
                      w: Web = Depends(web)):
    return await views.vetoes(w.actions.store, programme_id)


@router.post("/notices/{notice_id}/replacements", status_code=201, tags=["notices"],
             summary="Open a fresh notice for the next-ranked candidate after a removal (递补)")
async def replacement(notice_id: IdPath, body: ReplacementIn,
                      who: Principal = Depends(require(*notices.OPEN_REPLACEMENT_ROLES)), w: Web = Depends(web)):
    n = await notices.open_replacement(w.actions, who, notice_id, body)
    return views.public_notice(n, n["created_at"])


# ---- objections -------------------------------------------------------------------------------------------------

@router.post("/notices/{notice_id}/objections", status_code=201, tags=["objections"],
             summary="File a real-name objection during the period (public; multipart form)")
async def file_objection(
    notice_id: IdPath, request: Request,
    nomination_id: str = Form(..., description="the nominee objected to"),
    name: str = Form(..., description="your real name (实名)"),
    reason: str = Form(..., min_length=10, max_length=5000, description="facts and grounds"),
    phone: str = Form(default=""), email: str = Form(default=""),
    attachments: list[UploadFile] = File(default=[]),
    w: Web = Depends(web),
):
    ctx = w.public(request)
    form = ObjectionIn(nomination_id=nomination_id, name=name, reason=reason, phone=phone, email=email)
    files = [f for f in attachments if f is not None and (f.filename or "")]
    # read one byte beyond the limit, so the action tells a file that is too large
    data = [(f.filename or "", await f.read(MAX_ATTACHMENT_BYTES + 1)) for f in files]
    return await objections.file_objection(ctx, notice_id, form, data, client=_client(request))


@router.get("/objections/status/{tracking_no}", tags=["objections"],
            summary="The state of an objection by tracking number (public; shows the state only)")
async def objection_status(tracking_no: IdPath, request: Request, w: Web = Depends(web)):
    return await objections.objection_status(w.public(request), tracking_no, client=_client(request))


@router.get("/objections", tags=["objections"], summary="Objections (organiser; no contact details)")
async def list_objections(notice_id: IdQuery = None, state: ObjectionState | None = None,
                          _: Principal = Depends(require("organiser")), w: Web = Depends(web)):
    return await views.objections(w.actions.store, notice_id, state)


@router.get("/objections/{objection_id}", tags=["objections"], summary="One objection (organiser)")
async def get_objection(objection_id: IdPath, _: Principal = Depends(require("organiser")), w: Web = Depends(web)):
    return await views.objection(w.actions.store, objection_id)


@router.get("/objections/{objection_id}/contact", tags=["objections"],
            summary="The objector's contact details, for the investigator (organiser)")
async def objection_contact(objection_id: IdPath, who: Principal = Depends(require(*documents.CONTACT_ROLES)),
                            w: Web = Depends(web)):
    return await documents.contact(w.actions, objection_id, who)


@router.get("/objections/{objection_id}/attachments/{file_id}", tags=["objections"],
            summary="Download an attachment of an objection (organiser)")
async def attachment(objection_id: IdPath, file_id: IdPath,
                     _: Principal = Depends(require(*documents.ATTACHMENT_ROLES)), w: Web = Depends(web)):
    return _attachment(await documents.attachment(w.actions, objection_id, file_id))


@router.post("/objections/{objection_id}/assign", tags=["objections"], summary="Assign an investigator")
async def assign(objection_id: IdPath, body: AssignIn,
                 who: Principal = Depends(require(*investigation.ASSIGN_ROLES)), w: Web = Depends(web)):
    return views.organiser_view(await investigation.assign(w.actions, who, objection_id, body))


@router.post("/objections/{objection_id}/findings", tags=["objections"], summary="Record investigation findings")
async def findings(objection_id: IdPath, body: FindingsIn,
                   who: Principal = Depends(require(*investigation.FINDINGS_ROLES)), w: Web = Depends(web)):
    return views.organiser_view(await investigation.record_findings(w.actions, who, objection_id, body))


@router.post("/objections/{objection_id}/resolve", tags=["objections"],
             summary="Resolve an objection: sustained (the nominee is removed) or dismissed")
async def resolve(objection_id: IdPath, body: ResolveIn,
                  who: Principal = Depends(require(*investigation.RESOLVE_ROLES)), w: Web = Depends(web)):
    return views.organiser_view(await investigation.resolve(w.actions, who, objection_id, body))


# ---- honours and reviews ----------------------------------------------------------------------------------------

@router.get("/honours", tags=["honours"], summary="Confirmed and revoked honours with their history (public)")
async def list_honours(request: Request, programme_id: IdQuery = None, status: HonourStatus | None = None,
                       w: Web = Depends(web)):
    return await views.honours(w.public(request).store, programme_id, status)


@router.get("/honours/download/{fmt}", tags=["honours"],
            summary="Download the honours list (confirmed and revoked, with reasons) as docx, xlsx or pdf (public)")
async def download_honours(fmt: str, request: Request, programme_id: IdQuery = None,
                           status: HonourStatus | None = None, w: Web = Depends(web)):
    try:
        return _attachment(await documents.honours_document(w.public(request), programme_id, status, fmt))
    except documents.PdfUnavailable:
        return _no_pdf()


@router.get("/honours/{honour_id}", tags=["honours"], summary="One honour with its history and reviews (public)")
async def get_honour(honour_id: IdPath, request: Request, w: Web = Depends(web)):
    return await views.honour(w.public(request).store, honour_id)


@router.post("/honours/{honour_id}/revoke", tags=["honours"], summary="Revoke an honour with a reason (动态管理)")
async def revoke(honour_id: IdPath, body: RevokeIn, who: Principal = Depends(require(*honours.REVOKE_ROLES)),
                 w: Web = Depends(web)):
    return views.public_honour(await honours.revoke(w.actions, who, honour_id, body))


@router.post("/honours/{honour_id}/reviews", status_code=201, tags=["honours"],
             summary="Schedule a periodic review (复查) of a confirmed honour")
async def schedule_review(honour_id: IdPath, body: ReviewIn,
                          who: Principal = Depends(require(*honours.SCHEDULE_REVIEW_ROLES)), w: Web = Depends(web)):
    doc = await honours.schedule_review(w.actions, who, honour_id, body)
    return {"review_id": doc["_id"], "honour_id": honour_id, "due_date": doc["due_date"], "outcome": None}


@router.post("/honours/{honour_id}/reviews/{review_id}/outcome", tags=["honours"],
             summary="Record a review's outcome; 'revoke' also revokes the honour with the note as reason")
async def review_outcome(honour_id: IdPath, review_id: IdPath, body: ReviewOutcomeIn,
                         who: Principal = Depends(require(*honours.REVIEW_OUTCOME_ROLES)), w: Web = Depends(web)):
    return views.review_view(await honours.record_review_outcome(w.actions, who, honour_id, review_id, body))


@router.get("/reviews", tags=["honours"], summary="Reviews, e.g. those still pending and due by a date (organiser)")
async def list_reviews(due_by: date | None = None, pending: bool = False,
                       _: Principal = Depends(require("organiser")), w: Web = Depends(web)):
    return await views.reviews(w.actions.store, due_by, pending)

