"""Scores, indicators and tallies in through the real local Kafka and MongoDB; standings with explanations out,
into the leaderboard read model (the projector runs in-process too)."""
from __future__ import annotations

import asyncio
import json


from shared.contracts import Envelope, topics
from shared.contracts.nominations import UnitInfo, UnitsImported
from tests.scoring.fixtures import CAT, NOMINEES, P, programme_events, scoring_and_board, sheet, tally
from tests.support import auth, eventually, publish_envelopes, read_topic

JUDGES = [  # judge id, name, unit, member
    ("j-fgw", "李建国", "fgw", None), ("j-czj", "张秀英", "czj", None), ("j-jyj", "王海峰", "jyj", None),
    ("j-wjw", "刘芳", "wjw", "m-wjw-1"), ("j-sfj", "陈志强", "sfj", None), ("j-stj", "赵磊", "stj", "m-stj-1"),
]
# each nominee's three judges, in judge-id order, give sheets worth these percentages
SHEETS = {"n1": [80, 90, 60], "n2": [60, 70, 80], "n3": [95, 85, 90], "n4": [85, 85, 85]}
INDICATORS = {
    "n1": (9, 8, [10, 8]), "n2": (10, 10, [10, 10]), "n3": (8, 9, [9, 9]), "n4": (9, 8, [10, 8]),
}
SHARES = {"n1": 0.8, "n2": 0.6, "n3": 0.9, "n4": 0.7}


async def settled(svc) -> bool:
    return await svc.store.dirty_marks() == []


