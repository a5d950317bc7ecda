"""Sign-in links on the in-memory store: issuing (organiser), listing, revoking, and redeeming a link once."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.nominations.actions import signin
from services.nominations.actions.signin import LinkRequest
from services.nominations.domain.refusals import Gone
from shared.auth import HmacVerifier, issue_token
from shared.contracts.nominations import SigninLinkRevoked, SigninLinksIssued
from shared.errors import Conflict, Invalid, NotFound, Unauthorized
from shared.settings import Settings
from shared.signin_links import (
    LinkExpired,
    LinkInvalid,
    link_url,
    mint_link_token,
    read_link_token,
)
from tests.nominations.fakes import snapshot
from tests.nominations.helpers import PID
from tests.nominations.test_actions import programme, refused

SETTINGS = Settings()


def verify(token: str):
    return HmacVerifier(SETTINGS.auth_secret.get_secret_value(), SETTINGS.auth_issuer,
                        SETTINGS.auth_audience).verify(token)


async def issue(uow, *wanted: LinkRequest, hours: float = 72):
    return await signin.issue_links(uow, SETTINGS, PID, list(wanted), "organiser-test", hours)


class TestLinkToken:
    def test_round_trip_and_url(self):
        token, claims = mint_link_token(SETTINGS, role="unit", subject_id="u-czj", name="市财政局", programme_id=PID)
        back = read_link_token(SETTINGS, token)
        assert back == claims and back.subject == "u-czj"
        assert link_url("http://x:8501/", token) == f"http://x:8501/?signin={token}"

    def test_expired_and_tampered(self):
        token, _ = mint_link_token(SETTINGS, role="organiser", hours=1, now=1_000_000)
        with pytest.raises(LinkExpired):
            read_link_token(SETTINGS, token, now=1_000_000 + 3600)
        assert read_link_token(SETTINGS, token, now=1_000_000 + 3599).role == "organiser"
        with pytest.raises(LinkInvalid):
            read_link_token(SETTINGS, token[:-3] + "abc", now=1_000_000)

    def test_a_role_token_is_not_a_link_and_a_link_is_not_a_bearer_token(self):
        with pytest.raises(LinkInvalid):
            read_link_token(SETTINGS, issue_token(SETTINGS, role="organiser", subject="o"))
        token, _ = mint_link_token(SETTINGS, role="organiser")
        with pytest.raises(Unauthorized):
            verify(token)

    def test_a_unit_link_needs_its_unit(self):
        with pytest.raises(ValueError):
            mint_link_token(SETTINGS, role="unit")


class TestIssueLinks:
    async def test_links_for_a_unit_a_member_and_a_judge(self):
        uow = await programme(open_stage=False)
        out = await issue(uow, LinkRequest("unit", "u-czj"), LinkRequest("member", "m1"),
                          LinkRequest("judge", "j-7", "赵评委"), hours=24)
        assert [(x["role"], x["name"], x["state"]) for x in out] == [
            ("unit", "市财政局", "open"), ("member", "王伟", "open"), ("judge", "赵评委", "open")]
        assert out[0]["unit_id"] == "u-czj" and out[1]["member_id"] == "m1" and out[2]["judge_id"] == "j-7"
        claims = read_link_token(SETTINGS, out[0]["token"])
        assert (claims.role, claims.subject_id, claims.programme_id) == ("unit", "u-czj", PID)
        assert claims.expires_at - int(out[0]["issued_at"].timestamp()) == 24 * 3600
        stored = uow.store.signin_links[out[0]["link_id"]]
        assert "token" not in stored and stored["issued_by"] == "organiser-test"
        # on the record: to which unit and judge, a member's link by its id only (a voter stays off the record)
        [issued] = uow.of_type(SigninLinksIssued)
        assert [(x.role, x.subject_id, x.name) for x in issued.links] == [
            ("unit", "u-czj", "市财政局"), ("member", None, ""), ("judge", "j-7", "赵评委")]
        assert "m1" not in issued.model_dump_json() and "王伟" not in issued.model_dump_json()
        assert "token" not in issued.model_dump_json() and issued.links[0].link_id == out[0]["link_id"]

    async def test_unknown_unit_or_member_is_refused_naming_the_field(self):
        uow = await programme(open_stage=False)
        await refused(uow, issue(uow, LinkRequest("unit", "u-czj"), LinkRequest("unit", "u-nope")), Invalid,
                      "unit_id", "u-nope is not in programme")
        await refused(uow, issue(uow, LinkRequest("member", "m404")), Invalid, "member_id", "m404")

    async def test_bad_requests(self):
        uow = await programme(open_stage=False)
        await refused(uow, issue(uow, LinkRequest("organiser", "x")), Invalid, "role", "CLI")
        await refused(uow, issue(uow, LinkRequest("judge", None)), Invalid, "judge_id", "needs the judge_id")
        await refused(uow, issue(uow, LinkRequest("unit", "u-czj"), hours=0), Invalid, "hours", "at most")
        await refused(uow, issue(uow), Invalid, "links", "give 1")

    async def test_unknown_programme(self):
        uow = await programme(open_stage=False)
        await refused(uow, signin.issue_links(uow, SETTINGS, "p-nope", [LinkRequest("judge", "j1")], "o"),
                      NotFound, "programme_id", "does not exist")


class TestListAndRevoke:
    async def test_list_shows_each_state(self):
        uow = await programme(open_stage=False)
        a, b, c = await issue(uow, LinkRequest("unit", "u-czj"), LinkRequest("unit", "u-fgw"),
                              LinkRequest("judge", "j1"))
        await signin.redeem(uow, SETTINGS, a["token"])
        await signin.revoke_link(uow, PID, b["link_id"], "organiser-test")
        listed = await signin.list_links(uow.store, PID)
        assert [(x["link_id"], x["state"]) for x in listed] == [
            (a["link_id"], "used"), (b["link_id"], "revoked"), (c["link_id"], "open")]
        assert all("token" not in x for x in listed)

    async def test_revoke_then_redeem_is_gone(self):
        uow = await programme(open_stage=False)
        (link,) = await issue(uow, LinkRequest("unit", "u-czj"))
        revoked = await signin.revoke_link(uow, PID, link["link_id"], "organiser-test")
        assert revoked["state"] == "revoked"
        again = await signin.revoke_link(uow, PID, link["link_id"], "someone-else")
        assert again["revoked_by"] == "organiser-test"
        # revoked once on the record too: the second revocation keeps the first and emits nothing
        assert uow.of_type(SigninLinkRevoked) == [SigninLinkRevoked(link_id=link["link_id"], role="unit")]
        err = await refused(uow, signin.redeem(uow, SETTINGS, link["token"]), Gone, "signin", "已被撤销")
        assert (err.status, err.code) == (410, "signin_link_revoked")

    async def test_revoke_refusals(self):
        uow = await programme(open_stage=False)
        (link,) = await issue(uow, LinkRequest("unit", "u-czj"))
        await refused(uow, signin.revoke_link(uow, PID, "sl-nope", "o"), NotFound, "link_id", "does not exist")
        await refused(uow, signin.revoke_link(uow, "p-other", link["link_id"], "o"), NotFound, "programme_id", "")
        await signin.redeem(uow, SETTINGS, link["token"])
        err = await refused(uow, signin.revoke_link(uow, PID, link["link_id"], "o"), Conflict, "link_id", "used")
        assert err.code == "signin_link_used"


class TestRedeem:
    async def test_a_unit_link_gives_a_unit_session_once(self):
        uow = await programme(open_stage=False)
        (link,) = await issue(uow, LinkRequest("unit", "u-czj"))
        session = await signin.redeem(uow, SETTINGS, link["token"])
        who = verify(session["token"])
        assert (who.role, who.unit_id, who.name, who.subject) == ("unit", "u-czj", "市财政局", "u-czj")
        assert session["name"] == "市财政局" and session["unit_id"] == "u-czj"
        assert who.claims["exp"] - who.claims["iat"] == 12 * 3600
        assert uow.store.signin_links[link["link_id"]]["used_at"] is not None
        err = await refused(uow, signin.redeem(uow, SETTINGS, link["token"]), Conflict, "signin", "已使用过")
        assert (err.status, err.code) == (409, "signin_link_used")
        assert uow.types() == ["SigninLinksIssued"]  # redeeming a link is a sign-in, not a change

    async def test_a_cli_link_has_no_record_but_is_single_use_too(self):
        uow = await programme(open_stage=False)
        token, _ = mint_link_token(SETTINGS, role="organiser", name="组织者")
        session = await signin.redeem(uow, SETTINGS, token)
        assert verify(session["token"]).role == "organiser"
        await refused(uow, signin.redeem(uow, SETTINGS, token), Conflict, "signin", "already been used")

    async def test_expired_link_says_what_to_do(self):
        uow = await programme(open_stage=False)
        (link,) = await issue(uow, LinkRequest("member", "m1"), hours=1)
        later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
        before = snapshot(uow.store)
        with pytest.raises(Gone) as caught:
            await signin.redeem(uow, SETTINGS, link["token"], at=later)
        assert (caught.value.status, caught.value.code) == (410, "signin_link_expired")
        assert "此登录链接已过期，请联系组织者重新发放" in caught.value.message
        assert "expired" in caught.value.message
        assert snapshot(uow.store) == before
        assert (await signin.list_links(uow.store, PID))[0]["state"] == "open"  # not yet by the clock

    async def test_not_a_link(self):
        uow = await programme(open_stage=False)
        forged = jwt.encode({"jti": "x", "purpose": "signin-link", "role": "organiser", "exp": 2**31,
                             "aud": "exemplar:signin-link", "iss": "exemplar"}, "another-secret-of-32-characters!!")
        for token in ("", "garbage", forged, issue_token(SETTINGS, role="organiser", subject="o")):
            err = await refused(uow, signin.redeem(uow, SETTINGS, token), Invalid, "signin", "not a valid")
            assert err.code == "signin_link_invalid"
