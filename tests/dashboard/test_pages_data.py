"""The public pages' shaping in one language: explanation details, tie-breaks, units shown once, the frozen round
by name, turnout grouped by parent (pure functions, no Streamlit)."""
from __future__ import annotations

import pytest

from dashboard import data, i18n

DETAILS = [  # what scoring writes, what the Chinese page shows, what the English page shows
    ("述职评议 report and appraisal: 去掉一个最高分和一个最低分 trimmed mean of 7 judges, dropped 9.5 and 6.0",
     "7 位评委，去掉一个最高分（9.5）和一个最低分（6.0）后取平均", "trimmed mean of 7 judges, dropped 9.5 and 6.0"),
    ("述职评议 report and appraisal: 平均分 mean of 3 judges, z-score normalised per judge",
     "3 位评委的平均分，按评委标准化（z 分数）", "mean of 3 judges, z-score normalised per judge"),
    ("述职评议 report and appraisal: 暂无评委完整评分 no complete judge score yet", "暂无评委完整评分",
     "no complete judge score yet"),
    ("基础指标 basic indicators: 27 / 30", "27 / 30", "27 / 30"),
    ("重点任务 key tasks: 12.5 / 20 over 4 tasks; 随机点验 2 checked, 1 failed",
     "4 项任务 12.5 / 20 分；随机点验 2 项，未通过 1 项", "12.5 / 20 over 4 tasks; spot checks: 2, failed 1"),
    ("民主测评 peer vote: 得票率（占实到） share of ballots cast", "得票率（占实到人数）", "share of ballots cast"),
    ("民主测评 peer vote: 暂无计票 no tally yet", "暂无计票", "no tally yet"),
    ("业务工作 business performance: 暂无数据 no data yet", "暂无数据", "no data yet"),
    ("新规则 new rule 3", "新规则 3", "new rule 3"),
    ("", "", ""),
]


@pytest.mark.parametrize(("text", "zh", "en"), DETAILS)
def test_explanation_details_in_one_language(text, zh, en):
    assert i18n.detail(text, "zh") == zh
    assert i18n.detail(text, "en") == en


@pytest.mark.parametrize(("code", "zh", "en"), [
    ("", "", ""), ("tie 并列", "并列", "tie"),
    ("report", "综合得分相同，按“述职评议”排序", "equal composite; ordered by Report and appraisal")])
def test_tie_breaks_in_one_language(code, zh, en):
    assert (i18n.tie_break(code, "zh"), i18n.tie_break(code, "en")) == (zh, en)


def test_a_nominee_that_is_its_own_unit_is_shown_once():
    organ = {"_id": "n1", "nominee_name": "市财政局", "unit_name": "市财政局", "category_id": "organ", "rank": 1}
    member = {"_id": "n2", "nominee_name": "李明", "unit_name": "市财政局", "category_id": "organ", "rank": 2}
    assert data.nominee_label(organ) == "市财政局" and data.nominee_label(member) == "李明 — 市财政局"
    rows = data.leaderboard_rows([organ, member], "zh")
    assert [r["所在单位"] for r in rows] == ["", "市财政局"]


@pytest.mark.parametrize(("doc", "zh", "en"), [
    ({"frozen_from": "决赛", "rounds": ["初赛", "复赛"]}, "决赛", "决赛"),  # a name already
    ({"frozen_from": "r2", "rounds": ["初赛"], "rows": [{"rounds": [{"round_id": "r2", "name": "复赛"}]}]},
     "复赛", "复赛"),  # a visible round's id
    ({"frozen_from": "rd7f3a9", "rounds": ["初赛", "复赛"], "rows": []}, "第 3 轮", "round 3"),  # a hidden round
    ({"frozen_from": None, "rounds": []}, "", ""),
])
def test_the_frozen_round_is_named_never_by_its_id(doc, zh, en):
    assert (data.frozen_round(doc, "zh"), data.frozen_round(doc, "en")) == (zh, en)
    assert data.arena_view({**doc, "frozen": True}, "zh")["frozen_round"] == zh


def test_turnout_grouped_by_parent_then_highest_first():
    rnd = {"turnout_by_unit": {"u1": 0.5, "u2": 0.9, "u3": 0.7, "u4": 0.2}}
    names = {"u1": "财政局", "u2": "教育局", "u3": "卫健委", "u4": "档案馆", "g1": "经济口", "g2": "社会口"}
    rows = data.turnout_by_unit(rnd, names, {"u1": "g1", "u2": "g2", "u3": "g1"}, other="其他单位")
    assert [(r["parent"], r["unit"]) for r in rows] == [("社会口", "教育局"), ("经济口", "卫健委"),
                                                         ("经济口", "财政局"), ("其他单位", "档案馆")]
