"""Judges and panels (评委与评审组): judges registered with their unit picked from the programme's tree (recusal
follows the tree), their sign-in links; a panel per category, auto-assignment and the loads per judge, recusals
with their reasons and the replacement suggested (applied with a click), lock (confirmed) and unlock, each panel's
progress, and the score sheets for signature (评分表) as .docx and PDF."""
from __future__ import annotations

import streamlit as st

from ... import data, i18n
from ...ui import lang
from ..links import issue_links, show_issued
from .common import ask, confirmed, download, field_error, flash, get, local_error, submit
from .text import t

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHEETS = {"docx": DOCX, "pdf": "application/pdf"}
JUDGE_FIELDS = ("name", "title", "unit_id", "member_id", "judge_id")
PANEL_FIELDS = ("category_id", "name", "judge_ids", "min_judges", "panel_id")
NO_MEMBER = ""


def judges_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    units = _units(pid, token)
    judges = get("scoring", f"/programmes/{pid}/judges", token) or []
    names = {j["judge_id"]: j["name"] for j in judges}
    _register(pid, token, units)
    _judge_list(judges, units)
    _links(pid, token, names)
    panels = get("scoring", f"/programmes/{pid}/panels", token) or []
    _form_panel(prog, token, names, panels)
    if panels:
        by = {p["panel_id"]: p for p in panels}
        cats = {c["category_id"]: c["name"] for c in prog.get("categories", [])}
        chosen = st.selectbox(t("jd.panel_pick"), list(by), key="org_jd_panel_pick", format_func=lambda p: (
            f"{by[p]['name']} · {cats.get(by[p]['category_id'], by[p]['category_id'])} · "
            f"{t('jd.locked') if by[p].get('locked') else t('jd.open')}"))
        _panel(prog, chosen, names, token)


def _units(pid: str, token: str) -> dict[str, str]:
    """The tree's units by name, each with its superiors (市审计局 / 第一党支部), in the tree's order."""
    rows = get("nominations", f"/programmes/{pid}/units", token, flat="true") or []
    name = {u["unit_id"]: u.get("name") or u["unit_id"] for u in rows}
    parent = {u["unit_id"]: u.get("parent_id") for u in rows}

    def path(uid: str) -> str:
        chain, seen = [], set()
        while uid and uid not in seen and uid in name:
            chain.append(name[uid])
            seen.add(uid)
            uid = parent.get(uid)
        return " / ".join(reversed(chain))

    return {uid: path(uid) for uid in name}


def _register(pid: str, token: str, units: dict[str, str]) -> None:
    st.markdown(f"#### {t('jd.register')}")
    flash("judge", JUDGE_FIELDS)
    page = get("nominations", f"/programmes/{pid}/members", token, page_size=1000) or {}
    members = {m["member_id"]: f"{m.get('name', m['member_id'])}（{units.get(m.get('unit_id'), m.get('unit_id', ''))}）"
               for m in page.get("items", [])}
    with st.form("org_jd_register", clear_on_submit=False):
        name = st.text_input(t("jd.name"), key="org_jd_name")
        field_error("judge", "name")
        title = st.text_input(t("jd.title"), key="org_jd_title")
        field_error("judge", "title")
        unit = st.selectbox(t("jd.unit"), list(units), index=None, format_func=units.get, key="org_jd_unit",
                            placeholder=t("jd.unit_pick"))
        st.caption(t("jd.unit_help"))
        field_error("judge", "unit_id")
        member = st.selectbox(t("jd.member"), [NO_MEMBER, *members], key="org_jd_member",
                              format_func=lambda m: members.get(m, t("jd.no_member")))
        field_error("judge", "member_id")
        field_error("judge", "judge_id")
        go = st.form_submit_button(t("jd.register_go"), type="primary")
    if go:
        if not name.strip() or not unit:
            local_error("judge", "name" if not name.strip() else "unit_id",
                        t("rv.required") if not name.strip() else t("jd.unit_required"))
            st.rerun()
        body = {"name": name.strip(), "title": title.strip(), "unit_id": unit}
        if member:
            body["member_id"] = member
        submit("judge", "scoring", "POST", f"/programmes/{pid}/judges", token, json=body)
        st.rerun()


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ") or " "


def table(rows: list[dict]) -> None:
    """A small table as Markdown: its words are on the page (to read, search and print), unlike a data grid."""
    if not rows:
        return
    head = list(rows[0])
    st.markdown("\n".join(["| " + " | ".join(map(_cell, head)) + " |", "|" + "---|" * len(head),
                           *("| " + " | ".join(_cell(r[h]) for h in head) + " |" for r in rows)]))


