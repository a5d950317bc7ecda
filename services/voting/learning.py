"""What voting learns from the nominations service: programmes, units, the roll of members and the nominations.

On the shared helper; voting's own follow-up: a withdrawn nominee stays on open rounds' lists, marked withdrawn."""
from __future__ import annotations

from typing import Any

from shared.contracts import Envelope
from shared.learning import Hooks, Learning

from .uow import VotingTransaction


async def withdrawn_on_open_rounds(tx: VotingTransaction, env: Envelope, e: Any, status: str) -> None:
    if status == "withdrawn":
        await tx.store.mark_withdrawn(e.nomination_id)


LEARNING = Learning(Hooks(status=withdrawn_on_open_rounds))
