"""Taking a nominee off a published list (a sustained objection, a veto): the entry is removed with NomineeRemoved,
and the next-ranked candidate is proposed for a 递补 notice, both on the notice's record. Run inside the caller's
transaction; the organiser then opens the replacement notice (POST /notices/{id}/replacements)."""
from __future__ import annotations

from datetime import datetime

from shared.contracts.publicity import NomineeRemoved

from .. import domain
from .context import Tx


async def remove_entry(tx: Tx, n: dict, nomination_id: str, reason: str, at: datetime, source: str,
                       by: str) -> str | None:
    """Remove the nominee from notice n; returns the proposed replacement (None when nobody is left to move up)."""
    await tx.store.set_entry_status(n["_id"], nomination_id, "removed")
    await tx.emit(NomineeRemoved(notice_id=n["_id"], nomination_id=nomination_id, reason=reason),
                  programme_id=n["programme_id"], key=n["_id"])
    board = await tx.store.board(f"{n['programme_id']}:{n['category_id']}")
    skip = (await tx.store.listed(n["programme_id"], n["category_id"])
            | await tx.store.vetoed(n["programme_id"]) | {nomination_id})
    nxt = domain.next_ranked(domain.ranked_of(board), skip)
    proposed = nxt.nomination_id if nxt else None
    await tx.store.add_notice_record(n["_id"], {
        "at": at, "change": "removed", "event": "NomineeRemoved", "nomination_id": nomination_id, "source": source,
        "reason": reason, "by": by, "replacement_proposed": proposed})
    return proposed
