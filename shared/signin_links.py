"""Sign-in link tokens: signed, expiring, single-use links a person opens instead of pasting a role token.

A link token is an HMAC JWT like a role token, but with its own audience, so a link is never accepted as a bearer
token by a service: it is only exchanged, once, for a session token (nominations' POST /signin/redeem).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote
from uuid import uuid4

import jwt

from .auth import ROLES, Role
from .settings import Settings

LINK_PURPOSE = "signin-link"
DEFAULT_LINK_HOURS = 72
MAX_LINK_HOURS = 24 * 30
SESSION_SECONDS = 12 * 3600
SUBJECT_CLAIM = {"unit": "unit_id", "judge": "judge_id", "member": "member_id"}
DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8501"


class LinkExpired(Exception):
    """The link's signature is good but its time is up: the organiser must issue a new one."""


class LinkInvalid(Exception):
    """Not a link this installation signed (tampered, truncated, or another kind of token)."""


@dataclass(frozen=True)
class LinkClaims:
    link_id: str
    role: Role
    subject_id: str | None  # the unit, judge or member the link signs in; None for an organiser
    name: str
    programme_id: str | None
    expires_at: int

    @property
    def subject(self) -> str:
        return self.subject_id or self.role


def link_audience(settings: Settings) -> str:
    return f"{settings.auth_audience}:{LINK_PURPOSE}"


def mint_link_token(settings: Settings, *, role: Role, subject_id: str | None = None, name: str = "",
                    programme_id: str | None = None, hours: float = DEFAULT_LINK_HOURS,
                    link_id: str | None = None, now: float | None = None) -> tuple[str, LinkClaims]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role != "organiser" and not subject_id:
        raise ValueError(f"a {role} link needs the {SUBJECT_CLAIM[role]}")
    issued = int(now if now is not None else time.time())
    claims = LinkClaims(link_id or "sl-" + uuid4().hex, role, subject_id if role != "organiser" else None, name,
                        programme_id, issued + int(hours * 3600))
    body = {"jti": claims.link_id, "purpose": LINK_PURPOSE, "role": role, "name": name, "iss": settings.auth_issuer,
            "aud": link_audience(settings), "iat": issued, "exp": claims.expires_at}
    if claims.subject_id:
        body[SUBJECT_CLAIM[role]] = claims.subject_id
    if programme_id:
        body["programme_id"] = programme_id
    return jwt.encode(body, settings.auth_secret.get_secret_value(), algorithm="HS256"), claims


def read_link_token(settings: Settings, token: str, now: float | None = None) -> LinkClaims:
    """The claims of a link this installation signed; LinkExpired once its time is up, LinkInvalid otherwise."""
    # Expiry is checked here rather than by PyJWT so that tests can pass the time.
    options: jwt.types.Options = {"require": ["exp", "jti"], "verify_exp": False}
    try:
        body = jwt.decode(token.strip(), settings.auth_secret.get_secret_value(), algorithms=["HS256"],
                          issuer=settings.auth_issuer, audience=link_audience(settings), options=options)
    except jwt.PyJWTError:
        raise LinkInvalid("the sign-in link is not valid") from None
    role = body.get("role")
    if body.get("purpose") != LINK_PURPOSE or role not in ROLES:
        raise LinkInvalid("the sign-in link is not valid")
    subject_id = body.get(SUBJECT_CLAIM[role]) if role != "organiser" else None
    if role != "organiser" and not subject_id:
        raise LinkInvalid("the sign-in link is not valid")
    if int(body["exp"]) <= (now if now is not None else time.time()):
        raise LinkExpired("the sign-in link has expired")
    return LinkClaims(str(body["jti"]), role, subject_id, str(body.get("name", "")), body.get("programme_id"),
                      int(body["exp"]))


def link_url(base_url: str, token: str) -> str:
    """The address a person opens (or scans): the dashboard with ?signin=<token>."""
    return f"{base_url.rstrip('/')}/?signin={quote(token, safe='')}"
