"""The staff portal: signed in by a sign-in link or single sign-on (dashboard/signin.py), the role's own work,
through the services' HTTP APIs.

The session token is sent as Bearer to the services, which verify it; here its claims are only read to show who is
signed in.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from .. import data, i18n, signin
from .. import ui
from ..ui import call, call_coded, guarded, lang, show_result, tr
from .ballot import ballot_form, receipt_block
from .links import links_tab
from .links import t as links_text
from .slips import slips_section


def portal_page() -> None:
    st.title(tr("page.portal"))
    token = st.session_state.get("token")
    if not token:
        signin.login_panel()
        return
    claims = st.session_state["claims"]
    role = claims["role"]
    who = claims.get("name") or claims.get("sub", "")
    top = st.columns([4, 1])
    top[0].info(tr("pt.who", name=who, role=tr(f"pt.role.{role}")))
    if top[1].button(tr("pt.logout"), key="logout"):
        signin.sign_out()
    if data.token_expired(claims):
        st.warning(tr("pt.expired"))
    {"unit": _unit, "member": _member, "judge": _judge, "organiser": _organiser}[role](token, claims)


def _category_picker(prog: dict, key: str) -> dict | None:
    cats = data.ordered_categories(prog)
    if not cats:
        st.info(tr("app.no_data"))
        return None
    by = {c["category_id"]: c for c in cats}
    cid = st.selectbox(tr("lb.category"), list(by), key=key,
                       format_func=lambda c: by[c].get("name_en") or by[c]["name"] if lang() == "en" else by[c]["name"])
    return by[cid]


# ---- unit -----------------------------------------------------------------------------------------------------------

def _unit(token: str, claims: dict) -> None:
    st.subheader(tr("pt.submit_nom"))
    prog = ui.programme_picker("unit_programme")
    if prog is not None:
        cat = _category_picker(prog, "unit_category")
        if cat is not None:
            with st.form("nominate"):
                nominee_id = st.text_input(tr("pt.nominee_id"), key="nom_id", help=tr("pt.nominee_id_help"))
                materials = st.text_area(tr("pt.materials"), key="nom_materials", height=150)
                go = st.form_submit_button(tr("pt.submit_nom"), type="primary")
            if go:
                # The nominee's name and unit come from the organisation tree and roll in the nominations service.
                ok, body = call("nominations", "POST", f"/programmes/{prog['_id']}/nominations", token=token,
                                json={"category_id": cat["category_id"], "nominee_id": nominee_id.strip(),
                                      "materials": materials.strip()})
                if show_result(ok, body, tr("pt.submitted", id=body.get("nomination_id", "") if ok else "")):
                    st.cache_data.clear()
    st.subheader(tr("pt.my_noms"))
    unit_id = claims.get("unit_id")
    rows = guarded(ui.unit_entries, unit_id) if unit_id else []
    if rows:
        st.dataframe(pd.DataFrame([{
            tr("pt.nomination"): e["_id"], tr("lb.nominee"): e.get("nominee_name", ""),
            tr("lb.category"): e.get("category_name", e.get("category_id", "")),
            tr("lb.status"): i18n.status(e.get("status"), lang()), tr("lb.rank"): e.get("rank"),
            tr("lb.composite"): e.get("composite")} for e in rows]), hide_index=True, use_container_width=True)
    else:
        st.caption(tr("app.no_data"))


# ---- member ---------------------------------------------------------------------------------------------------------

def _member(token: str, claims: dict) -> None:
    st.subheader(tr("pt.ballot"))
    open_rounds = [r for r in guarded(ui.rounds) if r.get("state") == "open"]
    if not open_rounds:
        st.info(tr("pt.no_rounds"))
        return
    labels = {r["_id"]: r.get("name") or r["_id"] for r in open_rounds}
    round_id = st.selectbox(tr("pt.round"), list(labels), format_func=labels.get, key="ballot_round")
    _member_ballot(token, round_id)


def _member_ballot(token: str, round_id: str) -> None:
    """The same ballot as the phone page's, cast with the member's sign-in instead of a credential."""
    key = f"pt:{round_id}"
    if st.session_state.get(f"{key}:step") == "done":
        receipt_block(st.session_state[f"{key}:result"], ui.public_base())
        return
    ok, me = call("voting", "GET", f"/rounds/{round_id}/me", token=token)
    if ok and not me.get("eligible"):
        st.warning(tr("pt.not_eligible"))
        return
    if ok and me.get("voted"):
        st.info(tr("pt.voted"))
        return
    ok, rnd = call("voting", "GET", f"/rounds/{round_id}")
    if not ok:
        st.error(tr("pt.error", message=rnd))
        return
    rnd["category_names"] = _category_names(rnd.get("programme_id"))
    ballot_form(rnd, key, lambda body: call_coded("voting", "POST", f"/rounds/{round_id}/ballots", token=token,
                                                  json=body))


def _category_names(programme_id: str | None) -> dict[str, str]:
    prog = next((p for p in guarded(ui.programmes) if p["_id"] == programme_id), None)
    return {c["category_id"]: (c.get("name_en") or c["name"]) if lang() == "en" else c["name"]
            for c in (prog or {}).get("categories") or []}


# ---- judge (phone-sized) --------------------------------------------------------------------------------------------

def _judge(token: str, claims: dict) -> None:
    st.subheader(tr("pt.assignments"))
    prog = ui.programme_picker("judge_programme")
    if prog is None:
        return
    ok, items = call("scoring", "GET", f"/programmes/{prog['_id']}/my/assignments", token=token)
    if not ok:
        st.error(tr("pt.error", message=items))
        return
    if not items:
        st.info(tr("pt.no_assignments"))
        return
    for a in items:
        with st.expander(f"{a.get('nominee_name') or a['nomination_id']} · {a.get('category_name', '')}",
                         expanded=len(items) == 1):
            st.caption(a.get("unit_name", ""))
            if a.get("recused"):
                st.warning(tr("pt.recused", reason=a.get("reason") or ""))
                continue
            if a.get("locked"):
                st.info(tr("pt.locked"))
            with st.form(f"score_{a['nomination_id']}"):
                values = {}
                for c in a.get("criteria", []):
                    current = (a.get("scores") or {}).get(c["criterion_id"], {}).get("score")
                    values[c["criterion_id"]] = st.number_input(
                        f"{c['name']}（0–{i18n.fmt_num(c['max_points'], 1)}）" if lang() == "zh"
                        else f"{c['name']} (0–{i18n.fmt_num(c['max_points'], 1)})",
                        min_value=0.0, max_value=float(c["max_points"]), step=float(c.get("step", 0.5)),
                        value=float(current) if current is not None else 0.0, key=f"v_{a['nomination_id']}_{c['criterion_id']}")
                go = st.form_submit_button(tr("pt.save_scores"), type="primary", disabled=bool(a.get("locked")),
                                           use_container_width=True)
            if go:
                ok, body = call("scoring", "POST", f"/programmes/{prog['_id']}/scores", token=token,
                                json={"nomination_id": a["nomination_id"], "scores": values})
                show_result(ok, body)


# ---- organiser ------------------------------------------------------------------------------------------------------

def _organiser(token: str, claims: dict) -> None:
    tabs = st.tabs([tr("pt.review"), tr("pt.stages"), tr("pt.rounds"), tr("pt.publicity"), tr("pt.objections"),
                    tr("pt.honours"), links_text("links.tab")])
    with tabs[0]:
        _review(token)
    with tabs[1]:
        _stages(token)
    with tabs[2]:
        _rounds(token)
    with tabs[3]:
        _publicity(token)
    with tabs[4]:
        _objections(token)
    with tabs[5]:
        _honours(token)
    with tabs[6]:
        links_tab(token)


REVIEW_ACTIONS = {"approve": ("pt.approve", "comment"), "return": ("pt.return", "comments"),
                  "reject": ("pt.reject", "reason")}


def _review(token: str) -> None:
    prog = ui.programme_picker("rev_programme")
    if prog is None:
        return
    pending = [e for e in guarded(ui.entries, prog["_id"]) if e.get("status") in ("submitted",)]
    if not pending:
        st.caption(tr("app.no_data"))
        return
    labels = {e["_id"]: f"{e.get('nominee_name', '')} — {e.get('unit_name', '')} · {e.get('category_name', '')}"
              for e in pending}
    with st.form("review"):
        nid = st.selectbox(tr("pt.nomination"), list(labels), format_func=labels.get, key="rev_nom")
        action = st.radio(tr("pt.outcome"), list(REVIEW_ACTIONS), horizontal=True, key="rev_action",
                          format_func=lambda a: tr(REVIEW_ACTIONS[a][0]))
        comment = st.text_input(tr("pt.comment"), key="rev_comment")
        go = st.form_submit_button(tr("pt.review"), type="primary")
    if go:
        field = REVIEW_ACTIONS[action][1]
        ok, body = call("nominations", "POST", f"/programmes/{prog['_id']}/nominations/{nid}/{action}", token=token,
                        json={field: comment.strip()})
        if show_result(ok, body):
            st.cache_data.clear()


STAGES = ("nomination", "review", "voting", "judging", "publicity")


def _stages(token: str) -> None:
    prog = ui.programme_picker("stage_programme")
    if prog is None:
        return
    windows = {w.get("stage"): w for w in prog.get("stages") or []}
    with st.form("stage"):
        stage = st.selectbox(tr("pt.stage"), STAGES, key="stage_pick", format_func=lambda x: tr(f"pt.stage.{x}"))
        w = windows.get(stage)
        if w:
            st.caption(f"{i18n.fmt_dt(w.get('opens_at'), lang())} – {i18n.fmt_dt(w.get('closes_at'), lang())}")
        c1, c2 = st.columns(2)
        do_open = c1.form_submit_button(tr("pt.open_stage"), type="primary")
        do_close = c2.form_submit_button(tr("pt.close_stage"))
    if do_open or do_close:
        action = "open" if do_open else "close"
        ok, res = call("nominations", "POST", f"/programmes/{prog['_id']}/stages/{stage}/{action}", token=token)
        show_result(ok, res)
        if ok and isinstance(res, dict) and res.get("warnings"):
            for warning in res["warnings"]:
                st.warning(str(warning))


def _rounds(token: str) -> None:
    prog = ui.programme_picker("round_programme")
    if prog is None:
        return
    st.markdown(f"**{tr('pt.open_round')}**")
    cats = data.ordered_categories(prog)
    by = {c["category_id"]: c["name"] for c in cats}
    with st.form("open_round"):
        name = st.text_input(tr("pt.round_name"), key="round_name")
        chosen = st.multiselect(tr("lb.category"), list(by), format_func=by.get, key="round_cats")
        btype = st.radio(tr("pt.ballot_type"), ["approval", "appraisal"], horizontal=True, key="round_type",
                         format_func=lambda b: tr(f"pt.type.{b}"))
        max_sel = st.number_input(tr("pt.max_sel"), min_value=1, value=1, step=1, key="round_max")
        hours = st.number_input(tr("pt.hours"), min_value=1, value=24, step=1, key="round_hours")
        go = st.form_submit_button(tr("pt.open_round"), type="primary")
    if go:
        body = {"programme_id": prog["_id"], "name": name.strip(), "category_ids": chosen, "ballot_type": btype,
                "closes_at": (datetime.now(UTC) + timedelta(hours=int(hours))).isoformat()}
        if btype == "approval":
            body["max_selections"] = int(max_sel)
        ok, res = call("voting", "POST", "/rounds", token=token, json=body)
        if show_result(ok, res):
            st.cache_data.clear()
    open_rounds = [r for r in guarded(ui.rounds, prog["_id"]) if r.get("state") == "open"]
    if open_rounds:
        labels = {r["_id"]: r.get("name") or r["_id"] for r in open_rounds}
        slips_section(token, labels)
        with st.form("close_round"):
            rid = st.selectbox(tr("pt.round"), list(labels), format_func=labels.get, key="close_round_id")
            go = st.form_submit_button(tr("pt.close_round"))
        if go:
            ok, res = call("voting", "POST", f"/rounds/{rid}/close", token=token)
            if show_result(ok, res):
                st.cache_data.clear()


def _publicity(token: str) -> None:
    prog = ui.programme_picker("pub_programme")
    if prog is None:
        return
    cat = _category_picker(prog, "pub_category")
    if cat is None:
        return
    with st.form("publish"):
        days = st.number_input(tr("pt.working_days"), min_value=1, max_value=30, value=5, step=1, key="pub_days")
        go = st.form_submit_button(tr("pt.publish"), type="primary")
    if go:
        ok, res = call("publicity", "POST", "/notices", token=token,
                       json={"programme_id": prog["_id"], "category_id": cat["category_id"], "working_days": int(days)})
        if show_result(ok, res):
            st.cache_data.clear()


def _objections(token: str) -> None:
    ok, body = call("publicity", "GET", "/objections", token=token)
    if not ok:
        st.error(tr("pt.error", message=body))
        return
    items = [o for o in body.get("objections", []) if o.get("state") not in ("resolved",)]
    if not items:
        st.caption(tr("pt.no_objections"))
        return
    st.dataframe(pd.DataFrame([{tr("ntc.track_no"): o.get("tracking_no"), tr("ntc.nominee"): o.get("nominee_name"),
                                tr("lb.status"): i18n.status(o.get("state"), lang()),
                                tr("pt.reason"): o.get("reason", "")[:80]} for o in items]),
                 hide_index=True, use_container_width=True)
    labels = {o["objection_id"]: f"{o.get('tracking_no')} · {o.get('nominee_name', '')}" for o in items}
    oid = st.selectbox(tr("pt.objections"), list(labels), format_func=labels.get, key="obj_pick")
    c1, c2 = st.columns(2)
    with c1.form("assign"):
        who = st.text_input(tr("pt.investigator"), key="obj_inv")
        if st.form_submit_button(tr("pt.assign")):
            show_result(*call("publicity", "POST", f"/objections/{oid}/assign", token=token,
                              json={"investigator": who.strip()}))
    with c2.form("findings"):
        text = st.text_area(tr("pt.findings"), key="obj_findings")
        if st.form_submit_button(tr("pt.record")):
            show_result(*call("publicity", "POST", f"/objections/{oid}/findings", token=token,
                              json={"findings": text.strip()}))
    with st.form("resolve"):
        outcome = st.radio(tr("pt.outcome"), ["dismissed", "sustained"], horizontal=True, key="obj_outcome",
                           format_func=lambda o: tr(f"pt.{o}"))
        reason = st.text_input(tr("pt.reason"), key="obj_reason_org")
        if st.form_submit_button(tr("pt.resolve"), type="primary"):
            if show_result(*call("publicity", "POST", f"/objections/{oid}/resolve", token=token,
                                 json={"outcome": outcome, "reason": reason.strip()})):
                st.cache_data.clear()


def _honours(token: str) -> None:
    docs = [h for h in guarded(ui.honours) if h.get("status") == "confirmed"]
    if not docs:
        st.caption(tr("app.no_data"))
        return
    labels = {h["_id"]: f"{h.get('nominee_name', '')} · {h.get('title', '')}" for h in docs}
    with st.form("revoke"):
        hid = st.selectbox(tr("page.honours"), list(labels), format_func=labels.get, key="rev_honour")
        reason = st.text_input(tr("pt.revoke_reason"), key="rev_reason")
        go = st.form_submit_button(tr("pt.revoke"), type="primary")
    if go:
        ok, res = call("publicity", "POST", f"/honours/{hid}/revoke", token=token, json={"reason": reason.strip()})
        if show_result(ok, res):
            st.cache_data.clear()
