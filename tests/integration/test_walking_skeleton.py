"""A nomination submitted over HTTP travels through Kafka into the leaderboard read model."""
from __future__ import annotations

import pytest

from services.leaderboard.app import create_service as create_leaderboard
from services.leaderboard.store import MongoReadModel
from services.nominations.app import create_service as create_nominations
from tests.support import auth, eventually, running

pytestmark = pytest.mark.conformance

PROGRAMME = {
    "programme_id": "p2026",
    "name": "2026年度创先争优评选",
    "year": 2026,
    "categories": [{
        "category_id": "model-organ", "name": "模范机关", "nominee_kind": "organ", "board": "model_organ",
        "quota": 3, "competitive_ratio": 1.2,
        "criteria": [{"criterion_id": "c1", "name": "政治建设强", "max_points": 20}],
        "weights": {"basic": 0.2, "key_tasks": 0.2, "business": 0.2, "report": 0.2, "peer_vote": 0.2},
    }],
}


async def test_nomination_reaches_the_leaderboard(settings):
    async with running(create_nominations, settings) as (_, nominations), \
            running(create_leaderboard, settings) as (board, _):
        r = await nominations.post("/programmes", json=PROGRAMME, headers=auth(settings, "organiser"))
        assert r.status_code == 201, r.text
        org = auth(settings, "organiser")
        units = "unit_id,name,parent_id,kind\nu-fgw,市发展和改革委员会机关,,organ\n".encode()
        r = await nominations.post("/programmes/p2026/units/import", files={"file": ("units.csv", units)}, headers=org)
        assert r.status_code == 200 and r.json()["imported"] == 1, r.text
        assert (await nominations.post("/programmes/p2026/stages/nomination/open", headers=org)).status_code == 200
        r = await nominations.post(
            "/programmes/p2026/nominations",
            json={"category_id": "model-organ", "nominee_id": "u-fgw", "nominee_name": "市发展和改革委员会机关",
                  "unit_name": "市发展和改革委员会"},
            headers=auth(settings, "unit", unit_id="u-fgw"),
        )
        assert r.status_code == 201, r.text
        nomination_id = r.json()["nomination_id"]

        entry = await eventually(lambda: MongoReadModel(board.db).entry(nomination_id))
        assert entry["nominee_name"] == "市发展和改革委员会机关"
        assert entry["category_name"] == "模范机关"
        assert entry["board"] == "model_organ"
        assert entry["status"] == "submitted"


async def test_nomination_needs_a_unit_token(settings):
    async with running(create_nominations, settings) as (_, nominations):
        await nominations.post("/programmes", json=PROGRAMME, headers=auth(settings, "organiser"))
        body = {"category_id": "model-organ", "nominee_id": "x", "nominee_name": "x"}
        assert (await nominations.post("/programmes/p2026/nominations", json=body)).status_code == 401
        r = await nominations.post("/programmes/p2026/nominations", json=body, headers=auth(settings, "judge"))
        assert r.status_code == 403
        assert "unit" in r.json()["error"]["message"]
        assert await nominations.get("/programmes") is not None
