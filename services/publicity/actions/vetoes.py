"""A veto (一票否决) set or lifted in the nominations service, as publicity applies it (an event handler, no role):
a listed nomination in a notice not yet confirmed is removed (NomineeRemoved, reason "一票否决: …") with a 递补
proposal on the notice, as a sustained objection does; a confirmed honour is revoked (HonourRevoked, same reason).
Setting and lifting are kept on the veto's history; a lifted veto restores nothing (the organiser decides)."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.nominations import VetoLifted, VetoSet

from .. import domain
from .context import Tx
from .honours import revoke_in
from .removal import remove_entry

BY = "veto"  # who a change made by a veto is recorded as


def veto_reason(reason: str) -> str:
    return f"一票否决: {reason}"


async def veto_set(tx: Tx, env: Envelope, e: VetoSet) -> None:
    at = env.occurred_at
    await tx.store.save_veto(env.programme_id, e.nominee_id, {
        "state": "set", "reason": e.reason, "nomination_ids": e.nomination_ids, "stage": e.stage, "set_at": at},
        {"at": at, "change": "set", "reason": e.reason, "stage": e.stage, "event_id": env.event_id})
    reason = veto_reason(e.reason)
    for nomination_id in e.nomination_ids:
        for n in await tx.store.notices_listing(nomination_id):
            if n["programme_id"] == env.programme_id and domain.removable(n, nomination_id):
                await remove_entry(tx, n, nomination_id, reason, at, "veto", BY)
        h = await tx.store.honour(f"h-{nomination_id}")
        if h and h["programme_id"] == env.programme_id and h["status"] == "confirmed":
            await revoke_in(tx, h, reason, BY, at, source="veto")


async def veto_lifted(tx: Tx, env: Envelope, e: VetoLifted) -> None:
    at = env.occurred_at
    await tx.store.save_veto(env.programme_id, e.nominee_id, {"state": "lifted", "lifted_at": at,
                                                              "lifted_reason": e.reason},
                             {"at": at, "change": "lifted", "reason": e.reason, "event_id": env.event_id})
