"""Objections (异议): the queue still to handle (a resolved objection leaves it), each with its real state; assign an
investigator, record findings, resolve as dismissed or sustained after a confirmation."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from .common import ask, confirmed, field_error, flash, get, local_error, submit
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
