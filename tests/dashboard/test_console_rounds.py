"""The rounds tab: the limits a round takes from the form, by its ballot type, and the replacement of a category's
earlier round sent only when the organiser ticks it."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.views.organiser.rounds import round_limits


@pytest.mark.parametrize("args,body", [
    (("approval", 2, None, False), {"max_selections": 2}),
    (("approval", 1, 3, True), {"max_selections": 1}),  # a grading limit is not sent with an approval round
    (("appraisal", 1, 1, True), {"excellent_cap": 1, "abstain_allowed": True}),
    (("appraisal", 4, None, False), {"abstain_allowed": False}),  # empty cap: no cap; up-to-N is not sent
    (("appraisal", 1, 0, False), {"excellent_cap": 0, "abstain_allowed": False}),  # 0 is a cap: no 优秀 at all
])
def test_the_limits_sent_fit_the_ballot_type(args, body):
    assert round_limits(*args) == body


def _round_form() -> AppTest:
    def page() -> None:
        import streamlit as st

        from dashboard.views.organiser import rounds

        def record(form, service, method, path, token, *, json=None, **_):
            st.session_state["sent"] = (service, method, path, json)

        rounds.submit = record  # what the form would send, instead of the voting service
        rounds._open_form({"_id": "p1", "categories": [{"category_id": "organ", "name": "模范机关"}]}, "token")

    return AppTest.from_function(page).run(timeout=60)


def test_a_second_round_of_a_category_is_opened_only_when_the_replacement_is_ticked():
    at = _round_form()
    at.text_input(key="org_round_name").input("模范机关第二轮测评")
    at.multiselect(key="org_round_cats").select("organ")
    at.button[0].click().run(timeout=60)
    assert "confirm_replace" not in at.session_state["sent"][3]
    at.checkbox(key="org_round_replace").check()
    at.button[0].click().run(timeout=60)
    service, method, path, body = at.session_state["sent"]
    assert (service, method, path) == ("voting", "POST", "/rounds")
    assert body["confirm_replace"] is True and body["category_ids"] == ["organ"]
