"""Objections (异议): the queue still to handle (a resolved objection leaves it), each with its real state; assign an
investigator, see the objector's sealed contacts on request (the viewing recorded) and the attachments, record
findings, resolve as dismissed or sustained after a confirmation; after a sustained one, 递补: a supplementary notice
for the next-ranked candidate, its end date seen before confirming."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ... import i18n
from ...ui import lang
from .common import ask, confirmed, download, field_error, flash, get, local_error, request, submit
from .text import t

RESOLVED = ("sustained", "dismissed")


def objections_tab(token: str) -> None:
    body = get("publicity", "/objections", token) or {}
    items = body.get("objections", [])
    open_items = [o for o in items if o.get("state") not in RESOLVED]
    done = [o for o in items if o.get("state") in RESOLVED]
    todo, handled = st.tabs([t("ob.to_handle", n=len(open_items)), t("ob.handled", n=len(done))])
    with todo:
        flash("objection", ("investigator", "findings", "reason"))
        _table(open_items)
        if open_items:
            _handle(open_items, token)
    with handled:
        _table(done)
        _replacement([o for o in done if o.get("state") == "sustained"], token)


def _table(items: list[dict]) -> None:
    if not items:
        st.caption(t("ob.none"))
        return
    st.dataframe(pd.DataFrame([{t("ob.col.no"): o.get("tracking_no"), t("ob.col.nominee"): o.get("nominee_name"),
                                t("ob.col.state"): t(f"ob.state.{o.get('state')}"),
                                t("ob.col.reason"): (o.get("reason") or "")[:80]} for o in items]),
                 hide_index=True, use_container_width=True)


def _handle(items: list[dict], token: str) -> None:
    labels = {o["objection_id"]: f"{o.get('tracking_no')} · {o.get('nominee_name', '')}" for o in items}
    oid = st.selectbox(t("ob.pick"), list(labels), format_func=labels.get, key="org_obj_pick")
    o = next(x for x in items if x["objection_id"] == oid)
    _contact(o, token)
    _attachments(o, token)
    c1, c2 = st.columns(2)
    # the boxes are the objection's own: what was typed for one never stays filled in for the next
    with c1.form(f"org_obj_assign_{oid}"):
        who = st.text_input(t("ob.investigator"), key=f"org_obj_inv_{oid}")
        field_error("objection", "investigator")
        if st.form_submit_button(t("ob.assign")):
            submit("objection", "publicity", "POST", f"/objections/{oid}/assign", token,
                   json={"investigator": who.strip()})
            st.rerun()
    with c2.form(f"org_obj_findings_{oid}"):
        text = st.text_area(t("ob.findings"), key=f"org_obj_findings_{oid}")
        field_error("objection", "findings")
        if st.form_submit_button(t("ob.record")):
            submit("objection", "publicity", "POST", f"/objections/{oid}/findings", token,
                   json={"findings": text.strip()})
            st.rerun()
    outcome = st.radio(t("ob.outcome"), list(RESOLVED[::-1]), horizontal=True, key=f"org_obj_outcome_{oid}",
                       format_func=lambda o: t(f"ob.{o}"))
    reason = st.text_input(t("ob.reason"), key=f"org_obj_reason_{oid}")
    field_error("objection", "reason")
    if st.button(t("ob.resolve"), key="org_obj_resolve", type="primary"):
        if len(reason.strip()) < 2:
            local_error("objection", "reason", t("rv.required"))
            st.rerun()
        ask(f"resolve_{oid}")
    if confirmed(f"resolve_{oid}", t("ob.resolve_q", outcome=t(f"ob.{outcome}"))):
        submit("objection", "publicity", "POST", f"/objections/{oid}/resolve", token,
               json={"outcome": outcome, "reason": reason.strip()})
        st.rerun()


def _contact(o: dict, token: str) -> None:
    """The objector's sealed contacts, opened only on request after a confirmation: the service records the
    viewing (who, when) in the objection's history."""
    oid = o["objection_id"]
    shown = st.session_state.get(f"_contact_{oid}")
    if shown:
        st.info(t("ob2.contact_is", name=shown.get("name", ""), phone=shown.get("phone") or "—",
                  email=shown.get("email") or "—"))
    elif st.button(t("ob2.contact"), key=f"org_obj_contact_{oid}"):
        ask(f"contact_{oid}")
    if confirmed(f"contact_{oid}", t("ob2.contact_q")):
        ok, body, _ = request("publicity", "GET", f"/objections/{oid}/contact", token)
        if ok:
            st.session_state[f"_contact_{oid}"] = body
            st.rerun()
        st.error(body)


