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


def _turnout(units: list[dict], tree: dict[str, str]) -> AppTest:
    def page(units: list[dict], tree: dict[str, str]) -> None:
        from dashboard import ui
        from dashboard.views.organiser import rounds

        rounds.get = lambda service, path, token, **_: {
            "ballots_cast": 2, "eligible": 3, "turnout_by_unit": units,
            "candidates": [{"nominee_name": "市审计局", "approvals": 2, "share_of_eligible": 2 / 3}]}
        ui.unit_tree = lambda pid: {"names": tree, "parents": {}}
        rounds._round("r1", {"_id": "r1", "name": "模范机关测评", "state": "open"}, "token", "p1")

    return AppTest.from_function(page, kwargs={"units": units, "tree": tree}).run(timeout=60)


def test_turnout_names_each_unit_even_when_the_round_learned_only_its_id():
    at = _turnout([{"unit_id": "u-audit", "voted": 1, "eligible": 2},
                   {"unit_id": "u-arch", "unit_name": "市档案馆", "voted": 0, "eligible": 1}],
                  {"u-audit": "市审计局", "u-arch": "档案馆（旧名）"})
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["市审计局", "市档案馆"]  # the round's own name wins where it has one
    assert list(table.iloc[:, 1]) == [1, 0]
    assert list(at.dataframe[1].value.iloc[0]) == ["市审计局", 2, "66.7%"]  # the share as the organiser reads it
