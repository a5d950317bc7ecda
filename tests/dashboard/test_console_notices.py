"""The 公示 tab's forms: a notice opened with its options, a notice's dates corrected with a reason, a year's holiday
arrangement uploaded — each sends the right body to the right path, and a required field left empty is refused
beside that field with nothing sent. The services are replaced by recorders inside the page."""
from __future__ import annotations

from datetime import date, time, timedelta

from streamlit.testing.v1 import AppTest

FAR = date.today() + timedelta(days=10)


def _page() -> None:
    from datetime import date

    import streamlit as st

    from dashboard.views.organiser import calendars, publicity

    def fake_request(service, method, path, token, *, json=None, params=None, files=None):
        st.session_state.setdefault("asked", []).append((method, path, params))
        if path == "/working-days":
            return True, {"starts_at": "2027-03-01T01:00:00+00:00", "ends_at": "2027-03-08T10:00:00+00:00",
                          "warning": ""}, []
        year = int(path.rsplit("/", 1)[1])
        if year == date.today().year:
            return True, {"year": year, "source": "upload", "holidays": ["x"] * 28, "workdays": ["y"] * 6}, []
        if year < date.today().year:
            return True, {"year": year, "source": "chinese-calendar", "holidays": ["x"] * 27, "workdays": []}, []
        return False, "not found", [("year", "not found")]

    def fake_get(service, path, token, **params):
        if path.endswith("/shortlists"):
            return {"categories": [{"category_id": "organ", "quota": 2, "standings": [
                {"nomination_id": f"n{i}", "rank": i, "nominee_name": f"机关{i}", "unit_name": f"单位{i}"}
                for i in range(1, st.session_state.get("ranked", 3) + 1)]}]}
        return {"notices": [{"notice_id": "nt1", "title": "模范机关评选公示", "state": "open",
                             "window": "before", "starts_at": "2027-03-01T01:00:00+00:00",
                             "ends_at": "2027-03-08T10:00:00+00:00", "working_days": 5, "entries": []}]}

    def record(form, service, method, path, token, *, json=None, params=None, files=None):
        st.session_state.setdefault("sent", []).append((service, method, path, json, files))
        return True

    publicity.request, publicity.get, publicity.submit = fake_request, fake_get, record
    calendars.request, calendars.submit = fake_request, record
    publicity.publicity_tab({"_id": "p1", "categories": [{"category_id": "organ", "name": "模范机关", "quota": 2}]},
                            "token")


def _tab() -> AppTest:
    at = AppTest.from_function(_page).run(timeout=60)
    assert not at.exception, at.exception[0].message
    return at


def _sent(at: AppTest) -> list:
    assert not at.exception, at.exception[0].message
    return at.session_state["sent"] if "sent" in at.session_state else []


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def _publish(at: AppTest) -> None:
    at.button(key="org_pub_go").click().run(timeout=60)
    at.button(key="_yes_publish").click().run(timeout=60)


def test_the_default_notice_is_one_click_and_a_confirmation_for_the_top_of_the_ranking_starting_now():
    at = _tab()
    at.button(key="org_pub_go").click().run(timeout=60)
    assert not _sent(at)  # asked first
    at.button(key="_yes_publish").click().run(timeout=60)
    [(service, method, path, body, _)] = _sent(at)
    assert (service, method, path) == ("publicity", "POST", "/notices")
    assert body["programme_id"] == "p1" and body["category_id"] == "organ" and body["working_days"] == 5
    assert "nomination_ids" not in body and "starts_at" not in body  # the service's top `quota`, now
    assert body["contact_office"] == "市直机关工委组织部" and body["issuer"] == "市直机关工作委员会"


