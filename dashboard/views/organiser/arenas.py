"""Arena contests (擂台赛): create a contest with its contestants, rounds and judges chosen by name; watch the board;
freeze, reveal, close (confirmed); the judges' scoring-page links, their sign-in links and the hall screen's link."""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from ... import data, signin
from ...ui import config, public_base
from .common import ask, confirmed, field_error, flash, get, local_error, request, submit
from .text import t

FIELDS = ("name", "category_id", "contestants", "rounds", "judge_ids", "live_weight")


def scoring_public_url() -> str:
    """Where a phone reaches the scoring service: EXEMPLAR_SCORING_PUBLIC_URL, else the dashboard's own address
    for it (the same on a single machine)."""
    return (os.environ.get("EXEMPLAR_SCORING_PUBLIC_URL") or config().urls["scoring"]).rstrip("/")


def judge_page_url(arena_id: str) -> str:
    return f"{scoring_public_url()}/arena/{arena_id}/judge"


def screen_url(arena_id: str) -> str:
    return f"{public_base().rstrip('/')}/arena?arena={arena_id}"


def arenas_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    judges = {j["judge_id"]: j.get("name") or j["judge_id"] for j in get("scoring", f"/programmes/{pid}/judges", token)
              or []}
    _create_form(prog, token, judges)
    st.markdown(f"#### {t('ar.list')}")
    flash("arena_act")
    arenas = get("scoring", f"/programmes/{pid}/arenas", token) or []
    if not arenas:
        st.caption(t("ar.none"))
        return
    by = {a["arena_id"]: a for a in arenas}
    aid = st.selectbox(t("ar.list"), list(by), key="org_arena_pick",
                       format_func=lambda a: f"{by[a]['name']} · {t('ar.state.' + by[a]['status'])}")
    board = get("scoring", f"/arenas/{aid}", token)
    if board:
        _board(board, token)
        _actions(board, token)
        _links(pid, board, judges, token)


def _create_form(prog: dict, token: str, judges: dict[str, str]) -> None:
    st.markdown(f"#### {t('ar.create')}")
    flash("arena", FIELDS)
    pid = prog["_id"]
    noms = {n["nomination_id"]: n.get("nominee_name") or n["nomination_id"]
            for n in get("scoring", f"/programmes/{pid}/nominations", token, status="approved") or []}
    cats = {"": t("ar.no_category"), **{c["category_id"]: c["name"] for c in data.ordered_categories(prog)}}
    if not judges:
        st.info(t("ar.no_judges"))
    gen = st.session_state.get("_arena_form_gen", 0)  # a new generation of keys: an empty form again
    with st.form("org_arena_create"):
        name = st.text_input(t("ar.name"), key=f"org_arena_name_{gen}")
        field_error("arena", "name")
        cat = st.selectbox(t("ar.category"), list(cats), format_func=cats.get, key=f"org_arena_cat_{gen}")
        field_error("arena", "category_id")
        picked = st.multiselect(t("ar.contestants"), list(noms), format_func=noms.get, key=f"org_arena_noms_{gen}",
                                placeholder=t("ar.contestants"))
        others = st.text_area(t("ar.others"), key=f"org_arena_others_{gen}", height=80)
        field_error("arena", "contestants", prefix=True)
        rounds = st.data_editor(pd.DataFrame([{t("ar.round.name"): t("ar.round.default"), t("ar.round.max"): 10.0,
                                               t("ar.round.step"): 0.5}]),
                                num_rows="dynamic", key=f"org_arena_rounds_{gen}", width="stretch")
        field_error("arena", "rounds", prefix=True)
        chosen = st.multiselect(t("ar.judges"), list(judges), format_func=judges.get, key=f"org_arena_judges_{gen}",
                                placeholder=t("ar.judges"))
        field_error("arena", "judge_ids", prefix=True)
        weight = st.slider(t("ar.weight"), 0.0, 1.0, 1.0, 0.05, key=f"org_arena_weight_{gen}")
        field_error("arena", "live_weight")
        go = st.form_submit_button(t("ar.go"), type="primary")
    if go:
        body = arena_body(name, cat, picked, noms, others, rounds.to_dict("records"), chosen, weight)
        if isinstance(body, tuple):
            local_error("arena", *body)
        else:
            if submit("arena", "scoring", "POST", f"/programmes/{pid}/arenas", token, json=body):
                st.session_state["_arena_form_gen"] = gen + 1  # a second press would create a second contest
                st.session_state["org_arena_pick"] = st.session_state["_ok_arena"]["arena_id"]
        st.rerun()


