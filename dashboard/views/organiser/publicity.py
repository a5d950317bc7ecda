"""公示: open a notice for a category's final list after seeing its end date in working days, then confirm; the
notices published, each downloadable as PDF, .docx or .xlsx."""
from __future__ import annotations

import streamlit as st

from ... import data, i18n
from ...ui import lang
from .common import ask, confirmed, download, field_error, flash, get, request, submit
from .text import t

DOCS = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def publicity_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    st.markdown(f"#### {t('pb.open')}")
    flash("notice", ("working_days",))
    cats = {c["category_id"]: c["name"] for c in data.ordered_categories(prog)}
    if cats:
        cid = st.selectbox(i18n.t("lb.category", lang()), list(cats), format_func=cats.get, key="org_pub_cat")
        days = st.number_input(t("pb.days"), min_value=1, max_value=30, value=5, step=1, key="org_pub_days")
        field_error("notice", "working_days")
        ok, period, _ = request("publicity", "GET", "/working-days", token, params={"working_days": int(days)})
        end = i18n.fmt_dt(period["ends_at"], lang()) if ok else ""
        if ok:
            st.info(t("pb.preview", start=i18n.fmt_dt(period["starts_at"], lang()), end=end))
            if period.get("warning"):
                st.warning(period["warning"])
        else:
            st.error(t("pb.preview_fail", message=period))
        if st.button(t("pb.publish"), key="org_pub_go", type="primary"):
            ask("publish")
        if confirmed("publish", t("pb.publish_q", cat=cats[cid], end=end)):
            submit("notice", "publicity", "POST", "/notices", token,
                   json={"programme_id": pid, "category_id": cid, "working_days": int(days)})
            st.rerun()
    _notices(pid, token)


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
                           t("ho.col.status"): e.get("status_label", e["status"])} for e in n.get("entries", [])],
                         hide_index=True, use_container_width=True)
            cols = st.columns(len(DOCS))
            for col, (fmt, mime) in zip(cols, DOCS.items()):
                with col:
                    download(f"{t('pb.download')} .{fmt}", "publicity", f"/notices/{n['notice_id']}/download/{fmt}",
                             token, f"publicity-{n['notice_id']}.{fmt}", mime, key=f"notice_{n['notice_id']}_{fmt}")
