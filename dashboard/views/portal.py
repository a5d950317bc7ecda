"""The staff portal: signed in by a sign-in link or single sign-on (dashboard/signin.py), the role's own work,
through the services' HTTP APIs.

The session token is sent as Bearer to the services, which verify it; here its claims are only read to show who is
signed in.
"""
from __future__ import annotations


import streamlit as st

from .. import data, signin
from .. import ui
from ..ui import call, call_coded, guarded, lang, tr
from .ballot import ballot_form, receipt_block
from .judge import judge_page
from .organiser import console
from .unit import unit_page


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
    prog = ui.programme_picker("unit_programme")
    if prog is not None:
        unit_page(token, claims, prog)


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


# ---- judge ----------------------------------------------------------------------------------------------------------

def _judge(token: str, claims: dict) -> None:
    judge_page(token, claims)  # dashboard/views/judge.py


# ---- organiser ------------------------------------------------------------------------------------------------------

def _organiser(token: str, claims: dict) -> None:
    console(token, claims)
