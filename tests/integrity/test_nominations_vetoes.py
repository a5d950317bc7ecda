"""Issue 15 item 6 through the real nominations service: a veto (一票否决) at each stage rejects the nominee's
active nominations with its events; lifting it needs a reason and is recorded."""
from __future__ import annotations

from services.nominations.app import create_service
from tests.nominations.helpers import PID, events, setup_programme
from tests.support import auth, eventually, running

# One nominee vetoed in each stage: (stage open when the veto is set, nominee, category, reviewed first?)
PLAN = [("nomination", "m1", "good-member", False), ("review", "m2", "good-member", True),
        ("voting", "m3", "good-member", True), ("judging", "u-czj-b1", "red-flag-branch", True),
        ("publicity", "u-fgw-b1", "red-flag-branch", True)]
UNIT_OF = {"m1": "u-czj-b1", "m2": "u-czj-b2", "m3": "u-fgw-b1", "u-czj-b1": "u-czj", "u-fgw-b1": "u-fgw"}


async def test_a_veto_at_each_stage_rejects_and_is_emitted_and_lifting_is_recorded(settings):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings)
        base = f"/programmes/{PID}/nominations"
        noms = {}
        for _, nominee, category, _ in PLAN:
            r = await http.post(base, json={"category_id": category, "nominee_id": nominee},
                                headers=auth(settings, "unit", unit_id=UNIT_OF[nominee]))
            assert r.status_code == 201, r.text
            noms[nominee] = r.json()["nomination_id"]
        for _, nominee, _, reviewed in PLAN:
            if reviewed:
                assert (await http.post(f"{base}/{noms[nominee]}/approve", headers=org)).status_code == 200

        r = await http.put(f"/programmes/{PID}/vetoes/m1", json={"reason": ""}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
        r = await http.put(f"/programmes/{PID}/vetoes/m1", headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text

        previous = "nomination"
        for stage, nominee, _, reviewed in PLAN:
            if stage != previous:
                assert (await http.post(f"/programmes/{PID}/stages/{previous}/close", headers=org)).status_code == 200
                assert (await http.post(f"/programmes/{PID}/stages/{stage}/open", headers=org)).status_code == 200
                previous = stage
            before = (await http.get(f"{base}/{noms[nominee]}", headers=org)).json()["status"]
            assert before == ("approved" if reviewed else "submitted")
            r = await http.put(f"/programmes/{PID}/vetoes/{nominee}", json={"reason": f"{stage}阶段受到党纪处分"},
                               headers=org)
            assert r.status_code == 200, r.text
            assert (r.json()["stage"], r.json()["nomination_ids"], r.json()["active"]) == (
                stage, [noms[nominee]], True)
            after = (await http.get(f"{base}/{noms[nominee]}", headers=org)).json()
            assert (after["status"], after["reject_reason"]) == ("rejected", f"一票否决: {stage}阶段受到党纪处分")
            assert after["history"][-1]["action"] == "veto"

        # lifting: a reason is required, then it is recorded and emitted; the veto stays on record
        url = f"/programmes/{PID}/vetoes/m2"
        r = await http.request("DELETE", url, json={"reason": " "}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
        r = await http.request("DELETE", url, json={"reason": "处分已撤销"}, headers=org)
        assert r.status_code == 204, r.text
        r = await http.request("DELETE", url, json={"reason": "处分已撤销"}, headers=org)
        assert r.status_code == 404 and r.json()["error"]["field"] == "subject_id", r.text
        listed = {v["subject_id"]: v for v in (await http.get(f"/programmes/{PID}/vetoes", headers=org)).json()}
        assert sorted(listed) == sorted(UNIT_OF)
        m2 = listed["m2"]
        assert m2["active"] is False and m2["lifted"]["reason"] == "处分已撤销"
        assert [(h["action"], h["stage"]) for h in m2["history"]] == [("set", "review"), ("lift", "publicity")]
        assert (await http.get(f"{base}/{noms['m2']}", headers=org)).json()["status"] == "rejected"

        async def all_events():
            # 3 (programme, units, members) + 9 StageChanged + 5 submitted + 4 approved + 5 rejected + 5 + 1 vetoes
            evs = await events(settings, min_count=32)
            done = sum(e["type"] in ("VetoSet", "VetoLifted") for e in evs) == 6
            return evs if done else None

        evs = await eventually(all_events, timeout=30)
        vetoes = [e["payload"] for e in evs if e["type"] == "VetoSet"]  # keyed by nominee: no order across keys
        assert sorted((v["nominee_id"], v["stage"], v["nomination_ids"]) for v in vetoes) == sorted(
            (nominee, stage, [noms[nominee]]) for stage, nominee, _, _ in PLAN)
        rejected = {e["payload"]["nomination_id"]: e["payload"]["reason"] for e in evs
                    if e["type"] == "NominationRejected"}
        assert rejected == {noms[n]: f"一票否决: {s}阶段受到党纪处分" for s, n, _, _ in PLAN}
        [lifted] = [e for e in evs if e["type"] == "VetoLifted"]
        assert lifted["payload"] == {"nominee_id": "m2", "reason": "处分已撤销", "nomination_ids": [noms["m2"]]}
        assert lifted["programme_id"] == PID


async def test_a_veto_bars_new_nominations_until_lifted_and_leaves_withdrawn_ones(settings):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings)
        czj = auth(settings, "unit", unit_id="u-czj")
        base = f"/programmes/{PID}/nominations"
        n = (await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-czj"}, headers=czj)).json()
        assert (await http.post(f"{base}/{n['nomination_id']}/withdraw", headers=czj)).status_code == 200
        r = await http.put(f"/programmes/{PID}/vetoes/u-czj", json={"reason": "违纪"}, headers=org)
        assert r.status_code == 200 and r.json()["nomination_ids"] == [n["nomination_id"]]
        assert (await http.get(f"{base}/{n['nomination_id']}", headers=org)).json()["status"] == "withdrawn"
        r = await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-czj"}, headers=czj)
        assert r.status_code == 409 and "一票否决" in r.json()["error"]["message"], r.text
        r = await http.request("DELETE", f"/programmes/{PID}/vetoes/u-czj", json={"reason": "撤销"}, headers=org)
        assert r.status_code == 204
        r = await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-czj"}, headers=czj)
        assert r.status_code == 201, r.text
