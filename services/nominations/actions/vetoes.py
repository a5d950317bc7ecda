"""Set a veto (一票否决) on a unit or member, e.g. a disciplinary record, and lift it. A veto takes effect at any
stage: it bars new nominations and rejects the nominee's submitted, returned or approved ones (publicity takes
them off an open notice and revokes a confirmed honour on VetoSet); setting and lifting are recorded and emitted."""
from __future__ import annotations

from shared.contracts.nominations import NominationRejected, VetoLifted, VetoSet
from shared.errors import NotFound
from shared.uow import Transaction

from .. import domain as d
from ..lookups import get_programme, now
from ..store import Store
from . import Work, roles


@roles("organiser")
async def set_veto(uow: Work, pid: str, subject_id: str, reason: str | None, by: str) -> dict:
    """Refused: no reason (422, field reason), an unknown programme. Setting it again replaces the reason (and
    rejects what is still active); the earlier entries stay in its history."""
    d.ensure(d.check_veto_reason(reason, "set"))
    doc = await uow.run(lambda tx: _set(tx, pid, subject_id, reason.strip(), by))
    return {k: v for k, v in doc.items() if k != "_id"}


async def _set(tx: Transaction[Store], pid: str, subject_id: str, reason: str, by: str) -> dict:
    prog = await get_programme(tx.store, pid)
    at = now()
    stage = d.current_stage(prog, at)
    nominations = await tx.store.nominee_nominations(pid, subject_id)
    for n in nominations:
        if n["status"] in d.VETOED:
            update, entry = d.veto_rejection(n, reason, by, at)
            await tx.store.update_nomination(n["_id"], n["status"], update, entry)
            await tx.emit(NominationRejected(nomination_id=n["_id"], category_id=n["category_id"],
                                             reason=update["reject_reason"]), programme_id=pid, key=n["_id"])
    ids = [n["_id"] for n in nominations]
    doc = d.veto_set(await tx.store.get_veto(pid, subject_id), pid, subject_id, reason, by, at, stage, ids)
    await tx.store.put_veto(doc)
    await tx.emit(VetoSet(nominee_id=subject_id, reason=reason, nomination_ids=ids, stage=stage), programme_id=pid,
                  key=subject_id)
    return doc


@roles("organiser")
async def lift_veto(uow: Work, pid: str, subject_id: str, reason: str | None = None, by: str = "") -> dict:
    """Refused: an unknown programme, no veto in force on that subject, no reason (422, field reason). The veto
    is kept with its history; rejected nominations stay rejected (a unit may nominate the nominee again where it
    is free)."""
    doc = await uow.run(lambda tx: _lift(tx, pid, subject_id, reason, by))
    return {k: v for k, v in doc.items() if k != "_id"}


async def _lift(tx: Transaction[Store], pid: str, subject_id: str, reason: str | None, by: str) -> dict:
    prog = await get_programme(tx.store, pid)
    existing = await tx.store.get_veto(pid, subject_id)
    if not d.in_force(existing):
        raise NotFound(f"no veto on {subject_id} is in force", field="subject_id")
    d.ensure(d.check_veto_reason(reason, "lift"))
    reason = reason.strip()
    at = now()
    doc = d.veto_lifted(existing, reason, by, at, d.current_stage(prog, at))
    await tx.store.put_veto(doc)
    ids = [n["_id"] for n in await tx.store.nominee_nominations(pid, subject_id)]
    await tx.emit(VetoLifted(nominee_id=subject_id, reason=reason, nomination_ids=ids), programme_id=pid,
                  key=subject_id)
    return doc
