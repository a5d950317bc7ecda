"""Open or close a stage of a programme (申报, 资格审查, 民主测评, ...); closing review warns of quota shortfalls."""
from __future__ import annotations

from typing import Any

from shared.uow import Transaction

from .. import domain as d
from ..lookups import get_programme, now
from ..store import Store
from . import Work, roles


@roles("organiser")
async def change_stage(uow: Work, pid: str, stage: str, action: str) -> dict:
    """Refused: an unknown stage or action, an unknown programme, a stage already in that state."""
    state = d.stage_state(action, stage)
    prog = await uow.run(lambda tx: _change(tx, pid, stage, state))
    out: dict[str, Any] = {"programme_id": pid, "stage": stage, "state": state, "warnings": []}
    if stage == "review" and state == "closed":
        out["warnings"] = d.quota_shortfalls(prog["categories"], await uow.store.approved_counts(pid))
    return out


async def _change(tx: Transaction[Store], pid: str, stage: str, state: str) -> dict:
    prog = await get_programme(tx.store, pid)
    update, event = d.stage_change(prog, stage, state, now())
    await tx.store.set_programme(pid, update)
    await tx.emit(event, programme_id=pid, key=pid)
    return prog
