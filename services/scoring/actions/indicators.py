"""Indicator points (basic 基础, business 业务, key tasks 重点) and the 随机点验 spot checks of key tasks."""
from __future__ import annotations

from shared.errors import Conflict, Invalid, NotFound

from .. import domain as d
from ..models import IndicatorsIn, SpotDrawIn, SpotResultIn
from ..store import Doc
from .common import Tx, allowed, clean, get_category, get_nomination, get_programme, mark_dirty, now


@allowed("organiser")
async def enter_indicators(tx: Tx, programme_id: str, nomination_id: str, body: IndicatorsIn) -> Doc:
    """Refused: unknown nomination (404), not approved (409), the category's 公示 list published (409)."""
    nom = await get_nomination(tx.store, programme_id, nomination_id)
    d.ensure_not_published(await tx.store.publication(programme_id, nom["category_id"]), nom["category_id"],
                           "a change of indicators")
    fields = {k: v for k, v in body.model_dump().items() if v is not None}
    await tx.store.save_indicators(nomination_id, {"programme_id": programme_id, "category_id": nom["category_id"],
                                                   **fields, "updated_at": now()})
    await mark_dirty(tx.store, programme_id, nom["category_id"])
    return clean(await tx.store.indicators(nomination_id))


@allowed("organiser")
async def draw_spot_checks(tx: Tx, programme_id: str, category_id: str, body: SpotDrawIn) -> Doc:
    """Draw the reproducible sample of key tasks. Refused: unknown category (404), no key tasks yet (409), results
    recorded for another draw (409); the same draw again is accepted and changes nothing."""
    store = tx.store
    get_category(await get_programme(store, programme_id), category_id)
    approved = {n["_id"]: n for n in await store.approved_nominations(programme_id, category_id)}
    tasks: dict[tuple[str, str], str] = {}
    for ind in await store.category_indicators(programme_id, category_id):
        if ind["_id"] in approved:
            for t in ind.get("key_tasks") or []:
                tasks[(ind["_id"], t["task_id"])] = t["name"]
    if not tasks:
        raise Conflict("no key tasks have been entered for this category yet", field="category_id")
    picks = d.spot_check_sample(tasks, programme_id, category_id, body.seed, body.sample_size)
    key = f"{programme_id}:{category_id}"
    current = await store.spot_checks(key)
    if current and current.get("results") and (current["seed"], current["sample_size"]) != (
            body.seed, body.sample_size):
        raise Conflict("spot-check results are already recorded for another draw; the draw cannot change",
                       field="seed")
    await store.save_spot_draw(key, {
        "programme_id": programme_id, "category_id": category_id, "seed": body.seed,
        "sample_size": body.sample_size, "drawn_at": now(),
        "picks": [{"nomination_id": n, "task_id": t, "task_name": tasks[(n, t)],
                   "nominee_name": approved[n].get("nominee_name", "")} for n, t in picks]})
    return clean(await store.spot_checks(key))


@allowed("organiser")
async def record_spot_result(tx: Tx, programme_id: str, category_id: str, body: SpotResultIn) -> Doc:
    """Refused: the category's 公示 list published (409), nothing drawn (404), the task was not drawn (422), a failure
    without verified_points (422)."""
    d.ensure_not_published(await tx.store.publication(programme_id, category_id), category_id,
                           "a spot-check result")
    key = f"{programme_id}:{category_id}"
    doc = await tx.store.spot_checks(key)
    if doc is None:
        raise NotFound("no spot checks have been drawn for this category", field="category_id")
    if not any(p["nomination_id"] == body.nomination_id and p["task_id"] == body.task_id for p in doc["picks"]):
        raise Invalid(f"task {body.task_id} of nomination {body.nomination_id} was not drawn for a spot check",
                      field="task_id")
    if body.passed is False and body.verified_points is None:
        raise Invalid("a failed spot check needs verified_points (the points that were confirmed)",
                      field="verified_points")
    result = body.model_dump() | {"at": now()}
    await tx.store.save_spot_result(key, f"{body.nomination_id}|{body.task_id}", result)
    await mark_dirty(tx.store, programme_id, category_id)
    return result
