"""A consumer that fell behind applies only the newest snapshot of each key in a batch, with the same end state and
every event still recorded once (Service.on(..., supersede=...))."""
from __future__ import annotations

import pytest

from services.leaderboard.app import create_service as leaderboard
from services.leaderboard.store import MongoReadModel
from shared.contracts import Envelope
from shared.contracts.nominations import NominationWithdrawn
from shared.contracts.voting import CandidateTally, TallyUpdated
from shared.service import Service
from tests.integration.test_batches import publish_in_order
from tests.support import eventually, running

pytestmark = pytest.mark.conformance


def tally(round_id: str, seq: int) -> Envelope:
    return Envelope.wrap(TallyUpdated(
        round_id=round_id, category_ids=["c1"], sequence=seq, eligible=1000, ballots_cast=seq * 10, invalid=0,
        candidates=[CandidateTally(nomination_id=f"{round_id}-n{i}", approvals=seq * i) for i in range(3)],
        turnout_by_unit={"u1": seq / 100}), programme_id="p", key=round_id)


def probe(settings):
    svc = Service("probe", settings, title="probe")
    svc.calls = []

    @svc.on(TallyUpdated, supersede=lambda env, e: (e.round_id, e.sequence))
    async def on_tally(env, e: TallyUpdated, session):
        svc.calls.append((e.round_id, e.sequence))
        await svc.db.state.update_one({"_id": e.round_id, "sequence": {"$lt": e.sequence}},
                                      {"$set": {"sequence": e.sequence, "cast": e.ballots_cast}}, upsert=False,
                                      session=session)
        await svc.db.state.update_one({"_id": e.round_id}, {"$setOnInsert": {"sequence": e.sequence,
                                                                              "cast": e.ballots_cast}},
                                      upsert=True, session=session)

    @svc.on(NominationWithdrawn)
    async def on_other(env, e: NominationWithdrawn, session):
        svc.calls.append(("other", e.nomination_id))

    return svc


async def test_a_backlog_of_snapshots_is_applied_as_the_newest_of_each_key(settings):
    # One partition, published before the consumer starts: one delivered batch, in this order. r1's sequence 7
    # arrives late (after 30) and is older: it changes nothing either way.
    backlog = [tally("r1", s) for s in range(1, 31)] + [tally("r2", s) for s in range(1, 11)] + [tally("r1", 7)]
    other = Envelope.wrap(NominationWithdrawn(nomination_id="w1", category_id="c1"), programme_id="p", key="r1")
    await publish_in_order(settings, backlog[:20] + [other] + backlog[20:])
    events = len(backlog) + 1
    async with running(probe, settings) as (svc, _):
        await eventually(lambda: _inbox(svc, events), timeout=30)
        state = {d["_id"]: (d["sequence"], d["cast"]) for d in await svc.db.state.find({}).to_list()}
        assert state == {"r1": (30, 300), "r2": (10, 100)}
        # Every event is recorded as applied once; the replaced ones never ran their handler.
        assert ("other", "w1") in svc.calls
        tallies = [c for c in svc.calls if c[0] != "other"]
        assert ("r1", 30) in tallies and ("r2", 10) in tallies
        assert len(tallies) < len(backlog) / 4, tallies
        assert svc.superseded == len(backlog) - len(tallies)


async def test_the_leaderboard_shows_the_newest_tally_after_a_backlog_and_a_redelivery(settings):
    backlog = [tally("r1", s) for s in range(1, 41)]
    await publish_in_order(settings, backlog)
    async with running(leaderboard, settings) as (svc, client):
        await eventually(lambda: _inbox(svc, len(backlog)), timeout=30)
        rnd = await MongoReadModel(svc.db).round("r1")
        assert (rnd["sequence"], rnd["ballots_cast"], rnd["turnout_by_unit"]) == (40, 400, {"u1": 0.4})
        assert svc.superseded > 0
    # The same events again, to a process that remembers nothing (another group, the same database): the inbox
    # knows every one of them, replaced or not, and nothing changes.
    again = settings.model_copy(update={"group_suffix": ".again"})
    async with running(leaderboard, again) as (svc, _):
        await eventually(lambda: _processed(svc, len(backlog)), timeout=30)
        assert await svc.db.inbox.count_documents({}) == len(backlog)
        rnd = await MongoReadModel(svc.db).round("r1")
        assert (rnd["sequence"], rnd["ballots_cast"]) == (40, 400)


async def _inbox(svc, n: int) -> bool:
    return await svc.db.inbox.count_documents({}) >= n


async def _processed(svc, n: int) -> bool:
    return svc.processed >= n
