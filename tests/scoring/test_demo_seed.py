"""The scoring demo step runs against the real service and leaves explained standings and a frozen arena board."""
from __future__ import annotations

from devtools.demo import scoring as demo
from devtools.demo.context import DemoContext
from services.scoring.app import create_service as create_scoring
from tests.scoring.fixtures import CAT, CRITERIA, MEMBERS, NOMINEES, P, UNITS, WEIGHTS, programme_events
from tests.support import auth, eventually, publish_envelopes, running


async def test_demo_step_seeds_judges_scores_standings_and_arena(settings):
    async with running(create_scoring, settings) as (svc, http):
        await publish_envelopes(settings, programme_events())
        ctx = DemoContext(settings=settings, urls={"scoring": "http://testserver"}, client=http, programme_id=P,
                          progress=lambda _: None)
        ctx.data.update(
            units=[{"unit_id": u, "name": n, "parent_id": p, "kind": "branch" if u.endswith("-b1") else "organ"}
                   for u, n, p in UNITS],
            members=[{"member_id": m, "name": n, "unit_id": u} for m, n, u in MEMBERS],
            categories=[{"category_id": CAT, "name": "先锋红旗党支部", "criteria": CRITERIA, "weights": WEIGHTS}],
            nominations=[{"nomination_id": nid, "category_id": CAT, "nominee_id": unit, "nominee_name": name,
                          "unit_id": parent, "unit_name": name} for nid, (unit, parent, name) in NOMINEES.items()],
        )
        await demo.seed(ctx)

        assert len(ctx.data["judges"]) == 7 and len({j["unit_id"] for j in ctx.data["judges"]}) == 7
        standings = await eventually(lambda: svc.store.standings(f"{P}:{CAT}"))
        await eventually(lambda: _complete(svc))
        standings = await svc.store.standings(f"{P}:{CAT}")
        assert len(standings["standings"]) == 4
        for st in standings["standings"]:
            comps = {c["component"]: c for c in st["components"]}
            assert comps["report"]["raw"] is not None and comps["key_tasks"]["raw"] is not None
        board = (await http.get(f"/arenas/{ctx.data['arena_id']}")).json()
        assert board["name"] == "2026年度党建业务大比武擂台赛" and len(board["rows"]) == 6
        assert board["frozen"] and board["rounds"] == ["必答题", "抢答题"]
        assert all(row["live_total"] for row in board["rows"])

        await demo.seed(ctx)  # running the step again is harmless

        # the read endpoints the organiser, judges and public use
        org = auth(settings, "organiser")
        judges = (await http.get(f"/programmes/{P}/judges", headers=org)).json()
        assert len(judges) == 7 and sum(j["load"] for j in judges) >= 4 * 3
        panels = (await http.get(f"/programmes/{P}/panels", headers=org)).json()
        assert [p["category_id"] for p in panels] == [CAT]
        busy = max(judges, key=lambda j: j["load"])["judge_id"]
        mine = (await http.get(f"/programmes/{P}/my/assignments",
                               headers=auth(settings, "judge", judge_id=busy))).json()
        assert mine and all(len(a["criteria"]) == 3 and len(a["scores"]) == 3 for a in mine if not a["recused"])
        public = (await http.get(f"/programmes/{P}/categories/{CAT}/standings")).json()
        assert [st["rank"] for st in public["standings"]] == sorted(st["rank"] for st in public["standings"])
        spot = (await http.get(f"/programmes/{P}/categories/{CAT}/spot-checks", headers=org)).json()
        assert len(spot["picks"]) == 3 and len(spot["results"]) == 3
        arenas = (await http.get(f"/programmes/{P}/arenas")).json()
        assert arenas == [{"arena_id": ctx.data["arena_id"], "name": "2026年度党建业务大比武擂台赛", "status": "open",
                           "frozen": True}]
        r = await http.post(f"/programmes/{P}/categories/{CAT}/recompute", headers=org)
        assert r.status_code == 202
        assert (await http.get("/stats")).json()["recomputations"] >= 1


async def _complete(svc) -> bool:
    doc = await svc.store.standings(f"{P}:{CAT}")
    return bool(doc) and await svc.store.dirty_marks() == [] and all(
        c["raw"] is not None for st in doc["standings"] for c in st["components"] if c["component"] == "report")
