"""The dashboard's sign-in rules without Streamlit running: OIDC claim mapping, link refusals in words, the
[auth] switch, and the sign-in sheet's exports."""
from __future__ import annotations

import io

import openpyxl
import pytest

from dashboard import signin
from dashboard.views import links


@pytest.mark.parametrize(("claims", "expected"), [
    ({"sub": "k1", "role": "organiser", "name": "陈主任", "exp": 9}, {"role": "organiser", "sub": "k1",
                                                                     "name": "陈主任", "via": "oidc", "exp": 9}),
    ({"sub": "k2", "role": "unit", "unit_id": "u-czj", "preferred_username": "czj"},
     {"role": "unit", "sub": "k2", "name": "czj", "via": "oidc", "unit_id": "u-czj"}),
    ({"sub": "k3", "roles": ["offline_access", "judge"], "judge_id": "j1", "email": "j@x"},
     {"role": "judge", "sub": "k3", "name": "j@x", "via": "oidc", "judge_id": "j1"}),
    ({"sub": "k4", "role": "member", "member_id": "m1", "name": "王伟"},
     {"role": "member", "sub": "k4", "name": "王伟", "via": "oidc", "member_id": "m1"}),
])
def test_oidc_claims_give_the_portal_role(claims, expected):
    assert signin.oidc_claims(claims) == (expected, None)


@pytest.mark.parametrize(("claims", "problem"), [
    ({"sub": "x"}, "signin.no_role"),
    ({"sub": "x", "role": "admin"}, "signin.no_role"),
    ({"sub": "x", "roles": "judge"}, "signin.no_role"),
    ({"sub": "x", "role": "unit"}, "signin.no_subject"),
    ({"sub": "x", "role": "judge", "unit_id": "u1"}, "signin.no_subject"),
])
def test_oidc_accounts_that_cannot_act_here(claims, problem):
    assert signin.oidc_claims(claims) == (None, problem)


@pytest.mark.parametrize(("status", "code", "zh", "en"), [
    (410, "signin_link_expired", "此登录链接已过期，请联系组织者重新发放", "has expired. Ask the organiser"),
    (409, "signin_link_used", "已使用过", "already been used"),
    (410, "signin_link_revoked", "已被撤销", "was revoked"),
    (422, "signin_link_invalid", "无效的登录链接", "not a valid sign-in link"),
    (429, "rate_limited", "过于频繁", "Too many attempts"),
])
def test_link_refusals_in_the_chosen_language(status, code, zh, en):
    body = {"error": {"code": code, "message": "service text", "field": "signin"}}
    assert zh in signin.redeem_error(status, body, "zh")
    assert en in signin.redeem_error(status, body, "en")


def test_an_unknown_refusal_names_its_code_not_the_service_words():
    assert signin.redeem_error(500, {"error": {"code": "boom", "message": "broken"}}, "en") == \
        "Sign-in failed: Not accepted (boom)."


def test_single_sign_on_only_when_auth_is_configured():
    class NoSecrets:
        def __contains__(self, key):
            raise FileNotFoundError("no secrets.toml")

    assert not signin.auth_configured(NoSecrets())
    assert not signin.auth_configured({})
    assert not signin.auth_configured({"auth": {}})
    assert signin.auth_configured({"auth": {"client_id": "exemplar"}})


def test_sheet_rows_exports_and_print_page(monkeypatch):
    issued = [{"name": "市财政局", "role": "unit", "expires_at": "2026-03-05T09:00:00Z", "token": "a.b.c"},
              {"name": "赵评委", "role": "judge", "expires_at": "2026-03-05T09:00:00Z", "token": "d.e.f"}]
    rows = links.link_rows(issued, "http://dash:8501", {"unit": "申报单位", "judge": "评委"}.get, "zh")
    assert [r["登录链接"] for r in rows] == ["http://dash:8501/?signin=a.b.c", "http://dash:8501/?signin=d.e.f"]
    assert rows[0]["角色"] == "申报单位"
    assert links.export_csv(rows).decode("utf-8").startswith("\ufeff姓名/单位,角色,有效期至,登录链接")
    ws = openpyxl.load_workbook(io.BytesIO(links.export_xlsx(rows))).active
    assert [c.value for c in ws[2]][0] == "市财政局" and ws.max_row == 3
    sheet = links.print_sheet(rows, "登录链接", "有效期至 {expires}", "zh")
    assert sheet.count('class="card"') == 2 and sheet.count("data:image/png;base64,") == 2
    assert "http://dash:8501/?signin=d.e.f" in sheet and "@page{size:A4" in sheet


def test_session_cookie_keeps_a_reload_signed_in_until_expiry():
    from shared.auth import issue_token
    from shared.settings import Settings

    token = issue_token(Settings(), role="unit", subject="u1", unit_id="u1", name="市财政局", ttl_seconds=60)
    claims = signin.session_from_cookie(token)
    assert (claims["role"], claims["unit_id"]) == ("unit", "u1")
    assert signin.session_from_cookie(token, now=claims["exp"] + 1) is None
    assert signin.session_from_cookie("") is None and signin.session_from_cookie("junk") is None
    assert "exemplar_session=abc; Max-Age=43200; Path=/; SameSite=Strict" in signin.cookie_script("abc", 43200)
    assert "exemplar_session=; Max-Age=0" in signin.cookie_script("abc", 0)
