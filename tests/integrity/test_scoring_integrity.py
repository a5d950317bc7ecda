"""Programme integrity (issue 15) through the real scoring service on the local Kafka and MongoDB: two programmes
with overlapping unit ids, the judging stage gate, a published 公示 list that survives a revised score, a new
indicator and a new round, and ids validated on reads."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.scoring.app import create_service
from shared.contracts import Envelope
from shared.contracts.nominations import StageChanged
from shared.contracts.publicity import PublicityOpened
from shared.contracts.voting import RoundOpened
from tests.scoring.fixtures import CAT, NOMINEES, P, programme_events, sheet, tally
from tests.scoring.test_actions_integrity import P2, next_year
from tests.support import auth, eventually, publish_envelopes, running

JUDGES = [("j-fgw", "fgw"), ("j-czj", "czj"), ("j-jyj", "jyj"), ("j-wjw", "wjw"), ("j-sfj", "sfj"), ("j-stj", "stj")]
SHARES = {"n1": 0.8, "n2": 0.6, "n3": 0.9, "n4": 0.7}


async def learned(http, org, programme_id: str = P, approved: int = 4) -> None:
    async def knows():
        r = await http.get(f"/programmes/{programme_id}/sync", headers=org)
        return r.status_code == 200 and r.json()["nominations"].get("approved") == approved and r.json()["units"]

    await eventually(knows, timeout=30)


async def panel_of(http, org, programme_id: str, judges: list[tuple[str, str]]) -> None:
    for jid, unit in judges:
        r = await http.post(f"/programmes/{programme_id}/judges", headers=org,
                            json={"judge_id": jid, "name": jid, "unit_id": unit})
        assert r.status_code == 201, r.text
    r = await http.post(f"/programmes/{programme_id}/panels", headers=org, json={
        "panel_id": "panel-rf", "category_id": CAT, "name": "评审组", "judge_ids": [j for j, _ in judges],
        "min_judges": 3})
    assert r.status_code == 201, r.text


def error(r) -> tuple[int, str | None, str | None]:
    body = r.json().get("error", {})
    return r.status_code, body.get("code"), body.get("field")


async def test_two_programmes_with_overlapping_unit_ids_never_see_each_other(settings):
    org = auth(settings, "organiser")
    async with running(create_service, settings) as (svc, http):
        await publish_envelopes(settings, programme_events() + next_year(programme_events()))
        await learned(http, org, P)
        await learned(http, org, P2)
        for pid in (P, P2):  # each programme's own tree and roll: 14 units, 2 members each, not 28 and 4
            async def own(pid=pid):
                sync = (await http.get(f"/programmes/{pid}/sync", headers=org)).json()
                return (sync["units"], sync["members"]) == (14, 2)

            await eventually(own)
            await panel_of(http, org, pid, [("j-czj", "czj")])  # the same judge id in both programmes
        # Recusal reads the programme's own tree: in P2 fgw-b1 sits under 市财政局, in P under 市发改委.
        here = await http.post(f"/programmes/{P}/panels/panel-rf/assignments", headers=org,
                               json={"nomination_id": "n1", "judge_id": "j-czj"})
        there = await http.post(f"/programmes/{P2}/panels/panel-rf/assignments", headers=org,
                                json={"nomination_id": "next-n1", "judge_id": "j-czj"})
        assert (here.status_code, here.json()["recused"]) == (201, False)
        assert (there.status_code, there.json()["recused"], there.json()["rule"]) == (201, True, "subordinate_unit")
        # a member only on P2's roll is not on P's
        r = await http.post(f"/programmes/{P}/judges", headers=org,
                            json={"name": "x", "unit_id": "wjw", "member_id": "next-m-wjw-1"})
        assert error(r) == (422, "not_on_roll", "member_id")
        judges = {pid: [j["judge_id"] for j in (await http.get(f"/programmes/{pid}/judges", headers=org)).json()]
                  for pid in (P, P2)}
        assert judges == {P: ["j-czj"], P2: ["j-czj"]}


async def test_scores_only_in_the_judging_stage(settings):
    org = auth(settings, "organiser")
    async with running(create_service, settings) as (svc, http):
        await publish_envelopes(settings, programme_events())
        await learned(http, org)
        await panel_of(http, org, P, JUDGES)
        r = await http.post(f"/programmes/{P}/panels/panel-rf/auto-assign", headers=org, json={})
        assert r.status_code == 200, r.text
        panel = (await http.get(f"/programmes/{P}/panels/panel-rf", headers=org)).json()
        jid = next(a["judge_id"] for a in panel["assignments"]["n1"] if not a["recused"])
        r = await http.post(f"/programmes/{P}/arenas", headers=org, json={
            "arena_id": "arena-1", "name": "擂台赛", "judge_ids": ["j-sfj"], "live_weight": 0.5,
            "rounds": [{"round_id": "r1", "name": "必答题", "max_points": 10, "step": 0.5}],
            "contestants": [{"contestant_id": "c1", "name": "发改委代表队", "unit_id": "fgw"},
                            {"contestant_id": "c2", "name": "财政局代表队", "unit_id": "czj"}]})
        assert r.status_code == 201, r.text
        await publish_envelopes(settings, [Envelope.wrap(StageChanged(programme_id=P, stage="judging",
                                                                      state="closed"), programme_id=P, key=P)])

        async def score():
            return await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=jid),
                                   json={"nomination_id": "n1", "scores": sheet(80)})

        async def closed():
            r = await score()
            return r.status_code == 409 and r

        r = await eventually(closed)
        assert error(r) == (409, "stage_closed", "stage")
        assert r.json()["error"]["message"] == "the judging stage (评审打分) is not open: judges' scores are refused"
        r = await http.post("/arenas/arena-1/scores", headers=auth(settings, "judge", judge_id="j-sfj"),
                            json={"round_id": "r1", "contestant_id": "c1", "score": 8})
        assert error(r) == (409, "stage_closed", "stage") and "arena scores are refused" in r.json()["error"]["message"]
        await publish_envelopes(settings, [Envelope.wrap(StageChanged(programme_id=P, stage="judging",
                                                                      state="open"), programme_id=P, key=P)])

        async def open_again():
            r = await score()
            return r.status_code == 200 and r

        assert (await eventually(open_again)).json()["complete"]


def round_opened(round_id: str, name: str) -> Envelope:
    now = datetime.now(UTC)
    return Envelope.wrap(RoundOpened(round_id=round_id, name=name, category_ids=[CAT], ballot_type="approval",
                                     max_selections=2, candidate_ids=list(NOMINEES), eligible_count=100,
                                     opens_at=now, closes_at=now + timedelta(hours=2)), programme_id=P, key=round_id)


def round_tally(round_id: str, shares: dict[str, float]) -> Envelope:
    env = tally(1, shares)
    return Envelope.wrap(env.event().model_copy(update={"round_id": round_id}), programme_id=P, key=round_id)


async def test_a_published_list_survives_a_revised_score_a_new_indicator_and_a_new_round(settings):
    org = auth(settings, "organiser")
    async with running(create_service, settings) as (svc, http):
        await publish_envelopes(settings, programme_events() + [round_opened("round-1", "民主测评"),
                                                                round_tally("round-1", SHARES)])
        await learned(http, org)
        await panel_of(http, org, P, JUDGES)
        assert (await http.post(f"/programmes/{P}/panels/panel-rf/auto-assign", headers=org,
                                json={})).status_code == 200
        panel = (await http.get(f"/programmes/{P}/panels/panel-rf", headers=org)).json()
        assigned = {n: [a["judge_id"] for a in v if not a["recused"]] for n, v in panel["assignments"].items()}
        for nid, judges in assigned.items():
            for jid in judges:
                r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=jid),
                                    json={"nomination_id": nid, "scores": sheet(80)})
                assert r.status_code == 200, r.text
            r = await http.put(f"/programmes/{P}/nominations/{nid}/indicators", headers=org,
                               json={"basic": {"points": 8, "max_points": 10}})
            assert r.status_code == 200, r.text

        async def computed():
            if await svc.store.dirty_marks():
                return None
            r = await http.get(f"/programmes/{P}/categories/{CAT}/standings")
            if r.status_code != 200:
                return None
            rows = r.json()["standings"]
            votes = {s["nomination_id"]: next(c for c in s["components"] if c["component"] == "peer_vote")
                     for s in rows}
            basics = [next(c for c in s["components"] if c["component"] == "basic")["raw"] for s in rows]
            return len(rows) == 4 and votes["n1"]["raw"] == 0.8 and basics == [8] * 4 and r.json()

        before = await eventually(computed, timeout=30)
        assert "测评轮次 round: 民主测评" in next(c for s in before["standings"] for c in s["components"]
                                            if c["component"] == "peer_vote")["detail"]
        now = datetime.now(UTC)
        await publish_envelopes(settings, [Envelope.wrap(PublicityOpened(
            notice_id="notice-1", category_id=CAT, nomination_ids=["n1", "n2"], starts_at=now,
            ends_at=now + timedelta(days=7), working_days=5, standings_sequence=before["sequence"],
            programme_version=1), programme_id=P, key=CAT)])

        async def indicator():
            return await http.put(f"/programmes/{P}/nominations/n1/indicators", headers=org,
                                  json={"basic": {"points": 10, "max_points": 10}})

        async def frozen():
            r = await indicator()
            return r.status_code == 409 and r

        r = await eventually(frozen)
        assert error(r) == (409, "category_published", "category_id")
        assert r.json()["error"]["message"] == (f"the 公示 list of category {CAT} is published: a change of "
                                                "indicators is refused; it changes only through objections, 递补 "
                                                "and revocation")
        jid = assigned["n1"][0]
        r = await http.post(f"/programmes/{P}/scores", headers=auth(settings, "judge", judge_id=jid),
                            json={"nomination_id": "n1", "scores": sheet(100)})
        assert error(r) == (409, "category_published", "category_id") and "a score revision" in r.text
        r = await http.put(f"/programmes/{P}/config", headers=org, json={"min_judges_to_trim": 4})
        assert error(r) == (409, "category_published", "category_id")
        r = await http.post(f"/programmes/{P}/categories/{CAT}/spot-checks/results", headers=org,
                            json={"nomination_id": "n1", "task_id": "t1", "passed": True})
        assert error(r) == (409, "category_published", "category_id")
        # a new round that feeds the peer vote, with its tally, and an explicit recomputation: nothing moves
        await publish_envelopes(settings, [round_opened("round-2", "复评"), round_tally("round-2", {n: 0.1
                                                                                              for n in SHARES})])

        async def tallied():
            sync = (await http.get(f"/programmes/{P}/sync", headers=org)).json()
            return sync["tallies"] == 2

        await eventually(tallied)
        assert (await http.post(f"/programmes/{P}/categories/{CAT}/recompute", headers=org)).status_code == 202

        async def settled():
            return await svc.store.dirty_marks() == []

        await eventually(settled)
        after = (await http.get(f"/programmes/{P}/categories/{CAT}/standings")).json()
        assert (after["sequence"], after["standings"]) == (before["sequence"], before["standings"])


BAD_READS = [  # path, query, the parameter named in the 422
    (f"/programmes/{P}/nominations", {"status": "any"}, "status"),
    (f"/programmes/{P}/nominations", {"category_id": '{"$gt": ""}'}, "category_id"),
    ("/programmes/%24where/nominations", {}, "programme_id"),
    (f"/programmes/{P}/panels/a%20b", {}, "panel_id"),
    (f"/programmes/{P}/nominations/%7B%7D/scores", {}, "nomination_id"),
    (f"/programmes/{P}/categories/-x/standings", {}, "category_id"),
    ("/arenas/%24ne", {}, "arena_id"),
]


async def test_ids_and_filters_on_reads_are_validated(settings):
    org = auth(settings, "organiser")
    async with running(create_service, settings) as (svc, http):
        for path, query, field in BAD_READS:
            r = await http.get(path, params=query, headers=org)
            assert (r.status_code, r.json()["error"].get("field")) == (422, field), (path, query, r.text)
        r = await http.get(f"/programmes/{P}/nominations", params={"status": "approved", "category_id": CAT},
                           headers=org)
        assert (r.status_code, r.json()) == (200, [])