async def test_scores_and_tallies_become_explained_standings(settings, monkeypatch):
    # Standings of 4 nominees in parts of 3: every board below is assembled from two StandingsUpdated events.
    monkeypatch.setenv("EXEMPLAR_SCORING_STANDINGS_PER_EVENT", "3")  # read by create_service
    org = auth(settings, "organiser")
    async with scoring_and_board(settings) as (svc, http, board):
        await publish_envelopes(settings, programme_events())

        async def knows_all():
            r = await http.get(f"/programmes/{P}/nominations", params={"status": "approved"}, headers=org)
            return r.status_code == 200 and len(r.json()) == 4

        await eventually(knows_all, timeout=30)
        assert (await http.put(f"/programmes/{P}/config", headers=org, json={
            "min_judges_to_trim": 3, "tie_breaks": ["report", "peer_vote"]})).status_code == 200

        # ---- judges, panel, automatic assignment ----------------------------------------------------------------
        for jid, name, unit, member in JUDGES:
            r = await http.post(f"/programmes/{P}/judges", headers=org,
                                json={"judge_id": jid, "name": name, "unit_id": unit, "member_id": member})
            assert r.status_code == 201, r.text
        r = await http.post(f"/programmes/{P}/judges", headers=org, json={"name": "钱某", "unit_id": "nowhere"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "unit_id"
        r = await http.post(f"/programmes/{P}/panels", headers=org, json={
            "panel_id": "panel-rf", "category_id": CAT, "name": "先锋红旗党支部评审组",
            "judge_ids": [j[0] for j in JUDGES], "min_judges": 3})
        assert r.status_code == 201, r.text
        refusals = [
            ("/panels", {"category_id": CAT, "name": "重复", "judge_ids": ["j-sfj"]}, 409, "category_id"),
            ("/panels", {"category_id": "nope", "name": "x", "judge_ids": ["j-sfj"]}, 404, "category_id"),
            ("/panels", {"category_id": CAT, "name": "x", "judge_ids": ["j-sfj", "j-nobody"]}, 422, "judge_ids"),
            ("/judges", {"judge_id": "j-fgw", "name": "李建国", "unit_id": "fgw"}, 409, "judge_id"),
            ("/judges", {"name": "钱某", "unit_id": "fgw", "member_id": "m-none"}, 422, "member_id"),
        ]
        for path, body, status, field in refusals:
            r = await http.post(f"/programmes/{P}{path}", headers=org, json=body)
            assert (r.status_code, r.json()["error"].get("field")) == (status, field), r.text
        r = await http.put(f"/programmes/{P}/config", headers=org, json={"tie_breaks": ["report", "report"]})
        assert r.status_code == 422 and r.json()["error"]["field"] == "tie_breaks"
        assert (await http.post(f"/programmes/{P}/panels/panel-rf/auto-assign", json={})).status_code == 401
        r = await http.post(f"/programmes/{P}/panels/panel-rf/auto-assign", json={},
                            headers=auth(settings, "unit", unit_id="fgw"))
        assert r.status_code == 403 and "organiser" in r.json()["error"]["message"]
        r = await http.put(f"/programmes/{P}/nominations/n-none/indicators", headers=org,
                           json={"basic": {"points": 1, "max_points": 10}})
        assert r.status_code == 404 and r.json()["error"]["field"] == "nomination_id"

        r = await http.post(f"/programmes/{P}/panels/panel-rf/auto-assign", headers=org, json={})
        assert r.status_code == 200, r.text
        plan = r.json()
        assert plan["assigned"] == 12 and plan["shortfalls"] == {}
        assert max(plan["loads"].values()) - min(plan["loads"].values()) <= 1
        panel = (await http.get(f"/programmes/{P}/panels/panel-rf", headers=org)).json()
        assigned = {n: sorted(a["judge_id"] for a in v if not a["recused"]) for n, v in panel["assignments"].items()}
        assert all(len(v) == 3 for v in assigned.values())
        # never a judge from the nominee's own unit, its subtree or its superiors
        assert "j-fgw" not in assigned["n1"] and "j-czj" not in assigned["n2"]
        assert "j-jyj" not in assigned["n3"] and "j-wjw" not in assigned["n4"]

        # a conflicting judge assigned by hand is recused at once, with a replacement suggested
        r = await http.post(f"/programmes/{P}/panels/panel-rf/assignments", headers=org,
                            json={"nomination_id": "n1", "judge_id": "j-fgw"})
        assert r.status_code == 201, r.text
        manual = r.json()
        assert manual["recused"] and manual["rule"] == "subordinate_unit"
        assert manual["replacement_judge_id"] not in assigned["n1"] + ["j-fgw", None]

        # ---- scores ----------------------------------------------------------------------------------------------
        for nid, percents in SHEETS.items():
            for judge_id, pct in zip(assigned[nid], percents):
                r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=judge_id),
                                    json={"nomination_id": nid, "scores": sheet(pct)})
                assert r.status_code == 200, r.text
                assert r.json()["complete"]

        first = assigned["n1"][0]
        as_first = auth(settings, "judge", judge_id=first)
        bad = [({"c1": 20.5}, "scores.c1", "between 0 and 20"), ({"c1": 10.25}, "scores.c1", "multiple of 0.5"),
               ({"zz": 1}, "scores.zz", "not a criterion")]
        for scores, field, words in bad:
            r = await http.post(f"/programmes/{P}/scores", headers=as_first,
                                json={"nomination_id": "n1", "scores": scores})
            assert r.status_code == 422 and r.json()["error"]["field"] == field
            assert words in r.json()["error"]["message"]
        r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id="j-fgw"),
                            json={"nomination_id": "n1", "scores": sheet(100)})
        assert r.status_code == 403 and "recused" in r.json()["error"]["message"]
        outsider = next(j for j, *_ in JUDGES if j not in assigned["n2"] and j != "j-czj")
        r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=outsider),
                            json={"nomination_id": "n2", "scores": sheet(100)})
        assert r.status_code == 403 and "not assigned" in r.json()["error"]["message"]
        r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge"),
                            json={"nomination_id": "n1", "scores": sheet(100)})
        assert r.status_code == 403 and r.json()["error"]["field"] == "judge_id"

        # ---- indicators, tallies -----------------------------------------------------------------------------------
        for nid, (basic, business, tasks) in INDICATORS.items():
            r = await http.put(f"/programmes/{P}/nominations/{nid}/indicators", headers=org, json={
                "basic": {"points": basic, "max_points": 10}, "business": {"points": business, "max_points": 10},
                "key_tasks": [{"task_id": f"t{i}", "name": f"重点任务{i}", "points": p, "max_points": 10}
                              for i, p in enumerate(tasks, 1)]})
            assert r.status_code == 200, r.text
        r = await http.put(f"/programmes/{P}/nominations/n1/indicators", headers=org,
                           json={"basic": {"points": 11, "max_points": 10}})
        assert r.status_code == 422 and r.json()["error"]["field"] == "basic"
        await publish_envelopes(settings, [tally(1, {n: 1.0 for n in SHARES}, hidden=True), tally(2, SHARES),
                                           tally(1, {n: 0.1 for n in SHARES})])  # hidden, real, stale

        async def board_shows(expected: dict[str, tuple[int, float]]):
            docs = {d["_id"]: d for d in await board.db.entries.find({"category_id": CAT}).to_list()}
            got = {n: (docs.get(n, {}).get("rank"), docs.get(n, {}).get("composite")) for n in expected}
            return got == expected and docs

        # n1 and n4 tie on the composite; the report tie-break puts n4 (85) above n1 (80)
        expected = {"n3": (1, 89.0), "n4": (2, 83.0), "n1": (3, 83.0), "n2": (4, 80.0)}
        docs = await eventually(lambda: board_shows(expected), timeout=20)
        assert docs["n1"]["tie_break"] == "report" and docs["n4"]["tie_break"] == ""
        comps = {c["component"]: c for c in docs["n1"]["components"]}
        assert set(comps) == {"basic", "key_tasks", "business", "report", "peer_vote"}
        assert comps["report"] == {"component": "report", "raw": 80.0, "normalised": 80.0, "weight": 0.4,
                                   "contribution": 32.0, "detail": comps["report"]["detail"]}
        assert "trimmed mean of 3 judges, dropped 60 and 90" in comps["report"]["detail"]
        assert comps["peer_vote"]["raw"] == 0.8 and comps["peer_vote"]["contribution"] == 16.0
        assert comps["key_tasks"]["raw"] == 18 and comps["key_tasks"]["normalised"] == 90.0
        assert comps["basic"]["contribution"] == 9.0
        assert docs["n1"]["nominee_name"] == NOMINEES["n1"][2] and docs["n1"]["status"] == "approved"

        # ---- a declared conflict excludes that judge's scores ---------------------------------------------------
        high = assigned["n2"][2]  # gave 80
        r = await http.post(f"/programmes/{P}/nominations/n2/recusal", headers=auth(settings, "judge", judge_id=high),
                            json={"reason": "曾在该支部挂职 I served in this branch"})
        assert r.status_code == 200, r.text
        assert r.json()["replacement_judge_id"] not in assigned["n2"]
        # ---- 随机点验: committed, then drawn by a public seed; a failed check replaces the claimed points -----------
        r = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks/commitment", headers=org,
                            json={"sample_size": 8, "seed_source": "中国福利彩票3D 2026-11 开奖号码"})
        assert r.status_code == 200, r.text
        draw = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks", headers=org,
                               json={"seed": "2026-11", "sample_size": 8})
        assert draw.status_code == 200, draw.text
        again = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks", headers=org,
                                json={"seed": "2026-11", "sample_size": 8})
        assert again.json()["picks"] == draw.json()["picks"]
        r = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks/results", headers=org,
                            json={"nomination_id": "n3", "task_id": "t1", "passed": False})
        assert r.status_code == 422 and r.json()["error"]["field"] == "verified_points"
        r = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks/results", headers=org,
                            json={"nomination_id": "n3", "task_id": "t1", "passed": False, "verified_points": 5})
        assert r.status_code == 200, r.text
        r = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks", headers=org,
                            json={"seed": "other", "sample_size": 2})
        assert r.status_code == 409 and r.json()["error"]["field"] == "seed"

        expected = {"n3": (1, 85.0), "n4": (2, 83.0), "n1": (3, 83.0), "n2": (4, 78.0)}
        docs = await eventually(lambda: board_shows(expected), timeout=20)
        assert "mean of 2 judges" in {c["component"]: c for c in docs["n2"]["components"]}["report"]["detail"]
        n3 = {c["component"]: c for c in docs["n3"]["components"]}
        assert "随机点验 1 checked, 1 failed" in n3["key_tasks"]["detail"]

        # ---- revisions are kept; a burst of changes is recomputed once (debounced) ------------------------------
        await eventually(lambda: settled(svc))
        before = svc.stats["recomputations"]
        seq_before = (await svc.store.standings(f"{P}:{CAT}"))["sequence"]
        rs = await asyncio.gather(*[
            http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=j),
                      json={"nomination_id": nid, "scores": {"c1": v}})
            for nid in ("n1", "n3") for j, v in zip(assigned[nid], (15, 15, 15))])
        assert all(r.status_code == 200 for r in rs)
        await asyncio.sleep(0.1)
        for nid in ("n1", "n3"):
            for j, pct in zip(assigned[nid], SHEETS[nid]):
                r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=j),
                                    json={"nomination_id": nid, "scores": {"c1": sheet(pct)["c1"]}})
                assert r.status_code == 200
        await asyncio.sleep(0.3)
        await eventually(lambda: settled(svc))
        bursts = svc.stats["recomputations"] - before
        seq_after = (await svc.store.standings(f"{P}:{CAT}"))["sequence"]
        assert 1 <= bursts <= 2 and seq_after - seq_before == bursts, (bursts, seq_after, seq_before)
        await eventually(lambda: board_shows(expected), timeout=20)
        history = (await http.get(f"/programmes/{P}/nominations/n1/scores", headers=org)).json()
        c1 = next(x for x in history["scores"] if x["judge_id"] == first and x["criterion_id"] == "c1")
        assert [h["score"] for h in c1["history"]] == [16, 15, 16] and c1["revision"] == 3

        # ---- a locked panel refuses changes with a clear error and no state change ----------------------------
        assert (await http.post(f"/programmes/{P}/panels/panel-rf/lock", headers=org)).status_code == 200
        r = await http.post(f"/programmes/{P}/scores", headers=as_first,
                            json={"nomination_id": "n1", "scores": {"c1": 1}})
        assert r.status_code == 409 and "locked" in r.json()["error"]["message"]
        assert r.json()["error"]["code"] == "panel_locked"
        assert (await svc.store.score(f"n1:{first}:c1"))["revision"] == 3
        r = await http.post(f"/programmes/{P}/panels/panel-rf/judges", headers=org, json={"judge_ids": ["j-fgw"]})
        assert r.status_code == 409 and r.json()["error"]["code"] == "panel_locked"
        r = await http.post(f"/programmes/{P}/nominations/n1/recusal", headers=as_first, json={"reason": "迟到申报"})
        assert r.status_code == 409 and "locked" in r.json()["error"]["message"]
        assert (await http.post(f"/programmes/{P}/panels/panel-rf/unlock", headers=org)).json()["locked"] is False
        assert (await http.post(f"/programmes/{P}/panels/panel-rf/lock", headers=org)).json()["locked"] is True

        # ---- the vote-share basis is configurable per programme -------------------------------------------------
        r = await http.put(f"/programmes/{P}/config", headers=org, json={
            "min_judges_to_trim": 3, "tie_breaks": ["report", "peer_vote"], "vote_share": "share_of_eligible"})
        assert r.status_code == 200
        # share_of_eligible = 0.8 x share_of_cast here: n1 loses 0.2 x 16 = 3.2 points
        docs = await eventually(lambda: board_shows({"n1": (3, 79.8)}), timeout=20)

        # ---- the tree changes: a judge who is now a superior of a nominee is recused from it automatically -----
        moved = assigned["n3"][0]
        new_parent = next(unit for jid, _, unit, _ in JUDGES if jid == moved)
        await publish_envelopes(settings, [Envelope.wrap(UnitsImported(units=[UnitInfo(
            unit_id="jyj-b1", name="市教育局机关党支部", parent_id=new_parent, kind="branch")]),
            programme_id=P, key="units")])

        async def n3_report_of_two():
            doc = await board.db.entries.find_one({"_id": "n3"})
            report = {c["component"]: c for c in doc["components"]}["report"]
            return "mean of 2 judges" in report["detail"] and report

        await eventually(n3_report_of_two, timeout=20)

        # ---- an arena final blends the live score with the earlier assessment (the standing's composite) ------
        r = await http.post(f"/programmes/{P}/arenas", headers=org, json={
            "arena_id": "rf-final", "name": "先锋红旗党支部现场答辩", "category_id": CAT, "live_weight": 0.5,
            "rounds": [{"name": "现场答辩", "max_points": 100, "step": 1}], "judge_ids": ["j-sfj", "j-stj"],
            "contestants": [{"name": NOMINEES[n][2], "nomination_id": n} for n in ("n3", "n4")]})
        assert r.status_code == 201, r.text
        composites = {st["nomination_id"]: st["composite"]
                      for st in (await svc.store.standings(f"{P}:{CAT}"))["standings"]}
        assert [row["prior"] for row in r.json()["rows"]] == [composites["n3"], composites["n4"]]
        r = await http.post("/arenas/rf-final/scores", headers=auth(settings, "judge", judge_id="j-sfj"),
                            json={"round_id": "r1", "contestant_id": "c2", "score": 90})
        assert r.status_code == 200, r.text
        row = next(x for x in r.json()["rows"] if x["contestant_id"] == "c2")
        assert row["final"] == round(0.5 * 90 + 0.5 * composites["n4"], 4)

        want = {("j-fgw", "subordinate_unit", False), (high, "declared", True), (moved, "subordinate_unit", False)}

        async def all_recusals_published():
            # 36 ScoreEntered + 12 ScoreRevised + 3 JudgeRecused + StandingsUpdated at least
            raw = await read_topic(settings, topics.SCORING, min_count=54, timeout=5)
            evs = [Envelope.model_validate_json(v) for v in raw]
            got = {(e.payload["judge_id"], e.payload["rule"], e.payload["declared"]) for e in evs
                   if e.type == "JudgeRecused"}
            return got == want and evs

        events = await eventually(all_recusals_published, timeout=20)
        assert {"ScoreEntered", "ScoreRevised", "JudgeRecused", "StandingsUpdated"} <= {e.type for e in events}
        boards = [(e.payload["sequence"], e.payload["part"], e.payload["parts"], len(e.payload["standings"]))
                  for e in events if e.type == "StandingsUpdated"]
        assert boards == sorted(boards) and len(set(boards)) == len(boards)
        assert {(part, parts, n) for _, part, parts, n in boards} == {(1, 2, 3), (2, 2, 1)}
        assert json.dumps(events[-1].payload, ensure_ascii=False)
