"""What voting learns from the other services: programmes, stages, units, the roll, nominations, published lists.

On the shared helper for the nominations events; from publicity, which categories' 公示 lists are published (they
take no new round). Voting's own follow-ups: a withdrawn nominee stays on open rounds'
lists, marked withdrawn; the voting stage, as the programme now says, is copied onto its rounds not yet closed (the
casting edge and the counter gate every ballot on the round they read anyway)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.contracts import Envelope
from shared.contracts.publicity import PublicityOpened
from shared.learning import Hooks, Learning

from .domain.rounds import stage_snapshot
from .uow import VotingTransaction

if TYPE_CHECKING:
    from shared.service import Service

    from .uow import MongoVotingUnitOfWork


async def withdrawn_on_open_rounds(tx: VotingTransaction, env: Envelope, e: Any, status: str) -> None:
    if status == "withdrawn":
        await tx.store.mark_withdrawn(env.programme_id, e.nomination_id)


async def stage_on_rounds(tx: VotingTransaction, env: Envelope, e: Any) -> None:
    """After a StageChanged or a newer ProgrammeDefined (its windows, its stage_control) was learned."""
    if getattr(e, "stage", "voting") == "voting":
        await tx.store.set_voting_stage(e.programme_id, stage_snapshot(await tx.store.programme(e.programme_id)))


LEARNING = Learning(Hooks(status=withdrawn_on_open_rounds, stage=stage_on_rounds, programme=stage_on_rounds))


async def category_published(tx: VotingTransaction, env: Envelope, e: PublicityOpened) -> None:
    """A notice opened (a first one or a 递补 replacement): the category's list is published from now on.
    The published categories are kept sorted, so the notices of several categories (several keys, several
    partitions) leave the same list in whatever order they are read (a replay reads them in another one)."""
    programme = await tx.store.programme(env.programme_id) or {}
    published = set(programme.get("published_categories") or [])
    if e.category_id not in published:
        await tx.store.set_published(env.programme_id, sorted(published | {e.category_id}))


def register(svc: "Service", uow: "MongoVotingUnitOfWork") -> None:
    LEARNING.register(svc, uow)
    svc.on(PublicityOpened)(uow.handler(category_published))
