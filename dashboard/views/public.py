"""Public pages (no login): leaderboard, live arena board, honours wall, publicity notices with objections, turnout.

They read the leaderboard read model only, through cached queries; the objection form is the one service call.
"""
from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from .. import data, i18n
from ..ui import call, guarded, lang, programme_picker, tr
from .. import ui


def _stamp() -> None:
    st.caption(tr("app.updated", when=i18n.fmt_dt(datetime.now(UTC), lang(), seconds=True)))


# ---- leaderboard -----------------------------------------------------------------------------------------------------

LEADERBOARD_REFRESH_SECONDS = 5


def leaderboard_page() -> None:
    st.title(tr("page.leaderboard"))
    prog = programme_picker("lb_programme")
    if prog is None:
        return
    _leaderboard_live(prog["_id"])


@st.fragment(run_every=LEADERBOARD_REFRESH_SECONDS)
def _leaderboard_live(programme_id: str) -> None:
    # Re-runs alone every few seconds, as the arena board does: a ballot or a score shows without a reload. The
    # cached query reads MongoDB at most every 2 s whatever the number of viewers.
    prog = next((p for p in guarded(ui.programmes) if p["_id"] == programme_id), None)
    if prog is None:
        return
    all_entries = guarded(ui.entries, programme_id)
    featured = data.featured_summary(prog, all_entries)
    if featured:
        st.subheader(tr("lb.featured"))
        cols = st.columns(len(featured))
        for col, f in zip(cols, featured):
            with col:
                st.markdown(f"**{_board_label(f['category'])}**")
                if not f["leaders"]:
                    st.caption(tr("app.no_data"))
                for e in f["leaders"]:
                    st.markdown(f"{e['rank']}. {data.nominee_label(e)} **{i18n.fmt_num(e.get('composite'))}**")
    cats = data.ordered_categories(prog)
    if not cats:
        st.info(tr("app.no_data"))
        return
    by_id = {c["category_id"]: c for c in cats}
    cat_id = st.radio(tr("lb.category"), list(by_id), horizontal=True, key="lb_category",
                      format_func=lambda cid: _board_label(by_id[cid]))
    cat = by_id[cat_id]
    rows = [e for e in all_entries if e.get("category_id") == cat_id]
    search = st.text_input(tr("lb.search"), key="lb_search")
    table = data.leaderboard_rows(rows, lang(), search)
    st.caption(tr("lb.count", n=len(rows), quota=cat.get("quota", "—")))
    if frozen := data.published_line(guarded(data.published, ui.db(), prog["_id"]).get(cat_id), lang()):
        st.info(frozen)
    if table:
        frame = pd.DataFrame(table).drop(columns=["id"])
        st.dataframe(frame, hide_index=True, use_container_width=True,
                     height=min(38 + 35 * len(frame), 600),
                     column_config={**{i18n.component(c, lang()): st.column_config.NumberColumn(format="%.2f")
                                       for c in data.component_columns(rows)},
                                    tr("lb.composite"): st.column_config.NumberColumn(format="%.2f"),
                                    tr("lb.rank"): st.column_config.NumberColumn(format="%d"),
                                    tr("lb.votes"): st.column_config.NumberColumn(format="%d")})
    else:
        st.info(tr("app.no_data"))
    st.markdown(f"#### {tr('lb.explain')}")
    ordered = data.sort_entries(rows)
    if ordered:
        names = {e["_id"]: (f"{e['rank']}. " if e.get("rank") else "") + data.nominee_label(e) for e in ordered}
        chosen = st.selectbox(tr("lb.nominee"), list(names), format_func=names.get, key=f"lb_explain_{cat_id}")
        entry = next(e for e in ordered if e["_id"] == chosen)
        _explain(entry)
    st.caption(":material/autorenew: " + tr("lb.auto", s=LEADERBOARD_REFRESH_SECONDS))
    _stamp()


def _board_label(cat: dict) -> str:
    """The category's name, prefixed by its board's name when the two differ."""
    board, name = i18n.board(cat.get("board"), lang()), _cat_name(cat)
    return name if cat.get("board") in (None, "other") or board == name else f"{board} · {name}"


def _cat_name(cat: dict) -> str:
    return (cat.get("name_en") or cat.get("name") or cat["category_id"]) if lang() == "en" else (
        cat.get("name") or cat["category_id"])


