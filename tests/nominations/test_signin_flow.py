"""Sign-in links through the real nominations service on MongoDB: issue, list, redeem once, revoke, and the
unique redemption record that makes two redemptions at once give one session."""
from __future__ import annotations

import asyncio

from services.nominations.app import create_service
from shared.signin_links import mint_link_token
from tests.nominations.helpers import PID, setup_programme
from tests.support import running


async def test_links_issued_redeemed_once_revoked(settings):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings, open_stage=False)
        # The organiser issues links for a unit and a judge; an unknown member is refused naming its field.
        r = await http.post(f"/programmes/{PID}/signin-links", headers=org, json={
            "hours": 24, "links": [{"role": "unit", "unit_id": "u-czj"}, {"role": "judge", "judge_id": "j1",
                                                                           "name": "赵评委"}]})
        assert r.status_code == 201, r.text
        unit, judge = r.json()
        assert (unit["name"], unit["state"], judge["name"]) == ("市财政局", "open", "赵评委")
        r = await http.post(f"/programmes/{PID}/signin-links", headers=org,
                            json={"links": [{"role": "member", "member_id": "m404"}]})
        assert r.status_code == 422 and r.json()["error"]["field"] == "member_id", r.text
        assert (await http.post(f"/programmes/{PID}/signin-links",
                                json={"links": [{"role": "judge", "judge_id": "j"}]})).status_code == 401

        # The unit redeems its link twice at once: one session, one 409.
        answers = await asyncio.gather(*[http.post("/signin/redeem", json={"token": unit["token"]})
                                         for _ in range(2)])
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        session = next(a.json() for a in answers if a.status_code == 200)
        assert (session["role"], session["unit_id"], session["name"]) == ("unit", "u-czj", "市财政局")
        used = next(a.json() for a in answers if a.status_code == 409)
        assert used["error"]["code"] == "signin_link_used"
        # The session token is a bearer token the services accept.
        me = {"Authorization": f"Bearer {session['token']}"}
        assert (await http.get(f"/programmes/{PID}/nominations", headers=me)).status_code == 200
        # A link itself is not a bearer token.
        link_bearer = {"Authorization": f"Bearer {judge['token']}"}
        assert (await http.get(f"/programmes/{PID}/nominations", headers=link_bearer)).status_code == 401

        # Revoked: 410; the list shows each state.
        r = await http.post(f"/programmes/{PID}/signin-links/{judge['link_id']}/revoke", headers=org)
        assert r.status_code == 200 and r.json()["state"] == "revoked", r.text
        r = await http.post("/signin/redeem", json={"token": judge["token"]})
        assert r.status_code == 410 and r.json()["error"]["code"] == "signin_link_revoked", r.text
        r = await http.get(f"/programmes/{PID}/signin-links", headers=org)
        assert [x["state"] for x in r.json()] == ["used", "revoked"], r.text

        # Expired (minted as the CLI would, already past its time): 410 with what to do.
        expired, _ = mint_link_token(settings, role="organiser", hours=1, now=1_000_000)
        r = await http.post("/signin/redeem", json={"token": expired})
        assert r.status_code == 410, r.text
        assert r.json()["error"] == {"code": "signin_link_expired", "field": "signin",
                                     "message": r.json()["error"]["message"]}
        assert "此登录链接已过期，请联系组织者重新发放" in r.json()["error"]["message"]
        r = await http.post("/signin/redeem", json={"token": "not-a-link"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "signin_link_invalid", r.text


async def test_the_demo_prints_one_link_per_role(settings):
    from devtools.demo.context import DemoContext
    from devtools.demo.signin import demo_links
    from shared.signin_links import read_link_token

    async with running(create_service, settings) as (_, http):
        await setup_programme(http, settings, open_stage=False)
        ctx = DemoContext(settings=settings, urls={"nominations": str(http.base_url)}, client=http, programme_id=PID,
                          data={"units": [{"unit_id": "u-fgw"}], "members": [{"member_id": "m2"}],
                                "judges": [{"judge_id": "judge-01", "name": "赵评委"}], "nominations": []})
        links = await demo_links(ctx, "http://dash:8501", client=http)
        assert [(role, name) for role, name, _ in links] == [
            ("organiser", "演示组织者"), ("unit", "市发展和改革委员会"), ("judge", "赵评委"), ("member", "李娜")]
        for role, _, url in links:
            assert url.startswith("http://dash:8501/?signin=")
            assert read_link_token(settings, url.split("signin=", 1)[1]).role == role
        r = await http.post("/signin/redeem", json={"token": links[1][2].split("signin=", 1)[1]})
        assert r.status_code == 200 and r.json()["unit_id"] == "u-fgw", r.text
