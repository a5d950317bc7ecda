"""The organiser's console: one module per area, each a tab of the staff portal."""
from __future__ import annotations

import streamlit as st

from ... import ui
from .honours import honours_tab
from .objections import objections_tab
from .publicity import publicity_tab
from .review import review_tab
from .rounds import rounds_tab
from .stages import stages_tab
from .text import t

AREAS = ("review", "stages", "rounds", "publicity", "objections", "honours")


def console(token: str, claims: dict) -> None:
    prog = ui.programme_picker("org_programme")
    tabs = st.tabs([t(f"tab.{a}") for a in AREAS])
    with tabs[4]:
        objections_tab(token)
    if prog is None:
        return
    for tab, area in zip(tabs, (review_tab, stages_tab, rounds_tab, publicity_tab, None, honours_tab)):
        if area is not None:
            with tab:
                area(prog, token)
