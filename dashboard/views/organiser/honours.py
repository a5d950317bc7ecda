"""Honours (表彰): the list with each honour's state, revocation with a reason after a confirmation, and the
documents: the honours list (PDF, .xlsx, .docx) and the nominations list (.xlsx)."""
from __future__ import annotations

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
