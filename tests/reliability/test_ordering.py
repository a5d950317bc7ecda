"""Out-of-order delivery across aggregates and topics: what the leaderboard projector makes of it.

Kafka keeps one key's events in order, nothing more. A programme's events are keyed by the programme, a
nomination's by the nomination, an objection's events live on another topic: a consumer (and above all a replay,
which reads partitions in its own order) may see them in any interleaving.
"""
from __future__ import annotations

import pytest

from services.leaderboard.app import create_service as create_leaderboard
from services.leaderboard.store import MongoReadModel
from shared.contracts import Envelope
from shared.contracts.nominations import CategoryInfo, CriterionInfo, NominationSubmitted, ProgrammeDefined
from shared.contracts.publicity import ObjectionFiled
from tests.support import eventually, publish_envelopes, running

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(90)]


def submitted(nid: str) -> Envelope:
    return Envelope.wrap(NominationSubmitted(nomination_id=nid, category_id="good-member", nominee_id="m1",
                                             nominee_name="王伟", nominee_kind="member", unit_id="u1",
                                             unit_name="市财政局"), programme_id="p", key=nid)


def programme() -> Envelope:
    cat = CategoryInfo(category_id="good-member", name="四好优秀党员", nominee_kind="member", board="excellent_member",
                       quota=5, criteria=[CriterionInfo(criterion_id="c1", name="政治素质好", max_points=25)],
                       weights={"basic": 1.0})
    return Envelope.wrap(ProgrammeDefined(programme_id="p", version=1, name="2026年度评选", year=2026,
                                          categories=[cat], stages=[]), programme_id="p", key="p")


async def test_an_entry_seen_before_its_programme_gets_its_category_once_the_programme_arrives(settings):
    async with running(create_leaderboard, settings) as (board, _):
        read_model = MongoReadModel(board.db)
        await publish_envelopes(settings, [submitted("n1")])
        await eventually(lambda: read_model.entry("n1"))
        await publish_envelopes(settings, [programme()])
        await eventually(lambda: read_model.programme("p"))
        entry = await read_model.entry("n1")
        assert (entry["category_name"], entry["board"]) == ("四好优秀党员", "excellent_member")


async def test_an_objection_seen_before_its_nomination_is_still_counted(settings):
    async with running(create_leaderboard, settings) as (board, _):
        read_model = MongoReadModel(board.db)
        await publish_envelopes(settings, [Envelope.wrap(
            ObjectionFiled(objection_id="o1", notice_id="x", nomination_id="n2", tracking_no="T1"),
            programme_id="p", key="n2")])
        await eventually(lambda: board.db.inbox.count_documents({}))
        await publish_envelopes(settings, [submitted("n2")])
        await eventually(lambda: read_model.entry("n2"))
        entry = await read_model.entry("n2")
        assert entry.get("open_objections", 0) == 1