def _explain(entry: dict) -> None:
    name = entry.get("nominee_name") or entry["_id"]
    st.markdown(f"**{tr('lb.explain_for', name=name, composite=i18n.fmt_num(entry.get('composite')))}**")
    facts = [f"{tr('lb.rank')}: {entry.get('rank') or tr('lb.unranked')}",
             f"{tr('lb.status')}: {i18n.status(entry.get('status'), lang())}",
             f"{tr('lb.votes')}: {data.votes_of(entry) if data.votes_of(entry) is not None else '—'}"]
    if entry.get("tie_break"):
        facts.append(f"{tr('lb.tie_break')}: {i18n.tie_break(entry['tie_break'], lang())}")
    if entry.get("open_objections"):
        facts.append(f"{tr('lb.objections')}: {entry['open_objections']}")
    st.markdown(" · ".join(facts), help=None)
    rows = data.explanation_rows(entry, lang())
    if rows:
        st.table(pd.DataFrame(rows))
    else:
        st.caption(tr("lb.no_components"))


# ---- live arena board ------------------------------------------------------------------------------------------------

def arena_page() -> None:
    st.title(tr("page.arena"))
    docs = guarded(ui.arenas)
    if not docs:
        st.info(tr("arena.none"))
        return
    labels = {d["_id"]: d.get("name") or d["_id"] for d in docs}
    wanted = st.query_params.get("arena")  # the hall's screen opens /arena?arena=<id> (the organiser's link)
    arena_id = st.selectbox(tr("arena.pick"), list(labels), format_func=labels.get, key="arena_pick",
                            index=list(labels).index(wanted) if wanted in labels else 0)
    _arena_live(arena_id)


@st.fragment(run_every=1)
def _arena_live(arena_id: str) -> None:
    # Re-runs alone every second; the cached query hits MongoDB at most twice a second whatever the viewers.
    doc = guarded(ui.arena, arena_id)
    if doc is None:
        st.info(tr("arena.none"))
        return
    view = data.arena_view(doc, lang())
    st.subheader(view["name"])
    if view["frozen"]:
        st.warning(":material/lock: " + tr("arena.frozen", round=view.get("frozen_round") or "—"), icon=None)
    else:
        st.caption(":material/sensors: " + tr("arena.live"))
    if view["live_weight"] < 1.0:
        st.caption(tr("arena.weight", w=i18n.fmt_pct(view["live_weight"], 0)))
    table = data.arena_table(view, lang())
    if table:
        st.markdown(data.markdown_table(table))
    st.caption(tr("app.updated", when=i18n.fmt_dt(view.get("updated_at"), lang(), seconds=True)))


# ---- honours wall ----------------------------------------------------------------------------------------------------

def honours_page() -> None:
    st.title(tr("page.honours"))
    cards = data.honour_cards(guarded(ui.honours), lang())
    if not cards:
        st.info(tr("app.no_data"))
        return
    confirmed = sum(1 for c in cards if not c["revoked"])
    st.caption(tr("hon.count", c=confirmed, r=len(cards) - confirmed))
    cols = st.columns(3)
    for i, c in enumerate(cards):
        with cols[i % 3], st.container(border=True):
            if c["revoked"]:
                st.markdown(f"~~**{c['nominee_name']}**~~ :red[{tr('hon.revoked')}]")
                st.markdown(f"~~{c['title']}~~")
                st.error(tr("hon.revoked_reason", reason=c["reason"]))
            else:
                st.markdown(f":material/workspace_premium: **{c['nominee_name']}**")
                st.markdown(c["title"])
            st.caption(c["unit_name"])
            st.caption(tr("hon.confirmed_at", when=c["confirmed_at"]))
            if c["history"] or c["reviews"]:
                with st.expander(tr("hon.history")):
                    for line in c["history"] + c["reviews"]:
                        st.write(line)
    _stamp()


# ---- publicity notices and objections --------------------------------------------------------------------------------

def notices_page() -> None:
    st.title(tr("page.notices"))
    docs = guarded(ui.notices)
    if not docs:
        st.info(tr("app.no_data"))
    ids = tuple(sorted({nid for n in docs for nid in n.get("nomination_ids") or []}))
    people = guarded(ui.entries_by_id, ids) if ids else {}
    now = datetime.now(UTC)
    open_notices = []
    for n in docs:
        is_open = data.notice_is_open(n, now)
        if is_open:
            open_notices.append(n)
        badge = tr("ntc.open") if is_open else tr("ntc.closed")
        with st.container(border=True):
            st.markdown(f"**{n.get('title') or n['_id']}** · {badge}")
            st.caption(tr("ntc.period", start=i18n.fmt_dt(n.get("starts_at"), lang()),
                          end=i18n.fmt_dt(n.get("ends_at"), lang()), days=n.get("working_days", "")))
            if n.get("calendar_warning"):
                st.caption(":material/warning: " + n["calendar_warning"])
            listed = [people.get(nid, {}) | {"_id": nid} for nid in n.get("nomination_ids") or []]
            # the unit column only when some nominee is not its own unit (a list of model organs names each once)
            units = any(data.unit_label(e) for e in listed)
            rows = [{tr("lb.rank"): e.get("rank") or "—", tr("lb.nominee"): e.get("nominee_name", e["_id"]),
                     **({tr("lb.unit"): data.unit_label(e) or "—"} if units else {}),
                     tr("lb.status"): i18n.status(e.get("status"), lang())} for e in listed]
            if rows:
                st.markdown(data.markdown_table(rows))
    st.divider()
    _objection_form(open_notices, people)
    _tracking_lookup()


