"""An accepted nomination is never lost between the database write and the publish: the service stops after the
transaction commits and before its relay runs; a fresh instance relays the outbox event to Kafka."""
from __future__ import annotations

import json

import httpx
import pytest

from services.nominations.app import create_service
from shared.contracts import topics
from shared.kafka import ensure_topics
from shared.messaging import Outbox
from shared.mongo import connect
from tests.nominations.helpers import PID, setup_programme, store_of
from tests.support import auth, eventually, read_topic, running

pytestmark = pytest.mark.conformance


async def test_a_committed_nomination_survives_a_stop_before_the_relay(settings):
    async with running(create_service, settings) as (first, http):
        await setup_programme(http, settings)

        async def relayed_all() -> bool:
            return await first.outbox.pending() == 0

        await eventually(relayed_all, timeout=10)
    before = len(await read_topic(settings, topics.NOMINATIONS, min_count=4, timeout=10))
    assert before == 4  # ProgrammeDefined, UnitsImported, MembersImported, StageChanged

    # An instance whose relay never runs: its lifespan is not started, so nothing publishes to Kafka.
    svc = create_service(settings)
    svc.mongo = connect(settings.mongo_url)
    svc.db = svc.mongo[settings.database_name("nominations")]
    svc.outbox = Outbox(svc.db)
    await ensure_topics(settings)
    try:
        transport = httpx.ASGITransport(app=svc.api)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            r = await http.post(f"/programmes/{PID}/nominations", json={"category_id": "model-organ",
                                "nominee_id": "u-czj"}, headers=auth(settings, "unit", unit_id="u-czj"))
            assert r.status_code == 201, r.text
            nomination_id = r.json()["nomination_id"]
        stuck = await svc.db.outbox.find({}).to_list()
        assert [d["envelope"]["type"] for d in stuck] == ["NominationSubmitted"]
        assert await store_of(svc).get_nomination(nomination_id, PID) is not None
    finally:
        await svc.mongo.close()  # the process "dies" here, with the event still in the outbox
    assert len(await read_topic(settings, topics.NOMINATIONS, min_count=before + 1, timeout=2)) == before

    async with running(create_service, settings) as (fresh, _):
        raw = await read_topic(settings, topics.NOMINATIONS, min_count=before + 1, timeout=15)
        relayed = [json.loads(x) for x in raw[before:]]
        assert [(e["type"], e["key"]) for e in relayed] == [("NominationSubmitted", nomination_id)]
        assert relayed[0]["payload"]["nominee_name"] == "市财政局"

        async def drained() -> bool:
            return await fresh.outbox.pending() == 0

        await eventually(drained, timeout=5)
