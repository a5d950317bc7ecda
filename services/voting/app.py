"""Composition root of the voting service (民主测评): rounds, roll, credentials, casting, counting, bulletin,
tallies."""
from __future__ import annotations

from functools import partial
from typing import Any

from faststream import AckPolicy

from shared.contracts import topics
from shared.service import Service
from shared.settings import Settings

from .config import LOCAL_BALLOT_SECRET, VotingConfig
from .context import Voting
from .counting import Counter
from .edge import Edge
from .http import router
from . import learning
from .loops import auto_close, tally_flush
from .uow import MongoVotingUnitOfWork


def create_service(settings: Settings | None = None, config: VotingConfig | None = None, *,
                   tracer_provider: Any = None) -> Service:
    """tracer_provider: an OpenTelemetry SDK provider for this service alone (a test's); see Service."""
    svc = Service("voting", settings, title="Voting service (民主测评)",
                  description="Voter roll, one-time ballot credentials, secret ballots with receipts, "
                              "a public bulletin with a hash chain, live tallies and turnout.",
                  tracer_provider=tracer_provider)
    cfg = config or VotingConfig()
    if svc.settings.env == "production" and cfg.ballot_secret == LOCAL_BALLOT_SECRET.encode():
        raise RuntimeError("EXEMPLAR_BALLOT_SECRET must be set to a random value in production")
    uow = MongoVotingUnitOfWork(svc)
    counter = Counter(svc, cfg, uow)
    edge = Edge(svc, cfg, uow, counter)
    voting = Voting(svc, cfg, uow, counter, edge)
    svc.api.state.voting = voting
    # FastAPI 0.165's include_router keeps the router as one lazy entry of app.routes, which hides the APIRoutes from
    # whoever lists them (the authorisation matrix); the routes are put on the app as they are instead.
    svc.api.router.routes.extend(router.routes)
    svc.on_startup(lambda: uow.store.ensure_indexes())
    learning.register(svc, uow)

    # Counting: cast commands in batches, on the partitions this process owns. A group of its own: in the events
    # consumer's group every join of either consumer rebalanced both (3 s more on every start, and a stop during that
    # rebalance could wait for it; finding 8 in docs/reliability.md).
    edge.subscriber = svc.broker.subscriber(
        svc.topic(topics.BALLOTS), group_id=f"{svc.group_id}.ballots", batch=True,
        group_instance_id=svc.instance_id("ballots"),
        max_records=cfg.batch_max_records, batch_timeout_ms=cfg.batch_timeout_ms, ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest", title="voting:ballots")
    edge.subscriber(counter.consume)
    counter.share = edge.ballots_share
    svc.background(partial(tally_flush, voting))
    svc.background(partial(auto_close, voting))

    # What tests, the stack and the benchmark reach: the counter, the partitions and the store (svc.voting.uow.store).
    svc.voting, svc.voting_config, svc.counter = voting, cfg, counter
    svc.ballots_subscriber, svc.own_partition = edge.subscriber, edge.own_partition
    svc.credential_limiter, svc.address_limiter = edge.credential_limiter, edge.address_limiter
    return svc


def create_consumers(settings: Settings) -> Service:
    """Only the consumers of the other services' events, as `exemplar replay` runs them (deploy/ops.py): what the
    service learns, built again into the settings' database. No routes, no background work, no relay."""
    svc = Service("voting", settings, title="Voting service: learning only", relay=False)
    learning.register(svc, MongoVotingUnitOfWork(svc))
    return svc