def _filed_banner() -> None:
    """The tracking number of the objection filed in this session stays on the page, with how to follow it."""
    filed = st.session_state.get("objection_filed")
    if not filed:
        return
    with st.container(border=True, key="objection_filed"):
        st.success(tr("ntc.filed", no=filed))
        st.caption(tr("ntc.follow"))
        st.link_button(tr("ntc.follow_link"), f"{ui.public_base()}/notices?track={filed}")


# The objection form's fields, by the service's names, and the keys of their labels on the form.
OBJECTION_LABELS = {"nomination_id": "ntc.nominee", "name": "ntc.name", "phone": "ntc.phone", "email": "ntc.email",
                    "reason": "ntc.reason", "attachments": "ntc.attachments", "notice_id": "ntc.notice"}


# The publicity service's limits on an objection's attachments (services/publicity/domain/objections.py).
OBJECTION_MAX_FILES = 3
OBJECTION_MAX_MB = 5
OBJECTION_FILE_TYPES = ["pdf", "jpg", "jpeg", "png", "docx"]


def _objection_form(open_notices: list[dict], people: dict[str, dict]) -> None:
    st.subheader(tr("ntc.form"))
    st.caption(tr("ntc.form_help"))
    _filed_banner()
    if not open_notices:
        st.info(tr("ntc.none_open"))
        return
    labels = {n["_id"]: n.get("title") or n["_id"] for n in open_notices}
    notice_id = st.selectbox(tr("ntc.notice"), list(labels), format_func=labels.get, key="obj_notice")
    notice = next(n for n in open_notices if n["_id"] == notice_id)
    noms = {nid: people.get(nid, {}).get("nominee_name", nid) for nid in notice.get("nomination_ids") or []}
    with st.form("objection", clear_on_submit=False):
        nomination_id = st.selectbox(tr("ntc.nominee"), list(noms), format_func=noms.get, key="obj_nominee")
        name = st.text_input(tr("ntc.name"), key="obj_name")
        c1, c2 = st.columns(2)
        phone = c1.text_input(tr("ntc.phone"), key="obj_phone")
        email = c2.text_input(tr("ntc.email"), key="obj_email")
        reason = st.text_area(tr("ntc.reason"), key="obj_reason")
        st.caption(tr("ntc.files_rule", n=OBJECTION_MAX_FILES, mb=OBJECTION_MAX_MB,
                      types="、".join(t.upper() for t in OBJECTION_FILE_TYPES)))
        uploads = st.file_uploader(tr("ntc.attachments"), accept_multiple_files=True, key="obj_files",
                                   type=OBJECTION_FILE_TYPES, max_upload_size=OBJECTION_MAX_MB)
        sent = st.form_submit_button(tr("ntc.submit"), type="primary")
    if not sent:
        return
    if not name.strip() or len(reason.strip()) < 10:
        st.error(tr("ntc.need_fields"))
        return
    if not phone.strip() and not email.strip():
        st.error(tr("ntc.need_contact"))
        return
    files = [("attachments", (f.name, f.getvalue(), f.type or "application/octet-stream")) for f in uploads or []]
    ok, body = call("publicity", "POST", f"/notices/{notice_id}/objections", files=files or None,
                    data_={"nomination_id": nomination_id, "name": name.strip(), "phone": phone.strip(),
                           "email": email.strip(), "reason": reason.strip()},
                    labels={field: tr(key) for field, key in OBJECTION_LABELS.items()})
    if ok:
        st.session_state["objection_filed"] = body.get("tracking_no", "")
        st.cache_data.clear()
        st.rerun()
    else:
        st.error(tr("pt.error", message=body))


def _tracking_lookup() -> None:
    wanted = (st.query_params.get("track") or "").strip()
    with st.expander(tr("ntc.track"), expanded=bool(wanted)):
        with st.form("track"):
            no = st.text_input(tr("ntc.track_no"), value=wanted, key="track_no")
            go = st.form_submit_button(tr("ntc.track_btn"))
        number = no.strip() if go else wanted
        if number:
            ok, body = call("publicity", "GET", f"/objections/status/{number}")
            if ok:
                st.info(tr("ntc.state", state=i18n.status(body.get("state"), lang())
                           if lang() == "en" else body.get("state_label") or i18n.status(body.get("state"), lang())))
            else:
                st.error(tr("pt.error", message=body))


