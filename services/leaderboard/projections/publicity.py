"""Notices and honours into the leaderboard read model; objectors' details never reach it (nor do the events)."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.publicity import (
    HonourConfirmed,
    HonourReviewed,
    HonourReviewScheduled,
    HonourRevoked,
    NomineeRemoved,
    ObjectionFiled,
    ObjectionResolved,
    PublicityClosed,
    PublicityOpened,
)
from shared.service import Service


def register(svc: Service) -> None:
    @svc.on(PublicityOpened)
    async def opened(env: Envelope, e: PublicityOpened, s) -> None:
        await svc.db.notices.update_one(
            {"_id": e.notice_id},
            {"$set": {"programme_id": env.programme_id, **e.model_dump(mode="json"), "state": "open"}},
            upsert=True, session=s,
        )
        await svc.db.entries.update_many(
            {"_id": {"$in": e.nomination_ids}},
            {"$set": {"status": "in_publicity", "notice_id": e.notice_id, "publicity_ends_at": e.ends_at}}, session=s,
        )

    @svc.on(PublicityClosed)
    async def closed(env: Envelope, e: PublicityClosed, s) -> None:
        await svc.db.notices.update_one(
            {"_id": e.notice_id},
            {"$set": {"state": "closed", "closed_at": env.occurred_at, "confirmed": e.confirmed, "blocked": e.blocked,
                      "removed": e.removed}}, upsert=True, session=s)
        await svc.db.entries.update_many({"_id": {"$in": e.blocked}, "status": "in_publicity"},
                                         {"$set": {"status": "blocked"}}, session=s)

    @svc.on(ObjectionFiled)
    async def objection(env: Envelope, e: ObjectionFiled, s) -> None:
        await svc.db.entries.update_one({"_id": e.nomination_id}, {"$inc": {"open_objections": 1}}, upsert=True,
                                        session=s)

    @svc.on(ObjectionResolved)
    async def resolved(env: Envelope, e: ObjectionResolved, s) -> None:
        await svc.db.entries.update_one({"_id": e.nomination_id}, {"$inc": {"open_objections": -1}}, upsert=True,
                                        session=s)

    @svc.on(NomineeRemoved)
    async def removed(env: Envelope, e: NomineeRemoved, s) -> None:
        await svc.db.entries.update_one({"_id": e.nomination_id}, {"$set": {"status": "removed"}}, upsert=True,
                                        session=s)

    @svc.on(HonourConfirmed)
    async def confirmed(env: Envelope, e: HonourConfirmed, s) -> None:
        entry = await svc.db.entries.find_one({"_id": e.nomination_id}, session=s) or {}
        await svc.db.honours.update_one(
            {"_id": e.honour_id},
            {"$set": {"programme_id": env.programme_id, "nomination_id": e.nomination_id, "category_id": e.category_id,
                      "title": e.title, "nominee_name": e.nominee_name or entry.get("nominee_name", ""),
                      "unit_name": e.unit_name or entry.get("unit_name", ""), "status": "confirmed",
                      "confirmed_at": env.occurred_at},
             "$push": {"history": {"at": env.occurred_at, "status": "confirmed"}}},
            upsert=True, session=s,
        )
        await svc.db.entries.update_one({"_id": e.nomination_id}, {"$set": {"status": "confirmed"}}, upsert=True,
                                        session=s)

    @svc.on(HonourRevoked)
    async def revoked(env: Envelope, e: HonourRevoked, s) -> None:
        await svc.db.honours.update_one(
            {"_id": e.honour_id},
            {"$set": {"status": "revoked", "revoked_reason": e.reason, "revoked_at": env.occurred_at},
             "$push": {"history": {"at": env.occurred_at, "status": "revoked", "reason": e.reason}}}, session=s,
        )
        await svc.db.entries.update_one({"_id": e.nomination_id}, {"$set": {"status": "revoked"}}, upsert=True,
                                        session=s)

    @svc.on(HonourReviewScheduled)
    async def review_scheduled(env: Envelope, e: HonourReviewScheduled, s) -> None:
        await svc.db.honours.update_one(
            {"_id": e.honour_id},
            {"$set": {f"reviews.{e.review_id}": {"due_date": e.due_date.isoformat(), "outcome": None}}}, session=s)

    @svc.on(HonourReviewed)
    async def reviewed(env: Envelope, e: HonourReviewed, s) -> None:
        await svc.db.honours.update_one(
            {"_id": e.honour_id},
            {"$set": {f"reviews.{e.review_id}.outcome": e.outcome, f"reviews.{e.review_id}.note": e.note,
                      f"reviews.{e.review_id}.reviewed_at": env.occurred_at}}, session=s)
