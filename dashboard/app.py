"""Entry of the Streamlit dashboard: `streamlit run dashboard/app.py`. Public pages need no login."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only this file's folder on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import i18n, signin  # noqa: E402
from dashboard.ui import lang, public_base, streamlit_words, tr  # noqa: E402
from dashboard.views.ballot import phone_ballot_page, phone_receipt_page  # noqa: E402
from dashboard.views.portal import portal_page  # noqa: E402
from dashboard.views.public import (  # noqa: E402
    arena_page,
    honours_page,
    leaderboard_page,
    notices_page,
    turnout_page,
)

PHONE_PAGES = {"ballot": phone_ballot_page, "receipt": phone_receipt_page}

phone = st.query_params.get("page")
if phone in PHONE_PAGES:
    # What a QR code opens on a phone: one narrow page, no sidebar, no navigation.
    st.set_page_config(page_title="扫码投票", page_icon="🗳️", layout="centered", initial_sidebar_state="collapsed")
    base = public_base()
    streamlit_words()
    page = (lambda: phone_ballot_page(base)) if phone == "ballot" else phone_receipt_page
    st.navigation([st.Page(page, title=tr("bl.title"), url_path="phone", default=True)], position="hidden").run()
    st.stop()

st.set_page_config(page_title="创先争优 Exemplar", page_icon="🏅", layout="wide")
public_base()  # a malformed EXEMPLAR_DASHBOARD_PUBLIC_URL stops here, with its message
streamlit_words()

current = lang()
choice = st.sidebar.radio(i18n.t("app.language", current), i18n.LANGS, index=i18n.LANGS.index(current),
                          format_func=lambda code: "中文" if code == "zh" else "English", key="lang_switch",
                          horizontal=True)
if choice != current:
    st.session_state["lang"] = choice
    st.query_params["lang"] = choice
    st.rerun()

signin.accept_link()
signin.restore_session()
signin.accept_oidc()
signin.sidebar_status()

portal = st.Page(portal_page, title=tr("page.portal"), icon=":material/lock:", url_path="portal")
pages = {
    tr("nav.public"): [
        st.Page(leaderboard_page, title=tr("page.leaderboard"), icon=":material/leaderboard:", default=True),
        st.Page(arena_page, title=tr("page.arena"), icon=":material/mic:", url_path="arena"),
        st.Page(honours_page, title=tr("page.honours"), icon=":material/workspace_premium:", url_path="honours"),
        st.Page(notices_page, title=tr("page.notices"), icon=":material/campaign:", url_path="notices"),
        st.Page(turnout_page, title=tr("page.turnout"), icon=":material/bar_chart:", url_path="turnout"),
    ],
    tr("nav.staff"): [
        portal,
    ],
}
navigation = st.navigation(pages)
landing = st.session_state.pop("go_portal", None)
if landing is not None:  # a sign-in link lands on the portal, signed in or told why not
    st.switch_page(portal, query_params=landing)
signin.write_cookie()  # after the switch: a run cut short by st.switch_page never reaches the browser
navigation.run()
