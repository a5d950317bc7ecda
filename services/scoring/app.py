"""Composition root of the scoring service (评审打分): judges and panels, recusal, scores, indicators, standings,
arenas. Builds the Service, the store and unit of work, the HTTP routes, the event handlers and the recomputation."""
from __future__ import annotations

from shared.service import Service
from shared.settings import Settings
from shared.uow import MongoUnitOfWork

from . import learning
from .config import ScoringSettings
from .http import Context, router
from .recompute import Recomputer
from .store import MongoScoringStore


class LazyStore(MongoScoringStore):
    """The service's store, reading svc.db at each use (the Service connects to MongoDB at start-up)."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.session = None
        self.on_mark = None

    @property  # type: ignore[override]
    def db(self):
        return self.svc.db


def create_service(settings: Settings | None = None, scoring: ScoringSettings | None = None) -> Service:
    svc = Service("scoring", settings, title="Scoring service (评审打分与综合排名)",
                  description="Judges, panels, automatic recusal, scores, indicator points with 随机点验, "
                              "composite standings with explanations, and live arena contests (擂台赛).")
    scoring = scoring or ScoringSettings()
    # The database is known once the service has started: the store reaches it through svc.db when it is used.
    store = LazyStore(svc)
    uow = MongoUnitOfWork(svc, store.bind)
    recomputer = Recomputer(uow, store, scoring, svc.log)
    store.on_mark = recomputer.wake.set  # a committed dirty mark wakes the recomputation
    svc.stats = recomputer.stats  # read by tests and /stats
    svc.store = store  # what tests and tools read instead of the collections
    svc.api.state.scoring = Context(svc, uow, store, recomputer.stats)
    svc.api.include_router(router)
    svc.on_startup(store.ensure_indexes)
    learning.register(svc, uow)
    svc.background(recomputer.run)
    return svc


def create_consumers(settings: Settings) -> Service:
    """Only the consumers of the other services' events, as `exemplar replay` runs them (deploy/ops.py): what the
    service learns, built again into the settings' database. No routes, no background work, no relay."""
    svc = Service("scoring", settings, title="Scoring service: learning only", relay=False)
    learning.register(svc, MongoUnitOfWork(svc, LazyStore(svc).bind))
    return svc
