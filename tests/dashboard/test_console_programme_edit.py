"""The 活动设置 tab changes a programme: a quota and a weight edited in 修改评选方案 are sent as the whole definition
(PUT), the versions table then says what changed in words; a weight the service refuses once voting started is
refused beside the weights; after voting started the weights are shown fixed. The nominations service is a fake
answering the console's HTTP requests (httpx in the console's glue is replaced inside the page)."""
from __future__ import annotations

import copy
import json
from datetime import date

import httpx
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from dashboard.views.organiser import programme_edit as pe

W = {"basic": 0.3, "key_tasks": 0.2, "business": 0.1, "report": 0.1, "peer_vote": 0.3}
CRITERIA = [{"criterion_id": "c1", "name": "政治建设", "max_points": 60.0, "step": 0.5},
            {"criterion_id": "c2", "name": "业务工作", "max_points": 40.0, "step": 0.5}]
DETAIL = {
    "programme_id": "p1", "name": "2026年度评选", "year": 2026, "version": 1, "voting_started": False,
    "stage_control": "organiser", "stage_state": {},
    "categories": [
        {"category_id": "model_organ", "name": "模范机关", "name_en": "", "nominee_kind": "organ",
         "board": "model_organ", "quota": 5, "competitive_ratio": 1.2, "unit_limit": 1, "criteria": CRITERIA,
         "weights": W, "peer_vote_round": "latest", "business_baseline_programme_id": None},
        {"category_id": "red_flag_branch", "name": "先锋红旗党支部", "name_en": "", "nominee_kind": "branch",
         "board": "red_flag_branch", "quota": 3, "competitive_ratio": 1.0, "unit_limit": None, "criteria": CRITERIA,
         "weights": W, "peer_vote_round": "latest", "business_baseline_programme_id": None}],
    "stages": [{"stage": "nomination", "opens_at": "2026-03-02T01:00:00Z", "closes_at": "2026-03-31T09:30:00Z",
                "opens_at_local": "2026-03-02 09:00", "closes_at_local": "2026-03-31 17:30", "label": "申报"}],
}
CHANGED = [{"path": "categories[model_organ].quota", "before": 5, "after": 6},
           {"path": "categories[model_organ].weights.basic", "before": 0.3, "after": 0.35},
           {"path": "categories[model_organ].weights.peer_vote", "before": 0.3, "after": 0.25}]
REFUSED = {"error": {"code": "criteria_fixed", "field": "categories.model_organ",
                     "message": "the criteria or weights of category model_organ cannot change after voting has "
                                "started"}}
INVALID = {"error": {"code": "invalid", "field": "stages[0].closes_at", "message": "stages[0].closes_at: must be after",
                     "problems": [{"field": "stages[0].closes_at", "message": "must be after opens_at"},
                                  {"field": "categories[1].criteria[0].max_points",
                                   "message": "must be a positive number of points (at most 1000)"}]}}


class FakeNominations:
    """The nominations service as the tab asks it: the programme, its versions, PUT (accepted or refused)."""

    def __init__(self, detail: dict, refuse: str) -> None:
        self.detail, self.refuse, self.sent = copy.deepcopy(detail), refuse, []
        self.changes: list[dict] = []

    def request(self, method, url, *, json=None, **_):
        path = url.split(":8101", 1)[1]
        if method == "PUT":
            self.sent.append((path, json))
            if self.refuse == "invalid":
                return httpx.Response(422, json=INVALID)
            if self.refuse:
                self.changes.append({"at": "2026-05-02T02:00:00Z", "by": "organiser", "outcome": "refused",
                                     "reason": REFUSED["error"]["message"], "code": "criteria_fixed",
                                     "field": "categories.model_organ", "changed": CHANGED[1:]})
                return httpx.Response(409, json=REFUSED)
            self.detail = self.detail | json | {"version": 2}
            self.changes.append({"at": "2026-03-01T02:00:00Z", "by": "organiser", "outcome": "new_version",
                                 "version": 2, "changed": CHANGED})
            return httpx.Response(200, json=self.detail)
        if path == "/criteria-templates":
            return httpx.Response(200, json=[])
        if path == "/programmes/p1":
            return httpx.Response(200, json=self.detail)
        if path == "/programmes/p1/versions":
            return httpx.Response(200, json={"versions": [DETAIL | {"version": 1, "change": "defined",
                                                                    "recorded_at": "2026-02-01T02:00:00Z"}],
                                             "changes": self.changes})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})


