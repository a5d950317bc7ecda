"""Voting rounds: open an approval or grading round, turnout per unit as it happens, close with a confirmation,
publish hidden counts after closing, the tally as .xlsx."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from ... import data, ui
from ..slips import slips_section
from .common import ask, confirmed, download, field_error, flash, get, submit
from .text import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELDS = ("name", "category_ids", "max_selections", "excellent_cap", "abstain_allowed", "confirm_replace", "closes_at")


def rounds_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    _open_form(prog, token)
    rounds = get("voting", "/rounds", token, programme_id=pid) or []
    rounds = rounds.get("rounds", rounds) if isinstance(rounds, dict) else rounds
    st.markdown(f"#### {t('ro.list')}")
    if not rounds:
        st.caption(t("none"))
        return
    by = {r["_id"] if "_id" in r else r["round_id"]: r for r in rounds}
    opened = {rid: r.get("name") or rid for rid, r in by.items() if r.get("state") == "open"}
    if opened:
        slips_section(token, opened)
    rid = st.selectbox(t("ro.list"), list(by), key="org_round_pick",
                       format_func=lambda r: f"{by[r].get('name', r)} · {t('ro.state.' + str(by[r].get('state')))}")
    _round(rid, by[rid], token, pid)


def _open_form(prog: dict, token: str) -> None:
    st.markdown(f"#### {t('ro.open')}")
    flash("round", FIELDS)
    cats = {c["category_id"]: c["name"] for c in data.ordered_categories(prog)}
    with st.form("org_open_round"):
        name = st.text_input(t("ro.name"), key="org_round_name")
        field_error("round", "name")
        chosen = st.multiselect(t("ro.categories"), list(cats), format_func=cats.get, key="org_round_cats")
        field_error("round", "category_ids")
        btype = st.radio(t("ro.type"), ["approval", "appraisal"], horizontal=True, key="org_round_type",
                         format_func=lambda b: t(f"ro.type.{b}"))
        max_sel = st.number_input(t("ro.max"), min_value=1, value=1, step=1, key="org_round_max",
                                  help=t("ro.max_help"))
        field_error("round", "max_selections")
        cap = st.number_input(t("ro.cap"), min_value=0, value=None, step=1, key="org_round_cap",
                              placeholder=t("ro.cap_none"), help=t("ro.cap_help"))
        field_error("round", "excellent_cap")
        abstain = st.checkbox(t("ro.abstain"), value=False, key="org_round_abstain", help=t("ro.abstain_help"))
        field_error("round", "abstain_allowed")
        replace = st.checkbox(t("ro.replace"), value=False, key="org_round_replace", help=t("ro.replace_help"))
        field_error("round", "confirm_replace")
        hours = st.number_input(t("ro.hours"), min_value=1, value=24, step=1, key="org_round_hours")
        field_error("round", "closes_at")
        go = st.form_submit_button(t("ro.open"), type="primary")
    if go:
        body = {"programme_id": prog["_id"], "name": name.strip(), "category_ids": chosen, "ballot_type": btype,
                "closes_at": (datetime.now(UTC) + timedelta(hours=int(hours))).isoformat()}
        body |= round_limits(btype, int(max_sel), cap, abstain) | ({"confirm_replace": True} if replace else {})
        submit("round", "voting", "POST", "/rounds", token, json=body)
        st.rerun()


def round_limits(ballot_type: str, max_selections: int, excellent_cap: int | None, abstain: bool) -> dict:
    """The limits a round of this ballot type takes from the form: up to N for approval; for grading the 优秀 cap
    (left empty: no cap) and whether a candidate may be left ungraded (弃权). The others do not apply and are not
    sent (the voting service refuses them, naming the field)."""
    if ballot_type == "approval":
        return {"max_selections": max_selections}
    out: dict = {"abstain_allowed": bool(abstain)}
    if excellent_cap is not None:
        out["excellent_cap"] = int(excellent_cap)
    return out


def _round(rid: str, rnd: dict, token: str, pid: str) -> None:
    flash("round_close")
    tally = get("voting", f"/rounds/{rid}/tally", token) or {}
    c1, c2 = st.columns([4, 1])
    c1.markdown(f"{t('ro.turnout')}：{tally.get('ballots_cast', 0)} / {tally.get('eligible', 0)}")
    if c2.button(t("ro.refresh"), key=f"org_round_refresh_{rid}"):
        st.rerun()
    units = tally.get("turnout_by_unit") or []
    if units:
        # a unit learned from an import has no name in the round: the organisation tree names it
        names = ui.unit_tree(pid)["names"] if any(not u.get("unit_name") for u in units) else {}
        st.dataframe(pd.DataFrame([{t("ro.col.unit"): u.get("unit_name") or names.get(u["unit_id"], u["unit_id"]),
                                    t("ro.col.cast"): u["voted"], t("ro.col.eligible"): u["eligible"]}
                                   for u in units]), hide_index=True, use_container_width=True)
    if tally.get("candidates"):
        st.dataframe(pd.DataFrame([{t("ro.col.name"): c.get("nominee_name", ""),
                                    t("ro.col.approvals"): c.get("approvals"),
                                    t("ro.col.share"): _percent(c.get("share_of_eligible"))}
                                   for c in tally["candidates"]]),
                     hide_index=True, use_container_width=True)
    state = tally.get("state", rnd.get("state"))
    st.caption(f"{t('ro.col.state')}：{t('ro.state.' + str(state))}")
    if state == "open":
        if st.button(t("ro.close"), key=f"org_close_{rid}"):
            ask(f"close_{rid}")
        if confirmed(f"close_{rid}", t("ro.close_q", name=rnd.get("name", rid))):
            submit("round_close", "voting", "POST", f"/rounds/{rid}/close", token)
            st.rerun()
    elif tally.get("counts_hidden"):
        if st.button(t("ro.publish"), key=f"org_publish_{rid}"):
            submit("round_close", "voting", "POST", f"/rounds/{rid}/publish", token)
            st.rerun()
    download(t("ro.tally_doc"), "voting", f"/rounds/{rid}/tally.xlsx", token, f"tally-{rid}.xlsx", XLSX,
             key=f"tally_{rid}")


def _percent(share: float | None) -> str:
    """A share of the eligible members as the organiser reads it: 66.7%."""
    return "—" if share is None else f"{share * 100:.1f}%"
