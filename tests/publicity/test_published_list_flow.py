"""A notice's published list downloaded from the real publicity service and recomputed by the verifier."""
from __future__ import annotations

from datetime import datetime

from services.publicity.app import create_service
from services.publicity.domain import SHANGHAI
from shared import verify_draw
from shared.contracts import Envelope
from shared.contracts.scoring import StandingsUpdated
from tests.publicity.helpers import CAT, PID, Clock, feed
from tests.publicity.test_published_list import standings
from tests.support import auth, eventually, publish_envelopes, running


async def test_the_published_list_file_is_recomputed(settings):
    clock = Clock(datetime(2025, 9, 26, 8, tzinfo=SHANGHAI))
    service = lambda s: create_service(s, clock=clock, tick_seconds=0.2)  # noqa: E731
    async with running(service, settings) as (svc, http):
        await feed(settings, svc)
        # a board whose lines carry their components and weights, as scoring computes them
        await publish_envelopes(settings, [Envelope.wrap(StandingsUpdated(
            category_id=CAT, programme_version=1, sequence=4, standings=standings()), programme_id=PID, key=CAT)])

        async def board_4():
            return ((await svc.store.board(f"{PID}:{CAT}")) or {}).get("sequence") == 4

        await eventually(board_4, timeout=30)
        r = await http.post("/notices", headers=auth(settings, "organiser"), json={
            "programme_id": PID, "category_id": CAT, "working_days": 5,
            "starts_at": datetime(2025, 9, 26, 9, tzinfo=SHANGHAI).isoformat()})
        assert r.status_code == 201, r.text
        notice_id = r.json()["notice_id"]

        r = await http.get(f"/notices/{notice_id}/published-list.json")  # public: no token
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        doc = r.json()
        assert doc["kind"] == "published_list" and doc["standings_sequence"] == 4
        assert [x["nomination_id"] for x in doc["listing"]] == ["nom-a", "nom-c", "nom-b"]
        lines = verify_draw.verify_published_list(doc)
        assert "nom-a: composite 84.6802 recomputed" in lines
        r = await http.get("/notices/n-none/published-list.json")
        assert r.status_code == 404 and r.json()["error"]["field"] == "notice_id"
