"""Composition root of the leaderboard projector: the read model, the learning and the projections' handlers."""
from __future__ import annotations

from typing import Any

from shared.service import Service
from shared.settings import Settings
from shared.uow import MongoUnitOfWork

from . import learning
from .projections import Projection, nominations, publicity, scoring, voting
from .store import COLLECTIONS, MongoReadModel

__all__ = ["COLLECTIONS", "PROJECTIONS", "create_service"]

PROJECTIONS: tuple[Projection, ...] = (
    nominations.PROJECTIONS + voting.PROJECTIONS + scoring.PROJECTIONS + publicity.PROJECTIONS)


def create_service(settings: Settings | None = None, *, tracer_provider: Any = None) -> Service:
    """tracer_provider: an OpenTelemetry SDK provider for this service alone (a test's); see Service."""
    svc = Service("leaderboard", settings, title="Leaderboard projector (排行榜读模型)",
                  description="Builds the public leaderboard read model from events; no commands.",
                  tracer_provider=tracer_provider)
    uow = MongoUnitOfWork(svc, lambda session: MongoReadModel(svc.db, session))

    @svc.on_startup
    async def indexes() -> None:
        await MongoReadModel(svc.db).ensure_indexes()

    learning.register(svc, uow)
    for p in PROJECTIONS:
        svc.on(*p.events, supersede=p.supersede)(uow.handler(p.apply))
    return svc
