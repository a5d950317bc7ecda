"""A programme's scoring configuration (aggregation and tie-breaks), and asking for a recomputation."""
from __future__ import annotations

from shared.contracts.scoring import ScoringConfigured

from .. import domain as d
from ..models import ScoringConfigIn
from ..store import Doc
from .common import Tx, allowed, get_category, get_programme, mark_dirty


@allowed("organiser")
async def write_config(tx: Tx, programme_id: str, body: ScoringConfigIn) -> Doc:
    """Every category of the programme is recomputed with it. Refused: unknown programme (404), a category of the
    programme whose 公示 list is published (409: its standings would change under the notice)."""
    prog = await get_programme(tx.store, programme_id)
    published = await tx.store.published_categories(programme_id)
    if published:
        raise d.published_refusal(published[0], "a change of the scoring configuration")
    await tx.store.save_config(programme_id, body.model_dump())
    await tx.emit(ScoringConfigured(config=body.model_dump(mode="json")), programme_id=programme_id, key=programme_id)
    for c in prog["categories"]:
        await mark_dirty(tx.store, programme_id, c["category_id"])
    return body.model_dump()


@allowed("organiser")
async def ask_recompute(tx: Tx, programme_id: str, category_id: str) -> Doc:
    """Refused: unknown programme or category (404)."""
    get_category(await get_programme(tx.store, programme_id), category_id)
    await mark_dirty(tx.store, programme_id, category_id)
    return {"category_id": category_id, "status": "scheduled"}
