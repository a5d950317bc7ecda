"""Composition root of the leaderboard projector: the read model, the learning and the projections' handlers."""
from __future__ import annotations

from shared.service import Service
from shared.settings import Settings
from shared.uow import MongoUnitOfWork

from . import learning
from .projections import Projection, nominations, publicity, scoring, voting
from .store import COLLECTIONS, MongoReadModel

__all__ = ["COLLECTIONS", "PROJECTIONS", "create_service"]

PROJECTIONS: tuple[Projection, ...] = (
    nominations.PROJECTIONS + voting.PROJECTIONS + scoring.PROJECTIONS + publicity.PROJECTIONS)


def create_service(settings: Settings | None = None) -> Service:
    svc = Service("leaderboard", settings, title="Leaderboard projector (排行榜读模型)",
                  description="Builds the public leaderboard read model from events; no commands.")
    uow = MongoUnitOfWork(svc, lambda session: MongoReadModel(svc.db, session))

    @svc.on_startup
    async def indexes() -> None:
        await MongoReadModel(svc.db).ensure_indexes()

    learning.register(svc, uow)
    for p in PROJECTIONS:
        svc.on(*p.events, supersede=p.supersede)(uow.handler(p.apply))
    return svc
