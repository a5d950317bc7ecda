"""异议处理 and 荣誉与文件: the objector's sealed contacts opened only after a confirmation, 递补 after a sustained
objection, and periodic reviews of an honour: each form sends the right body to the right path, and a required
field left empty is refused beside the field without anything sent."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.views.organiser.text import t



def _objections(part: str) -> AppTest:
    def page(part: str) -> None:
        import streamlit as st

        from dashboard.views.organiser import objections

        st.session_state.setdefault("sent", [])
        obj = {"objection_id": "o1", "tracking_no": "YY2026-0001", "nominee_name": "市财政局机关",
               "notice_id": "n1", "state": "sustained" if part == "replace" else "investigating",
               "attachments": [{"file_id": "f1", "filename": "证据.pdf", "content_type": "application/pdf"}]}
        notice = {"notice_id": "n1", "programme_id": "p1", "category_id": "organ", "title": "模范机关公示",
                  "working_days": 5, "entries": [{"nomination_id": "nom-a", "nominee_name": "市财政局机关",
                                                   "status": "removed"}]}
        short = {"categories": [{"category_id": "organ", "standings": [
            {"nomination_id": "nom-a", "rank": 1, "nominee_name": "市财政局机关", "unit_name": "财政"},
            {"nomination_id": "nom-b", "rank": 2, "nominee_name": "市档案馆", "unit_name": "档案"},
            {"nomination_id": "nom-c", "rank": 3, "nominee_name": "市统计局", "unit_name": "统计"}]}]}

        def request(service, method, path, token, *, json=None, params=None, **_):
            st.session_state["sent"].append((method, path, json))
            if path.endswith("/contact"):
                return True, {"objection_id": "o1", "name": "张三", "phone": "13800138000", "email": ""}, []
            return True, {"starts_at": "2026-12-02T10:00:00+00:00", "ends_at": "2026-12-09T10:00:00+00:00",
                          "warning": ""}, []

        def get(service, path, token, **params):
            return notice if path == "/notices/n1" else short

        def submit(form, service, method, path, token, *, json=None, **_):
            st.session_state["sent"].append((method, path, json))
            return True

        objections.request, objections.get, objections.submit = request, get, submit
        if part == "replace":
            objections._replacement([obj], "token")
        else:
            objections._handle([obj], "token")

    return AppTest.from_function(page, args=(part,)).run(timeout=60)


def _sent(at: AppTest, path_end: str) -> list:
    return [x for x in at.session_state["sent"] if x[1].endswith(path_end)]


def _texts(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.info, *at.warning, *at.error, *at.caption, *at.markdown])


def test_the_sealed_contacts_are_opened_only_after_the_confirmation_that_the_viewing_is_recorded():
    at = _objections("handle")
    assert not _sent(at, "/contact")
    at.button(key="org_obj_contact_o1").click().run(timeout=60)
    assert not _sent(at, "/contact")  # asked first
    assert t("ob2.contact_q") in _texts(at)
    at.button(key="_yes_contact_o1").click().run(timeout=60)
    assert _sent(at, "/contact") == [("GET", "/objections/o1/contact", None)]
    assert "13800138000" in _texts(at) and "张三" in _texts(at)


def test_a_cancelled_viewing_sends_nothing():
    at = _objections("handle")
    at.button(key="org_obj_contact_o1").click().run(timeout=60)
    at.button(key="_no_contact_o1").click().run(timeout=60)
    assert not _sent(at, "/contact") and "13800138000" not in _texts(at)


def test_the_attachments_are_listed_for_download():
    at = _objections("handle")
    assert any(b.label == t("dl.fetch", what="证据.pdf") for b in at.button)


def test_the_replacement_goes_to_the_next_ranked_after_seeing_its_end_date():
    at = _objections("replace")
    assert "市财政局机关" in _texts(at)  # the removed nominee
    at.button(key="org_obj_repl_go").click().run(timeout=60)
    assert not _sent(at, "/replacements")
    question = " ".join(w.value for w in at.warning)
    assert "市档案馆" in question and "2026" in question  # who (the next-ranked, not the removed) and the end
    at.button(key="_yes_replace_o1").click().run(timeout=60)
    assert _sent(at, "/replacements") == [("POST", "/notices/n1/replacements", {"working_days": 5})]


def test_a_picked_candidate_and_period_are_sent():
    at = _objections("replace")
    at.selectbox(key="org_obj_repl_cand_o1").select("nom-c")
    at.number_input(key="org_obj_repl_days_o1").set_value(7)
    at.button(key="org_obj_repl_go").click().run(timeout=60)
    assert "市统计局" in " ".join(w.value for w in at.warning)
    at.button(key="_yes_replace_o1").click().run(timeout=60)
    assert _sent(at, "/replacements") == [("POST", "/notices/n1/replacements",
                                           {"working_days": 7, "nomination_id": "nom-c"})]
    assert ("GET", "/working-days", None) in at.session_state["sent"]


def _reviews() -> AppTest:
    def page() -> None:
        import streamlit as st

        from dashboard.views.organiser import honours

        st.session_state.setdefault("sent", [])
        st.session_state.setdefault("queried", [])

        def get(service, path, token, **params):
            st.session_state["queried"].append((path, params))
            return {"reviews": [{"review_id": "r1", "honour_id": "h1", "due_date": "2027-06-30", "note": "年度复查",
                                 "outcome": None}]}

        def submit(form, service, method, path, token, *, json=None, **_):
            st.session_state["sent"].append((method, path, json))
            return True

        honours.get, honours.submit = get, submit
        honours._reviews([{"honour_id": "h1", "nominee_name": "市档案馆", "title": "模范机关", "status": "confirmed"}],
                         "token")

    return AppTest.from_function(page).run(timeout=60)


def _press(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run(timeout=60)


def test_a_review_without_a_due_date_is_refused_beside_the_field():
    at = _reviews()
    at.text_input(key="org_rev_note").input("年度复查")
    _press(at, t("ho2.schedule_btn"))
    assert at.session_state["sent"] == []
    assert [e.value for e in at.error] == [t("rv.required")]


def test_a_review_is_scheduled_with_its_due_date_and_note():
    from datetime import date

    at = _reviews()
    at.date_input(key="org_rev_due").set_value(date(2027, 6, 30))
    at.text_input(key="org_rev_note").input("年度复查")
    _press(at, t("ho2.schedule_btn"))
    assert at.session_state["sent"] == [("POST", "/honours/h1/reviews", {"due_date": "2027-06-30", "note": "年度复查"})]


def test_the_reviews_due_are_asked_for_pending_by_a_date():
    at = _reviews()
    path, params = at.session_state["queried"][-1]
    assert path == "/reviews" and params["pending"] == "true" and params["due_by"]
    assert "市档案馆 · 模范机关" in at.dataframe[0].value.to_string()


def test_a_revoking_outcome_needs_a_note_and_a_confirmation():
    at = _reviews()
    at.radio(key="org_rev_outcome_r1").set_value("revoke")
    at.button(key="org_rev_record").click().run(timeout=60)
    assert at.session_state["sent"] == [] and t("rv.required") in [e.value for e in at.error]
    at.text_input(key="org_rev_onote_r1").input("复查发现材料不实")
    at.button(key="org_rev_record").click().run(timeout=60)
    assert at.session_state["sent"] == []  # asked first
    at.button(key="_yes_review_r1").click().run(timeout=60)
    assert at.session_state["sent"] == [("POST", "/honours/h1/reviews/r1/outcome",
                                         {"outcome": "revoke", "note": "复查发现材料不实"})]


def test_a_maintained_outcome_is_recorded_at_once():
    at = _reviews()
    at.button(key="org_rev_record").click().run(timeout=60)
    assert at.session_state["sent"] == [("POST", "/honours/h1/reviews/r1/outcome",
                                         {"outcome": "maintained", "note": ""})]