def _judge_list(judges: list[dict], units: dict[str, str]) -> None:
    st.markdown(f"#### {t('jd.list', n=len(judges))}")
    if not judges:
        st.caption(t("none"))
        return
    table([{t("jd.col.name"): j["name"], t("jd.col.title"): j.get("title", ""),
            t("jd.col.unit"): units.get(j["unit_id"], j["unit_id"]), t("jd.col.load"): j.get("load", 0)}
           for j in judges])


def _links(pid: str, token: str, names: dict[str, str]) -> None:
    """Judges' sign-in links, issued as the sign-in links tab issues them (links.issue_links)."""
    if not names:
        return
    st.markdown(f"#### {t('jd.links')}")
    with st.form("org_jd_links"):
        picked = st.multiselect(t("jd.links_pick"), list(names), format_func=names.get, key="org_jd_links_pick",
                                placeholder=t("jd.links_all"))
        hours = st.number_input(t("jd.links_hours"), min_value=1, max_value=24 * 30, value=72, step=1,
                                key="org_jd_links_hours")
        go = st.form_submit_button(t("jd.links_go"))
    if go:
        issue_links(token, pid, {"judge": picked or list(names)}, {"judge": names}, int(hours),
                    key="issued_judge_links")
    show_issued(lang(), key="issued_judge_links", prefix="org_jd_links")


def _form_panel(prog: dict, token: str, names: dict[str, str], panels: list[dict]) -> None:
    st.markdown(f"#### {t('jd.panel_form')}")
    flash("panel", PANEL_FIELDS)
    taken = {p["category_id"] for p in panels}
    cats = {c["category_id"]: c["name"] for c in data.ordered_categories(prog)}
    free = [c for c in cats if c not in taken] or list(cats)
    with st.form("org_jd_panel"):
        cat = st.selectbox(t("jd.category"), free, format_func=cats.get, key="org_jd_panel_cat")
        field_error("panel", "category_id")
        name = st.text_input(t("jd.panel_name"), key="org_jd_panel_name", placeholder=t("jd.panel_name_hint"))
        field_error("panel", "name")
        chosen = st.multiselect(t("jd.panel_judges"), list(names), format_func=names.get, key="org_jd_panel_judges",
                                placeholder=t("jd.choose"))
        field_error("panel", "judge_ids", prefix=True)
        k = st.number_input(t("jd.k"), min_value=1, max_value=50, value=None, step=1, key="org_jd_panel_k",
                            placeholder=t("jd.k_default"))
        field_error("panel", "min_judges")
        go = st.form_submit_button(t("jd.panel_go"), type="primary")
    if go:
        body = {"category_id": cat, "name": name.strip() or f"{cats.get(cat, '')}评审组", "judge_ids": chosen}
        if k:
            body["min_judges"] = int(k)
        submit("panel", "scoring", "POST", f"/programmes/{prog['_id']}/panels", token, json=body)
        st.rerun()


def _panel(prog: dict, panel_id: str, names: dict[str, str], token: str) -> None:
    pid = prog["_id"]
    view = get("scoring", f"/programmes/{pid}/panels/{panel_id}", token)
    if not view:
        return
    noms = get("scoring", f"/programmes/{pid}/nominations", token, status="approved",
               category_id=view["category_id"]) or []
    nominees = {n["nomination_id"]: n.get("nominee_name") or n["nomination_id"] for n in noms}
    progress = view.get("progress", {})
    cols = st.columns(4)
    cols[0].metric(t("jd.nominees"), len(nominees))
    cols[1].metric(t("jd.assigned"), progress.get("assignments", 0))
    cols[2].metric(t("jd.scored"), progress.get("scored", 0))
    cols[3].metric(t("jd.to_score"), progress.get("to_score", 0))
    _auto_assign(pid, view, nominees, token)
    _loads(view, names, nominees)
    _recusals(pid, view, names, token)
    _lock(pid, view, token)
    _sheets(pid, view, names, token)


def _auto_assign(pid: str, view: dict, nominees: dict[str, str], token: str) -> None:
    flash("assign", ("min_judges",))
    kept = f"_jd_assigned_{view['panel_id']}"  # the last auto-assignment's answer, shown with the panel
    result = st.session_state.get(kept)
    c1, c2 = st.columns([1, 3])
    k = c1.number_input(t("jd.k"), min_value=1, max_value=50, value=int(view.get("min_judges") or 1), step=1,
                        key=f"org_jd_k_{view['panel_id']}")
    field_error("assign", "min_judges")
    c2.caption(t("jd.auto_help"))
    if c2.button(t("jd.auto"), key=f"org_jd_auto_{view['panel_id']}", disabled=bool(view.get("locked"))):
        if submit("assign", "scoring", "POST", f"/programmes/{pid}/panels/{view['panel_id']}/auto-assign", token,
                  json={"min_judges": int(k)}):
            st.session_state[kept] = st.session_state.get("_ok_assign")
        st.rerun()
    if result:
        st.info(t("jd.auto_done", assigned=result.get("assigned", 0), nominees=result.get("nominees", 0),
                  k=result.get("min_judges", k)))
        for nom, short in (result.get("shortfalls") or {}).items():
            st.warning(t("jd.shortfall", nominee=nominees.get(nom, nom), n=short))


