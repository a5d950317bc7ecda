"""Pure rules of sign-in links: who a link may be issued for, its stored record, and why a link cannot be redeemed."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.signin_links import MAX_LINK_HOURS, SUBJECT_CLAIM, LinkClaims

from .refusals import Refusal

LINK_ROLES = ("unit", "judge", "member")
MAX_LINKS_PER_REQUEST = 2000
MAX_NAME_CHARS = 100

EXPIRED = Refusal("gone", "signin", "此登录链接已过期，请联系组织者重新发放 (this sign-in link has expired: ask the "
                  "organiser for a new one)", code="signin_link_expired")
USED = Refusal("conflict", "signin",
               "此登录链接已使用过，请联系组织者重新发放 (this sign-in link has already been used: "
               "ask the organiser for a new one)", code="signin_link_used")
REVOKED = Refusal("gone", "signin",
                  "此登录链接已被撤销，请联系组织者 (this sign-in link was revoked: ask the organiser)",
                  code="signin_link_revoked")
INVALID = Refusal("invalid", "signin",
                  "无效的登录链接，请完整复制或重新扫码 (this is not a valid sign-in link: copy it "
                  "whole or scan it again)", code="signin_link_invalid")


def check_link_request(role: str, subject_id: str | None, hours: float) -> Refusal | None:
    if role not in LINK_ROLES:
        return Refusal("invalid", "role", f"role must be one of {', '.join(LINK_ROLES)} (the first organiser's link "
                                          "comes from the CLI: ./exemplar signin-link organiser)", "unknown_role")
    if not subject_id:
        return Refusal("invalid", SUBJECT_CLAIM[role], f"a {role} link needs the {SUBJECT_CLAIM[role]}",
                       "link_needs_subject")
    if not 0 < hours <= MAX_LINK_HOURS:
        return Refusal("invalid", "hours", f"hours must be more than 0 and at most {MAX_LINK_HOURS}", "link_hours",
                       {"max": MAX_LINK_HOURS})
    return None


def unknown_subject(role: str, subject_id: str, pid: str) -> Refusal:
    what = {"unit": "unit", "member": "member"}[role]
    return Refusal("invalid", SUBJECT_CLAIM[role], f"{what} {subject_id} is not in programme {pid}", "not_in_programme")


def link_record(claims: LinkClaims, by: str, at: datetime) -> dict[str, Any]:
    """The stored record of an issued link (its token is answered once and never stored)."""
    return {"_id": claims.link_id, "programme_id": claims.programme_id, "role": claims.role,
            "subject_id": claims.subject_id, "name": claims.name, "issued_by": by, "issued_at": at,
            "expires_at": datetime.fromtimestamp(claims.expires_at, UTC), "used_at": None, "revoked_at": None}


def link_state(record: dict[str, Any], at: datetime) -> str:
    if record.get("revoked_at"):
        return "revoked"
    if record.get("used_at"):
        return "used"
    expires = record["expires_at"]
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    return "expired" if expires <= at else "open"


def redemption_refusal(record: dict[str, Any] | None) -> Refusal | None:
    """Why a well-signed, unexpired link cannot be redeemed; None when it can. A link minted by the CLI has no
    record: only its redemption record makes it single use."""
    if record is None:
        return None
    if record.get("revoked_at"):
        return REVOKED
    if record.get("used_at"):
        return USED
    return None


def revoke_refusal(record: dict[str, Any] | None, link_id: str) -> Refusal | None:
    if record is None:
        return Refusal("not_found", "link_id", f"sign-in link {link_id} does not exist in this programme")
    if record.get("used_at"):
        return Refusal("conflict", "link_id", f"sign-in link {link_id} has already been used", code="signin_link_used")
    return None
