"""Notices and honours into the leaderboard read model; objectors' details never reach it (nor do the events)."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.publicity import (
    HonourConfirmed,
    HonourReviewed,
    HonourReviewScheduled,
    HonourRevoked,
    NomineeRemoved,
    NoticeDatesCorrected,
    ObjectionFiled,
    ObjectionResolved,
    PublicityClosed,
    PublicityOpened,
)
from shared.uow import Transaction

from ..store import ReadModel
from . import Projection

Tx = Transaction[ReadModel]


async def opened(tx: Tx, env: Envelope, e: PublicityOpened) -> None:
    await tx.store.save_notice(e.notice_id, {"programme_id": env.programme_id, **e.model_dump(mode="json"),
                                             "state": "open"})
    # Upserted: the nominations' topic may be read after this one (a replay, a lagging partition); their events
    # then fill in the rest of the entry and do not lower its status (see projections.nominations.LATER_STATUSES).
    on_insert = {"programme_id": env.programme_id, "category_id": e.category_id}
    await tx.store.save_entries([(nid, {"status": "in_publicity", "notice_id": e.notice_id,
                                        "publicity_ends_at": e.ends_at}, on_insert) for nid in e.nomination_ids])
    if e.listing:
        await _publish(tx, env, e)


async def dates_corrected(tx: Tx, env: Envelope, e: NoticeDatesCorrected) -> None:
    """A corrected period replaces the notice's dates (the notice keeps its list)."""
    d = e.model_dump(mode="json")
    await tx.store.save_notice(e.notice_id, {k: d[k] for k in ("starts_at", "ends_at", "working_days",
                                                                "calendar_warning", "version")})


async def _publish(tx: Tx, env: Envelope, e: PublicityOpened) -> None:
    """The notice's frozen list is the category's list from now on: its entries take their rank, composite and
    explanation from it, and the category is marked published (later standings of it are ignored, see
    projections.scoring). A replacement notice (递补) lists its lines from the same frozen copy."""
    on_insert = {"programme_id": env.programme_id, "category_id": e.category_id}
    rows = []
    for line in e.listing:
        fields: dict = {"rank": line.rank, "composite": line.composite, "updated_at": env.occurred_at}
        if line.components:
            fields["components"] = line.components
        if e.programme_version is not None:
            fields["programme_version"] = e.programme_version
        names = {k: v for k, v in (("nominee_name", line.nominee_name), ("unit_name", line.unit_name)) if v}
        rows.append((line.nomination_id, fields, on_insert | names))
    await tx.store.save_entries(rows)
    category = await tx.store.category(env.programme_id, e.category_id)
    # The nominees a list names (every notice's of the category): their lines win over standings read later.
    listed = sorted(set((category or {}).get("listed", [])) | {line.nomination_id for line in e.listing})
    fields = {"published": True, "listed": listed, "standings_sequence": e.standings_sequence}
    if e.replaces:  # read before or after the first notice: it names only itself
        fields["replacement_notice_id"] = e.notice_id
    elif not (category and category.get("notice_id") == e.notice_id):
        fields |= {"notice_id": e.notice_id, "published_at": env.occurred_at, "starts_at": e.starts_at,
                   "programme_version": e.programme_version}
    await tx.store.save_category(env.programme_id, e.category_id, fields)


async def closed(tx: Tx, env: Envelope, e: PublicityClosed) -> None:
    await tx.store.save_notice(e.notice_id, {"state": "closed", "closed_at": env.occurred_at, "confirmed": e.confirmed,
                                             "blocked": e.blocked, "removed": e.removed})
    await tx.store.update_entries(e.blocked, {"status": "blocked"}, status="in_publicity")


async def objection(tx: Tx, env: Envelope, e: ObjectionFiled) -> None:
    # The entry may not exist yet (the objection's topic is read before the nomination's): counted all the same.
    await tx.store.add_objections(e.nomination_id, 1)


async def resolved(tx: Tx, env: Envelope, e: ObjectionResolved) -> None:
    await tx.store.add_objections(e.nomination_id, -1)


async def removed(tx: Tx, env: Envelope, e: NomineeRemoved) -> None:
    await tx.store.save_entry(e.nomination_id, {"status": "removed"})


async def confirmed(tx: Tx, env: Envelope, e: HonourConfirmed) -> None:
    entry = await tx.store.entry(e.nomination_id) or {}
    await tx.store.save_honour(
        e.honour_id,
        {"programme_id": env.programme_id, "nomination_id": e.nomination_id, "category_id": e.category_id,
         "title": e.title, "nominee_name": e.nominee_name or entry.get("nominee_name", ""),
         "unit_name": e.unit_name or entry.get("unit_name", ""), "status": "confirmed",
         "confirmed_at": env.occurred_at},
        {"at": env.occurred_at, "status": "confirmed"}, create=True)
    await tx.store.save_entry(e.nomination_id, {"status": "confirmed"})


async def revoked(tx: Tx, env: Envelope, e: HonourRevoked) -> None:
    await tx.store.save_honour(
        e.honour_id, {"status": "revoked", "revoked_reason": e.reason, "revoked_at": env.occurred_at},
        {"at": env.occurred_at, "status": "revoked", "reason": e.reason}, create=False)
    await tx.store.save_entry(e.nomination_id, {"status": "revoked"})


async def review_scheduled(tx: Tx, env: Envelope, e: HonourReviewScheduled) -> None:
    await tx.store.schedule_review(e.honour_id, e.review_id, {"due_date": e.due_date.isoformat(), "outcome": None})


async def reviewed(tx: Tx, env: Envelope, e: HonourReviewed) -> None:
    await tx.store.record_review(e.honour_id, e.review_id,
                                 {"outcome": e.outcome, "note": e.note, "reviewed_at": env.occurred_at})


PROJECTIONS = (
    Projection((PublicityOpened,), opened),
    Projection((PublicityClosed,), closed),
    Projection((NoticeDatesCorrected,), dates_corrected),
    Projection((ObjectionFiled,), objection),
    Projection((ObjectionResolved,), resolved),
    Projection((NomineeRemoved,), removed),
    Projection((HonourConfirmed,), confirmed),
    Projection((HonourRevoked,), revoked),
    Projection((HonourReviewScheduled,), review_scheduled),
    Projection((HonourReviewed,), reviewed),
)
