"""Stages: each stage's state and dates (the nominations service's public overview), open and close one, with what
opening or closing it will accept or refuse from then on."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ... import i18n
from ...ui import lang
from .common import flash, get, submit
from .text import t


def stages_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    flash("stage")
    overview = get("nominations", f"/programmes/{pid}/stages", token) or []
    st.markdown(f"#### {t('st.table')}")
    st.dataframe(pd.DataFrame([{
        t("st.col.stage"): i18n.t(f"pt.stage.{s['stage']}", lang()), t("st.col.state"): t(f"st.state.{s['state']}"),
        t("st.col.opens"): i18n.fmt_dt(s.get("opens_at"), lang()) if s.get("opens_at") else "—",
        t("st.col.closes"): i18n.fmt_dt(s.get("closes_at"), lang()) if s.get("closes_at") else "—"}
        for s in overview]), hide_index=True, use_container_width=True)
    if not overview:
        return
    by = {s["stage"]: s for s in overview}
    stage = st.selectbox(t("st.pick"), list(by), key="org_stage_pick",
                         format_func=lambda s: i18n.t(f"pt.stage.{s}", lang()))
    st.caption(f"{t('st.col.state')}：{t('st.state.' + by[stage]['state'])}")
    is_open = by[stage]["state"] == "open"
    what = t(f"st.what.{stage}")
    st.info(t("st.effect.close", what=what) if is_open else t("st.effect.open", what=what))
    action = "close" if is_open else "open"
    if st.button(t(f"st.{action}"), key="org_stage_go", type="primary"):
        ok = submit("stage", "nominations", "POST", f"/programmes/{pid}/stages/{stage}/{action}", token)
        if ok:
            for warning in (st.session_state.get("_ok_stage") or {}).get("warnings", []) or []:
                st.session_state.setdefault("_stage_warnings", []).append(
                    t("rv.short_warn", name=warning.get("name", ""), approved=warning.get("approved"),
                      needed=warning.get("needed")) if isinstance(warning, dict) else str(warning))
        st.rerun()
    for warning in st.session_state.pop("_stage_warnings", []):
        st.warning(warning)