def _attachments(o: dict, token: str) -> None:
    files = o.get("attachments") or []
    st.markdown(f"**{t('ob2.attachments')}**")
    if not files:
        st.caption(t("ob2.no_attachments"))
        return
    for a in files:
        download(a.get("filename") or a["file_id"], "publicity", f"/objections/{o['objection_id']}/attachments/"
                 f"{a['file_id']}", token, a.get("filename") or a["file_id"],
                 a.get("content_type") or "application/octet-stream", key=f"obj_att_{a['file_id']}")


def _replacement(sustained: list[dict], token: str) -> None:
    """递补 after a sustained objection: the nominee is off the notice; a supplementary notice for the next-ranked
    candidate (or one picked), its end date seen before confirming."""
    st.markdown(f"#### {t('ob2.replace')}")
    flash("replacement", ("nomination_id", "working_days"))
    if not sustained:
        st.caption(t("ob2.no_sustained"))
        return
    labels = {o["objection_id"]: f"{o.get('tracking_no')} · {o.get('nominee_name', '')}" for o in sustained}
    oid = st.selectbox(t("ob2.replace_for"), list(labels), format_func=labels.get, key="org_obj_repl_pick")
    o = next(x for x in sustained if x["objection_id"] == oid)
    notice = get("publicity", f"/notices/{o['notice_id']}", token) or {}
    if not notice:
        return
    removed = [e["nominee_name"] for e in notice.get("entries", []) if e.get("status") == "removed"]
    st.caption(t("ob2.removed", title=notice.get("title", ""), names="、".join(removed) or "—"))
    candidates = _candidates(notice, token)
    pick = st.selectbox(t("ob2.candidate"), [None, *candidates], key=f"org_obj_repl_cand_{oid}",
                        format_func=lambda c: candidates[c] if c else t("ob2.next_ranked", name=next(
                            iter(candidates.values()), "—")))
    field_error("replacement", "nomination_id")
    days = st.number_input(t("pb.days"), min_value=1, max_value=30, value=int(notice.get("working_days") or 5),
                           step=1, key=f"org_obj_repl_days_{oid}")
    field_error("replacement", "working_days")
    ok, period, _ = request("publicity", "GET", "/working-days", token, params={"working_days": int(days)})
    end = i18n.fmt_dt(period["ends_at"], lang()) if ok else ""
    if ok:
        st.info(t("pb.preview", start=i18n.fmt_dt(period["starts_at"], lang()), end=end))
    else:
        st.error(t("pb.preview_fail", message=period))
    if st.button(t("ob2.replace_btn"), key="org_obj_repl_go", type="primary"):
        ask(f"replace_{oid}")
    who = candidates.get(pick) if pick else t("ob2.next_ranked", name=next(iter(candidates.values()), "—"))
    if confirmed(f"replace_{oid}", t("ob2.replace_q", who=who, end=end)):
        body = {"working_days": int(days)} | ({"nomination_id": pick} if pick else {})
        submit("replacement", "publicity", "POST", f"/notices/{o['notice_id']}/replacements", token, json=body)
        st.rerun()


def _candidates(notice: dict, token: str) -> dict[str, str]:
    """The category's ranked candidates not on this notice, best first (the service skips those listed elsewhere
    or vetoed when it picks the next-ranked itself)."""
    body = get("publicity", f"/programmes/{notice.get('programme_id')}/shortlists", token) or {}
    on = {e["nomination_id"] for e in notice.get("entries", [])}
    cat = next((c for c in body.get("categories", []) if c.get("category_id") == notice.get("category_id")), {})
    return {s["nomination_id"]: f"{s.get('rank')}. {s.get('nominee_name', '')} · {s.get('unit_name', '')}"
            for s in cat.get("standings", []) if s["nomination_id"] not in on}
