"""Honours (organiser): confirm a nominee at the end of the period, revoke an honour (动态管理), schedule a periodic
review (复查) and record its outcome ('revoke' also revokes the honour)."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from uuid import uuid4

from shared.auth import Principal
from shared.contracts.publicity import HonourConfirmed, HonourReviewed, HonourReviewScheduled, HonourRevoked
from shared.errors import NotFound

from .. import domain
from ..commands import ReviewIn, ReviewOutcomeIn, RevokeIn
from .context import Clock, Context, Tx

REVOKE_ROLES = ("organiser",)
SCHEDULE_REVIEW_ROLES = ("organiser",)
REVIEW_OUTCOME_ROLES = ("organiser",)
CONFIRMED_REASON = "公示期满无异议或异议经核查不属实"


async def confirm(tx: Tx, n: dict, nomination_id: str, clock: Clock) -> None:
    """Confirm one nominee of notice n: honour document, entry status, HonourConfirmed (once: a second closing or a
    redelivery finds the honour there and does nothing). Run inside the closing's or the resolution's transaction."""
    entry = next(e for e in n["entries"] if e["nomination_id"] == nomination_id)
    honour_id = f"h-{nomination_id}"
    title = domain.honour_title(n.get("year"), n["category_name"])
    t = clock()
    inserted = await tx.store.insert_honour({
        "_id": honour_id, "programme_id": n["programme_id"], "notice_id": n["_id"],
        "nomination_id": nomination_id, "category_id": n["category_id"], "category_name": n["category_name"],
        "title": title, "nominee_name": entry["nominee_name"], "unit_name": entry["unit_name"],
        "status": "confirmed", "confirmed_at": t,
        "history": [{"at": t, "status": "confirmed", "reason": CONFIRMED_REASON}]})
    if not inserted:
        return
    await tx.store.set_entry_status(n["_id"], nomination_id, "confirmed")
    await tx.emit(HonourConfirmed(honour_id=honour_id, notice_id=n["_id"], nomination_id=nomination_id,
                                  category_id=n["category_id"], title=title,
                                  nominee_name=entry["nominee_name"], unit_name=entry["unit_name"]),
                  programme_id=n["programme_id"], key=n["_id"])


async def honour_of(store: Any, honour_id: str) -> dict:
    h = await store.honour(honour_id)
    if h is None:
        raise NotFound(f"honour {honour_id} does not exist", field="honour_id")
    return h


async def revoke(ctx: Context, who: Principal, honour_id: str, body: RevokeIn) -> dict:
    """The honour, after HonourRevoked. Refusals: NotFound, Conflict (revoked already)."""
    return await ctx.uow.run(partial(_revoke, honour_id, body.reason, who, ctx.clock))


async def _revoke(honour_id: str, reason: str, who: Principal, clock: Clock, tx: Tx) -> dict:
    await revoke_in(tx, await honour_of(tx.store, honour_id), reason, who.subject, clock())
    return await honour_of(tx.store, honour_id)


async def revoke_in(tx: Tx, h: dict, reason: str, by: str, t: datetime, source: str = "organiser") -> None:
    """Revoke honour h inside the caller's transaction: HonourRevoked, on the honour's history and on the record
    of the notice that published it. Refusal: Conflict (revoked already)."""
    domain.ensure_revocable(h)
    await tx.store.revoke_honour(h["_id"], {"status": "revoked", "revoked_at": t, "revoked_reason": reason},
                                 {"at": t, "status": "revoked", "reason": reason, "by": by})
    await tx.emit(HonourRevoked(honour_id=h["_id"], nomination_id=h["nomination_id"], reason=reason),
                  programme_id=h["programme_id"], key=h["notice_id"])
    # the notice's line says so too (its published list stays as frozen; the change is on its record below)
    await tx.store.set_entry_status(h["notice_id"], h["nomination_id"], "revoked")
    await tx.store.add_notice_record(h["notice_id"], {
        "at": t, "change": "revoked", "event": "HonourRevoked", "nomination_id": h["nomination_id"],
        "honour_id": h["_id"], "source": source, "reason": reason, "by": by})


async def schedule_review(ctx: Context, who: Principal, honour_id: str, body: ReviewIn) -> dict:
    """The review, after HonourReviewScheduled. Refusals: NotFound, Conflict (not confirmed), Invalid (due before
    the confirmation)."""
    return await ctx.uow.run(partial(_schedule, honour_id, body, who, ctx.clock))


async def _schedule(honour_id: str, body: ReviewIn, who: Principal, clock: Clock, tx: Tx) -> dict:
    h = await honour_of(tx.store, honour_id)
    domain.ensure_reviewable(h, body.due_date)
    review_id = "r" + uuid4().hex[:12]
    doc = {"_id": review_id, "honour_id": honour_id, "nomination_id": h["nomination_id"],
           "due_date": body.due_date.isoformat(), "note": body.note, "outcome": None,
           "scheduled_at": clock(), "scheduled_by": who.subject}
    await tx.store.insert_review(doc)
    await tx.emit(HonourReviewScheduled(honour_id=honour_id, review_id=review_id, nomination_id=h["nomination_id"],
                                        due_date=body.due_date, note=body.note),
                  programme_id=h["programme_id"], key=h["notice_id"])
    return doc


async def record_review_outcome(ctx: Context, who: Principal, honour_id: str, review_id: str,
                                body: ReviewOutcomeIn) -> dict:
    """The review, after HonourReviewed (and HonourRevoked for 'revoke'). Refusals: Invalid ('revoke' without a
    reason), NotFound (honour, review), Conflict (outcome recorded already; honour revoked already)."""
    domain.check_outcome_note(body.outcome, body.note)
    return await ctx.uow.run(partial(_outcome, honour_id, review_id, body, who, ctx.clock))


async def _outcome(honour_id: str, review_id: str, body: ReviewOutcomeIn, who: Principal,
                   clock: Clock, tx: Tx) -> dict:
    h = await honour_of(tx.store, honour_id)
    domain.ensure_review_open(await tx.store.review(review_id, honour_id), review_id, honour_id)
    t = clock()
    await tx.store.set_review_outcome(review_id, {
        "outcome": body.outcome, "outcome_label": domain.REVIEW_OUTCOMES[body.outcome],
        "outcome_note": body.note, "recorded_at": t, "recorded_by": who.subject})
    await tx.store.add_honour_history(honour_id, {"at": t, "status": h["status"], "review_id": review_id,
                                                  "review_outcome": body.outcome, "reason": body.note})
    await tx.emit(HonourReviewed(honour_id=honour_id, review_id=review_id, nomination_id=h["nomination_id"],
                                 outcome=body.outcome, note=body.note),
                  programme_id=h["programme_id"], key=h["notice_id"])
    if body.outcome == "revoke":
        await revoke_in(tx, h, body.note.strip(), who.subject, t, source="review")
    return await tx.store.review(review_id)
