"""What a service learns of the nominations service's events: programmes, the tree, the roll and the nominations.

One copy for every service that keeps its own view of them. A service picks what it learns and adds its own
follow-up (mark standings dirty, recheck conflicts, mark withdrawn candidates) as hooks, run in the same
transaction as the learning itself."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .contracts import Envelope
from .contracts.nominations import (
    MembersImported,
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationSubmitted,
    NominationWithdrawn,
    ProgrammeDefined,
    StageChanged,
    UnitsImported,
)
from .uow import Transaction

if TYPE_CHECKING:
    from .service import Service
    from .uow import MongoUnitOfWork

STATUS: dict[type, str] = {
    NominationApproved: "approved",
    NominationReturned: "returned",
    NominationRejected: "rejected",
    NominationWithdrawn: "withdrawn",
}
# A submission (or a resubmission) takes a nomination back to "submitted" only from these statuses: a late or
# redelivered NominationSubmitted must not undo a review already learned.
RESUBMITTABLE = (None, "submitted", "returned")

KINDS = ("programmes", "stages", "units", "members", "nominations")


def scoped_id(programme_id: str, local_id: str) -> str:
    """The stored id of a unit or member of one programme: the same org chart re-used next year, or by another
    programme of the same installation, never shares a document."""
    return f"{programme_id}/{local_id}"


class LearnedStore(Protocol):
    """The part of a service's store that keeps what it learned (shared.learned_store has the MongoDB one)."""

    async def programme_version(self, programme_id: str) -> int | None: ...

    async def save_programme(self, programme_id: str, fields: dict[str, Any]) -> None: ...

    async def save_units(self, programme_id: str, units: list[dict[str, Any]]) -> None:
        """Each unit's document is `_id` scoped_id(programme_id, unit_id), with programme_id and unit_id in it."""
        ...

    async def save_members(self, programme_id: str, members: list[dict[str, Any]]) -> None: ...

    async def save_stage(self, programme_id: str, stage: str, state: str) -> None:
        """Set the programme's stage_state[stage] (creating the programme's document if it is not known yet)."""
        ...

    async def nomination_status(self, nomination_id: str) -> tuple[bool, str | None]:
        """(known, status): whether the nomination is known at all, and its status if it has one."""
        ...

    async def save_nomination(self, nomination_id: str, fields: dict[str, Any],
                              on_insert: dict[str, Any] | None = None) -> None: ...


Hook = Callable[..., Awaitable[None]]


@dataclass
class Hooks:
    """Service-specific follow-ups, each called with the transaction, the envelope and the event (and more)."""

    programme: Hook | None = None  # (tx, env, e) after a newer version was stored
    stage: Hook | None = None  # (tx, env, e)
    units: Hook | None = None  # (tx, env, e)
    members: Hook | None = None  # (tx, env, e)
    submitted: Hook | None = None  # (tx, env, e, previous_status, new_status)
    status: Hook | None = None  # (tx, env, e, status)


class Learning:
    """Handlers for the nominations events, writing through a LearnedStore inside the consumer's transaction."""

    def __init__(self, hooks: Hooks | None = None) -> None:
        self.hooks = hooks or Hooks()

    async def programme_defined(self, tx: Transaction[LearnedStore], env: Envelope, e: ProgrammeDefined) -> None:
        current = await tx.store.programme_version(e.programme_id)
        if current is not None and current > e.version:
            return  # an older version delivered late
        await tx.store.save_programme(e.programme_id, e.model_dump(mode="json"))
        if self.hooks.programme:
            await self.hooks.programme(tx, env, e)

    async def stage_changed(self, tx: Transaction[LearnedStore], env: Envelope, e: StageChanged) -> None:
        await tx.store.save_stage(e.programme_id, e.stage, e.state)
        if self.hooks.stage:
            await self.hooks.stage(tx, env, e)

    async def units_imported(self, tx: Transaction[LearnedStore], env: Envelope, e: UnitsImported) -> None:
        if not e.units:
            return
        pid = env.programme_id
        await tx.store.save_units(pid, [u.model_dump(mode="json") | {"_id": scoped_id(pid, u.unit_id),
                                                                      "programme_id": pid} for u in e.units])
        if self.hooks.units:
            await self.hooks.units(tx, env, e)

    async def members_imported(self, tx: Transaction[LearnedStore], env: Envelope, e: MembersImported) -> None:
        if not e.members:
            return
        pid = env.programme_id
        await tx.store.save_members(pid, [m.model_dump(mode="json") | {"_id": scoped_id(pid, m.member_id),
                                                                        "programme_id": pid} for m in e.members])
        if self.hooks.members:
            await self.hooks.members(tx, env, e)

    async def nomination_submitted(self, tx: Transaction[LearnedStore], env: Envelope,
                                   e: NominationSubmitted) -> None:
        known, previous = await tx.store.nomination_status(e.nomination_id)
        fields = {"programme_id": env.programme_id, **e.model_dump(mode="json")}
        fields.pop("resubmission", None)
        status = "submitted" if (not known or e.resubmission or previous in RESUBMITTABLE) else previous
        fields["status"] = status
        await tx.store.save_nomination(e.nomination_id, fields)
        if self.hooks.submitted:
            await self.hooks.submitted(tx, env, e, previous, status)

    async def nomination_reviewed(self, tx: Transaction[LearnedStore], env: Envelope, e: Any) -> None:
        status = STATUS[type(e)]
        await tx.store.save_nomination(e.nomination_id, {"status": status, "category_id": e.category_id},
                                       on_insert={"programme_id": env.programme_id})
        if self.hooks.status:
            await self.hooks.status(tx, env, e, status)

    def register(self, svc: "Service", uow: "MongoUnitOfWork[Any]", kinds: Iterable[str] = KINDS) -> None:
        """Subscribe the handlers of the chosen kinds (see KINDS) on the service's events consumer."""
        kinds = set(kinds)
        unknown = kinds - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds of learning: {sorted(unknown)}")
        if "programmes" in kinds:
            svc.on(ProgrammeDefined)(uow.handler(self.programme_defined))
        if "stages" in kinds:
            svc.on(StageChanged)(uow.handler(self.stage_changed))
        if "units" in kinds:
            svc.on(UnitsImported)(uow.handler(self.units_imported))
        if "members" in kinds:
            svc.on(MembersImported)(uow.handler(self.members_imported))
        if "nominations" in kinds:
            svc.on(NominationSubmitted)(uow.handler(self.nomination_submitted))
            svc.on(*STATUS)(uow.handler(self.nomination_reviewed))
