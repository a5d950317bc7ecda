"""Review a submitted nomination (资格审查): approve, return for revision with comments, or reject with a reason;
and the status move every review and lifecycle action shares."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from shared.auth import Principal
from shared.contracts import Event
from shared.contracts.nominations import NominationApproved, NominationRejected, NominationReturned
from shared.uow import Transaction

from .. import domain as d
from ..lookups import get_nomination, now
from ..store import Store
from . import Work, roles

EventOf = Callable[[dict], Event]


async def move(uow: Work, pid: str, nid: str, action: str, who: Principal, comment: str, event_of: EventOf,
               changes: dict | None = None) -> dict:
    """Move a nomination the caller may see (a unit: in its subtree) by one transition, with its event; refused
    when the nomination is not in a status the action starts from (e.g. only a submitted one can be approved)."""
    await get_nomination(uow.store, pid, nid, who if who.role == "unit" else None)
    return await uow.run(lambda tx: _move(tx, pid, nid, action, who.subject, comment, event_of, changes))


async def _move(tx: Transaction[Store], pid: str, nid: str, action: str, by: str, comment: str, event_of: EventOf,
                changes: dict | None) -> dict:
    current = await tx.store.get_nomination(nid)
    update, entry = d.moved(current, action, by, comment, now(), changes)
    await tx.store.update_nomination(nid, current["status"], update, entry)
    await tx.emit(event_of(current), programme_id=pid, key=nid)
    return await tx.store.get_nomination(nid)


@roles("organiser")
async def approve(uow: Work, pid: str, nid: str, who: Principal, comment: str = "") -> dict:
    """Refused: an unknown nomination, one that is not submitted."""
    return await move(uow, pid, nid, "approve", who, comment, partial(_approved, comment=comment))


@roles("organiser")
async def return_for_revision(uow: Work, pid: str, nid: str, who: Principal, comments: str) -> dict:
    """Refused: an unknown nomination, one that is not submitted. The unit resubmits it."""
    return await move(uow, pid, nid, "return", who, comments, partial(_returned, comments=comments),
                      {"review_comments": comments})


@roles("organiser")
async def reject(uow: Work, pid: str, nid: str, who: Principal, reason: str) -> dict:
    """Refused: an unknown nomination, one that is not submitted or returned."""
    return await move(uow, pid, nid, "reject", who, reason, partial(_rejected, reason=reason),
                      {"reject_reason": reason})


def _approved(n: dict, *, comment: str) -> Event:
    return NominationApproved(nomination_id=n["_id"], category_id=n["category_id"], comment=comment)


def _returned(n: dict, *, comments: str) -> Event:
    return NominationReturned(nomination_id=n["_id"], category_id=n["category_id"], comments=comments)


def _rejected(n: dict, *, reason: str) -> Event:
    return NominationRejected(nomination_id=n["_id"], category_id=n["category_id"], reason=reason)
