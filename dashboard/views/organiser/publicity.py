"""公示: open a notice for a category's final list after seeing its end date in working days, then confirm — by
default the top of the ranking, starting now; under 更多选项 the nominations listed, a later start, the contact
details, the issuer and the objection address. The notices published, each downloadable as PDF, .docx or .xlsx, and
each one's dates corrected with a reason. The holiday arrangements the working days are counted on (calendars.py)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import streamlit as st

from ... import data, i18n, refusals
from ...ui import lang
from .calendars import calendars_section
from .common import ask, confirmed, download, field_error, flash, get, local_error, request, submit
from .text import t

DOCS = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NOTICE_FIELDS = ("working_days", "starts_at", "nomination_ids", "contact_office", "contact_phone", "contact_email",
                 "issuer", "objection_url")
CORRECTION_FIELDS = ("starts_at", "working_days", "reason")
DEFAULT_OFFICE = "市直机关工委组织部"  # the service's defaults (services/publicity/commands.py NoticeIn)
DEFAULT_ISSUER = "市直机关工作委员会"
REQUIRED = {"contact_office": 2, "issuer": 2}  # NoticeIn's min_length of the fields the form shows filled in


def publicity_tab(prog: dict, token: str) -> None:
    st.markdown(f"#### {t('pb.open')}")
    flash("notice", NOTICE_FIELDS)
    cats = {c["category_id"]: c["name"] for c in data.ordered_categories(prog)}
    if cats:
        _open_form(prog["_id"], cats, token)
    _notices(prog["_id"], token)
    calendars_section(token)


def start_param(later: bool, day: date | None, at: time | None) -> str | None:
    """The chosen start as the service takes it (no zone: Asia/Shanghai time), or None for "now"."""
    if not later or day is None:
        return None
    return datetime.combine(day, at or time(9, 0)).isoformat(timespec="minutes")


def _open_form(pid: str, cats: dict[str, str], token: str) -> None:
    cid = st.selectbox(i18n.t("lb.category", lang()), list(cats), format_func=cats.get, key="org_pub_cat")
    days = st.number_input(t("pb.days"), min_value=1, max_value=30, value=5, step=1, key="org_pub_days")
    field_error("notice", "working_days")
    with st.expander(t("pb.more")):
        options = _more_options(pid, cid, token)
    params: dict[str, Any] = {"working_days": int(days)}
    if options.get("starts_at"):
        params["start"] = options["starts_at"]
    ok, period, _ = request("publicity", "GET", "/working-days", token, params=params)
    end = i18n.fmt_dt(period["ends_at"], lang()) if ok else ""
    if ok:
        st.info(t("pb.preview", start=i18n.fmt_dt(period["starts_at"], lang()), end=end))
        if period.get("warning"):
            st.warning(period["warning"])
    else:
        st.error(t("pb.preview_fail", message=period))
    if st.button(t("pb.publish"), key="org_pub_go", type="primary"):
        missing = _missing(options)
        if missing:
            local_error("notice", *missing)
            st.rerun()
        st.session_state.pop("_err_notice", None)
        ask("publish")
    if confirmed("publish", t("pb.publish_q", cat=cats[cid], end=end)):
        submit("notice", "publicity", "POST", "/notices", token,
               json={"programme_id": pid, "category_id": cid, "working_days": int(days)} | options)
        st.rerun()


def _missing(options: dict) -> tuple[str, str] | None:
    """The first field the service would refuse for being empty, with the same words, before anything is sent."""
    if "nomination_ids" in options and not options["nomination_ids"]:
        return "nomination_ids", refusals.local("nomination_ids", "check.too_short", lang(), n=1)
    for field, n in REQUIRED.items():
        if len(options[field].strip()) < n:
            return field, refusals.local(field, "check.string_too_short", lang(), n=n)
    return None


def _more_options(pid: str, cid: str, token: str) -> dict[str, Any]:
    """The notice's options; only what differs from the service's defaults is sent, except the named fields."""
    out: dict[str, Any] = {}
    board = _shortlist(pid, cid, token)
    if board:
        quota = board.get("quota") or len(board["standings"])
        label = {x["nomination_id"]: f"#{x['rank']} {x['nominee_name']} · {x['unit_name']}"
                 for x in board["standings"]}
        top = [x["nomination_id"] for x in board["standings"]][:quota]
        # Until the organiser changes the list it follows the ranking's top (which moves as standings arrive), and
        # is not sent: the service lists its top `quota`. Once changed, the organiser's list is kept and sent.
        key, edited = f"org_pub_noms_{cid}", f"org_pub_noms_{cid}_edited"
        if not st.session_state.get(edited) or key not in st.session_state:
            st.session_state[key] = top
        picked = st.multiselect(t("pb.nominations"), list(label), format_func=label.get, key=key,
                                on_change=_mark_edited, args=(edited,), help=t("pb.nominations_help", n=quota))
        field_error("notice", "nomination_ids", prefix=True)
        if st.session_state.get(edited) and picked != top:
            out["nomination_ids"] = picked
    later = st.checkbox(t("pb.later"), key="org_pub_later")
    if later:
        c1, c2 = st.columns(2)
        day = c1.date_input(t("pb.start_day"), value=date.today() + timedelta(days=1), min_value=date.today(),
                            key="org_pub_start_day")
        at = c2.time_input(t("pb.start_time"), value=time(9, 0), key="org_pub_start_time")
        out["starts_at"] = start_param(later, day, at)
    field_error("notice", "starts_at")
    for field, default, key in (("contact_office", DEFAULT_OFFICE, "pb.office"), ("contact_phone", "", "pb.phone"),
                                ("contact_email", "", "pb.email"), ("issuer", DEFAULT_ISSUER, "pb.issuer"),
                                ("objection_url", "", "pb.objection_url")):
        out[field] = st.text_input(t(key), value=default, key=f"org_pub_{field}").strip()
        field_error("notice", field)
    return out


def _mark_edited(flag: str) -> None:
    st.session_state[flag] = True


def _shortlist(pid: str, cid: str, token: str) -> dict | None:
    body = get("publicity", f"/programmes/{pid}/shortlists", token) or {}
    board = next((c for c in body.get("categories", []) if c["category_id"] == cid), None)
    return board if board and board.get("standings") else None


def _notices(pid: str, token: str) -> None:
    st.markdown(f"#### {t('pb.notices')}")
    body = get("publicity", "/notices", token, programme_id=pid) or {}
    notices = body.get("notices", body) if isinstance(body, dict) else body
    if not notices:
        st.caption(t("none"))
        return
    for n in notices:
        state = i18n.t("ntc.closed" if n.get("state") == "closed" else "ntc.open", lang())
        with st.expander(f"{n['title']} · {i18n.fmt_dt(n['ends_at'], lang())} · {state}", expanded=len(notices) == 1):
            st.dataframe([{"#": e.get("rank"), t("ho.col.name"): e["nominee_name"], t("ho.col.unit"): e["unit_name"],
                           t("ho.col.status"): i18n.status(e["status"], lang())} for e in n.get("entries", [])],
                         hide_index=True, use_container_width=True)
            cols = st.columns(len(DOCS))
            for col, (fmt, mime) in zip(cols, DOCS.items()):
                with col:
                    download(f"{t('pb.download')} .{fmt}", "publicity", f"/notices/{n['notice_id']}/download/{fmt}",
                             token, f"publicity-{n['notice_id']}.{fmt}", mime, key=f"notice_{n['notice_id']}_{fmt}")
            if n.get("state") != "closed":
                _correction(n, token)


def _correction(n: dict, token: str) -> None:
    """A correction of the notice's dates: a new version, the reason on the record, after a confirmation."""
    nid = n["notice_id"]
    form = f"correct_{nid}"
    st.markdown(f"**{t('pb.correct')}**")
    st.caption(t("pb.correct_now", start=i18n.fmt_dt(n["starts_at"], lang()), end=i18n.fmt_dt(n["ends_at"], lang()),
                 days=n.get("working_days", "")))
    flash(form, CORRECTION_FIELDS)
    body: dict[str, Any] = {}
    if n.get("window") == "before":  # a new start only before the notice has started
        if st.checkbox(t("pb.correct_start"), key=f"org_cor_later_{nid}"):
            c1, c2 = st.columns(2)
            day = c1.date_input(t("pb.start_day"), value=date.today() + timedelta(days=1), min_value=date.today(),
                                key=f"org_cor_day_{nid}")
            at = c2.time_input(t("pb.start_time"), value=time(9, 0), key=f"org_cor_time_{nid}")
            body["starts_at"] = start_param(True, day, at)
        field_error(form, "starts_at")
    days = st.number_input(t("pb.days"), min_value=1, max_value=30, value=int(n.get("working_days") or 5), step=1,
                           key=f"org_cor_days_{nid}")
    field_error(form, "working_days")
    if int(days) != n.get("working_days"):
        body["working_days"] = int(days)
    reason = st.text_area(t("pb.correct_reason"), key=f"org_cor_reason_{nid}")
    field_error(form, "reason")
    if st.button(t("pb.correct_go"), key=f"org_cor_go_{nid}"):
        if len(reason.strip()) < 2:
            local_error(form, "reason", refusals.local("reason", "check.string_too_short", lang(), n=2))
            st.rerun()
        if not body:
            local_error(form, "working_days", t("pb.correct_nothing"))
            st.rerun()
        st.session_state.pop(f"_err_{form}", None)
        ask(form)
    if confirmed(form, t("pb.correct_q", title=n["title"])):
        submit(form, "publicity", "POST", f"/notices/{nid}/corrections", token, json=body | {"reason": reason.strip()})
        st.rerun()
