"""Honours (表彰): the list with each honour's state, revocation with a reason after a confirmation, and the
periodic reviews (动态管理: scheduled, listed by due date, their outcome recorded), and the documents: the honours
list (PDF, .xlsx, .docx) and the nominations list (.xlsx)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from .common import ask, confirmed, download, field_error, flash, get, local_error, submit
from .publicity import DOCS
from .text import t


def honours_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    honours = (get("publicity", "/honours", token, programme_id=pid) or {}).get("honours", [])
    st.markdown(f"#### {t('ho.list')}")
    if honours:
        st.dataframe(pd.DataFrame([{t("ho.col.title"): h.get("title"), t("ho.col.name"): h.get("nominee_name"),
                                    t("ho.col.unit"): h.get("unit_name"),
                                    t("ho.col.status"): t(f"ho.status.{h.get('status')}"),
                                    t("ho.col.reason"): h.get("revoked_reason", "")} for h in honours]),
                     hide_index=True, use_container_width=True,
                     column_config={t("ho.col.reason"): st.column_config.TextColumn(width="large")})
    else:
        st.caption(t("none"))
    _revoke([h for h in honours if h.get("status") == "confirmed"], token)
    _reviews(honours, token)
    st.markdown(f"#### {t('ho.downloads')}")
    cols = st.columns(len(DOCS) + 1)
    for col, (fmt, mime) in zip(cols, DOCS.items()):
        with col:
            download(t("ho.dl", fmt=f".{fmt}"), "publicity", f"/honours/download/{fmt}", token,
                     f"honours-{pid}.{fmt}", mime, key=f"honours_{fmt}", params={"programme_id": pid})
    with cols[-1]:
        download(t("dl.nominations"), "nominations", f"/programmes/{pid}/nominations/export.xlsx", token,
                 f"nominations-{pid}.xlsx", DOCS["xlsx"], key="nominations_xlsx")


def _revoke(confirmed_honours: list[dict], token: str) -> None:
    st.markdown(f"#### {t('ho.revoke')}")
    flash("revoke", ("reason",))
    if not confirmed_honours:
        st.caption(t("none"))
        return
    by = {h["honour_id"]: h for h in confirmed_honours}
    hid = st.selectbox(t("ho.pick"), list(by), key="org_honour_pick",
                       format_func=lambda i: f"{by[i].get('nominee_name', '')} · {by[i].get('title', '')}")
    # one reason box per honour: a reason typed for one never stays filled in for the next
    reason = st.text_input(t("ho.reason"), key=f"org_honour_reason_{hid}")
    field_error("revoke", "reason")
    if st.button(t("ho.revoke_btn"), key="org_honour_revoke"):
        if len(reason.strip()) < 2:
            local_error("revoke", "reason", t("rv.required"))
            st.rerun()
        ask(f"revoke_{hid}")
    h = by[hid]
    if confirmed(f"revoke_{hid}", t("ho.revoke_q", name=h.get("nominee_name", ""), title=h.get("title", ""))):
        submit("revoke", "publicity", "POST", f"/honours/{hid}/revoke", token, json={"reason": reason.strip()})
        st.rerun()


OUTCOMES = ("maintained", "rectification", "revoke")


def _reviews(honours: list[dict], token: str) -> None:
    """动态管理: schedule a periodic review of a confirmed honour; the reviews due by a date; record an outcome
    ('revoke' revokes the honour with the note as its reason, after a confirmation)."""
    st.markdown(f"#### {t('ho2.reviews')}")
    names = {h["honour_id"]: f"{h.get('nominee_name', '')} · {h.get('title', '')}" for h in honours}
    _schedule([h for h in honours if h.get("status") == "confirmed"], names, token)
    c1, c2 = st.columns(2)
    due_by = c1.date_input(t("ho2.due_by"), value=date.today() + timedelta(days=90), key="org_rev_due_by")
    pending = c2.checkbox(t("ho2.pending"), value=True, key="org_rev_pending")
    body = get("publicity", "/reviews", token, due_by=due_by.isoformat() if due_by else None,
               pending="true" if pending else None) or {}
    reviews = [r for r in body.get("reviews", []) if r.get("honour_id") in names]
    if not reviews:
        st.caption(t("ho2.no_reviews"))
    else:
        st.dataframe(pd.DataFrame([{t("ho2.col.honour"): names[r["honour_id"]], t("ho2.col.due"): r.get("due_date"),
                                    t("ho2.col.note"): r.get("note", ""),
                                    t("ho2.col.outcome"): r.get("outcome_label") or "—"} for r in reviews]),
                     hide_index=True, use_container_width=True)
    _outcome([r for r in reviews if not r.get("outcome")], names, token)


def _schedule(confirmed_honours: list[dict], names: dict[str, str], token: str) -> None:
    st.markdown(f"**{t('ho2.schedule')}**")
    flash("review", ("due_date", "note"))
    if not confirmed_honours:
        st.caption(t("none"))
        return
    with st.form("org_rev_schedule"):
        hid = st.selectbox(t("ho.pick"), [h["honour_id"] for h in confirmed_honours], format_func=names.get,
                           key="org_rev_honour")
        due = st.date_input(t("ho2.due_date"), value=None, key="org_rev_due")
        field_error("review", "due_date")
        note = st.text_input(t("ho2.note"), key="org_rev_note")
        field_error("review", "note")
        if st.form_submit_button(t("ho2.schedule_btn")):
            if due is None:
                local_error("review", "due_date", t("rv.required"))
            else:
                submit("review", "publicity", "POST", f"/honours/{hid}/reviews", token,
                       json={"due_date": due.isoformat(), "note": note.strip()})
            st.rerun()


def _outcome(open_reviews: list[dict], names: dict[str, str], token: str) -> None:
    st.markdown(f"**{t('ho2.record')}**")
    flash("review_outcome", ("outcome", "note"))
    if not open_reviews:
        st.caption(t("none"))
        return
    by = {r["review_id"]: r for r in open_reviews}
    rid = st.selectbox(t("ho2.pick"), list(by), key="org_rev_pick",
                       format_func=lambda i: f"{names[by[i]['honour_id']]} · {by[i].get('due_date')}")
    outcome = st.radio(t("ho2.outcome"), OUTCOMES, horizontal=True, key=f"org_rev_outcome_{rid}",
                       format_func=lambda o: t(f"ho2.outcome.{o}"))
    field_error("review_outcome", "outcome")
    note = st.text_input(t("ho2.outcome_note"), key=f"org_rev_onote_{rid}")
    field_error("review_outcome", "note")
    r = by[rid]
    path, body = f"/honours/{r['honour_id']}/reviews/{rid}/outcome", {"outcome": outcome, "note": note.strip()}
    if st.button(t("ho2.record_btn"), key="org_rev_record"):
        if outcome == "revoke" and len(note.strip()) < 2:
            local_error("review_outcome", "note", t("rv.required"))
            st.rerun()
        if outcome != "revoke":
            submit("review_outcome", "publicity", "POST", path, token, json=body)
            st.rerun()
        ask(f"review_{rid}")
    if confirmed(f"review_{rid}", t("ho2.revoke_q", name=names[r["honour_id"]])):
        submit("review_outcome", "publicity", "POST", path, token, json=body)
        st.rerun()