# ---- turnout and participation ---------------------------------------------------------------------------------------

def _turnout_chart(units: list[dict]) -> alt.Chart:
    """Bars by unit, grouped under their parent (coloured by it, in the data's group order), as percentages."""
    frame = pd.DataFrame(units)
    grouped = bool(frame["parent"].astype(bool).any())
    y = alt.Y("unit:N", sort=list(frame["unit"]), title=None, axis=alt.Axis(labelLimit=220))
    x = alt.X("turnout:Q", title=tr("to.turnout"), axis=alt.Axis(format="%", tickCount=5),
              scale=alt.Scale(domain=[0, 1]))
    tooltip = [alt.Tooltip("unit:N", title=tr("to.unit")),
               alt.Tooltip("turnout:Q", title=tr("to.turnout"), format=".1%")]
    chart = alt.Chart(frame).mark_bar().encode(x=x, y=y, tooltip=tooltip)
    if grouped:
        chart = chart.encode(color=alt.Color("parent:N", title=tr("to.parent"),
                                             sort=list(dict.fromkeys(frame["parent"])),
                                             legend=alt.Legend(orient="bottom", columns=2)),
                             tooltip=[alt.Tooltip("parent:N", title=tr("to.parent")), *tooltip])
    return chart.properties(height=max(120, 24 * len(frame)))


def _history_chart(points: list[dict]) -> alt.Chart:
    """Ballots cast over time: whole-number ticks, clock times (with the date when the round spans days)."""
    frame = pd.DataFrame(points)
    span_days = (frame["at"].max() - frame["at"].min()).total_seconds() / 86400 if len(frame) > 1 else 0
    fmt = "%m-%d %H:%M" if span_days >= 1 else "%H:%M"
    top = int(frame["ballots_cast"].max() or 0)
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("at:T", title=tr("to.time"), axis=alt.Axis(format=fmt, labelAngle=0, tickCount=6)),
        y=alt.Y("ballots_cast:Q", title=tr("to.cast"), scale=alt.Scale(domainMin=0),
                axis=alt.Axis(format="d", tickMinStep=1,
                              values=list(range(0, top + 1)) if top <= 8 else alt.Undefined)),
        tooltip=[alt.Tooltip("at:T", title=tr("to.time"), format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("ballots_cast:Q", title=tr("to.cast"), format="d")]).properties(height=260)


def turnout_page() -> None:
    st.title(tr("page.turnout"))
    docs = guarded(ui.rounds)
    names = guarded(ui.unit_names)
    if not docs:
        st.info(tr("app.no_data"))
    for r in docs:
        s = data.round_summary(r)
        state = tr("to.state_open") if r.get("state") == "open" else tr("to.state_closed")
        with st.container(border=True):
            st.markdown(f"**{r.get('name') or r['_id']}** · {state}")
            if s["hidden"]:
                st.info(tr("to.hidden"))
            c = st.columns(4)
            c[0].metric(tr("to.eligible"), i18n.fmt_num(s["eligible"]))
            c[1].metric(tr("to.cast"), i18n.fmt_num(s["cast"]))
            c[2].metric(tr("to.turnout"), i18n.fmt_pct(s["turnout"]))
            c[3].metric(tr("to.invalid"), i18n.fmt_num(s["invalid"]))
            left, right = st.columns(2)
            tree = ui.unit_tree(r.get("programme_id") or "")
            units = data.turnout_by_unit(r, {**names, **tree["names"]}, tree["parents"],
                                         other=tr("to.other_units") if tree["parents"] else "")
            if units:
                left.markdown(f"**{tr('to.by_unit')}**")
                left.altair_chart(_turnout_chart(units), use_container_width=True)
            points = data.history_points(r)
            if points:
                right.markdown(f"**{tr('to.over_time')}**")
                right.altair_chart(_history_chart(points), use_container_width=True)
    progs = guarded(ui.programmes)
    if progs:
        st.subheader(tr("to.participation"))
        rows = data.nominations_by_unit(guarded(ui.entries, progs[0]["_id"]))
        if rows:
            frame = pd.DataFrame(rows[:30]).rename(columns={"unit": tr("to.unit"), "nominations": tr("to.nominations")})
            st.altair_chart(alt.Chart(frame).mark_bar().encode(
                x=alt.X(f"{tr('to.nominations')}:Q"), y=alt.Y(f"{tr('to.unit')}:N", sort="-x")),
                use_container_width=True)
    _stamp()
