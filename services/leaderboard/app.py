"""Wiring of the leaderboard projector; each source service's projection lives in its own module."""
from __future__ import annotations

from shared.service import Service
from shared.settings import Settings

from .projections import nominations, publicity, scoring, voting

COLLECTIONS = ("programmes", "entries", "rounds", "arenas", "notices", "honours")


def create_service(settings: Settings | None = None) -> Service:
    svc = Service("leaderboard", settings, title="Leaderboard projector (排行榜读模型)",
                  description="Builds the public leaderboard read model from events; no commands.")

    @svc.on_startup
    async def indexes() -> None:
        await svc.db.entries.create_index([("programme_id", 1), ("category_id", 1), ("rank", 1)])
        await svc.db.entries.create_index([("programme_id", 1), ("board", 1)])
        await svc.db.honours.create_index([("programme_id", 1), ("status", 1)])

    for module in (nominations, voting, scoring, publicity):
        module.register(svc)
    return svc
