"""The rules the ballot pages enforce before casting, and the voting-day paper (pure functions, no Streamlit)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from dashboard import ballot, slips

APPRAISAL = {"round_id": "r1", "ballot_type": "appraisal", "excellent_cap": 2, "candidates": [
    {"nomination_id": "a", "category_id": "organ", "nominee_name": "市财政局", "unit_name": "市财政局"},
    {"nomination_id": "b", "category_id": "organ", "nominee_name": "李明", "unit_name": "市教育局"},
    {"nomination_id": "w", "category_id": "organ", "nominee_name": "撤回者", "unit_name": "", "withdrawn": True},
    {"nomination_id": "c", "category_id": "organ", "nominee_name": "王芳", "unit_name": "市档案馆"}]}
APPROVAL = {"round_id": "r2", "ballot_type": "approval", "max_selections": 2, "category_ids": ["organ", "branch"],
            "max_per_category": {"organ": 2, "branch": 1}, "candidates": [
                {"nomination_id": "a", "category_id": "organ"}, {"nomination_id": "b", "category_id": "organ"},
                {"nomination_id": "c", "category_id": "organ"}, {"nomination_id": "x", "category_id": "branch"},
                {"nomination_id": "y", "category_id": "branch"}]}


def keys(check: ballot.BallotCheck) -> list[str]:
    return [p.key for p in check.problems]


@pytest.mark.parametrize(("choices", "answered", "excellent", "problems"), [
    ({}, 0, 0, ["bl.unanswered"]),  # nothing is preselected: a fresh ballot cannot go on
    ({"a": "excellent", "b": "competent"}, 2, 1, ["bl.unanswered"]),
    ({"a": "excellent", "b": "competent", "c": "abstain"}, 3, 1, []),
    ({"a": "excellent", "b": "excellent", "c": "excellent"}, 3, 3, ["bl.over_cap"]),
    ({"a": "abstain", "b": "abstain", "c": "abstain"}, 3, 0, ["bl.all_abstain"]),
    ({"a": "excellent", "b": "excellent", "c": None}, 2, 2, ["bl.unanswered"]),
])
def test_grading_every_candidate_or_abstaining_within_the_cap(choices, answered, excellent, problems):
    check = ballot.check_grades(APPRAISAL, choices)
    assert (check.total, check.answered, check.excellent, check.excellent_cap) == (3, answered, excellent, 2)
    assert keys(check) == problems and check.ok == (not problems)


def test_a_round_without_abstention_offers_none_and_needs_every_grade():
    strict = {**APPRAISAL, "abstain_allowed": False}
    assert ballot.grade_options(strict) == list(ballot.GRADES) and "abstain" in ballot.grade_options(APPRAISAL)
    check = ballot.check_grades(strict, {"a": "excellent", "b": "competent", "c": "abstain"})
    assert keys(check) == ["bl.ungraded"] and check.answered == 2
    assert ballot.check_grades(strict, {"a": "excellent", "b": "competent", "c": "incompetent"}).ok


def test_the_service_limit_from_both_caps_wins_over_the_number():
    assert ballot.excellent_cap({"excellent_cap": 5, "excellent_limit": 1}) == 1
    assert ballot.excellent_cap({"excellent_cap": 2}) == 2 and ballot.excellent_cap({}) is None


def test_the_cap_problem_says_how_many_and_the_limit():
    check = ballot.check_grades(APPRAISAL, {"a": "excellent", "b": "excellent", "c": "excellent"})
    assert check.problems[0].values == {"n": 3, "cap": 2}
    assert ballot.check_grades({**APPRAISAL, "excellent_cap": None}, {"a": "excellent", "b": "excellent",
                                                                        "c": "excellent"}).ok


@pytest.mark.parametrize(("selected", "counts", "problems"), [
    ([], {"organ": 0, "branch": 0}, ["bl.none_selected"]),
    (["a"], {"organ": 1, "branch": 0}, []),
    (["a", "b", "x"], {"organ": 2, "branch": 1}, []),
    (["a", "b", "c"], {"organ": 3, "branch": 0}, ["bl.over_limit"]),
    (["x", "y"], {"organ": 0, "branch": 2}, ["bl.over_limit"]),
])
def test_approval_selected_k_of_n_per_category(selected, counts, problems):
    check = ballot.check_selections(APPROVAL, selected)
    assert check.selected == counts and check.limits == {"organ": 2, "branch": 1} and keys(check) == problems


def test_candidates_in_published_order_withdrawn_left_out_and_own_unit_once():
    assert [c["nomination_id"] for c in ballot.candidates(APPRAISAL)] == ["a", "b", "c"]
    assert [ballot.unit_of(c) for c in ballot.candidates(APPRAISAL)] == ["", "市教育局", "市档案馆"]


def test_payload_leaves_abstentions_out_and_keeps_ballot_order():
    assert ballot.payload(APPRAISAL, choices={"c": "abstain", "a": "excellent", "b": "competent"}) == {
        "selections": [], "grades": {"a": "excellent", "b": "competent"}}
    assert ballot.payload(APPROVAL, selected={"x", "a"}) == {"selections": ["a", "x"], "grades": {}}
    assert ballot.limits({"max_selections": 3, "category_ids": ["organ"]}) == {"organ": 3}


def test_links_are_http_urls_of_the_dashboard():
    url = slips.ballot_url("https://vote.example.cn/", "ABCD-EFGH-JKMN-PQRS")
    assert url == "https://vote.example.cn/?page=ballot&c=ABCD-EFGH-JKMN-PQRS"
    receipt = urlparse(slips.receipt_url("http://127.0.0.1:8501", "r1", "0A1B2C3D4E5F6A7B"))
    assert parse_qs(receipt.query) == {"page": ["receipt"], "r": ["r1"], "k": ["0A1B2C3D4E5F6A7B"]}


@pytest.mark.parametrize(("env", "port", "expected"), [
    ({}, None, "http://127.0.0.1:8501"), ({}, 8600, "http://127.0.0.1:8600"),
    ({"EXEMPLAR_DASHBOARD_PUBLIC_URL": "https://vote.example.cn/"}, 8600, "https://vote.example.cn")])
def test_the_base_url_is_a_setting_with_the_local_dashboard_by_default(env, port, expected):
    assert slips.base_url(env, port) == expected


def test_a_base_url_that_is_not_http_stops_with_its_name():
    with pytest.raises(ValueError, match="EXEMPLAR_DASHBOARD_PUBLIC_URL"):
        slips.base_url({"EXEMPLAR_DASHBOARD_PUBLIC_URL": "vote.example.cn"})


def test_the_print_sheet_has_a_slip_per_credential_eight_a_page_and_no_voted_status():
    units = [{"unit_id": "u1", "unit_name": "市财政局", "slips": [
        {"name": f"党员{i}", "credential": f"AAAA-BBBB-CCCC-{i:04d}"} for i in range(10)]},
             {"unit_id": "u2", "unit_name": "市教育局",
              "slips": [{"name": "李明", "credential": "ZZZZ-YYYY-XXXX-WWWW"}]}]
    page = slips.slips_html("模范机关民主测评", units, "https://vote.example.cn")
    assert page.count('class="slip"') == 11 and page.count('class="sheet"') == 3  # 8 + 2 for u1, 1 for u2
    assert "size: A4" in page and "page-break-after: always" in page
    assert page.count("模范机关民主测评") >= 11 and "用手机扫描" in page
    hrefs = re.findall(r'<a href="([^"]+)"><img alt="投票二维码" src="data:image/png;base64,', page)
    assert hrefs[0] == "https://vote.example.cn/?page=ballot&amp;c=AAAA-BBBB-CCCC-0000" and len(hrefs) == 11
    # The QR image is the one of the slip's URL.
    assert slips.qr_data_uri("https://vote.example.cn/?page=ballot&c=AAAA-BBBB-CCCC-0000") in page
    assert not re.search(r"已投票|voted|已发放|issued", page)
