"""Pure rules of an objection: its steps, what resolving it does to the nominee, the objector's identity."""
from __future__ import annotations

import re
import secrets
from typing import Any

from shared.errors import Conflict, Invalid

MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENT_MB = MAX_ATTACHMENT_BYTES // (1024 * 1024)
ATTACHMENT_TYPES = {  # extension -> (content type, magic prefix)
    "pdf": ("application/pdf", b"%PDF"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
}
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def resolution_effect(outcome: str, *, entry_status: str, period_ended: bool, other_open: int) -> str:
    """What resolving one objection does to its nominee: 'remove', 'confirm' or 'none'."""
    if entry_status in ("removed", "confirmed"):
        return "none"
    if outcome == "sustained":
        return "remove"
    if outcome == "dismissed" and period_ended and other_open == 0:
        return "confirm"
    return "none"


OBJECTION_FLOW = {
    "filed": {"assign", "resolve"},
    "assigned": {"assign", "findings", "resolve"},
    "investigating": {"assign", "findings", "resolve"},
    "sustained": set(),
    "dismissed": set(),
}
OBJECTION_LABELS = {"filed": "已受理", "assigned": "已分派核查", "investigating": "核查中",
                    "sustained": "经核查，反映问题属实", "dismissed": "经核查，反映问题不属实"}
OPEN_OBJECTION_STATES = ("filed", "assigned", "investigating")


def objection_step_allowed(state: str, step: str) -> bool:
    return step in OBJECTION_FLOW.get(state, set())


# ---- contact validation ------------------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•.\s\-]{2,40}$")


def normalise_phone(phone: str) -> str:
    p = re.sub(r"[\s()]", "", phone or "")
    if p.startswith("+86"):
        p = p[3:]
    return p


def phone_is_valid(phone: str) -> bool:
    p = normalise_phone(phone)
    return bool(_MOBILE.match(p) or _LANDLINE.match(p))


def email_is_valid(email: str) -> bool:
    return bool(email) and len(email) <= 254 and bool(_EMAIL.match(email.strip()))


def real_name_is_valid(name: str) -> bool:
    return bool(_NAME.match((name or "").strip()))


def contact_problem(name: str, phone: str | None, email: str | None) -> tuple[str, str] | None:
    """(field, message) for the first problem with an objector's identity and contact, or None."""
    if not real_name_is_valid(name):
        return "name", "name: give your real name (2–40 characters, letters or Chinese characters); anonymous " \
                       "objections are not accepted"
    if not (phone or "").strip() and not (email or "").strip():
        return "phone", "phone or email: give at least one way to contact you"
    if phone and phone.strip() and not phone_is_valid(phone):
        return "phone", "phone: not a valid mainland mobile (11 digits, 1[3-9]…) or landline (0area-number)"
    if email and email.strip() and not email_is_valid(email):
        return "email", "email: not a valid e-mail address"
    return None


# ---- the invariants of an objection ------------------------------------------------------------------------------

def ensure_step(o: dict[str, Any], step: str) -> None:
    if not objection_step_allowed(o["state"], step):
        raise Conflict(f"objection {o['_id']} is {o['state']}; it cannot be {step} now", field="state")


def check_identity(name: str, phone: str, email: str) -> list[str]:
    """The objector's contacts (normalised) to rate-limit on, or Invalid: objections are real-name (实名)."""
    problem = contact_problem(name, phone, email)
    if problem:
        raise Invalid(problem[1], field=problem[0])
    return [c for c in (normalise_phone(phone) if phone.strip() else "", email.strip().lower()) if c]


def check_attachments(files: list[tuple[str, bytes]]) -> list[tuple[str, str, bytes]]:
    """(filename, content type, data) of each accepted attachment; Invalid for too many, a wrong type or size.

    A file is read with one byte beyond the limit, so a longer one shows as larger than 5 MB."""
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(f"attachments: at most {MAX_ATTACHMENTS} files", field="attachments", code="too_many_files",
                      params={"max": MAX_ATTACHMENTS})
    out = []
    for filename, data in files:
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if ext not in ATTACHMENT_TYPES:
            raise Invalid(f"attachments: {filename} is not an accepted type (pdf, jpg, png, docx)",
                          field="attachments", code="file_type", params={"types": ".pdf, .jpg, .png, .docx"})
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise Invalid(f"attachments: {filename} is larger than {MAX_ATTACHMENT_MB} MB", field="attachments",
                          code="file_too_large", params={"mb": MAX_ATTACHMENT_MB})
        if not data:
            raise Invalid(f"attachments: {filename} is empty", field="attachments", code="file_empty")
        ctype, magic = ATTACHMENT_TYPES[ext]
        if not data.startswith(magic):
            raise Invalid(f"attachments: {filename} does not look like a .{ext} file", field="attachments",
                          code="file_content_mismatch")
        out.append((filename or f"attachment.{ext}", ctype, data))
    return out


def tracking_number(year: int) -> str:
    return f"YY{year}-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))
