"""Registering judges, and keeping a judge on the roll in their member's branch."""
from __future__ import annotations

from shared.errors import Conflict, Invalid
from shared.contracts.scoring import JudgeRegistered
from shared.learning import scoped_id

from ..models import JudgeIn
from ..store import Doc, ScoringStore
from .common import Tx, allowed, clean, get_programme, now


@allowed("organiser")
async def register_judge(tx: Tx, programme_id: str, body: JudgeIn) -> Doc:
    """Refused: unknown programme (404), unit not in the tree (422), member not on the roll (422), judge id taken
    (409)."""
    store = tx.store
    await get_programme(store, programme_id)
    if not await store.unit_exists(programme_id, body.unit_id):
        raise Invalid(f"unit {body.unit_id} is not in the organisation tree", field="unit_id")
    branch_id = None
    if body.member_id:
        member = await store.member(programme_id, body.member_id)
        if member is None:
            raise Invalid(f"member {body.member_id} is not on the roll", field="member_id", code="not_on_roll")
        branch_id = member["unit_id"]
    doc = {"_id": scoped_id(programme_id, body.judge_id), "programme_id": programme_id, **body.model_dump(),
           "branch_id": branch_id,
           "registered_at": now()}
    if not await store.insert_judge(doc):
        raise Conflict(f"judge {body.judge_id} is already registered", field="judge_id", code="judge_exists")
    await tx.emit(JudgeRegistered(**body.model_dump()), programme_id=programme_id, key=doc["_id"])
    # The same judge id may be registered in another programme: an id is the programme's own.
    return clean(doc)


async def follow_members(store: ScoringStore, programme_id: str, unit_of: dict[str, str]) -> None:
    """A judge on the programme's roll belongs to that member's branch: one read for the judges among these
    members."""
    for j in await store.judges_of_members(programme_id, list(unit_of)):
        await store.set_judge_branch(programme_id, j["judge_id"], unit_of[j["member_id"]])


async def check_panel_judges(store: ScoringStore, programme_id: str, judge_ids: list[str]) -> None:
    """Judges of a panel or an arena: each registered in the programme, none twice (422)."""
    if len(set(judge_ids)) != len(judge_ids):
        raise Invalid("judge_ids must not repeat a judge", field="judge_ids", code="judge_twice")
    known = await store.registered_judge_ids(programme_id, judge_ids)
    missing = [j for j in judge_ids if j not in known]
    if missing:
        raise Invalid(f"judges not registered in this programme: {', '.join(missing)}", field="judge_ids",
                      code="judge_not_registered", params={"count": len(missing)})
