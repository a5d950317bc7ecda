"""The staff portal: signed in by a sign-in link or single sign-on (dashboard/signin.py), the role's own work,
through the services' HTTP APIs.

The session token is sent as Bearer to the services, which verify it; here its claims are only read to show who is
signed in.
"""
from __future__ import annotations


import pandas as pd
import streamlit as st

from .. import data, i18n, signin
from .. import ui
from ..ui import call, call_coded, guarded, lang, show_result, tr
from .ballot import ballot_form, receipt_block
from .organiser import console


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
                        value=float(current) if current is not None else 0.0,
                        key=f"v_{a['nomination_id']}_{c['criterion_id']}")
                go = st.form_submit_button(tr("pt.save_scores"), type="primary", disabled=bool(a.get("locked")),
                                           use_container_width=True)
            if go:
                ok, body = call("scoring", "POST", f"/programmes/{prog['_id']}/scores", token=token,
                                json={"nomination_id": a["nomination_id"], "scores": values})
                show_result(ok, body)


# ---- organiser ------------------------------------------------------------------------------------------------------

def _organiser(token: str, claims: dict) -> None:
    console(token, claims)
