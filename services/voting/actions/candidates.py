"""The approved nominations voting knows of (候选对象), from which a round takes its candidates.

Roles: organiser. No refusal: an unknown programme has no candidates."""
from __future__ import annotations

from ..uow import VotingUnitOfWork

ROLES = ("organiser",)


async def candidates(uow: VotingUnitOfWork, programme_id: str, category_id: str | None = None) -> dict:
    docs = await uow.store.candidates(programme_id, category_id)
    members = await uow.store.count_members(programme_id)
    return {"programme_id": programme_id, "members_on_roll": members,
            "candidates": [{k: d.get(k) for k in ("category_id", "nominee_id", "nominee_name", "unit_name")}
                           | {"nomination_id": d["_id"]} for d in docs]}
