"""Judging panels: forming one per category, adding judges, locking and unlocking."""
from __future__ import annotations

from shared.errors import Conflict
from shared.contracts.scoring import PanelFormed, PanelJudgesAdded, PanelLockChanged
from shared.learning import scoped_id

from .. import domain as d
from ..models import PanelIn, PanelJudgesIn
from ..store import Doc
from .common import Tx, allowed, clean, get_category, get_config, get_panel, get_programme, mark_dirty, now
from .judges import check_panel_judges


@allowed("organiser")
async def form_panel(tx: Tx, programme_id: str, body: PanelIn) -> Doc:
    """Refused: unknown programme or category (404), judges unknown or repeated (422), the category already has a
    panel or the id is taken (409). K defaults to the programme's min_judges_per_nominee."""
    store = tx.store
    prog = await get_programme(store, programme_id)
    get_category(prog, body.category_id)
    await check_panel_judges(store, programme_id, body.judge_ids)
    cfg = await get_config(store, programme_id)
    doc = {"_id": scoped_id(programme_id, body.panel_id), "panel_id": body.panel_id, "programme_id": programme_id,
           "category_id": body.category_id, "name": body.name,
           "judge_ids": body.judge_ids, "min_judges": body.min_judges or cfg.min_judges_per_nominee,
           "locked": False, "formed_at": now()}
    if not await store.insert_panel(doc):
        raise Conflict(f"category {body.category_id} already has a panel (or panel id {body.panel_id} is taken)",
                       field="category_id", code="panel_exists")
    await tx.emit(PanelFormed(**{k: doc[k] for k in PanelFormed.model_fields}), programme_id=programme_id,
                  key=doc["_id"])
    return clean(doc)


@allowed("organiser")
async def add_panel_judges(tx: Tx, programme_id: str, panel_id: str, body: PanelJudgesIn) -> None:
    """Refused: unknown panel (404), locked panel (409), judges unknown or repeated (422)."""
    panel = await get_panel(tx.store, programme_id, panel_id)
    d.Panel.of(panel).ensure_open("judges")
    await check_panel_judges(tx.store, programme_id, body.judge_ids)
    await tx.store.add_panel_judges(programme_id, panel_id, body.judge_ids)
    await tx.emit(PanelJudgesAdded(panel_id=panel_id, judge_ids=body.judge_ids), programme_id=programme_id,
                  key=panel["_id"])


@allowed("organiser")
async def set_lock(tx: Tx, programme_id: str, panel_id: str, locked: bool) -> Doc:
    """Lock a panel (scores, assignments and recusals can no longer change) or reopen it. Refused: unknown panel."""
    panel = await get_panel(tx.store, programme_id, panel_id)
    await tx.store.update_panel(programme_id, panel_id, {"locked": locked, "locked_at": now()})
    await tx.emit(PanelLockChanged(panel_id=panel_id, category_id=panel["category_id"], locked=locked),
                  programme_id=programme_id, key=panel["_id"])
    await mark_dirty(tx.store, programme_id, panel["category_id"])
    return {"panel_id": panel_id, "locked": locked}
