"""A programme's scoring configuration (aggregation and tie-breaks), and asking for a recomputation."""
from __future__ import annotations

from ..models import ScoringConfigIn
from ..store import Doc
from .common import Tx, allowed, get_category, get_programme, mark_dirty


@allowed("organiser")
async def write_config(tx: Tx, programme_id: str, body: ScoringConfigIn) -> Doc:
    """Every category of the programme is recomputed with it. Refused: unknown programme (404)."""
    prog = await get_programme(tx.store, programme_id)
    await tx.store.save_config(programme_id, body.model_dump())
    for c in prog["categories"]:
        await mark_dirty(tx.store, programme_id, c["category_id"])
    return body.model_dump()


@allowed("organiser")
async def ask_recompute(tx: Tx, programme_id: str, category_id: str) -> Doc:
    """Refused: unknown programme or category (404)."""
    get_category(await get_programme(tx.store, programme_id), category_id)
    await mark_dirty(tx.store, programme_id, category_id)
    return {"category_id": category_id, "status": "scheduled"}
