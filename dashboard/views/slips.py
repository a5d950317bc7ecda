"""The organiser's voting-day paper: every unit's credential slips of a round, issued at once, as an A4 print sheet."""
from __future__ import annotations

import streamlit as st

from .. import slips
from .. import ui
from ..ui import call, tr


def slips_section(token: str, labels: dict[str, str]) -> None:
    st.markdown(f"**{tr('sl.title')}**")
    st.caption(tr("sl.help"))
    base = ui.public_base()
    with st.form("slips"):
        round_id = st.selectbox(tr("pt.round"), list(labels), format_func=labels.get, key="slips_round")
        reissue = st.checkbox(tr("sl.reissue"), key="slips_reissue")
        go = st.form_submit_button(tr("sl.make"), type="primary")
    if go:
        ok, body = call("voting", "POST", f"/rounds/{round_id}/credential-slips", token=token,
                        json={"reissue": bool(reissue)})
        if not ok:
            st.error(tr("pt.error", message=body))
        else:
            # Kept for this session only: the credentials are shown once and never stored by the dashboard.
            st.session_state["slips_issued"] = {
                "round_id": round_id, "html": slips.slips_html(body["round_name"], body["units"], base),
                "issued": sum(len(u["slips"]) for u in body["units"]),
                "units": sum(1 for u in body["units"] if u["slips"]),
                "skipped": sum(int(u.get("not_issued", 0)) for u in body["units"])}
    made = st.session_state.get("slips_issued")
    if not made:
        return
    if not made["issued"] and not made["skipped"]:
        st.info(tr("sl.none"))
        return
    st.success(tr("sl.made", n=made["issued"], units=made["units"]))
    if made["skipped"]:
        st.caption(tr("sl.skipped", n=made["skipped"]))
    st.caption(tr("sl.base", base=base))
    if made["issued"]:
        st.download_button(tr("sl.download"), made["html"].encode("utf-8"), file_name=f"slips-{made['round_id']}.html",
                           mime="text/html", type="primary", key="slips_download")
