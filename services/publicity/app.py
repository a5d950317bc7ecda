"""Wiring of the publicity service (公示): notices over working days, real-name objections and their investigation,
confirmed and revoked honours, periodic reviews (复查).

Events consumed: ProgrammeDefined, StageChanged (a notice opens only in the publicity stage), NominationSubmitted
(names and units), StandingsUpdated (the ranked shortlist), VetoSet / VetoLifted (一票否决).
Events emitted: PublicityOpened, ObjectionFiled, ObjectionAssigned, ObjectionFindingsRecorded, ObjectionResolved,
NomineeRemoved, PublicityClosed, HonourConfirmed, HonourRevoked, HonourReviewScheduled, HonourReviewed.
Every event of a notice, its objections and its honours is keyed by the notice id, so they stay in order.
"""
from __future__ import annotations

from shared import clock as clocks
from shared.ratelimit import RateLimiter
from shared.service import Service
from shared.settings import Settings
from shared.uow import MongoUnitOfWork

from . import config, learning
from .actions.closing import Scheduler
from .actions.context import Context
from .http import Web, router
from .privacy import ContactVault
from .store import GridFSAttachments, MongoPublicityStore

Clock = clocks.Clock


def create_service(settings: Settings | None = None, *, clock: Clock | None = None, tick_seconds: float | None = None,
                   objection_rate: tuple[int, int] | None = None,
                   contact_rate: tuple[int, int] | None = None) -> Service:
    options = config.load()
    svc = Service("publicity", settings, title="Publicity service (公示与异议处理)",
                  description="Publicity notices over working days, real-name objections, honours and reviews. "
                              "A period ends at 17:30 Asia/Shanghai on its last working day.")
    now = clock or clocks.from_env()  # real time unless EXEMPLAR_CLOCK_OFFSET_FILE is set (trials and tests)
    note = clocks.offset_note(now)
    if note:
        svc.log.warning(note)
    store = MongoPublicityStore(lambda: svc.db)
    uow = MongoUnitOfWork(svc, store.bound)
    ctx = Context(
        uow=uow, store=store, attachments=GridFSAttachments(lambda: svc.db), vault=ContactVault(svc.settings),
        clock=now,
        address_limiter=RateLimiter(*(objection_rate or (options.objection_rate_per_minute, options.objection_burst))),
        contact_limiter=RateLimiter(*(contact_rate or (options.contact_rate_per_minute, options.contact_burst))))
    svc.api.state.publicity = Web(ctx, svc.check_public_rate)
    # FastAPI 0.165's include_router keeps the router as one lazy entry of app.routes, which hides the APIRoutes from
    # whoever lists them (the authorisation matrix); the routes are put on the app as they are instead.
    svc.api.router.routes.extend(router.routes)
    svc.on_startup(store.ensure_indexes)
    learning.register(svc, uow)
    scheduler = Scheduler(ctx, tick_seconds if tick_seconds is not None else options.tick_seconds, svc.log)
    svc.background(scheduler)
    svc.store = store  # read access for operators' tooling and tests
    svc.close_due_notices = scheduler.close_due_notices  # for operators' tooling and tests
    return svc


def create_consumers(settings: Settings) -> Service:
    """Only the consumers of the other services' events, as `exemplar replay` runs them (deploy/ops.py): what the
    service learns, built again into the settings' database. No routes, no background work, no relay."""
    svc = Service("publicity", settings, title="Publicity service: learning only", relay=False)
    store = MongoPublicityStore(lambda: svc.db)
    learning.register(svc, MongoUnitOfWork(svc, store.bound))
    return svc
