"""随机点验 through the real scoring service, Kafka and MongoDB: the draw committed, made by its public seed, refused a
redraw, and its public record redone by the verifier."""
from __future__ import annotations

import json

import pytest

from shared import verify_draw
from shared.contracts import Envelope, topics
from tests.scoring.fixtures import CAT, P, programme_events
from tests.support import auth, eventually, publish_envelopes, read_topic, running

SOURCE = "中国福利彩票3D 2026-12-05 开奖号码"


async def test_a_committed_draw_made_once_and_redone_from_its_public_record(settings):
    from services.scoring.app import create_service

    org = auth(settings, "organiser")
    async with running(create_service, settings) as (svc, http):
        await publish_envelopes(settings, programme_events())

        async def knows_all():
            r = await http.get(f"/programmes/{P}/nominations", params={"status": "approved"}, headers=org)
            return r.status_code == 200 and len(r.json()) == 4

        await eventually(knows_all, timeout=30)
        for nid in ("n1", "n2", "n3", "n4"):
            r = await http.put(f"/programmes/{P}/nominations/{nid}/indicators", headers=org, json={"key_tasks": [
                {"task_id": f"t{j}", "name": f"重点任务{j}", "points": 8, "max_points": 10} for j in (1, 2, 3)]})
            assert r.status_code == 200, r.text
        base = f"/programmes/{P}/categories/{CAT}/spot-checks"

        # ---- nothing to draw before the inputs are published; the public sees nothing yet -----------------------
        r = await http.post(base, headers=org, json={"seed": "371"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "draw_not_committed"
        assert r.json()["error"]["field"] == "category_id"
        assert (await http.get(f"{base}/draw")).status_code == 404

        # ---- the commitment: only an organiser publishes it, and then it is public --------------------------
        commitment = {"sample_size": 4, "seed_source": SOURCE}
        assert (await http.post(f"{base}/commitment", json=commitment)).status_code == 401
        r = await http.post(f"{base}/commitment", headers=org, json=commitment)
        assert r.status_code == 200, r.text
        assert len(r.json()["commitment"]["candidates"]) == 12
        again = await http.post(f"{base}/commitment", headers=org, json=commitment)  # a retry changes nothing
        assert again.status_code == 200 and again.json()["commitment"] == r.json()["commitment"]
        r = await http.post(f"{base}/commitment", headers=org, json={"sample_size": 5, "seed_source": SOURCE})
        assert r.status_code == 409 and r.json()["error"]["field"] == "sample_size"
        before = (await http.get(f"{base}/draw")).json()
        assert before["state"] == "committed" and before["seed"] is None and before["picks"] == []
        assert verify_draw.verify_spot_check_draw(before)[-1] == f"not drawn yet: the seed is to be {SOURCE}"

        # ---- the draw, by the announced value; once made it cannot be redrawn --------------------------------
        r = await http.post(base, headers=org, json={"seed": "371"})
        assert r.status_code == 200, r.text
        picks = r.json()["picks"]
        assert len(picks) == 4
        assert (await http.post(base, headers=org, json={"seed": "371"})).json()["picks"] == picks
        r = await http.post(base, headers=org, json={"seed": "372"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "draw_made"
        assert r.json()["error"]["field"] == "seed" and "cannot be redrawn" in r.json()["error"]["message"]

        # ---- the public record, as a download anyone can check without the service --------------------------
        r = await http.get(f"{base}/draw.json")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        doc = r.json()
        assert doc["kind"] == "spot_check_draw" and doc["state"] == "drawn" and doc["picks"] == picks
        assert "results" not in doc and (await http.get(f"{base}/draw")).json() == doc
        lines = verify_draw.verify_spot_check_draw(doc)
        assert any("4 picks of 4 redone from the seed '371'" in x for x in lines)
        with pytest.raises(verify_draw.VerificationFailed, match="the picks are not the draw of the seed '372'"):
            verify_draw.verify_spot_check_draw(json.loads(r.text) | {"seed": "372"})

        # ---- both steps are on the scoring topic, each once, on the category's key ---------------------------
        async def announced():
            raw = await read_topic(settings, topics.SCORING, min_count=2, timeout=5)
            envs = [Envelope.model_validate_json(m) for m in raw]
            return [e for e in envs if e.type in ("SpotCheckDrawCommitted", "SpotCheckDrawn")]

        envs = await eventually(lambda: _two(announced), timeout=20)
        assert [e.type for e in envs] == ["SpotCheckDrawCommitted", "SpotCheckDrawn"]
        assert {e.key for e in envs} == {f"{P}:{CAT}"}
        assert envs[0].payload["inputs_sha256"] == envs[1].payload["inputs_sha256"] == doc["inputs_sha256"]
        assert envs[1].payload["picks"] == [p["candidate_id"] for p in picks]


async def _two(announced):
    envs = await announced()
    return envs if len(envs) >= 2 else None
