"""Programmes and nominations into the leaderboard read model."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.nominations import (
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationSubmitted,
    NominationWithdrawn,
    ProgrammeDefined,
    StageChanged,
)
from shared.service import Service

STATUS = {
    NominationApproved: "approved",
    NominationReturned: "returned",
    NominationRejected: "rejected",
    NominationWithdrawn: "withdrawn",
}
# Statuses set from the publicity topic. Topics are not ordered with each other, so a nomination event that is
# processed late (a rebuild, a redelivery) must not take an entry back from publicity or an honour.
LATER_STATUSES = ["in_publicity", "blocked", "confirmed", "removed", "revoked"]


async def _set_status(svc: Service, nomination_id: str, status: str, at, s) -> None:
    await svc.db.entries.update_one(
        {"_id": nomination_id, "status": {"$nin": LATER_STATUSES}},
        {"$set": {"status": status, "updated_at": at}}, session=s,
    )


def register(svc: Service) -> None:
    @svc.on(ProgrammeDefined)
    async def programme_defined(env: Envelope, e: ProgrammeDefined, s) -> None:
        current = await svc.db.programmes.find_one({"_id": e.programme_id}, {"version": 1}, session=s)
        if current and current.get("version", 0) > e.version:
            return
        doc = e.model_dump(mode="json")
        await svc.db.programmes.update_one({"_id": e.programme_id}, {"$set": doc}, upsert=True, session=s)
        # Entries may have been projected before their programme (the topics' partitions are read in any order).
        for c in e.categories:
            await svc.db.entries.update_many(
                {"programme_id": e.programme_id, "category_id": c.category_id},
                {"$set": {"category_name": c.name, "board": c.board}}, session=s)

    @svc.on(StageChanged)
    async def stage_changed(env: Envelope, e: StageChanged, s) -> None:
        """The public portal shows which stage (申报, 资格审查, ...) is open."""
        await svc.db.programmes.update_one(
            {"_id": e.programme_id},
            {"$set": {f"stage_state.{e.stage}": e.state, "stage_changed_at": env.occurred_at}}, upsert=True, session=s)

    @svc.on(NominationSubmitted)
    async def submitted(env: Envelope, e: NominationSubmitted, s) -> None:
        programme = await svc.db.programmes.find_one({"_id": env.programme_id}, session=s) or {}
        category = next((c for c in programme.get("categories", []) if c["category_id"] == e.category_id), {})
        await svc.db.entries.update_one(
            {"_id": e.nomination_id},
            {"$set": {
                "programme_id": env.programme_id, "category_id": e.category_id,
                "category_name": category.get("name", e.category_id), "board": category.get("board", "other"),
                "nominee_id": e.nominee_id, "nominee_name": e.nominee_name, "nominee_kind": e.nominee_kind,
                "unit_id": e.unit_id, "unit_name": e.unit_name,
            }},
            upsert=True, session=s,
        )
        await _set_status(svc, e.nomination_id, "submitted", env.occurred_at, s)

    @svc.on(*STATUS)
    async def reviewed(env: Envelope, e, s) -> None:
        await _set_status(svc, e.nomination_id, STATUS[type(e)], env.occurred_at, s)
