"""Indicator points (basic 基础, business 业务, key tasks 重点) and the 随机点验 spot checks, committed then drawn."""
from __future__ import annotations

from shared.contracts.scoring import IndicatorsEntered, SpotCheckDrawCommitted, SpotCheckDrawn, SpotCheckResultRecorded
from shared.errors import Conflict, Invalid, NotFound

from .. import domain as d
from ..models import IndicatorsIn, SpotCommitIn, SpotDrawIn, SpotResultIn
from ..store import Doc, ScoringStore
from .common import Tx, allowed, clean, get_category, get_nomination, get_programme, mark_dirty, now


@allowed("organiser")
async def enter_indicators(tx: Tx, programme_id: str, nomination_id: str, body: IndicatorsIn) -> Doc:
    """Refused: unknown nomination (404), not approved (409), the category's 公示 list published (409)."""
    nom = await get_nomination(tx.store, programme_id, nomination_id)
    d.ensure_not_published(await tx.store.publication(programme_id, nom["category_id"]), nom["category_id"],
                           "a change of indicators")
    fields = body.model_dump(exclude_none=True)
    await tx.store.save_indicators(nomination_id, {"programme_id": programme_id, "category_id": nom["category_id"],
                                                   **fields, "updated_at": now()})
    await tx.emit(IndicatorsEntered(nomination_id=nomination_id, category_id=nom["category_id"],
                                    points=body.model_dump(mode="json", exclude_none=True)),
                  programme_id=programme_id, key=nomination_id)
    await mark_dirty(tx.store, programme_id, nom["category_id"])
    return clean(await tx.store.indicators(nomination_id))


async def _candidates(store: ScoringStore, programme_id: str, category_id: str) -> list[Doc]:
    """Every key task of the category's approved nominations, by candidate id."""
    approved = {n["_id"]: n for n in await store.approved_nominations(programme_id, category_id)}
    out: dict[str, Doc] = {}
    for ind in await store.category_indicators(programme_id, category_id):
        if ind["_id"] in approved:
            for t in ind.get("key_tasks") or []:
                cid = d.candidate_id(ind["_id"], t["task_id"])
                out[cid] = {"candidate_id": cid, "nomination_id": ind["_id"], "task_id": t["task_id"],
                            "task_name": t["name"], "nominee_name": approved[ind["_id"]].get("nominee_name", "")}
    return [out[k] for k in sorted(out)]


@allowed("organiser")
async def commit_spot_draw(tx: Tx, programme_id: str, category_id: str, body: SpotCommitIn) -> Doc:
    """Publish the draw's inputs before its seed exists: the candidates (every key task entered so far), the sample
    size, the algorithm and the public value that will be the seed. Refused: unknown category (404), no key tasks
    yet (409), another commitment already published (409 naming sample_size or seed_source); the same commitment
    again is accepted and changes nothing."""
    store = tx.store
    get_category(await get_programme(store, programme_id), category_id)
    key = f"{programme_id}:{category_id}"
    current = await store.spot_checks(key)
    if d.ensure_commitment_unchanged(current, body.sample_size, body.seed_source):
        return clean(current)
    candidates = await _candidates(store, programme_id, category_id)
    if not candidates:
        raise Conflict("no key tasks have been entered for this category yet", field="category_id",
                       code="no_key_tasks")
    digest = d.candidates_sha256(c["candidate_id"] for c in candidates)
    commitment = {"algorithm": d.DRAW_ALGORITHM, "algorithm_version": d.DRAW_ALGORITHM_VERSION,
                  "sample_size": body.sample_size, "seed_source": body.seed_source, "candidates": candidates,
                  "candidates_sha256": digest, "committed_at": now(),
                  "inputs_sha256": d.draw_inputs_sha256(programme_id, category_id, body.sample_size,
                                                        body.seed_source, digest)}
    await store.save_spot_draw(key, {"programme_id": programme_id, "category_id": category_id,
                                     "commitment": commitment, "seed": None, "sample_size": body.sample_size,
                                     "picks": []})
    await tx.emit(SpotCheckDrawCommitted(
        category_id=category_id, **{k: v for k, v in commitment.items() if k != "committed_at"}),
        programme_id=programme_id, key=key)
    return clean(await store.spot_checks(key))


@allowed("organiser")
async def draw_spot_checks(tx: Tx, programme_id: str, category_id: str, body: SpotDrawIn) -> Doc:
    """Make the committed draw by revealing its seed, the announced public value. Refused: unknown category (404),
    nothing committed (409), another sample size than committed (409), the draw made already with another seed
    (409 naming seed: it cannot be redrawn); the same draw again is accepted and changes nothing."""
    store = tx.store
    get_category(await get_programme(store, programme_id), category_id)
    key = f"{programme_id}:{category_id}"
    current = await store.spot_checks(key)
    if d.ensure_drawable(current, category_id, body.seed, body.sample_size):
        return clean(current)
    commitment = current["commitment"]
    by_id = {c["candidate_id"]: c for c in commitment["candidates"]}
    tickets = d.draw_tickets(body.seed, programme_id, category_id, by_id, commitment["sample_size"])
    picks = [by_id[t.candidate_id] | {"ticket": t.ticket} for t in tickets]
    await store.save_spot_draw(key, {"seed": body.seed, "drawn_at": now(), "picks": picks})
    await tx.emit(SpotCheckDrawn(category_id=category_id, seed=body.seed, inputs_sha256=commitment["inputs_sha256"],
                                 picks=[t.candidate_id for t in tickets], tickets=[t.ticket for t in tickets]),
                  programme_id=programme_id, key=key)
    return clean(await store.spot_checks(key))


@allowed("organiser")
async def record_spot_result(tx: Tx, programme_id: str, category_id: str, body: SpotResultIn) -> Doc:
    """Refused: the category's 公示 list published (409), nothing drawn (404), the task was not drawn (422), a failure
    without verified_points (422)."""
    d.ensure_not_published(await tx.store.publication(programme_id, category_id), category_id,
                           "a spot-check result")
    key = f"{programme_id}:{category_id}"
    doc = await tx.store.spot_checks(key)
    if doc is None or doc.get("seed") is None:  # committed but not drawn yet: nothing to check either
        raise NotFound("no spot checks have been drawn for this category", field="category_id")
    if not any(p["nomination_id"] == body.nomination_id and p["task_id"] == body.task_id for p in doc["picks"]):
        raise Invalid(f"task {body.task_id} of nomination {body.nomination_id} was not drawn for a spot check",
                      field="task_id", code="not_drawn")
    if body.passed is False and body.verified_points is None:
        raise Invalid("a failed spot check needs verified_points (the points that were confirmed)",
                      field="verified_points", code="verified_points_required")
    result = body.model_dump() | {"at": now()}
    await tx.store.save_spot_result(key, f"{body.nomination_id}|{body.task_id}", result)
    await tx.emit(SpotCheckResultRecorded(category_id=category_id, **body.model_dump()), programme_id=programme_id,
                  key=body.nomination_id)
    await mark_dirty(tx.store, programme_id, category_id)
    return result