def _loads(view: dict, names: dict[str, str], nominees: dict[str, str]) -> None:
    st.markdown(f"##### {t('jd.loads')}")
    table([{t("jd.col.name"): names.get(j, j), t("jd.col.load"): n} for j, n in view.get("loads", {}).items()])
    rows = [{t("jd.col.nominee"): nominees.get(nom, nom),
             t("jd.col.judges"): "、".join(names.get(a["judge_id"], a["judge_id"]) for a in rows if not a["recused"])}
            for nom, rows in view.get("assignments", {}).items()]
    if rows:
        st.markdown(f"##### {t('jd.assignments')}")
        table(rows)


def _recusals(pid: str, view: dict, names: dict[str, str], token: str) -> None:
    st.markdown(f"##### {t('jd.recusals')}")
    flash("replace", ("judge_id", "nomination_id"))
    recusals, conflicts = view.get("recusals", []), view.get("conflicts", [])
    if not recusals and not conflicts:
        st.caption(t("jd.no_recusals"))
        return
    rows = [{t("jd.col.nominee"): r["nominee_name"], t("jd.col.name"): names.get(r["judge_id"], r["judge_id"]),
             t("jd.col.reason"): i18n.one_language(r.get("reason"), lang()), t("jd.col.kind"): t("jd.kind.recorded"),
             t("jd.col.replacement"): names.get(r.get("replacement_judge_id") or "", "")} for r in recusals]
    rows += [{t("jd.col.nominee"): c["nominee_name"], t("jd.col.name"): names.get(c["judge_id"], c["judge_id"]),
              t("jd.col.reason"): i18n.one_language(c["reason"], lang()), t("jd.col.kind"): t("jd.kind.tree"),
              t("jd.col.replacement"): ""}
             for c in conflicts]
    table(rows)
    open_ones = {f"{r['nomination_id']}:{r['judge_id']}": r for r in recusals if r.get("replacement_judge_id")}
    if not open_ones:
        return
    key = st.selectbox(t("jd.replace_pick"), list(open_ones), key=f"org_jd_replace_{view['panel_id']}",
                       format_func=lambda k: t("jd.replace_label", nominee=open_ones[k]["nominee_name"],
                                               judge=names.get(open_ones[k]["judge_id"], ""),
                                               by=names.get(open_ones[k]["replacement_judge_id"], "")))
    field_error("replace", "judge_id")
    if st.button(t("jd.replace_go"), key=f"org_jd_replace_go_{view['panel_id']}", disabled=bool(view.get("locked"))):
        r = open_ones[key]
        submit("replace", "scoring", "POST", f"/programmes/{pid}/panels/{view['panel_id']}/assignments", token,
               json={"nomination_id": r["nomination_id"], "judge_id": r["replacement_judge_id"]})
        st.rerun()


def _lock(pid: str, view: dict, token: str) -> None:
    st.markdown(f"##### {t('jd.lock_state', state=t('jd.locked') if view.get('locked') else t('jd.open'))}")
    flash("lock")
    panel_id = view["panel_id"]
    path = f"/programmes/{pid}/panels/{panel_id}"
    if view.get("locked"):
        if st.button(t("jd.unlock"), key=f"org_jd_unlock_{panel_id}"):
            submit("lock", "scoring", "POST", f"{path}/unlock", token)
            st.rerun()
        return
    if st.button(t("jd.lock"), key=f"org_jd_lock_{panel_id}"):
        ask(f"lock_{panel_id}")
    if confirmed(f"lock_{panel_id}", t("jd.lock_q", name=view.get("name", panel_id))):
        submit("lock", "scoring", "POST", f"{path}/lock", token)
        st.rerun()


def _sheets(pid: str, view: dict, names: dict[str, str], token: str) -> None:
    st.markdown(f"##### {t('jd.sheets')}")
    who = st.selectbox(t("jd.sheets_who"), ["", *view.get("judge_ids", [])], key=f"org_jd_sheet_who_{view['panel_id']}",
                       format_func=lambda j: names.get(j, j) if j else t("jd.sheets_all"))
    cols = st.columns(len(SHEETS))
    for col, (fmt, mime) in zip(cols, SHEETS.items()):
        with col:
            suffix = f"-{who}" if who else ""
            download(t("jd.sheet", fmt=f".{fmt}"), "scoring",
                     f"/programmes/{pid}/panels/{view['panel_id']}/score-sheets/{fmt}", token,
                     f"score-sheets-{view['panel_id']}{suffix}.{fmt}", mime,
                     key=f"sheet_{view['panel_id']}_{who}_{fmt}", params={"judge_id": who} if who else None)
