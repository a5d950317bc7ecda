"""Programme integrity through the real voting service (issue 15): two programmes with the same ids, the voting
stage, published categories, which round feeds the peer vote, hidden counts, grading rules, ids on reads."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.voting.app import create_service
from shared.contracts import Envelope
from shared.contracts.nominations import StageChanged
from shared.contracts.publicity import PublicityOpened
from tests.support import auth, eventually, publish_envelopes, running
from tests.voting.helpers import PID, seed, store, world

OTHER = "p2027"


def later(**kw) -> str:
    return (datetime.now(UTC) + timedelta(**kw)).isoformat()


def round_body(**kw) -> dict:
    body = {"round_id": "r1", "programme_id": PID, "name": "模范机关推荐投票", "category_ids": ["organ"],
            "ballot_type": "approval", "closes_at": later(hours=1)}
    return body | kw


async def post_round(settings, client, **kw):
    return await client.post("/rounds", json=round_body(**kw), headers=auth(settings, "organiser"))


async def cast(settings, client, mid: str, round_id: str = "r1", **ballot):
    return await client.post(f"/rounds/{round_id}/ballots", json=ballot,
                             headers=auth(settings, "member", member_id=mid))


def error(r) -> tuple[int, str, str | None]:
    err = r.json()["error"]
    return r.status_code, err["code"], err.get("field")


async def set_stage(settings, svc, state: str, pid: str = PID) -> None:
    await publish_envelopes(settings, [Envelope.wrap(StageChanged(programme_id=pid, stage="voting", state=state),
                                                     programme_id=pid, key=pid)])

    async def learned():
        programme = await store(svc).programme(pid) or {}
        return (programme.get("stage_state") or {}).get("voting") == state

    await eventually(learned, timeout=30)


async def test_two_programmes_with_the_same_unit_and_member_ids_never_see_each_other(settings):
    async with running(create_service, settings) as (svc, client):
        mine = world(units=2, per_unit=2, candidates=2)
        other = world(units=3, per_unit=3, candidates=2, pid=OTHER, unit_name="部门", nomination="q")
        await seed(settings, svc, mine)
        await seed(settings, svc, other)

        r = await post_round(settings, client)
        assert r.status_code == 201, r.text
        assert r.json()["eligible"] == 4  # not 4 + 9
        org = auth(settings, "organiser")
        assert (await client.get(f"/programmes/{PID}/candidates", headers=org)).json()["members_on_roll"] == 4
        # m2-0 is on the other programme's roll only: refused here; m1-1 of this programme votes
        assert error(await cast(settings, client, "m2-0", selections=["n0"])) == (403, "not_eligible", None)
        assert (await cast(settings, client, "m1-1", selections=["n0"])).status_code == 201
        tally = (await client.get("/rounds/r1/tally")).json()
        assert [(u["unit_id"], u["unit_name"]) for u in tally["turnout_by_unit"]] == [("u0", "单位0"), ("u1", "单位1")]
        assert tally["ballots_cast"] == 1 and tally["refused"] == {"not_eligible": 1}

        r = await post_round(settings, client, round_id="q1", programme_id=OTHER)
        assert r.status_code == 201, r.text
        assert r.json()["eligible"] == 9 and [c["nomination_id"] for c in r.json()["candidates"]] == ["q0", "q1"]
        assert (await cast(settings, client, "m2-0", round_id="q1", selections=["q0"])).status_code == 201
        names = [u["unit_name"] for u in (await client.get("/rounds/q1/tally")).json()["turnout_by_unit"]]
        assert names == ["部门0", "部门1", "部门2"]
        # a unit of the other programme is unknown to this programme's rounds
        r = await post_round(settings, client, round_id="r2", confirm_replace=True,
                             eligibility={"mode": "units", "unit_ids": ["u2"]})
        assert error(r) == (422, "unknown_unit", "eligibility.unit_ids")


async def test_rounds_open_and_ballots_count_only_in_the_voting_stage(settings):
    async with running(create_service, settings) as (svc, client):
        await seed(settings, svc, world(units=2, per_unit=3, candidates=3, voting_open=False))
        r = await post_round(settings, client)
        assert error(r) == (409, "stage_closed", "stage")
        assert r.json()["error"]["message"] == "the voting stage (民主测评) is not open: opening a round is refused"
        assert await store(svc).list_rounds(None) == []

        await set_stage(settings, svc, "open")
        assert (await post_round(settings, client)).status_code == 201
        assert (await cast(settings, client, "m0-0", selections=["n0"])).status_code == 201

        # The stage closes: the round (refreshed by the learning hook) refuses ballots, at the edge within
        # EDGE_ROUND_SECONDS and at the counter from its next batch.
        await set_stage(settings, svc, "closed")
        voters = iter(["m0-1", "m0-2", "m1-0", "m1-1", "m1-2"])

        async def refused():
            r = await cast(settings, client, next(voters), selections=["n0"])
            return r if r.status_code == 409 else None

        r = await eventually(refused, timeout=10, interval=0.5)
        assert error(r) == (409, "stage_closed", "stage")
        assert r.json()["error"]["message"] == "the voting stage (民主测评) is not open: casting a ballot is refused"
        tally = (await client.get("/rounds/r1/tally")).json()
        assert tally["refused"].get("stage_closed", 0) >= 1
        # closing is always allowed
        r = await client.post("/rounds/r1/close", headers=auth(settings, "organiser"))
        assert r.status_code == 200 and r.json()["state"] == "closed"


async def test_published_categories_replaced_peer_votes_and_hidden_counts(settings):
    async with running(create_service, settings) as (svc, client):
        await seed(settings, svc, world(units=2, per_unit=3, candidates=3))
        org = auth(settings, "organiser")
        first = await post_round(settings, client, name="推荐投票", counts_hidden=True)
        assert first.status_code == 201 and first.json()["feeds_peer_vote"] is True

        # hidden counts are published only after the close
        r = await client.post("/rounds/r1/publish", headers=org)
        assert error(r) == (409, "round_open", "round_id")
        assert r.json()["error"]["message"] == "the hidden counts of round r1 can be published only after the round " \
                                               "is closed"

        # a second feeding round for the category needs the organiser's confirmation
        r = await post_round(settings, client, round_id="r2", ballot_type="appraisal", abstain_allowed=True)
        assert error(r) == (409, "replaces_peer_vote", "confirm_replace")
        assert "round r1 (推荐投票)" in r.json()["error"]["message"]
        r = await post_round(settings, client, round_id="r2", ballot_type="appraisal", abstain_allowed=True,
                             confirm_replace=True)
        assert r.status_code == 201, r.text
        assert r.json()["feeds_peer_vote"] is True and r.json()["replaces_peer_vote_of"] == ["r1"]

        assert (await client.post("/rounds/r1/close", headers=org)).status_code == 200
        assert (await client.post("/rounds/r1/publish", headers=org)).status_code == 200

        # once the category's 公示 list is published, it takes no new round
        now = datetime.now(UTC)
        await publish_envelopes(settings, [Envelope.wrap(PublicityOpened(
            notice_id="notice1", category_id="organ", nomination_ids=["n0"], starts_at=now,
            ends_at=now + timedelta(days=7), working_days=5), programme_id=PID, key="organ")])

        async def published():
            return "organ" in ((await store(svc).programme(PID)) or {}).get("published_categories", [])

        await eventually(published, timeout=30)
        r = await post_round(settings, client, round_id="r3", confirm_replace=True)
        assert error(r) == (409, "category_published", "category_ids")
        assert r.json()["error"]["message"] == ("the 公示 list of category organ is published: opening a round is "
                                                "refused; it changes only through objections, 递补 and revocation")
        assert len(await store(svc).list_rounds(PID)) == 2


async def test_grading_ballots_keep_the_share_cap_and_grade_every_candidate(settings):
    async with running(create_service, settings) as (svc, client):
        await seed(settings, svc, world(units=1, per_unit=4, candidates=4))
        r = await post_round(settings, client, ballot_type="appraisal", excellent_cap_share=0.3)
        assert r.status_code == 201, r.text
        described = (await client.get("/rounds/r1")).json()
        assert (described["excellent_cap_share"], described["excellent_limit"], described["abstain_allowed"]) == \
            (0.3, 1, False)
        every = {"n0": "excellent", "n1": "competent", "n2": "competent", "n3": "incompetent"}
        r = await cast(settings, client, "m0-0", grades=every | {"n1": "excellent"})
        assert error(r) == (422, "too_many_excellent", "grades")
        r = await cast(settings, client, "m0-0", grades={"n0": "excellent", "n1": "competent"})
        assert error(r) == (422, "ungraded_candidate", "grades")
        assert (await cast(settings, client, "m0-0", grades=every)).status_code == 201
        tally = (await client.get("/rounds/r1/tally")).json()
        assert tally["ballots_cast"] == 1 and tally["invalid"] == 2

        r = await post_round(settings, client, round_id="r2", ballot_type="appraisal", abstain_allowed=True,
                             confirm_replace=True)
        assert r.status_code == 201 and r.json()["abstain_allowed"] is True
        assert (await cast(settings, client, "m0-0", round_id="r2", grades={"n0": "competent"})).status_code == 201
        r = await post_round(settings, client, round_id="r3", excellent_cap_share=0.3, confirm_replace=True)
        assert error(r) == (422, "appraisal_only", "excellent_cap_share")


BAD = '{"$gt": ""}'


@pytest.mark.parametrize("method, path, params, field, role", [
    ("get", "/rounds", {"programme_id": BAD}, "programme_id", None),
    ("get", f"/programmes/{PID}/candidates", {"category_id": BAD}, "category_id", "organiser"),
    ("get", "/programmes/p$1/candidates", {}, "programme_id", "organiser"),
    ("get", "/rounds/r$1", {}, "round_id", None),
    ("get", "/rounds/r$1/tally", {}, "round_id", None),
    ("get", "/rounds/r$1/tally.xlsx", {}, "round_id", "organiser"),
    ("get", "/rounds/r$1/flags", {}, "round_id", "organiser"),
    ("get", "/rounds/r$1/bulletin", {}, "round_id", None),
    ("get", "/rounds/r1/receipts/a$b", {}, "receipt", None),
    ("get", "/rounds/r1/credentials/u$1", {}, "unit_id", "organiser"),
    ("get", "/rounds/r$1/me", {}, "round_id", "member"),
    ("post", "/rounds/r$1/close", {}, "round_id", "organiser"),
    ("post", "/rounds/r$1/publish", {}, "round_id", "organiser"),
])
async def test_a_malformed_id_on_a_read_is_a_422_naming_the_parameter(settings, method, path, params, field, role):
    async with running(create_service, settings) as (_, client):
        headers = auth(settings, role, member_id="m0-0") if role else {}
        r = await client.request(method.upper(), path, params=params, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field


async def test_a_malformed_round_id_when_casting_is_a_422(settings):
    async with running(create_service, settings) as (_, client):
        r = await client.post("/rounds/r$1/ballots", json={"selections": ["n0"]},
                              headers=auth(settings, "member", member_id="m0-0"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "round_id"
