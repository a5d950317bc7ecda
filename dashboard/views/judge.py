"""The judges' page of the staff portal (评委评分): the judge's assignments with their progress, each nominee's
materials, attachments and self-assessment beside the score sheet, declaring a conflict (回避), and the arena's
phone scoring page signed in by the same session.

Reads and writes go through the services' HTTP APIs with the judge's session token: the scoring service for the
assignments, scores and recusals, the nominations service for an assigned nominee's materials and attachments."""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd
import streamlit as st

from .. import i18n, refusals, ui
from ..ui import lang



def t(key: str, language: str | None = None, **kw: Any) -> str:
    return i18n.t(key, language or lang(), **kw)


# ---- pure shaping (tested without Streamlit) ----------------------------------------------------------------------

def state_of(a: dict) -> str:
    """scored (every criterion has the judge's score), to_score, or recused."""
    if a.get("recused"):
        return "recused"
    criteria = [c["criterion_id"] for c in a.get("criteria") or []]
    mine = a.get("scores") or {}
    return "scored" if criteria and all(c in mine for c in criteria) else "to_score"


def progress(items: list[dict]) -> dict[str, int]:
    counts = {"scored": 0, "to_score": 0, "recused": 0}
    for a in items:
        counts[state_of(a)] += 1
    return counts


def my_total(a: dict) -> float | None:
    mine = a.get("scores") or {}
    return float(sum(v["score"] for v in mine.values())) if mine else None


def rows(items: list[dict], language: str) -> list[dict]:
    """The assignment list; the unit column only when some nominee is not its own unit, the category column only
    when the judge scores more than one (a narrow phone keeps the columns that tell nominees apart)."""
    own = all(a.get("unit_name") in ("", None, a.get("nominee_name")) for a in items)
    one_category = len({a.get("category_name") for a in items}) <= 1
    out = []
    for a in items:
        row = {t("jd.col.nominee", language): a.get("nominee_name") or a["nomination_id"]}
        if not own:
            row[t("jd.col.unit", language)] = a.get("unit_name", "")
        if not one_category:
            row[t("jd.col.category", language)] = a.get("category_name", "")
        total = my_total(a)
        row[t("jd.col.state", language)] = t(f"jd.{state_of(a)}", language)
        row[t("jd.col.total", language)] = i18n.fmt_num(total, 1) if total is not None else "—"
        out.append(row)
    return out


def file_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def _why(code: str | None, field: str, message: str, criteria: dict[str, dict], language: str) -> str:
    """The judges' page's own words of a refusal where it has them, else the words every page uses."""
    def w(key: str, **kw: Any) -> str:
        return refusals.words(f"why.judge.{key}", language, **kw)

    words = message.lower()
    if code in ("unreachable", "stage_closed", "not_assigned"):
        return w(code)
    if code == "category_published":
        return w("published")
    if field.startswith("scores.") and field[7:] in criteria:
        c = criteria[field[7:]]
        return w("score", max=_num(c["max_points"]), step=_num(c.get("step", 0.5)))
    if field in ("reason", "judge_id", "panel_id"):
        return w({"reason": "reason", "judge_id": "no_judge_id", "panel_id": "locked"}[field])
    if field == "nomination_id" and "already recused" in words:
        return w("already")
    if field == "nomination_id" and "recused" in words:
        return w("recused")
    if field == "nomination_id" and "not assigned" in words:
        return w("not_assigned")
    return refusals.why(code or "error", field, message, language, form="judge")


def refusal(err: dict, criteria: dict[str, dict], language: str) -> str:
    """A service's refusal ({"code", "message", "field"}) in the chosen language, naming the field as the form
    does: a criterion by its name, the reason box by its label."""
    field = str(err.get("field") or "")
    code = err.get("code")
    message = str(err.get("message") or "")
    if field.startswith("scores.") and field[7:] in criteria:
        label = criteria[field[7:]]["name"]
    elif field:
        label = refusals.field_label(field.split(".")[0], language, form="judge")
    else:
        label = refusals.field_label("stage" if code == "stage_closed" else "scores", language, form="judge")
    return refusals.words("line.judge", language, field=label, why=_why(code, field, message, criteria, language))


def missing_score(values: dict[str, float | None], criteria: list[dict]) -> str | None:
    """The first criterion left empty on the sheet, by name."""
    return next((c["name"] for c in criteria if values.get(c["criterion_id"]) is None), None)


def arena_judge_url(scoring_base: str, arena_id: str, token: str) -> str:
    """The arena's phone scoring page, signed in by the session's token (kept in the page's sessionStorage; the
    fragment never reaches a server)."""
    return f"{scoring_base.rstrip('/')}/arena/{quote(arena_id)}/judge#token={quote(token)}"


# ---- service calls ------------------------------------------------------------------------------------------------

