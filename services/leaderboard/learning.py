"""What the leaderboard learns through shared.learning: the programmes (its entries are projections, not copies)."""
from __future__ import annotations

from typing import Any

from shared.learning import Hooks, Learning
from shared.service import Service
from shared.uow import MongoUnitOfWork

from .projections import nominations

# Only the programmes: the nominations' events are the leaderboard's own projections (projections.nominations), and
# Service.on keeps one handler per event type.
KINDS = ["programmes"]
LEARNING = Learning(Hooks(programme=nominations.categories_named))


def register(svc: Service, uow: MongoUnitOfWork[Any]) -> None:
    LEARNING.register(svc, uow, kinds=KINDS)