def test_a_notice_with_chosen_nominations_a_later_start_and_contacts_sends_them_and_previews_that_start():
    at = _tab()
    assert at.multiselect(key="org_pub_noms_organ").value == ["n1", "n2"]  # the top 2 by default
    at.multiselect(key="org_pub_noms_organ").set_value(["n1", "n3"])
    at.checkbox(key="org_pub_later").check().run(timeout=60)
    at.date_input(key="org_pub_start_day").set_value(FAR)
    at.time_input(key="org_pub_start_time").set_value(time(10, 30))
    at.text_input(key="org_pub_contact_phone").input("0571-87000000")
    at.text_input(key="org_pub_contact_email").input("zzb@example.cn")
    at.text_input(key="org_pub_issuer").input("中共某市直属机关工作委员会")
    at.text_input(key="org_pub_objection_url").input("https://example.cn/objections")
    at.number_input(key="org_pub_days").set_value(7).run(timeout=60)
    start = f"{FAR.isoformat()}T10:30"
    previews = [p for m, path, p in at.session_state["asked"] if path == "/working-days"]
    assert previews[-1] == {"working_days": 7, "start": start}  # the end date is computed from the chosen start
    _publish(at)
    [(_, _, path, body, _)] = _sent(at)
    assert path == "/notices"
    assert body["nomination_ids"] == ["n1", "n3"] and body["starts_at"] == start and body["working_days"] == 7
    assert body["contact_phone"] == "0571-87000000" and body["contact_email"] == "zzb@example.cn"
    assert body["issuer"] == "中共某市直属机关工作委员会"
    assert body["objection_url"] == "https://example.cn/objections"


def test_an_emptied_issuer_or_no_nomination_is_refused_beside_the_field_and_nothing_is_sent():
    at = _tab()
    at.text_input(key="org_pub_issuer").input("")
    at.button(key="org_pub_go").click().run(timeout=60)
    assert "发布单位" in _errors(at) and not _sent(at)
    assert not [b for b in at.button if b.key == "_yes_publish"]  # not even asked
    at.text_input(key="org_pub_issuer").input("市直机关工作委员会")
    at.multiselect(key="org_pub_noms_organ").set_value([])
    at.button(key="org_pub_go").click().run(timeout=60)
    assert "参评对象" in _errors(at) and "发布单位" not in _errors(at) and not _sent(at)


def test_a_correction_needs_a_reason_and_is_sent_after_a_confirmation():
    at = _tab()
    at.number_input(key="org_cor_days_nt1").set_value(7)
    at.button(key="org_cor_go_nt1").click().run(timeout=60)
    assert "理由" in _errors(at) and not _sent(at)
    at.text_area(key="org_cor_reason_nt1").input("春节调休，公示期顺延")
    at.checkbox(key="org_cor_later_nt1").check().run(timeout=60)
    at.date_input(key="org_cor_day_nt1").set_value(FAR)
    at.button(key="org_cor_go_nt1").click().run(timeout=60)
    assert not _sent(at)  # asked first
    at.button(key="_yes_correct_nt1").click().run(timeout=60)
    [(service, method, path, body, _)] = _sent(at)
    assert (service, method, path) == ("publicity", "POST", "/notices/nt1/corrections")
    assert body == {"working_days": 7, "starts_at": f"{FAR.isoformat()}T09:00", "reason": "春节调休，公示期顺延"}


def test_the_years_loaded_are_listed_and_a_new_years_arrangement_is_uploaded_as_a_file():
    at = _tab()
    years = at.dataframe[-1].value
    by_year = dict(zip(years["年度"], years["来源"]))
    this = date.today().year
    assert by_year[this] == "已上传" and "chinese_calendar" in by_year[this - 1] and "未知" in by_year[this + 1]
    at.button(key="org_cal_go").click().run(timeout=60)
    assert "文件" in _errors(at) and not _sent(at)
    content = b"year: 2027\nholidays:\n  - 2027-01-01\nworkdays: []\n"
    at.file_uploader(key="org_cal_file").set_value(("2027.yaml", content, "application/yaml")).run(timeout=60)
    at.button(key="org_cal_go").click().run(timeout=60)
    [(service, method, path, body, files)] = _sent(at)
    assert (service, method, path, body) == ("publicity", "POST", "/calendars", None)
    assert files == [("file", ("2027.yaml", content, "application/yaml"))]


def test_a_ranking_that_grew_since_the_page_opened_is_not_sent_as_the_older_list():
    # the organiser opened the tab while one nominee was ranked; by the time they publish, the ranking has two on top
    at = AppTest.from_function(_page)
    at.session_state["ranked"] = 1
    at.run(timeout=60)
    at.session_state["ranked"] = 3
    at.run(timeout=60)
    _publish(at)
    [(_, _, _, body, _)] = _sent(at)
    assert "nomination_ids" not in body  # the service lists its top `quota`, not the one ranked when the tab opened
