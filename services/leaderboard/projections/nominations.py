"""Programmes' stages, category names and nominations into the leaderboard read model.

The programme itself is learned through shared.learning (see ..learning), with `categories_named` as its hook."""
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
from shared.uow import Transaction

from ..store import ReadModel
from . import Projection

STATUS = {
    NominationApproved: "approved",
    NominationReturned: "returned",
    NominationRejected: "rejected",
    NominationWithdrawn: "withdrawn",
}
# Statuses set from the publicity topic. Topics are not ordered with each other, so a nomination event that is
# processed late (a rebuild, a redelivery) must not take an entry back from publicity or an honour.
LATER_STATUSES = ["in_publicity", "blocked", "confirmed", "removed", "revoked"]


async def categories_named(tx: Transaction[ReadModel], env: Envelope, e: ProgrammeDefined) -> None:
    """After a newer programme version was stored: its category names and boards onto the entries."""
    # Entries may have been projected before their programme (the topics' partitions are read in any order).
    for c in e.categories:
        await tx.store.name_category(e.programme_id, c.category_id, {"category_name": c.name, "board": c.board})


async def stage_changed(tx: Transaction[ReadModel], env: Envelope, e: StageChanged) -> None:
    """The public portal shows which stage (申报, 资格审查, ...) is open."""
    await tx.store.set_stage(e.programme_id, e.stage, e.state, env.occurred_at)


async def submitted(tx: Transaction[ReadModel], env: Envelope, e: NominationSubmitted) -> None:
    programme = await tx.store.programme(env.programme_id) or {}
    category = next((c for c in programme.get("categories", []) if c["category_id"] == e.category_id), {})
    await tx.store.save_entry(e.nomination_id, {
        "programme_id": env.programme_id, "category_id": e.category_id,
        "category_name": category.get("name", e.category_id), "board": category.get("board", "other"),
        "nominee_id": e.nominee_id, "nominee_name": e.nominee_name, "nominee_kind": e.nominee_kind,
        "unit_id": e.unit_id, "unit_name": e.unit_name,
    })
    await _set_status(tx, e.nomination_id, "submitted", env)


async def reviewed(tx: Transaction[ReadModel], env: Envelope, e) -> None:
    await _set_status(tx, e.nomination_id, STATUS[type(e)], env)


async def _set_status(tx: Transaction[ReadModel], nomination_id: str, status: str, env: Envelope) -> None:
    await tx.store.update_entry_unless(nomination_id, {"status": status, "updated_at": env.occurred_at},
                                       LATER_STATUSES)


PROJECTIONS = (
    Projection((StageChanged,), stage_changed),
    Projection((NominationSubmitted,), submitted),
    Projection(tuple(STATUS), reviewed),
)
