"""The judges' page shaping, without Streamlit: progress counts, the assignment list, refusals in words naming the
field as the form shows it, the arena link carrying the session."""
from __future__ import annotations

import pytest

from dashboard import i18n
from dashboard.views import judge

CRITERIA = [{"criterion_id": "c1", "name": "政治建设", "max_points": 20, "step": 0.5},
            {"criterion_id": "c2", "name": "服务群众", "max_points": 10, "step": 1}]


def assignment(nid: str, scores: dict | None = None, recused: bool = False) -> dict:
    return {"nomination_id": nid, "nominee_name": f"单位{nid}", "unit_name": "市财政局", "category_name": "模范机关",
            "criteria": CRITERIA, "scores": {k: {"score": v, "revision": 1} for k, v in (scores or {}).items()},
            "recused": recused, "reason": "本人申报回避：亲属" if recused else None}


def test_progress_counts_scored_to_score_and_recused():
    items = [assignment("n1", {"c1": 18, "c2": 9}), assignment("n2", {"c1": 12}), assignment("n3"),
             assignment("n4", recused=True)]
    assert [judge.state_of(a) for a in items] == ["scored", "to_score", "to_score", "recused"]
    assert judge.progress(items) == {"scored": 1, "to_score": 2, "recused": 1}
    rows = judge.rows(items, "zh")
    assert rows[0] == {"参评对象": "单位n1", "所在单位": "市财政局", "状态": "已评分", "我的总分": "27.0"}
    assert rows[2]["我的总分"] == "—" and rows[3]["状态"] == "已回避"
    assert judge.rows(items, "en")[1]["State"] == "To score"


def test_the_list_drops_columns_that_tell_nothing_apart():
    own = [assignment("n1") | {"nominee_name": "市财政局"}, assignment("n2") | {"nominee_name": "市财政局"}]
    assert list(judge.rows(own, "zh")[0]) == ["参评对象", "状态", "我的总分"]
    two = [assignment("n1"), assignment("n2") | {"category_name": "先锋红旗党支部"}]
    assert list(judge.rows(two, "en")[1]) == ["Nominee", "Unit", "Category", "State", "My total"]


@pytest.mark.parametrize("err, zh, en", [
    ({"code": "invalid", "field": "scores.c1", "message": "score for 政治建设 (c1) must be between 0 and 20"},
     "未能保存（政治建设）：应在 0–20 分之间，且为 0.5 的整数倍", "Not saved (政治建设): must be from 0 to 20, in "
                                           "steps of 0.5"),
    ({"code": "invalid", "field": "reason", "message": "reason: String should have at least 2 characters"},
     "未能保存（回避理由）：请填写 2–500 个字的理由", "Not saved (Reason): give a reason of 2 to 500 characters"),
    ({"code": "conflict", "field": "nomination_id", "message": "you are already recused from nomination n1"},
     "未能保存（参评对象）：您已对该参评对象申报过回避", None),
    ({"code": "forbidden", "field": "nomination_id", "message": "judge j1 is recused from nomination n1: x"},
     "未能保存（参评对象）：您已回避该参评对象，不能评分", None),
    ({"code": "stage_closed", "field": "stage", "message": "the judging stage is closed"},
     "未能保存（评审阶段）：评审打分阶段未开放", "Not saved (Judging stage): the judging stage is not open"),
    ({"code": "closed", "field": "panel_id", "message": "panel p is locked"}, "未能保存（评审组）：评审组已锁定", None),
    ({"code": "unreachable", "field": "", "message": "ConnectError"},
     "未能保存（评分）：评审服务暂时无法访问，请稍后再试", None),
])
def test_a_refusal_is_worded_naming_the_field(err, zh, en):
    criteria = {c["criterion_id"]: c for c in CRITERIA}
    assert judge.refusal(err, criteria, "zh") == zh
    if en:
        assert judge.refusal(err, criteria, "en") == en


def test_an_unknown_refusal_names_its_code_and_the_field_never_the_service_words():
    text = judge.refusal({"code": "weird", "field": "category_id", "message": "something new"}, {}, "zh")
    assert text == "未能保存（评选类别）：未被接受（weird）。"


def test_an_empty_criterion_is_named():
    assert judge.missing_score({"c1": 3.0, "c2": None}, CRITERIA) == "服务群众"
    assert judge.missing_score({"c1": 3.0, "c2": 1.0}, CRITERIA) is None


def test_the_arena_link_carries_the_session_in_the_fragment_only():
    url = judge.arena_judge_url("http://127.0.0.1:8103/", "arena 1", "a.b.c")
    assert url == "http://127.0.0.1:8103/arena/arena%201/judge#token=a.b.c"


def test_every_text_has_both_languages():
    texts = {k: v for k, v in i18n.STRINGS.items() if k.startswith("jd.")}
    assert len(texts) > 30
    for key, (zh, en) in texts.items():
        assert zh and en and zh != en or key.startswith("jd.col"), key


def test_file_sizes_read_as_people_say_them():
    assert [judge.file_size(n) for n in (24, 2048, 5 * 1024 * 1024)] == ["24 B", "2 KB", "5.0 MB"]
