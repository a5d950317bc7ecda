"""What scoring learns from the other services' events: the programme, tree, roll and nominations (on
shared.learning, with scoring's follow-ups as hooks) and the voting tallies."""
from __future__ import annotations

from typing import Any

from shared.contracts import Envelope
from shared.contracts.nominations import MembersImported, NominationSubmitted, ProgrammeDefined, UnitsImported
from shared.contracts.voting import TallyUpdated
from shared.learning import Hooks, Learning
from shared.service import Service
from shared.uow import MongoUnitOfWork

from .actions.common import Tx, mark_dirty
from .actions.judges import follow_members
from .actions.recusal import recheck_conflicts


async def programme_defined(tx: Tx, env: Envelope, e: ProgrammeDefined) -> None:
    for c in e.categories:
        await mark_dirty(tx.store, e.programme_id, c.category_id)


async def units_imported(tx: Tx, env: Envelope, e: UnitsImported) -> None:
    await recheck_conflicts(tx, env.programme_id)


async def members_imported(tx: Tx, env: Envelope, e: MembersImported) -> None:
    await follow_members(tx.store, env.programme_id, {m.member_id: m.unit_id for m in e.members})
    await recheck_conflicts(tx, env.programme_id)


async def submitted(tx: Tx, env: Envelope, e: NominationSubmitted, previous: str | None, status: str) -> None:
    if previous == "approved" and status == "submitted":  # an approved nomination sent again leaves the standings
        await mark_dirty(tx.store, env.programme_id, e.category_id)


async def reviewed(tx: Tx, env: Envelope, e: Any, status: str) -> None:
    await mark_dirty(tx.store, env.programme_id, e.category_id)


HOOKS = Hooks(programme=programme_defined, units=units_imported, members=members_imported, submitted=submitted,
              status=reviewed)


async def tally(tx: Tx, env: Envelope, e: TallyUpdated) -> None:
    if e.counts_hidden:
        return  # hidden counts never reach standings until the round reveals them
    seen = await tx.store.tally_sequence(env.programme_id, e.round_id)
    if seen is not None and seen >= e.sequence:
        return
    # The round's whole tally in one document: one write per event instead of one per candidate.
    await tx.store.save_tally(env.programme_id, e.round_id, {
        "round_id": e.round_id, "sequence": e.sequence, "programme_id": env.programme_id,
        "updated_at": env.occurred_at,
        "candidates": [{"nomination_id": c.nomination_id, "approvals": c.approvals,
                        "share_of_cast": c.share_of_cast, "share_of_eligible": c.share_of_eligible}
                       for c in e.candidates]})
    categories = set(e.category_ids)
    categories.update(await tx.store.nomination_categories([c.nomination_id for c in e.candidates]))
    for c in categories:
        await mark_dirty(tx.store, env.programme_id, c)


def register(svc: Service, uow: MongoUnitOfWork) -> None:
    Learning(HOOKS).register(svc, uow)
    # A tally is a whole snapshot with a sequence: in a batch only the newest of each round needs applying.
    svc.on(TallyUpdated, supersede=lambda env, e: (e.round_id, e.sequence))(uow.handler(tally))
