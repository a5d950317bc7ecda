"""The in-memory read model is honest: one story of every projection, applied through the same handlers to the
MongoDB read model and to the fake, leaves the same documents in each collection."""
from __future__ import annotations

from datetime import date, datetime

from services.leaderboard.store import COLLECTIONS, MongoReadModel
from shared.contracts import Envelope
from shared.contracts.nominations import NominationApproved, NominationRejected, StageChanged
from shared.contracts.publicity import (
    HonourReviewed,
    HonourReviewScheduled,
    HonourRevoked,
    NomineeRemoved,
    ObjectionFiled,
    ObjectionResolved,
    PublicityClosed,
)
from shared.contracts.scoring import ArenaBoardUpdated
from shared.contracts.voting import RoundClosed
from shared.mongo import connect
from tests.fakes import FakeTransaction

from .events import CAT, P, confirmed, line, opened, programme, round_opened, standing, standings, submitted, tally
from .fakes import ROUTES, FakeProjector

STORY = [
    ObjectionFiled(objection_id="o1", notice_id="x1", nomination_id="n4", tracking_no="T1"),
    standings(1, standing("n5", 1, 99.0, name="未申报先排名")),
    submitted("n1"), submitted("n2"), submitted("n3"), submitted("n4"),
    programme(1), StageChanged(programme_id=P, stage="nomination", state="open"), programme(2, "模范机关（新）"),
    NominationApproved(nomination_id="n1", category_id=CAT), NominationApproved(nomination_id="n2", category_id=CAT),
    NominationRejected(nomination_id="n3", category_id=CAT, reason="材料不全"),
    NominationApproved(nomination_id="n4", category_id=CAT),
    ObjectionFiled(objection_id="o2", notice_id="x1", nomination_id="n4", tracking_no="T2"),
    ObjectionResolved(objection_id="o1", nomination_id="n4", outcome="dismissed", reason="不属实"),
    standings(2, standing("n1", 1, 90.0), standing("n2", 2, 80.0), part=1, parts=2),
    standings(2, standing("n4", 3, 70.0), part=2, parts=2),
    standings(2, standing("n4", 3, 70.0), part=2, parts=2),
    standings(3, standing("n1", 1, 90.0), standing("n2", 2, 85.0)),
    opened("n1", "n2", "n4", listing=[line("n1", 1, 90.0), line("n2", 2, 85.0, name="冻结名单"), line("n6", 3, 60.0)]),
    standings(4, standing("n2", 1, 99.0)), NomineeRemoved(notice_id="x1", nomination_id="n4", reason="查实"),
    PublicityClosed(notice_id="x1", category_id=CAT, confirmed=["n1"], blocked=["n2", "n4"], removed=["n4"]),
    confirmed("n1"), submitted("n1"), NominationApproved(nomination_id="n1", category_id=CAT),
    HonourReviewScheduled(honour_id="h1", review_id="rv1", nomination_id="n1", due_date=date(2027, 3, 1)),
    HonourReviewed(honour_id="h1", review_id="rv1", nomination_id="n1", outcome="revoke", note="复查"),
    HonourRevoked(honour_id="h1", nomination_id="n1", reason="复查撤销"),
    HonourRevoked(honour_id="h9", nomination_id="n2", reason="无此荣誉"),
    tally(2, "r1"), round_opened("r1"), tally(1, "r1"), tally(3, "r1"), RoundClosed(round_id="r1", bulletin_root="ab",
                                                                                  ballots_cast=30),
    round_opened("r2", hidden=True), tally(1, "r2", hidden=True),
    ArenaBoardUpdated(arena_id="a1", name="擂台赛", sequence=2, frozen=False, rounds=["r1"], rows=[{"n": 1}]),
    ArenaBoardUpdated(arena_id="a1", name="擂台赛", sequence=1, frozen=True, rounds=[], rows=[]),
]


def _as_stored(value):
    """What MongoDB gives back: datetimes to the millisecond."""
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {k: _as_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stored(v) for v in value]
    return value


async def test_the_fake_and_mongodb_read_models_agree_on_a_story_of_every_projection(settings):
    envelopes = [Envelope.wrap(e, programme_id=P, key="k") for e in STORY]
    fake = FakeProjector()
    await fake.deliver(envelopes)
    client = connect(settings.mongo_url)
    try:
        db = client[settings.database_name("leaderboard")]
        store = MongoReadModel(db)
        await store.ensure_indexes()
        for env in envelopes:
            await ROUTES[type(env.event())](FakeTransaction(store), env, env.event())
        for coll in COLLECTIONS + ("standings_seq",):
            stored = {d["_id"]: d for d in await db[coll].find({}).to_list()}
            assert stored == _as_stored(getattr(fake.store, coll)), coll
            assert stored, coll
    finally:
        await client.close()
