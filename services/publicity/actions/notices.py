"""Open a publicity notice (公示) over working days, and a supplementary one for the next-ranked after a removal
(递补)."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import uuid4

from shared.auth import Principal
from shared.contracts.publicity import NoticeDatesCorrected, PublicityOpened
from shared import stages
from shared.errors import Conflict, Invalid, NotFound

from .. import domain
from ..commands import CorrectionIn, NoticeIn, ReplacementIn
from .calendars import period
from .context import Context, Tx

OPEN_NOTICE_ROLES = ("organiser",)
OPEN_REPLACEMENT_ROLES = ("organiser",)
CORRECT_DATES_ROLES = ("organiser",)
STAGE_REFUSAL = "opening a 公示 notice is refused (a 递补 replacement notice, objections, resolution and " \
                "confirmation stay allowed)"


async def open_notice(ctx: Context, who: Principal, body: NoticeIn, *, replaces: list[str] | None = None,
                      original: str | None = None) -> dict:
    """The stored notice, after PublicityOpened. Refusals: NotFound (programme, category, nomination unknown),
    Closed (the publicity stage is not open; not for a replacement), Conflict (no ranking yet, already listed,
    vetoed, nobody left), Invalid (start in the past or too late, a year whose arrangement is not loaded)."""
    store = ctx.store
    programme = await store.programme(body.programme_id)
    category = domain.category_of(programme, body.programme_id, body.category_id)
    current = ctx.clock()
    if not replaces:  # a 递补 notice completes a published list, whatever the stage
        stages.ensure_open(programme, "publicity", STAGE_REFUSAL, current)
    board = await store.board(f"{body.programme_id}:{body.category_id}")
    listed_before = await store.listed(body.programme_id, body.category_id)
    vetoed = await store.vetoed(body.programme_id)
    picked = domain.pick(category, board, listed_before, body.nomination_ids, vetoed)
    # a nomination of another programme (the same category id next year) is not a nomination of this one
    docs = {k: d for k, d in (await store.nominations_of([p.nomination_id for p in picked])).items()
            if d.get("programme_id") == body.programme_id}
    domain.check_picked(picked, docs, category, body.category_id, listed_before, explicit=bool(body.nomination_ids),
                        vetoed=vetoed)
    start = domain.check_start(domain.given_time(body.starts_at) if body.starts_at else current, current)
    span = await period(ctx, start, body.working_days, body.fallback_weekends_only)
    notice = _notice(programme, category, body, picked, docs, span, start, current, replaces or [])
    notice |= {"listing": domain.listing(picked, board, docs), "standings_sequence": (board or {}).get("sequence"),
               "programme_version": (board or {}).get("programme_version", programme.get("version"))}
    await ctx.uow.run(partial(_insert, notice, original, who.subject))
    return notice


def _notice(programme: dict, category: dict, body: NoticeIn, picked: list[domain.Ranked], docs: dict,
            span: domain.Period, start: datetime, current: datetime, replaces: list[str]) -> dict:
    rows = [(docs[p.nomination_id]["nominee_name"], docs[p.nomination_id].get("unit_name", "")) for p in picked]
    text = domain.notice_text(
        programme_name=programme.get("name", ""), year=programme.get("year"), category_name=category["name"],
        nominee_kind=category.get("nominee_kind", ""), rows=rows, period=span,
        contact_office=body.contact_office, contact_phone=body.contact_phone, contact_email=body.contact_email,
        issuer=body.issuer, issued_on=start.astimezone(domain.SHANGHAI).date(), supplementary=bool(replaces),
        objection_url=body.objection_url)
    return {
        "_id": "n" + uuid4().hex[:12], "programme_id": body.programme_id, "category_id": body.category_id,
        "category_name": category["name"], "nominee_kind": category.get("nominee_kind", ""),
        "programme_name": programme.get("name", ""), "year": programme.get("year"),
        "title": text.title, "text": text.plain(), "state": "open",
        "starts_at": span.starts_at, "ends_at": span.ends_at, "working_days": body.working_days,
        "days": [d.isoformat() for d in span.days], "calendar_warning": span.warning,
        "contact_office": body.contact_office, "contact_phone": body.contact_phone,
        "contact_email": body.contact_email, "issuer": body.issuer, "objection_url": body.objection_url,
        "replaces": replaces, "created_at": current, "version": 1, "versions": [], "record": [],
        "entries": [{"nomination_id": p.nomination_id, "nominee_name": docs[p.nomination_id]["nominee_name"],
                     "unit_name": docs[p.nomination_id].get("unit_name", ""), "rank": p.rank or None,
                     "composite": p.composite, "status": "in_publicity"} for p in picked],
    }


async def _insert(notice: dict, original: str | None, by: str, tx: Tx) -> None:
    ids = [e["nomination_id"] for e in notice["entries"]]
    if await tx.store.listed(notice["programme_id"], notice["category_id"]) & set(ids):
        raise Conflict("nomination_ids: a listed nomination was put in another notice meanwhile",
                       field="nomination_ids", code="listed_meanwhile")
    await tx.store.insert_notice(notice)
    await tx.emit(PublicityOpened(
        notice_id=notice["_id"], category_id=notice["category_id"], nomination_ids=ids,
        starts_at=notice["starts_at"], ends_at=notice["ends_at"], working_days=notice["working_days"],
        title=notice["title"], calendar_warning=notice["calendar_warning"], replaces=notice["replaces"],
        listing=notice["listing"], standings_sequence=notice["standings_sequence"],
        programme_version=notice["programme_version"]),
        programme_id=notice["programme_id"], key=notice["_id"])
    if original:  # the published list changes by this 递补: on the record of the notice it completes
        await tx.store.add_notice_record(original, {
            "at": notice["created_at"], "change": "replacement", "event": "PublicityOpened",
            "notice_id": notice["_id"], "nomination_ids": ids, "replaces": notice["replaces"], "by": by})


async def open_replacement(ctx: Context, who: Principal, notice_id: str, body: ReplacementIn) -> dict:
    """A supplementary notice for the next-ranked (or the chosen) candidate after a removal. Refusals: NotFound
    (notice), Conflict (nobody removed, every removal replaced, nobody left), and those of open_notice."""
    n = await notice_of(ctx, notice_id)
    replaced = await ctx.store.count_replacements([e["nomination_id"] for e in n["entries"]
                                                   if e["status"] == "removed"])
    replaces = domain.awaiting_replacement(n, replaced)
    chosen = body.nomination_id
    if chosen is None:
        board = await ctx.store.board(f"{n['programme_id']}:{n['category_id']}")
        skip = await ctx.store.listed(n["programme_id"], n["category_id"]) | await ctx.store.vetoed(n["programme_id"])
        nxt = domain.next_ranked(domain.ranked_of(board), skip)
        if nxt is None:
            raise Conflict("nomination_id: no further ranked candidate in this category", field="nomination_id",
                           code="no_further_candidate")
        chosen = nxt.nomination_id
    spec = NoticeIn(programme_id=n["programme_id"], category_id=n["category_id"],
                    working_days=body.working_days or n["working_days"], nomination_ids=[chosen],
                    contact_office=n["contact_office"], contact_phone=n.get("contact_phone", ""),
                    contact_email=n.get("contact_email", ""), issuer=n["issuer"],
                    objection_url=n.get("objection_url", ""), fallback_weekends_only=body.fallback_weekends_only)
    return await open_notice(ctx, who, spec, replaces=replaces, original=notice_id)


async def notice_of(ctx: Context, notice_id: str) -> dict:
    n = await ctx.store.notice(notice_id)
    if n is None:
        raise NotFound(f"notice {notice_id} does not exist", field="notice_id")
    return n


async def correct_dates(ctx: Context, who: Principal, notice_id: str, body: CorrectionIn) -> dict:
    """The notice as its next version, its prior dates kept in `versions` (no event: the version history on the
    notice is the record). Refusals: NotFound (notice), Conflict (closed; started, so its start no longer moves),
    Invalid (nothing to correct; a start in the past; a corrected period that has already ended; an unknown year)."""
    n = await notice_of(ctx, notice_id)
    current = ctx.clock()
    start = domain.check_correction(n, domain.given_time(body.starts_at) if body.starts_at else None,
                                    body.working_days, current)
    working_days = body.working_days or n["working_days"]
    span = await period(ctx, start, working_days, body.fallback_weekends_only)
    if span.ends_at <= current:
        raise Invalid(f"working_days: the corrected period would have ended at {domain.cn_moment(span.ends_at)}, "
                      f"before now", field="working_days", code="corrected_period_past")
    fields = {"starts_at": span.starts_at, "ends_at": span.ends_at, "working_days": working_days,
              "days": [d.isoformat() for d in span.days], "calendar_warning": span.warning,
              "version": n.get("version", 1) + 1}
    fields["text"] = domain.rebuild_text(n | fields).plain()
    prior = {k: n.get(k) for k in ("version", "starts_at", "ends_at", "working_days", "days", "calendar_warning")}
    prior |= {"version": n.get("version", 1), "superseded_at": current, "by": who.subject, "reason": body.reason}
    await ctx.uow.run(partial(_correct, notice_id, fields, prior))
    return await notice_of(ctx, notice_id)


async def _correct(notice_id: str, fields: dict, prior: dict, tx: Tx) -> None:
    n = await tx.store.notice(notice_id, open_only=True)
    if n is None or n.get("version", 1) != prior["version"]:
        raise Conflict("notice_id: the notice changed meanwhile; reload it and correct again", field="notice_id",
                       code="notice_changed")
    await tx.store.correct_notice(notice_id, fields, prior)
    await tx.store.add_notice_record(notice_id, {
        "at": prior["superseded_at"], "change": "dates_corrected", "version": fields["version"],
        "reason": prior["reason"], "by": prior["by"]})
    await tx.emit(NoticeDatesCorrected(
        notice_id=notice_id, category_id=n.get("category_id", ""), version=fields["version"],
        starts_at=fields["starts_at"], ends_at=fields["ends_at"], working_days=fields["working_days"],
        reason=prior["reason"] or "", calendar_warning=fields["calendar_warning"] or ""),
        programme_id=n.get("programme_id", ""), key=notice_id)