def _page(detail: dict, refuse: str) -> None:
    import types

    import httpx
    import streamlit as st

    from dashboard.views.organiser import common, setup
    from tests.dashboard.test_console_programme_edit import FakeNominations

    service = st.session_state.setdefault("service", FakeNominations(detail, refuse))
    real = common.httpx
    common.httpx = types.SimpleNamespace(request=service.request, HTTPError=httpx.HTTPError)
    try:
        setup.setup_tab({"_id": "p1"}, "token")
    finally:
        common.httpx = real


def _tab(detail: dict = DETAIL, refuse: str = "") -> AppTest:
    at = AppTest.from_function(_page, kwargs={"detail": detail, "refuse": refuse}).run(timeout=60)
    assert not at.exception, at.exception[0].message
    return at


def _set_weights(at: AppTest) -> AppTest:
    at.number_input(key="org_pe_p1_1_quota_model_organ").set_value(6)
    at.number_input(key="org_pe_p1_1_w_model_organ_peer_vote").set_value(0.25).run(timeout=60)
    assert any("权重合计：0.95" in w.value for w in at.warning)  # the sum as it is typed
    at.number_input(key="org_pe_p1_1_w_model_organ_basic").set_value(0.35).run(timeout=60)
    assert not any("权重合计" in w.value for w in at.warning)
    at.button(key="org_pe_p1_1_save").click().run(timeout=60)
    assert not at.exception, at.exception[0].message
    return at


def _texts(block) -> list[tuple[str, str]]:
    """The elements inside `block`, in the page's order, as (type, its text)."""
    out = []
    for child in block.children.values():
        if isinstance(child, Block):
            out += _texts(child)
        else:
            out.append((child.type, str(getattr(child, "value", "") or getattr(child, "label", ""))))
    return out


def test_a_changed_quota_and_weight_are_sent_whole_and_listed_in_words():
    at = _set_weights(_tab())
    [(path, body)] = at.session_state["service"].sent
    assert path == "/programmes/p1"
    assert set(body) == {"name", "year", "stage_control", "categories", "stages"}
    organ, branch = body["categories"]
    assert organ["quota"] == 6 and organ["weights"] == W | {"basic": 0.35, "peer_vote": 0.25}
    assert organ["criteria"] == CRITERIA and organ["unit_limit"] == 1 and organ["competitive_ratio"] == 1.2
    assert branch == DETAIL["categories"][1]  # the rest of the definition as it was
    assert body["stages"] == [{"stage": "nomination", "opens_at": "2026-03-02T09:00", "closes_at": "2026-03-31T17:30"}]
    assert any("已完成" in s.value for s in at.success)
    table = " ".join(m.value for m in at.markdown)
    assert "模范机关 名额 5 → 6；权重 基础指标 0.3 → 0.35；权重 民主测评 0.3 → 0.25" in table
    assert "| v2 |" in table and "已生效" in table and "| v1 |" in table
    # the form now starts from version 2
    assert at.number_input(key="org_pe_p1_2_quota_model_organ").value == 6


def test_a_weight_refused_after_voting_started_is_refused_beside_the_weights():
    at = _set_weights(_tab(refuse="voting"))
    words = "模范机关：民主测评已开始，评分标准、权重和测评轮次规则不能再修改，本次修改未保存。"
    items = _texts(at.main)
    errors = [i for i, (kind, text) in enumerate(items) if kind == "error" and text == words]
    assert len(errors) == 1, items  # once, not also at the top of the form
    before = [text for _, text in items[:errors[0]]]
    assert before[-1].startswith("权重合计")  # right under the weights' sum of its category
    assert "先锋红旗党支部" in " ".join(text for _, text in items[errors[0]:])  # inside 模范机关's box
    assert not any("voting has started" in text for _, text in items)  # not the service's English
    table = " ".join(m.value for m in at.markdown)
    assert "未通过" in table and "权重 基础指标 0.3 → 0.35" in table and words in table
    assert at.number_input(key="org_pe_p1_1_quota_model_organ").value == 6  # the edits are kept


