"""Signing in to the dashboard without pasting a token: a sign-in link (?signin=...) or the organisation's OIDC.

A link is exchanged once with the nominations service for a role session token; OIDC sign-in is Streamlit's own
st.login, configured in .streamlit/secrets.toml [auth], and the provider's token is forwarded to the services.
The session token and its claims live in st.session_state["token"] / ["claims"], as the portal reads them.
"""
from __future__ import annotations

import os
from typing import Any

import httpx
import streamlit as st
import streamlit.components.v1 as components

from . import data, refusals
from .ui import config, lang

ROLES = ("organiser", "unit", "member", "judge")
SUBJECT_CLAIMS = {"unit": "unit_id", "judge": "judge_id", "member": "member_id"}
DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8501"
SESSION_COOKIE = "exemplar_session"
SESSION_SECONDS = 12 * 3600

TEXT: dict[str, tuple[str, str]] = {
    "signin.how": ("请打开组织者发给您的登录链接（或用手机扫描登录二维码）即可登录，无需输入任何令牌。",
                   "Open the sign-in link the organiser gave you (or scan its QR code) to sign in; there is no "
                   "token to type."),
    "signin.first": ("首位组织者的登录链接由服务器上的命令 ./exemplar signin-link organiser 生成。",
                     "The first organiser's link comes from the server: ./exemplar signin-link organiser"),
    "signin.oidc": ("使用单位统一身份认证登录", "Sign in with the organisation's single sign-on"),
    "signin.welcome": ("已登录：{name}（{role}）", "Signed in: {name} ({role})"),
    "signin.out": ("退出登录", "Sign out"),
    "signin.signed_out": ("您已退出登录。", "You are signed out."),
    "signin.portal": ("进入工作台", "Open the portal"),
    "signin.failed": ("登录失败：{message}", "Sign-in failed: {message}"),
    "signin.unreachable": ("登录服务暂时无法连接，请稍后再试。",
                           "The sign-in service cannot be reached; try again later."),
    "signin.no_role": ("您的单点登录账号没有本系统的角色（role），请联系管理员。",
                       "Your single sign-on account carries no role for this system; ask the administrator."),
    "signin.no_subject": ("您的账号角色为 {role}，但缺少 {claim}，请联系管理员。",
                          "Your account's role is {role} but it carries no {claim}; ask the administrator."),
}


def text(key: str, language: str | None = None, **kw: Any) -> str:
    zh, en = TEXT[key]
    s = en if (language or lang()) == "en" else zh
    return s.format(**kw) if kw else s


def dashboard_url() -> str:
    """The base of printed sign-in links: EXEMPLAR_DASHBOARD_URL, or the local dashboard."""
    return (os.environ.get("EXEMPLAR_DASHBOARD_URL") or DEFAULT_DASHBOARD_URL).rstrip("/")


# ---- pure rules -------------------------------------------------------------------------------------------------

def redeem_error(status: int, body: Any, language: str) -> str:
    """What a person reads when a link cannot be redeemed: by the service's stable code, in the chosen language."""
    code = refusals.code_of(status, body)
    if code.startswith("signin_link_") or code == "rate_limited":
        return refusals.sentence(refusals.code_words(code, "", language, "signin"), language)
    return text("signin.failed", language, message=refusals.summary(status, body, language))


def oidc_claims(claims: dict) -> tuple[dict | None, str | None]:
    """The portal's claims from an OIDC identity (st.user): the role and the unit / judge / member from the claims
    role, unit_id, judge_id, member_id; (None, the reason as a text key) when the account cannot act here."""
    role = claims.get("role")
    if role not in ROLES:
        roles = claims.get("roles")  # some providers send a list: take the first role of this system
        role = next((r for r in roles if r in ROLES), None) if isinstance(roles, list) else None
    if role is None:
        return None, "signin.no_role"
    claim = SUBJECT_CLAIMS.get(role)
    if claim and not claims.get(claim):
        return None, "signin.no_subject"
    name = claims.get("name") or claims.get("preferred_username") or claims.get("email") or claims.get("sub", "")
    out = {"role": role, "sub": str(claims.get("sub", "")), "name": name, "via": "oidc"}
    if claim:
        out[claim] = claims[claim]
    if claims.get("exp") is not None:
        out["exp"] = claims["exp"]
    return out, None


def auth_configured(secrets: Any) -> bool:
    """Whether .streamlit/secrets.toml has an [auth] section (else the single sign-on button is not shown)."""
    try:
        return "auth" in secrets and bool(secrets["auth"])
    except Exception:  # no secrets file at all: Streamlit raises on first access
        return False


def cookie_script(token: str, max_age: int) -> str:
    """The script that keeps (or, with max_age 0, drops) the session token in a cookie, so that a reload, which is
    a new Streamlit session, stays signed in: the link that signed the person in works only once."""
    value = token if max_age > 0 else ""
    return (f"<script>document.cookie = '{SESSION_COOKIE}={value}; Max-Age={max(max_age, 0)}; Path=/; "
            "SameSite=Strict';</script>")


