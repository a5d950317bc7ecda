"""Operations: dead letters are re-driven once their cause is fixed; every read model is rebuilt from the log."""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from typer.testing import CliRunner

from deploy.cli import app as cli
from deploy.ops import READ_MODELS, dead_letters, group_lag, read_model, redrive, replay, replay_leaderboard
from devtools.demo.run import seed_demo
from devtools.stack import Stack
from services.leaderboard.app import create_service as create_leaderboard
from services.leaderboard.store import MongoReadModel
from shared.contracts import Envelope
from shared.contracts.nominations import NominationRejected, NominationSubmitted, NominationWithdrawn, ProgrammeDefined
from shared.service import Service
from shared.settings import Settings
from tests.support import eventually, publish_envelopes, running

pytestmark = pytest.mark.conformance


async def test_dead_letters_are_redriven_once_the_cause_is_fixed(settings):
    broken = {"yes": True}

    def create(settings):
        svc = Service("probe", settings, title="probe")

        @svc.on(NominationWithdrawn)
        async def handle(env, e, session):
            if broken["yes"]:
                raise RuntimeError("unit table not loaded yet")
            await svc.db.applied.update_one({"_id": e.nomination_id}, {"$inc": {"n": 1}}, upsert=True, session=session)

        return svc

    cfg = settings.model_copy(update={"max_delivery_attempts": 2})
    async with running(create, cfg) as (svc, _):
        await publish_envelopes(cfg, [Envelope.wrap(NominationWithdrawn(nomination_id=f"n{i}", category_id="c"),
                                                    programme_id="p", key=f"n{i}") for i in range(3)])
        letters = await eventually(lambda: _letters(cfg, 3), timeout=30)
        assert all("unit table not loaded yet" in d.reason for d in letters)
        assert await svc.db.applied.count_documents({}) == 0

        broken["yes"] = False  # the cause is fixed
        assert len(await redrive(cfg, consumer="probe")) == 3
        await eventually(lambda: _applied(svc, 3), timeout=20)
        # Re-driving again changes nothing: each event is applied once.
        await redrive(cfg, consumer="probe")
        await publish_envelopes(cfg, [Envelope.wrap(NominationWithdrawn(nomination_id="after", category_id="c"),
                                                    programme_id="p", key="after")])
        await eventually(lambda: svc.db.applied.find_one({"_id": "after"}))
        assert [d["n"] for d in await svc.db.applied.find({}).to_list()] == [1, 1, 1, 1]


async def _letters(settings, n):
    letters = await dead_letters(settings)
    return letters if len(letters) >= n else None


async def _applied(svc, n):
    return await svc.db.applied.count_documents({}) == n


async def test_leaderboard_rebuilt_from_the_log_equals_the_live_one(settings):
    programme = ProgrammeDefined(programme_id="p", version=1, name="2026年度评选", year=2026, categories=[], stages=[])
    events = [Envelope.wrap(programme, programme_id="p", key="p")]
    for i in range(20):
        events.append(Envelope.wrap(NominationSubmitted(
            nomination_id=f"n{i}", category_id="c", nominee_id=f"u{i}", nominee_name=f"第{i}党支部",
            nominee_kind="branch", unit_id=f"u{i}", unit_name=f"单位{i}"), programme_id="p", key=f"n{i}"))
    events.append(Envelope.wrap(NominationRejected(nomination_id="n3", category_id="c", reason="材料不全"),
                                programme_id="p", key="n3"))
    async with running(create_leaderboard, settings) as (board, _):
        await publish_envelopes(settings, events + events[:5])  # with duplicates
        await eventually(lambda: MongoReadModel(board.db).count_entries(), timeout=20)
        await eventually(lambda: _status(board, "n3", "rejected"))
        report = await replay_leaderboard(settings, timeout=60)
    assert report.documents["entries"] == 20
    assert report.equal, report.differences


async def _status(board, nid, status):
    doc = await MongoReadModel(board.db).entry(nid)
    return doc and doc["status"] == status


async def test_a_late_nomination_event_does_not_take_back_an_honour(settings):
    from shared.contracts.nominations import NominationApproved
    from shared.contracts.publicity import HonourConfirmed

    submitted = Envelope.wrap(NominationSubmitted(
        nomination_id="n1", category_id="c", nominee_id="u1", nominee_name="市财政局机关", nominee_kind="organ",
        unit_id="u1", unit_name="市财政局"), programme_id="p", key="n1")
    approved = Envelope.wrap(NominationApproved(nomination_id="n1", category_id="c"), programme_id="p", key="n1")
    confirmed = Envelope.wrap(HonourConfirmed(honour_id="h1", notice_id="x", nomination_id="n1", category_id="c",
                                              title="模范机关"), programme_id="p", key="x")
    async with running(create_leaderboard, settings) as (board, _):
        await publish_envelopes(settings, [submitted, approved])
        await eventually(lambda: _status(board, "n1", "approved"))
        await publish_envelopes(settings, [confirmed])
        await eventually(lambda: _status(board, "n1", "confirmed"))
        # The nominations topic is replayed (e.g. a redelivery after a rebalance) with new event ids.
        again = [Envelope.wrap(e.event(), programme_id="p", key="n1") for e in (submitted, approved)]
        await publish_envelopes(settings, again)
        await publish_envelopes(settings, [Envelope.wrap(NominationSubmitted(
            nomination_id="n2", category_id="c", nominee_id="u2", nominee_name="市教育局机关", nominee_kind="organ",
            unit_id="u2", unit_name="市教育局"), programme_id="p", key="n1")])  # same partition: after the replay
        await eventually(lambda: MongoReadModel(board.db).entry("n2"))
        assert (await MongoReadModel(board.db).entry("n1"))["status"] == "confirmed"


