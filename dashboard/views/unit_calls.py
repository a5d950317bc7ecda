"""The units' page's calls to the nominations service and what it reads from them: the unit's nominations, the
nominees of its subtree found by name, the stage; refusals kept for the form that caused them and shown beside
its fields, in the chosen language (dashboard/refusals.py)."""
from __future__ import annotations

from typing import Any

import httpx
import streamlit as st

from .. import i18n, refusals
from ..ui import config, lang, tr

TIMEOUT = 30.0
MAX_FILE_MB = 10  # the nominations service's limit (services/nominations/domain: MAX_ATTACHMENT_BYTES)
MAX_FILES = 10  # ... and MAX_ATTACHMENTS
FILE_TYPES = ["pdf", "doc", "docx", "xlsx", "jpg", "jpeg", "png"]
MAX_MATERIALS = 20_000
SHOWN = 50  # candidates listed for one search
UNIT_KINDS = ("organ", "branch", "site", "team")


# ---- service calls ------------------------------------------------------------------------------------------------

def request(method: str, path: str, token: str, **kw: Any) -> tuple[int, Any]:
    """(HTTP status, JSON body) of a call to the nominations service; status 0 when it cannot be reached."""
    url = config().urls["nominations"].rstrip("/") + path
    try:
        r = httpx.request(method, url, headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=TIMEOUT,
                          **kw)
    except httpx.HTTPError as exc:
        return 0, {"error": {"code": "unreachable", "message": type(exc).__name__}}
    try:
        return r.status_code, r.json() if r.content else {}
    except ValueError:
        return r.status_code, r.text


def explain_any(status: int, body: Any, criteria: dict[str, str] | None = None) -> list[tuple[str, str]]:
    if status == 0:
        return [("", tr("pt.unreachable", service="nominations", error=body["error"]["message"]))]
    return refusals.explain(status, body, lang(), form="unit", criteria=criteria)


def refused(form: str, status: int, body: Any, criteria: dict[str, str] | None = None) -> None:
    """Keep a refusal's lines for the form to show beside its fields on the next run."""
    st.session_state[f"_un_err_{form}"] = explain_any(status, body, criteria)


def errors_for(form: str, *fields: str) -> None:
    """The kept refusal lines of `form` naming one of `fields` (a prefix match: self_assessment.x); no fields: the
    lines that name none of the form's fields. A form's lines stay until it is sent again; the list's show once."""
    kept = st.session_state.pop(f"_un_err_{form}", None) if form == "list" else \
        st.session_state.get(f"_un_err_{form}")
    for field, line in kept or []:
        head = field.partition(".")[0]
        if (fields and head in fields) or (not fields and head not in FORM_FIELDS.get(form, ())):
            st.error(line)


FORM_FIELDS = {"new": ("nominee_id", "materials", "self_assessment", "file", "category_id"),
               "resubmit": ("materials", "self_assessment", "file"), "more": ("file",)}


def done(message: str) -> None:
    """An action went through: its message once, on the next run; the forms' kept refusals are over."""
    st.session_state["_un_ok"] = message
    for form in (*FORM_FIELDS, "list"):
        st.session_state.pop(f"_un_err_{form}", None)


# ---- reading ------------------------------------------------------------------------------------------------------

@st.cache_data(ttl=10, show_spinner=False)
def programme(pid: str) -> dict | None:
    """The programme with its categories' criteria, from the nominations service (public)."""
    status, body = request("GET", f"/programmes/{pid}", "")
    return body if status == 200 else None


def my_nominations(pid: str, token: str) -> list[dict] | None:
    status, body = request("GET", f"/programmes/{pid}/nominations", token, params={"page_size": 500})
    if status != 200:
        refused("list", status, body)
        return None
    return sorted(body.get("items", []), key=lambda n: str(n.get("updated_at") or ""), reverse=True)


class Unread(Exception):
    """A read the page cannot do without; carries the service's answer (never cached)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


@st.cache_data(ttl=15, show_spinner=False)
def _units(pid: str) -> list[dict]:
    """The programme's organisation tree, flat (public; read again after a few seconds: imports are rare)."""
    status, body = request("GET", f"/programmes/{pid}/units", "", params={"flat": "true"})
    if status != 200 or not isinstance(body, list):
        raise Unread(status, body)
    return body


def subtree_units(pid: str, unit_id: str) -> list[dict]:
    """The unit and every unit below it in the organisation tree; a failure to read it is said where it is needed."""
    try:
        units = _units(pid)
    except Unread as exc:
        for _, line in explain_any(exc.status, exc.body):
            st.error(line)
        return []
    children: dict[str, list[dict]] = {}
    for u in units:
        children.setdefault(u.get("parent_id") or "", []).append(u)
    out, todo = [], [u for u in units if u["unit_id"] == unit_id]
    while todo:
        u = todo.pop()
        out.append(u)
        todo.extend(children.get(u["unit_id"], []))
    return out


def candidates(pid: str, token: str, unit_id: str, kind: str, q: str) -> tuple[dict[str, str], int]:
    """Nominees of `kind` in the unit's subtree whose name contains q: ({id: label}, how many matched)."""
    units = subtree_units(pid, unit_id)
    names = {u["unit_id"]: u.get("name", u["unit_id"]) for u in units}
    if kind == "member":
        status, body = request("GET", f"/programmes/{pid}/members", token,
                               params={"q": q or None, "page_size": SHOWN})
        if status != 200:
            refused("new", status, body)
            return {}, 0
        return ({m["member_id"]: f"{m['name']}（{names.get(m['unit_id'], '')}）" for m in body["items"]},
                body.get("total", 0))
    found = [u for u in units if u.get("kind") == kind and (not q or q in u.get("name", ""))]
    return {u["unit_id"]: u.get("name", u["unit_id"]) for u in found[:SHOWN]}, len(found)


def nomination_stage_open(pid: str) -> bool:
    status, body = request("GET", f"/programmes/{pid}/stages", "")
    if status != 200 or not isinstance(body, list):
        return True  # unknown: let the service decide, and say why if it refuses
    return any(s.get("stage") == "nomination" and s.get("state") == "open" for s in body)


def category_name(c: dict) -> str:
    return (c.get("name_en") or c["name"]) if lang() == "en" else c["name"]


def status_words(n: dict) -> str:
    key = f"un.status.{n.get('status')}"
    return tr(key) if key in i18n.STRINGS else i18n.status(n.get("status"), lang())


def reviewer_note(n: dict) -> str:
    """The reviewer's words on a nomination: the return comments, the rejection reason or the approval comment."""
    if n.get("status") == "returned":
        return n.get("review_comments") or ""
    if n.get("status") == "rejected":
        return n.get("reject_reason") or ""
    if n.get("status") == "approved":
        return next((h.get("comment") or "" for h in reversed(n.get("history") or [])
                     if h.get("action") == "approve"), "")
    return ""


def size_words(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"
