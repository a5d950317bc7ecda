"""Nominations service (申报与资格审查): the composition root of programmes, the organisation tree and roll,
nominations and their review."""
from __future__ import annotations

from shared.service import Service
from shared.settings import Settings
from shared.uow import MongoUnitOfWork

from . import learning
from .config import settings_for
from .criteria_templates import load_templates
from .http import Context, router
from .store import MongoStore


class NominationsUnitOfWork(MongoUnitOfWork[MongoStore]):
    """The unit of work, with the store outside any transaction for the reads before a write and for GridFS.
    The database is the service's at call time: it exists only once the lifespan (or a test) has connected."""

    @property
    def store(self) -> MongoStore:
        return MongoStore(self.service.db)


def create_service(settings: Settings | None = None) -> Service:
    svc = Service("nominations", settings_for(settings), title="Nominations service (申报与资格审查)",
                  description="Programmes, the organisation tree and the roll, nominations with eligibility checks "
                              "and quotas, and their review.")
    uow = NominationsUnitOfWork(svc, lambda session: MongoStore(svc.db, session))
    svc.api.state.nominations = Context(svc, uow, load_templates())
    svc.api.include_router(router)
    learning.register(svc, uow)

    @svc.on_startup
    async def indexes() -> None:
        await uow.store.ensure_indexes()

    return svc


def create_consumers(settings: Settings) -> Service:
    """Only the consumers of the other services' events, as `exemplar replay` runs them (deploy/ops.py): what the
    service learns, built again into the settings' database. No routes, no background work, no relay."""
    svc = Service("nominations", settings, title="Nominations service: learning only", relay=False)
    learning.register(svc, NominationsUnitOfWork(svc, lambda session: MongoStore(svc.db, session)))
    return svc