# A small programme of the demo's shape: 4 organs (24 units), a roll of 60, 12 nominations (2 categories, one
# returned, one rejected), two voting rounds with ballots, judges' scores, standings, two notices with an objection.
SMALL = {"n_units": 4 * 6, "n_members": 60, "honours_wait": 1.0}
# What the programme gives each service to learn, at least (the read models' collections that must not be
# empty, so that "equal" compares something).
EXPECTED = {"leaderboard": ("programmes", "entries", "rounds", "notices", "audit"),
            "nominations": ("judge_access",),
            "voting": ("programmes", "units", "members", "nominations"),
            "scoring": ("programmes", "units", "members", "nominations", "rounds", "tallies", "publications"),
            "publicity": ("programmes", "nominations", "standings")}
# One learned document per read model, changed in the live database: the replay must name it.
TAMPER = {"leaderboard": "entries", "nominations": "judge_access", "voting": "members", "scoring": "tallies",
          "publicity": "standings"}


async def _settled(settings: Settings) -> bool:
    """Every service's consumer group has applied every event, and stays so for two seconds (the scoring
    recomputation emits standings a moment after the last change)."""
    for _ in range(2):
        for name in READ_MODELS:
            create, _ = read_model(name)
            topics = sorted(create(settings).consumer.routes)
            if await group_lag(settings, f"{settings.topic_prefix}.{name}", topics):
                return False
        await asyncio.sleep(2)
    return True


def _start(servers, prefix: str) -> Stack:
    st = Stack(Path(tempfile.mkdtemp(prefix="exemplar-replay-")), services=READ_MODELS, dashboard=False,
               prefix=prefix, extra_env={"EXEMPLAR_LOG_FORMAT": "console", "EXEMPLAR_LOG_LEVEL": "WARNING",
                                         "EXEMPLAR_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
                                         "EXEMPLAR_MONGO_URL": servers.mongo_url})
    st.ports["kafka"] = int(servers.kafka_bootstrap.rsplit(":", 1)[1])
    try:
        for name in READ_MODELS:
            st.start_service(name)
        for name in READ_MODELS:
            st.wait_ready(name, timeout=90)
    except BaseException:
        st.stop()
        raise
    return st


@pytest.mark.timeout(420)
async def test_every_read_model_rebuilt_from_the_log_equals_the_live_one(servers):
    """A small programme of the demo's shape through the five real services (nominations, voting with ballots,
    scoring, publicity, the leaderboard); then the leaderboard and each service's learned views are rebuilt from the
    topics."""
    prefix = "r" + uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap, mongo_url=servers.mongo_url, db_prefix=prefix,
                        topic_prefix=prefix, log_level="WARNING")
    st = await asyncio.to_thread(_start, servers, prefix)
    mongo = AsyncMongoClient(servers.mongo_url)
    try:
        started = time.monotonic()
        await seed_demo(st.urls, settings, progress=lambda line: None, **SMALL)
        print(f"REPLAY programme seeded in {time.monotonic() - started:.1f}s")
        await eventually(lambda: _settled(settings), timeout=180, interval=1)
        reports = {r.name: r for r in await replay(settings, timeout=180)}
        for name, r in reports.items():
            print(f"REPLAY {name} {r.documents} {r.seconds:.1f}s equal={r.equal}")
        assert sorted(reports) == sorted(READ_MODELS)
        differences = [d for r in reports.values() for d in r.differences[:20]]  # some of each read model's
        assert differences == [], "\n".join(differences)
        for name, collections in EXPECTED.items():
            assert all(reports[name].documents[c] > 0 for c in collections), (name, reports[name].documents)

        # A live document changed behind the services' back is reported, by read model, collection and id.
        tampered = {}
        for name, coll in TAMPER.items():
            db = mongo[settings.database_name(name)]
            doc = await db[coll].find_one({}, sort=[("_id", 1)])
            await db[coll].update_one({"_id": doc["_id"]}, {"$set": {"tampered": True}})
            tampered[name] = f"{name}: {coll}/{doc['_id']} differs in tampered"
        env = {"EXEMPLAR_KAFKA_BOOTSTRAP": servers.kafka_bootstrap, "EXEMPLAR_MONGO_URL": servers.mongo_url,
               "EXEMPLAR_DB_PREFIX": prefix, "EXEMPLAR_TOPIC_PREFIX": prefix}
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["replay", "--timeout", "180"], env=env)
        assert result.exit_code == 1, result.output
        for name, line in tampered.items():
            assert line in result.output, result.output
            assert f"{name}: " in result.output and "1 difference(s)" in result.output
    finally:
        await mongo.close()
        await asyncio.to_thread(st.stop)
