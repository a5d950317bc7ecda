"""The organiser's console: one module per area, each a tab of the staff portal."""
from __future__ import annotations

import streamlit as st

from ... import ui
from ..links import links_tab
from ..links import t as links_text
from .arenas import arenas_tab
from .audit import audit_tab
from .honours import honours_tab
from .imports import imports_tab
from .indicators import indicators_tab
from .judges import judges_tab
from .objections import objections_tab
from .publicity import publicity_tab
from .review import review_tab
from .rounds import rounds_tab
from .setup import setup_tab
from .stages import stages_tab
from .text import t

AREAS = {"setup": None, "imports": imports_tab, "review": review_tab, "stages": stages_tab,
         "judges": judges_tab,
         "rounds": rounds_tab,
         "publicity": publicity_tab, "objections": None, "honours": honours_tab, "links": None}
AREAS["indicators"] = indicators_tab  # 指标与点验
AREAS["arenas"] = arenas_tab  # 擂台赛
AREAS["audit"] = audit_tab  # 审计日志


def console(token: str, claims: dict) -> None:
    _await_created()
    top = st.columns([5, 1])
    with top[0]:
        prog = ui.programme_picker("org_programme")
    if top[1].button(t("reload"), key="org_reload", use_container_width=True):
        st.cache_data.clear()
        st.rerun()
    tabs = dict(zip(AREAS, st.tabs([links_text("links.tab") if a == "links" else t(f"tab.{a}") for a in AREAS])))
    with tabs["setup"]:
        setup_tab(prog, token)
    with tabs["objections"]:
        objections_tab(token)
    with tabs["links"]:
        links_tab(token)
    for area, tab in tabs.items():
        if AREAS[area] is not None:
            with tab:
                if prog is None:
                    st.info(t("none"))
                else:
                    AREAS[area](prog, token)


def _await_created() -> None:
    """A programme just created reaches the read model through its event: wait for it, then choose it."""
    created = st.session_state.get("_org_created")
    if not created:
        return
    ui.programmes.clear()
    if created in {p["_id"] for p in ui.guarded(ui.programmes)}:
        st.session_state["org_programme"] = created
        st.session_state.pop("_org_created")
        return
    st.info(t("su.pending"))
    if st.button(t("su.refresh"), key="org_refresh"):
        st.rerun()
