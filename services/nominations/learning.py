"""What nominations learns from the scoring service's events: which judges may read which nominee's materials.

A judge assigned to a nominee (JudgesAssigned) may read its materials, self-assessment and attachments; a recused
judge (JudgeRecused) no longer may. Both are keyed by the nomination, so they arrive in order."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.scoring import JudgeRecused, JudgesAssigned
from shared.service import Service
from shared.uow import MongoUnitOfWork, Transaction

from .store import Store


async def judges_assigned(tx: Transaction[Store], env: Envelope, e: JudgesAssigned) -> None:
    await tx.store.set_judge_access(env.programme_id, e.nomination_id, e.judge_ids, True)


async def judge_recused(tx: Transaction[Store], env: Envelope, e: JudgeRecused) -> None:
    await tx.store.set_judge_access(env.programme_id, e.nomination_id, [e.judge_id], False)


def register(svc: Service, uow: MongoUnitOfWork) -> None:
    svc.on(JudgesAssigned)(uow.handler(judges_assigned))
    svc.on(JudgeRecused)(uow.handler(judge_recused))
