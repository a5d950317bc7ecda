"""What publicity learns from other services' events: programmes, their stages and nominations (shared.learning),
the ranked shortlist of each category from scoring's StandingsUpdated, and vetoes (一票否决) from nominations."""
from __future__ import annotations

from typing import Any

from shared.contracts import Envelope
from shared.contracts.nominations import VetoLifted, VetoSet
from shared.contracts.scoring import StandingsUpdated
from shared.learning import Learning
from shared.uow import Transaction

from .actions import vetoes
from .store import PublicityStore

KINDS = ("programmes", "stages", "nominations")


async def standings_updated(tx: Transaction[PublicityStore], env: Envelope, e: StandingsUpdated) -> None:
    key = f"{env.programme_id}:{e.category_id}"
    current = await tx.store.board(key)
    if current and current.get("sequence", -1) >= e.sequence:
        return  # an older or repeated board; the newest wins
    # The complete standing is kept as it came (components, name, tie-break): a notice freezes its lines from this
    # copy. The unit's name is not copied in: it comes from the nomination, another topic, read before or after the
    # standings (a replay reads them in another order than the live run), so the shortlist and the notice look it
    # up when they are shown or opened (views.shortlists, domain.listing).
    rows = [x.model_dump(mode="json") for x in e.standings]
    # A board in parts is assembled aside and replaces the shortlist only once complete: a notice is never
    # drawn from half a ranking.
    pending = (current or {}).get("pending") or {}
    if pending.get("sequence") != e.sequence:
        pending = {"sequence": e.sequence, "parts": {}}
    if str(e.part) in pending["parts"]:
        return
    pending["parts"][str(e.part)] = rows
    if len(pending["parts"]) < e.parts:
        await tx.store.save_pending_board(key, pending)
        return
    ranked = [r for part in sorted(pending["parts"], key=int) for r in pending["parts"][part]]
    await tx.store.save_board(key, {
        "programme_id": env.programme_id, "category_id": e.category_id, "sequence": e.sequence,
        "programme_version": e.programme_version, "updated_at": env.occurred_at, "standings": ranked})


def register(svc: Any, uow: Any) -> None:
    """Subscribe publicity's handlers of other services' events on its consumer."""
    Learning().register(svc, uow, kinds=KINDS)
    svc.on(StandingsUpdated)(uow.handler(standings_updated))
    svc.on(VetoSet)(uow.handler(vetoes.veto_set))
    svc.on(VetoLifted)(uow.handler(vetoes.veto_lifted))
