"""Composition root of the leaderboard projector: the read model, the learning and the projections' handlers."""
from __future__ import annotations

from typing import Any

from shared.contracts import Event
from shared.contracts.nominations import ProgrammeDefined
from shared.service import Service
from shared.settings import Settings
from shared.uow import MongoUnitOfWork

from . import learning
from . import http
from .projections import Apply, Projection, Supersede, audit, nominations, publicity, scoring, voting
from .store import COLLECTIONS, MongoReadModel

__all__ = ["COLLECTIONS", "PROJECTIONS", "ROUTES", "create_service"]

PROJECTIONS: tuple[Projection, ...] = (
    nominations.PROJECTIONS + voting.PROJECTIONS + scoring.PROJECTIONS + publicity.PROJECTIONS)
# The one handler of each event type (Service.on keeps one per type): the projection's, or the programme's learning,
# followed by its audit record (projections.audit).
ROUTES: dict[type[Event], Apply] = audit.with_audit(
    {**{cls: p.apply for p in PROJECTIONS for cls in p.events}, ProgrammeDefined: learning.LEARNING.programme_defined})
SUPERSEDE: dict[type[Event], Supersede] = {cls: p.supersede for p in PROJECTIONS for cls in p.events if p.supersede}


def create_service(settings: Settings | None = None, *, tracer_provider: Any = None) -> Service:
    """tracer_provider: an OpenTelemetry SDK provider for this service alone (a test's); see Service."""
    svc = Service("leaderboard", settings, title="Leaderboard projector (排行榜读模型)",
                  description="Builds the public leaderboard read model and the organisers' audit trail from events; "
                              "no commands.", tracer_provider=tracer_provider)
    uow = MongoUnitOfWork(svc, lambda session: MongoReadModel(svc.db, session))

    @svc.on_startup
    async def indexes() -> None:
        await MongoReadModel(svc.db).ensure_indexes()

    learning.register(svc, uow)
    for cls, apply in ROUTES.items():
        svc.on(cls, supersede=SUPERSEDE.get(cls))(uow.handler(apply))
    http.install(svc)
    return svc