def session_from_cookie(raw: str | None, now: float | None = None) -> dict | None:
    """The claims of a session token kept in the cookie, or None when there is none, it is unreadable or expired
    (the services still verify it on every call)."""
    if not raw:
        return None
    try:
        claims = data.token_claims(raw)
    except Exception:
        return None
    return None if data.token_expired(claims, now) else claims


# ---- Streamlit glue -----------------------------------------------------------------------------------------------

def _redeem(link_token: str) -> tuple[bool, Any, int]:
    url = config().urls["nominations"].rstrip("/") + "/signin/redeem"
    try:
        r = httpx.post(url, json={"token": link_token}, timeout=15.0)
    except httpx.HTTPError:
        return False, None, 0
    try:
        body = r.json()
    except ValueError:
        body = r.text
    return r.status_code < 400, body, r.status_code


def accept_link() -> None:
    """On any page: a ?signin=<link> in the URL signs the person in, then leaves the URL (it is single use)."""
    link_token = st.query_params.get("signin")
    if not link_token:
        return
    del st.query_params["signin"]
    ok, body, status = _redeem(link_token)
    st.session_state["go_portal"] = {k: v for k, v in st.query_params.to_dict().items() if k != "signin"}
    if not ok:
        st.session_state["signin_error"] = (redeem_error(status, body, lang()) if status
                                            else text("signin.unreachable"))
        return
    for k in ("token", "claims", "signin_error", "signed_out", "notice_signed_out"):
        st.session_state.pop(k, None)
    st.session_state["token"] = body["token"]
    st.session_state["claims"] = data.token_claims(body["token"]) | {"via": "link"}
    st.session_state["cookie_pending"] = (body["token"], SESSION_SECONDS)
    if body.get("programme_id"):  # a programme's link opens that programme in the portal's pickers
        st.session_state["go_portal"]["programme"] = body["programme_id"]


def restore_session() -> None:
    """A new session (a reload, a new tab) of someone signed in by a link: take the session from the cookie."""
    if st.session_state.get("token") or st.session_state.get("signed_out"):
        return
    raw = st.context.cookies.get(SESSION_COOKIE)
    claims = session_from_cookie(raw)
    if claims is not None:
        st.session_state["token"] = raw
        st.session_state["claims"] = claims | {"via": "link"}


def write_cookie() -> None:
    """Render the pending cookie change (after a sign-in or a sign-out): an invisible component, same origin. In the
    sidebar: an element that comes and goes in the main area shifts the portal's tabs, which then reset to the first."""
    pending = st.session_state.pop("cookie_pending", None)
    if pending is not None:
        with st.sidebar:
            components.html(cookie_script(*pending), height=0)


def accept_oidc() -> None:
    """Signed in by st.login and not yet in this session: map the identity's claims, forward its token."""
    if st.session_state.get("token") or not auth_configured(st.secrets) or not st.user.is_logged_in:
        return
    claims, problem = oidc_claims(st.user.to_dict())
    if claims is None:
        role = st.user.get("role") or ""
        st.session_state["signin_error"] = text(problem, role=role, claim=SUBJECT_CLAIMS.get(role, ""))
        return
    # The services verify the same issuer's token by its keys (EXEMPLAR_AUTH_JWKS_URL): the ID token by default,
    # the access token when the provider puts the roles there (EXEMPLAR_DASHBOARD_OIDC_TOKEN=access).
    kind = os.environ.get("EXEMPLAR_DASHBOARD_OIDC_TOKEN", "id")
    st.session_state["token"] = st.user.tokens.get(kind, "")
    st.session_state["claims"] = claims


def sign_out() -> None:
    for k in ("token", "claims", "signin_error", "issued_links", "issued_judge_links"):
        st.session_state.pop(k, None)
    # signed_out stays for the rest of this session: st.context.cookies still holds the cookie it started with.
    st.session_state["signed_out"] = True
    st.session_state["notice_signed_out"] = True
    st.session_state["cookie_pending"] = ("", 0)
    if auth_configured(st.secrets) and st.user.is_logged_in:
        st.logout()
    st.rerun()


def role_name(role: str) -> str:
    from .ui import tr

    return tr(f"pt.role.{role}")


def sidebar_status() -> None:
    claims = st.session_state.get("claims")
    if not claims:
        return
    who = claims.get("name") or claims.get("sub", "")
    st.sidebar.success(text("signin.welcome", name=who, role=role_name(claims["role"])))
    if st.sidebar.button(text("signin.out"), key="signout_sidebar"):
        sign_out()


def login_panel() -> None:
    """What the portal shows to someone not signed in: why a link failed, how to sign in, single sign-on."""
    error = st.session_state.pop("signin_error", None)
    if error:
        st.error(error)
    elif st.session_state.pop("notice_signed_out", False):
        st.info(text("signin.signed_out"))
    st.info(text("signin.how"))
    if auth_configured(st.secrets):
        if st.button(text("signin.oidc"), type="primary", key="oidc_login"):
            st.login()
    st.caption(text("signin.first"))