def arena_body(name: str, category_id: str, picked: list[str], noms: dict[str, str], others: str,
               rounds: list[dict], judge_ids: list[str], weight: float) -> dict | tuple[str, str]:
    """The contest's request body, or (field, message) for what the form itself can tell is missing."""
    contestants = [{"name": noms[n], "nomination_id": n} for n in picked]
    contestants += [{"name": line.strip()} for line in others.splitlines() if line.strip()]
    parsed = []
    for r in rounds:
        rname, top = str(r.get(t("ar.round.name")) or "").strip(), r.get(t("ar.round.max"))
        if not rname and pd.isna(top):
            continue
        if not rname or pd.isna(top):
            return "rounds", t("ar.need_round")
        step = r.get(t("ar.round.step"))
        parsed.append({"name": rname, "max_points": float(top), "step": 0.5 if pd.isna(step) else float(step)})
    if not name.strip():
        return "name", t("ar.need_name")
    if len(contestants) < 2:
        return "contestants", t("ar.need_two")
    if not parsed:
        return "rounds", t("ar.need_round")
    if not judge_ids:
        return "judge_ids", t("ar.need_judge")
    body = {"name": name.strip(), "contestants": contestants, "rounds": parsed, "judge_ids": judge_ids,
            "live_weight": weight}
    if category_id:
        body["category_id"] = category_id
    return body


def board_rows(board: dict) -> list[dict]:
    out = []
    for r in sorted(board.get("rows") or [], key=lambda r: (r.get("rank") is None, r.get("rank") or 0, r["order"])):
        row = {t("ar.col.rank"): r.get("rank") or "—", t("ar.col.contestant"): r["name"]}
        for c in r.get("rounds") or []:
            row[c["name"]] = "—" if c.get("score") is None else round(c["score"], 2)
        row[t("ar.col.live")] = r.get("live_total")
        if board.get("live_weight", 1.0) < 1.0:
            row[t("ar.col.prior")] = r.get("prior")
        row[t("ar.col.final")] = r.get("final")
        out.append(row)
    return out


def _round_name(board: dict, round_id: str | None) -> str:
    return next((r["name"] for r in board.get("all_rounds") or [] if r["round_id"] == round_id), round_id or "")


def _board(board: dict, token: str) -> None:
    state = t("ar.state." + board["status"])
    if board.get("frozen"):
        state += " · " + t("ar.frozen", round=_round_name(board, board.get("frozen_from")))
    elif board["status"] == "open":
        state += " · " + t("ar.live")
    st.markdown(f"**{board['name']}** · {state}")
    st.caption(t("ar.board"))
    rows = board_rows(board)
    if rows:
        st.markdown(data.markdown_table(rows))


def _actions(board: dict, token: str) -> None:
    aid = board["arena_id"]
    if board["status"] != "open":
        st.info(t("ar.closed"))
        return
    rounds = {r["round_id"]: r["name"] for r in board.get("all_rounds") or []}
    c1, c2, c3 = st.columns([3, 1, 1])
    rid = c1.selectbox(t("ar.freeze_from"), list(rounds), format_func=rounds.get, key=f"org_arena_freeze_{aid}")
    field_error("arena_act", "round_id")
    if c2.button(t("ar.freeze"), key=f"org_arena_freeze_go_{aid}", width="stretch"):
        submit("arena_act", "scoring", "POST", f"/arenas/{aid}/freeze", token, json={"round_id": rid})
        st.rerun()
    if c3.button(t("ar.reveal"), key=f"org_arena_reveal_{aid}", disabled=not board.get("frozen"),
                 width="stretch"):
        submit("arena_act", "scoring", "POST", f"/arenas/{aid}/reveal", token)
        st.rerun()
    if st.button(t("ar.close"), key=f"org_arena_close_{aid}"):
        ask(f"arena_close_{aid}")
    if confirmed(f"arena_close_{aid}", t("ar.close_q", name=board["name"])):
        submit("arena_act", "scoring", "POST", f"/arenas/{aid}/close", token)
        st.rerun()


def _links(pid: str, board: dict, judges: dict[str, str], token: str) -> None:
    aid = board["arena_id"]
    st.markdown(f"#### {t('ar.links')}")
    st.markdown(f"{t('ar.screen')}：[{screen_url(aid)}]({screen_url(aid)})")
    st.markdown(f"{t('ar.judge_page')}：[{judge_page_url(aid)}]({judge_page_url(aid)})")
    st.caption(t("ar.judge_how"))
    st.markdown(t("ar.judges_of", names="、".join(judges.get(j, j) for j in board.get("judge_ids") or [])))
    if st.button(t("ar.signin"), key=f"org_arena_signin_{aid}"):
        wanted = [{"role": "judge", "judge_id": j, "name": judges.get(j, j)} for j in board.get("judge_ids") or []]
        ok, body, problems = request("nominations", "POST", f"/programmes/{pid}/signin-links", token,
                                     json={"links": wanted, "hours": 72})
        if ok:
            st.session_state[f"_arena_links_{aid}"] = body
        else:
            for field, message in problems:
                st.error(f"{field}: {message}" if field and field not in message else message)
    issued = st.session_state.get(f"_arena_links_{aid}")
    if issued:
        from shared.signin_links import link_url

        st.success(t("ar.signin_done", n=len(issued)))
        for x in issued:
            st.markdown(f"**{x['name']}**")
            st.code(link_url(signin.dashboard_url(), x["token"]), language=None, wrap_lines=True)