def request(service: str, method: str, path: str, token: str, json: Any = None) -> tuple[bool, Any]:
    """(True, body) or (False, the service's error {"code", "message", "field"}), for words naming the field."""
    url = ui.config().urls[service].rstrip("/") + path
    try:
        r = httpx.request(method, url, headers={"Authorization": f"Bearer {token}"}, json=json,
                          timeout=ui.SERVICE_TIMEOUT)
    except httpx.HTTPError as exc:
        return False, {"code": "unreachable", "message": type(exc).__name__, "field": ""}
    try:
        body = r.json()
    except ValueError:
        body = r.text
    if r.status_code < 400:
        return True, body
    err = refusals.error_of(body) or {}
    return False, {"code": refusals.code_of(r.status_code, body), "field": err.get("field") or "",
                   "message": str(err.get("message") or "")}


def attachment_bytes(token: str, programme_id: str, nomination_id: str, file_id: str):
    """A callable for st.download_button: the file is fetched only when the judge clicks."""
    url = (ui.config().urls["nominations"].rstrip("/")
           + f"/programmes/{programme_id}/nominations/{nomination_id}/attachments/{file_id}")

    def fetch() -> bytes:
        r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=ui.SERVICE_TIMEOUT)
        r.raise_for_status()
        return r.content

    return fetch


def scoring_public_url() -> str:
    return os.environ.get("EXEMPLAR_SCORING_PUBLIC_URL") or ui.config().urls["scoring"]


# ---- the page -----------------------------------------------------------------------------------------------------

def judge_page(token: str, claims: dict) -> None:
    name = claims.get("name") or claims.get("judge_id") or claims.get("sub", "")
    st.subheader(t("jd.title", name=name))
    prog = ui.programme_picker("judge_programme")
    if prog is None:
        return
    pid = prog["_id"]
    ok, items = request("scoring", "GET", f"/programmes/{pid}/my/assignments", token)
    if not ok:
        st.error(refusal(items, {}, lang()))
        return
    if not items:
        st.info(t("jd.none"))
        _arena_links(token, pid, claims.get("judge_id"))
        return
    _progress(items)
    st.markdown(f"##### {t('jd.list')}")
    st.table(pd.DataFrame(rows(items, lang())), hide_index=True)
    by_id = {a["nomination_id"]: a for a in items}
    first = next((a["nomination_id"] for a in items if state_of(a) == "to_score"), items[0]["nomination_id"])
    ids = list(by_id)
    chosen = st.selectbox(t("jd.pick"), ids, index=ids.index(first), key="jd_pick",
                          format_func=lambda n: by_id[n].get("nominee_name") or n)
    _nominee(token, pid, by_id[chosen])
    _arena_links(token, pid, claims.get("judge_id"))


def _progress(items: list[dict]) -> None:
    counts = progress(items)
    with st.container(horizontal=True, wrap=False):  # one row on a phone too, not three stacked
        for key in ("scored", "to_score", "recused"):
            st.metric(t(f"jd.{key}"), counts[key], border=True)
    total = counts["scored"] + counts["to_score"]
    st.progress(counts["scored"] / total if total else 1.0,
                text=t("jd.progress_recused" if counts["recused"] else "jd.progress", scored=counts["scored"],
                       total=total, recused=counts["recused"]))


def _flash(nid: str) -> None:
    note = st.session_state.pop(f"jd_flash_{nid}", None)
    if note:
        (st.success if note[0] == "ok" else st.warning)(note[1])


def _nominee(token: str, pid: str, a: dict) -> None:
    nid = a["nomination_id"]
    name = a.get("nominee_name") or nid
    st.markdown(f"### {name}")
    unit = a.get("unit_name") if a.get("unit_name") != name else None  # a unit nominating itself: shown once
    st.caption(" · ".join(x for x in (unit, a.get("category_name"), t(f"jd.{state_of(a)}")) if x))
    if a.get("recused"):
        _flash(nid)
        st.warning(t("jd.recused_note", reason=a.get("reason") or ""))
        return
    ok, nom = request("nominations", "GET", f"/programmes/{pid}/nominations/{nid}", token)
    if not ok:
        st.warning(t("jd.unreadable", message=refusal(nom, {}, lang())))
        nom = {}
    left, right = st.columns([3, 2], gap="large")
    with left:
        _materials(token, pid, a, nom)
    with right:
        _sheet(token, pid, a, nom.get("self_assessment") or {})
        _conflict(token, pid, a)


