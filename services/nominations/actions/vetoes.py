"""Flag a unit or member with a veto (一票否决), e.g. a disciplinary record, and lift it; a vetoed nominee cannot be
nominated."""
from __future__ import annotations

from shared.errors import NotFound
from shared.uow import Transaction

from ..lookups import get_programme, now
from ..store import Store
from . import Work, roles


@roles("organiser")
async def set_veto(uow: Work, pid: str, subject_id: str, reason: str, by: str) -> dict:
    """Refused: an unknown programme. Setting it again replaces the reason."""
    await get_programme(uow.store, pid)
    doc = {"_id": f"{pid}:{subject_id}", "programme_id": pid, "subject_id": subject_id, "reason": reason, "by": by,
           "at": now()}
    await uow.run(lambda tx: tx.store.put_veto(doc))
    return {k: v for k, v in doc.items() if k != "_id"}


@roles("organiser")
async def lift_veto(uow: Work, pid: str, subject_id: str) -> None:
    """Refused: no veto on that subject."""
    await uow.run(lambda tx: _lift(tx, pid, subject_id))


async def _lift(tx: Transaction[Store], pid: str, subject_id: str) -> None:
    if not await tx.store.delete_veto(pid, subject_id):
        raise NotFound(f"no veto on {subject_id}", field="subject_id")
