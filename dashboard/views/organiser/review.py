"""Review (资格审查): the queue with materials, attachments and self-assessment; approve, return with a comment,
reject with a reason; the returned and rejected lists; the 差额 shortfall per category; vetoes set and lifted."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from .common import field_error, flash, get, local_error, submit
from .text import t

DECISIONS = {"approve": ("rv.approve", "comment", "rv.comment", False),
             "return": ("rv.return", "comments", "rv.comments", True),
             "reject": ("rv.reject", "reason", "rv.reason", True)}


def nominations(pid: str, token: str, status: str) -> list[dict]:
    body = get("nominations", f"/programmes/{pid}/nominations", token, status=status, page_size=500)
    return (body or {}).get("items", [])


def _label(n: dict) -> str:
    return f"{n.get('nominee_name', '')} — {n.get('unit_name', '')} · {n.get('category_name', n.get('category_id'))}"


def review_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    lists = {s: nominations(pid, token, s) for s in ("submitted", "returned", "rejected", "approved")}
    queue, returned, rejected, approved = (st.tabs([
        t("rv.queue", n=len(lists["submitted"])), t("rv.returned", n=len(lists["returned"])),
        t("rv.rejected", n=len(lists["rejected"])), t("rv.approved", n=len(lists["approved"]))]))
    with queue:
        _queue(prog, token, lists["submitted"])
    for tab, status in ((returned, "returned"), (rejected, "rejected"), (approved, "approved")):
        with tab:
            _table(lists[status])
    _shortfall(pid, token)
    _vetoes(pid, token)


def _table(items: list[dict]) -> None:
    if not items:
        st.caption(t("none"))
        return
    st.dataframe(pd.DataFrame([{t("rv.pick"): _label(n), t("rv.history"): "; ".join(
        f"{h.get('action', h.get('status', ''))}: {h.get('comments') or h.get('reason') or h.get('comment') or ''}"
        for h in n.get("history", [])[-2:])} for n in items]),
        hide_index=True, use_container_width=True)


def _queue(prog: dict, token: str, pending: list[dict]) -> None:
    flash("review", ("comment", "comments", "reason"))
    if not pending:
        st.info(t("rv.none"))
        return
    by = {n["nomination_id"]: n for n in pending}
    nid = st.selectbox(t("rv.pick"), list(by), format_func=lambda i: _label(by[i]), key="org_rv_pick")
    n = get("nominations", f"/programmes/{prog['_id']}/nominations/{nid}", token) or by[nid]
    with st.container(border=True):
        st.markdown(f"**{t('rv.materials')}**")
        st.write(n.get("materials") or "—")
        names = {c["criterion_id"]: c["name"] for cat in prog.get("categories", []) for c in cat.get("criteria", [])}
        if n.get("self_assessment"):
            st.markdown(f"**{t('rv.self')}**")
            st.dataframe(pd.DataFrame([{t("rv.self"): names.get(k, k), "": v}
                                       for k, v in n["self_assessment"].items()]), hide_index=True)
        st.markdown(f"**{t('rv.attachments')}**")
        for a in n.get("attachments", []) or []:
            st.caption(f"📎 {a.get('filename', a.get('file_id'))} ({a.get('size', '')} B)")
        if not n.get("attachments"):
            st.caption(t("rv.no_attachments"))
    decision = st.radio(t("rv.decision"), list(DECISIONS), horizontal=True, key="org_rv_decision",
                        format_func=lambda d: t(DECISIONS[d][0]), index=None)
    if decision is None:
        return
    _, field, label, required = DECISIONS[decision]
    with st.form("org_review"):
        text = st.text_area(t(label), key=f"org_rv_{field}")
        field_error("review", field)
        go = st.form_submit_button(t(DECISIONS[decision][0]), type="primary")
    if go:
        if required and not text.strip():
            local_error("review", field, t("rv.required"))
        else:
            submit("review", "nominations", "POST", f"/programmes/{prog['_id']}/nominations/{nid}/{decision}",
                   token, json={field: text.strip()})
        st.rerun()


def _shortfall(pid: str, token: str) -> None:
    body = get("nominations", f"/programmes/{pid}/quota", token)
    if not body:
        return
    st.markdown(f"#### {t('rv.shortfall')}")
    st.dataframe(pd.DataFrame([{t("rv.col.category"): c["name"], t("rv.col.quota"): c["quota"],
                                t("rv.col.needed"): c["needed"], t("rv.col.approved"): c["approved"],
                                t("rv.col.short"): max(0, c["needed"] - c["approved"])}
                               for c in body.get("categories", [])]), hide_index=True, use_container_width=True)
    for w in body.get("warnings", []):
        st.warning(t("rv.short_warn", name=w.get("name", ""), approved=w.get("approved"), needed=w.get("needed"))
                   if isinstance(w, dict) else str(w))


def _vetoes(pid: str, token: str) -> None:
    st.markdown(f"#### {t('rv.vetoes')}")
    flash("veto", ("reason",))
    units = get("nominations", f"/programmes/{pid}/units", token, flat="true") or []
    members = (get("nominations", f"/programmes/{pid}/members", token, page_size=1000) or {}).get("items", [])
    subjects = {u["unit_id"]: u.get("name", u["unit_id"]) for u in units if "unit_id" in u}
    subjects |= {m["member_id"]: f"{m.get('name', '')}（{m.get('unit_name', m.get('unit_id', ''))}）"
                 for m in members if "member_id" in m}
    active = [v for v in get("nominations", f"/programmes/{pid}/vetoes", token) or [] if v.get("active")]
    if active:
        st.caption(t("rv.veto.active") + "：" + "、".join(
            subjects.get(v.get("subject_id"), v.get("subject_id", "")) + f"（{v.get('reason', '')}）" for v in active))
    if not subjects:
        return
    with st.form("org_veto"):
        sid = st.selectbox(t("rv.veto.subject"), list(subjects), format_func=subjects.get, key="org_veto_subject")
        reason = st.text_input(t("rv.veto.reason"), key="org_veto_reason")
        field_error("veto", "reason")
        c1, c2 = st.columns(2)
        do_set = c1.form_submit_button(t("rv.veto.set"))
        do_lift = c2.form_submit_button(t("rv.veto.lift"))
    if do_set or do_lift:
        if not reason.strip():
            local_error("veto", "reason", t("rv.required"))
        else:
            submit("veto", "nominations", "PUT" if do_set else "DELETE", f"/programmes/{pid}/vetoes/{sid}", token,
                   json={"reason": reason.strip()})
        st.rerun()