def _materials(token: str, pid: str, a: dict, nom: dict) -> None:
    st.markdown(f"#### {t('jd.materials')}")
    text = (nom.get("materials") or "").strip()
    with st.container(border=True):
        if text:
            st.markdown(text.replace("\n", "  \n"))
        else:
            st.caption(t("jd.no_materials"))
    st.markdown(f"#### {t('jd.attachments')}")
    files = nom.get("attachments") or []
    if not files:
        st.caption(t("jd.no_attachments"))
    for f in files:
        size = file_size(f.get("size") or 0)
        st.download_button(f"{f['filename']}（{size}）" if lang() == "zh" else f"{f['filename']} ({size})",
                           attachment_bytes(token, pid, a["nomination_id"], f["file_id"]), file_name=f["filename"],
                           mime=f.get("content_type"), key=f"jd_file_{a['nomination_id']}_{f['file_id']}",
                           on_click="ignore", icon=":material/attach_file:")
    selfs = nom.get("self_assessment") or {}
    st.markdown(f"#### {t('jd.self')}")
    mine = a.get("scores") or {}
    st.table(pd.DataFrame([{
        t("jd.criterion"): c["name"], t("jd.max"): _num(c["max_points"]),
        t("jd.self_points"): _num(selfs.get(c["criterion_id"])),
        t("jd.mine"): _num((mine.get(c["criterion_id"]) or {}).get("score"))} for c in a.get("criteria") or []]),
        hide_index=True)


def _sheet(token: str, pid: str, a: dict, selfs: dict) -> None:
    nid = a["nomination_id"]
    criteria = a.get("criteria") or []
    st.markdown(f"#### {t('jd.sheet')}")
    if a.get("locked"):
        st.info(t("jd.locked"))
    mine = a.get("scores") or {}
    values: dict[str, float | None] = {}
    with st.form(f"jd_sheet_{nid}"):
        for c in criteria:
            cid, top, step = c["criterion_id"], float(c["max_points"]), float(c.get("step", 0.5))
            current = (mine.get(cid) or {}).get("score")
            values[cid] = st.number_input(
                t("jd.score_label", name=c["name"], max=_num(top)), min_value=0.0, max_value=top, step=step,
                value=float(current) if current is not None else None, format="%g", key=f"jd_v_{nid}_{cid}",
                help=t("jd.score_help", max=_num(top), step=_num(step), self=_num(selfs.get(cid))),
                placeholder=t("jd.score_help", max=_num(top), step=_num(step), self=_num(selfs.get(cid))))
        go = st.form_submit_button(t("jd.save"), type="primary", disabled=bool(a.get("locked")),
                                   use_container_width=True)
    _flash(nid)  # where the judge pressed save, on a phone too
    if not go:
        return
    filled = {cid: v for cid, v in values.items() if v is not None}
    if not filled:
        st.error(t("jd.empty", criterion=missing_score(values, criteria)))
        return
    ok, body = request("scoring", "POST", f"/programmes/{pid}/scores", token,
                       json={"nomination_id": nid, "scores": filled})
    if not ok:
        st.error(refusal(body, {c["criterion_id"]: c for c in criteria}, lang()))
        return
    name = a.get("nominee_name") or nid
    text = t("jd.saved", name=name, total=_num(sum(filled.values())))
    if not body.get("complete"):
        text += " " + t("jd.saved_partial")
    st.session_state[f"jd_flash_{nid}"] = ("ok", text)
    st.rerun()


def _conflict(token: str, pid: str, a: dict) -> None:
    nid = a["nomination_id"]
    with st.expander(t("jd.conflict")):
        st.caption(t("jd.conflict_help"))
        with st.form(f"jd_conflict_{nid}", clear_on_submit=False):
            reason = st.text_area(t("jd.reason"), key=f"jd_reason_{nid}", max_chars=500, height=90)
            go = st.form_submit_button(t("jd.declare"), use_container_width=True)
    if not go:
        return
    ok, body = request("scoring", "POST", f"/programmes/{pid}/nominations/{nid}/recusal", token,
                       json={"reason": reason.strip()})
    if not ok:
        st.error(refusal(body, {}, lang()))
        return
    st.session_state[f"jd_flash_{nid}"] = ("warn", t("jd.declared", name=a.get("nominee_name") or nid))
    st.rerun()


def _arena_links(token: str, pid: str, judge_id: str | None) -> None:
    """The open contests this judge sits on, each a link to its phone scoring page signed in by this session."""
    ok, arenas = request("scoring", "GET", f"/programmes/{pid}/arenas", token)
    open_arenas = []
    for x in arenas if ok and isinstance(arenas, list) else []:
        if x.get("status") != "open":
            continue
        seated, board = request("scoring", "GET", f"/arenas/{x['arena_id']}", token)
        if seated and judge_id in (board.get("judge_ids") or []):
            open_arenas.append(x)
    if not open_arenas:
        return
    with st.container(border=True):
        st.markdown(f"**{t('jd.arena')}**")
        st.caption(t("jd.arena_help"))
        base = scoring_public_url()
        for x in open_arenas:
            arena_id = x["arena_id"]
            st.link_button(t("jd.arena_open", name=x.get("name") or arena_id), arena_judge_url(base, arena_id, token))