def test_a_definition_refused_as_invalid_names_each_field_where_it_is():
    at = _tab(refuse="invalid")
    at.date_input(key="org_pe_p1_1_st_nomination_closes_at_d").set_value(date(2026, 3, 1))
    at.button(key="org_pe_p1_1_save").click().run(timeout=60)
    items = _texts(at.main)
    where = {text: items[i - 1] for i, (kind, text) in enumerate(items) if kind == "error"}
    assert where == {"阶段第 1 项的截止时间：须晚于开始时间。": ("date_input", "2026-03-01"),
                     "评选类别第 2 项的满分：填写的内容不符合要求。": ("success", "权重合计：1（须为 1）")}
    [(_, body)] = at.session_state["service"].sent
    assert body["stages"][0]["closes_at"] == "2026-03-01T17:30"


def test_after_voting_started_the_weights_are_fixed_and_say_why():
    at = _tab(DETAIL | {"voting_started": True})
    assert all(at.number_input(key=f"org_pe_p1_1_w_model_organ_{c}").disabled for c in pe.COMPONENTS)
    assert not at.number_input(key="org_pe_p1_1_quota_model_organ").disabled
    assert any("民主测评已开始" in i.value for i in at.info)
    assert any("权重不能再修改" in c.value for c in at.caption)


def test_a_stage_by_its_dates_has_started_voting_once_its_window_opened():
    dates = DETAIL | {"stage_control": "dates", "stages": [
        {"stage": "voting", "opens_at": "2020-01-01T01:00:00Z", "closes_at": "2020-01-02T01:00:00Z"}]}
    assert pe.voting_started(dates) and not pe.voting_started(DETAIL)
    assert not pe.voting_started(dates | {"stage_control": "organiser"})


def test_an_uploaded_file_is_parsed_in_the_console():
    raw, problem = pe.parse_file("p.yaml", "name: 评选\nstages:\n  - opens_at: 2026-03-01\n".encode())
    assert problem == "" and raw == {"name": "评选", "stages": [{"opens_at": "2026-03-01"}]}
    raw, problem = pe.parse_file("p.json", json.dumps({"name": "评选"}).encode())
    assert raw == {"name": "评选"}
    for name, content in (("p.yaml", b"name: [unclosed\n"), ("p.json", b'{"name": }')):
        raw, problem = pe.parse_file(name, content)
        assert raw is None and "文件无法解析" in problem and "行" in problem
    assert pe.parse_file("p.yaml", b"- a list\n")[1].startswith("文件内容须为一份评选方案")
    assert pe.parse_file("p.yaml", "名称".encode("gb18030"))[1].startswith("文件须为 UTF-8")


def test_what_changed_in_words():
    names, criteria = {"model_organ": "模范机关"}, {"model_organ": {"c1": "政治建设"}}
    changed = [{"path": "name", "before": "旧", "after": "新"},
               {"path": "categories[model_organ].unit_limit", "before": 1, "after": None},
               {"path": "categories[model_organ].criteria[c1].max_points", "before": 60.0, "after": 50.0},
               {"path": "categories[model_organ].criteria[c9]", "before": None,
                "after": {"name": "加分项", "max_points": 10.0}},
               {"path": "categories[new]", "before": None, "after": {"name": "新类别", "quota": 1}},
               {"path": "stages[voting].opens_at", "before": "2026-05-01T01:00:00Z", "after": "2026-05-02T01:00:00Z"},
               {"path": "stage_control", "before": "organiser", "after": "dates"}]
    assert pe.describe(changed, names | {"new": "新类别"}, criteria) == (
        "名称 旧 → 新；模范机关 每单位限报 1 → 不限；评分项 政治建设 满分 60 → 50；新增评分项 加分项（10 分）；"
        "新增类别 新类别；民主测评 开始时间 2026年5月1日 09:00 → 2026年5月2日 09:00；"
        "阶段控制方式 组织者手动 → 按日期自动")


def test_a_refused_change_without_a_code_gets_the_generic_words():
    assert pe.refusal_words(None, "", "something in English", {}) == "修改未被接受，未保存。"
    words = pe.refusal_words("criteria_fixed", "categories.x", "", {"x": "模范机关"})
    assert words.startswith("模范机关：民主测评已开始")
    assert "English" not in pe.refusal_words("invalid", "year", "must be a year in English", {})
