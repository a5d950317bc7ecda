"""The arena and indicator tabs' pure shaping: what the forms send, and what they refuse before sending."""
from __future__ import annotations

import pytest

from dashboard.views.organiser.arenas import arena_body, board_rows
from dashboard.views.organiser.indicators import entry_body, overview
from dashboard.views.organiser.text import t

NOMS = {"n1": "市审计局", "n2": "市档案馆"}


def rnd(name="现场陈述", top=10.0, step=0.5):
    return {t("ar.round.name"): name, t("ar.round.max"): top, t("ar.round.step"): step}


class TestArenaBody:
    def test_contestants_by_name_in_order_then_the_others(self):
        body = arena_body(" 擂台赛 ", "", ["n2", "n1"], NOMS, "个人选手甲\n\n", [rnd()], ["j1"], 0.7)
        assert body == {"name": "擂台赛", "judge_ids": ["j1"], "live_weight": 0.7,
                        "rounds": [{"name": "现场陈述", "max_points": 10.0, "step": 0.5}],
                        "contestants": [{"name": "市档案馆", "nomination_id": "n2"},
                                        {"name": "市审计局", "nomination_id": "n1"}, {"name": "个人选手甲"}]}

    @pytest.mark.parametrize("args,field", [
        (("", "", ["n1", "n2"], NOMS, "", [rnd()], ["j1"], 1.0), "name"),
        (("x", "", ["n1"], NOMS, "", [rnd()], ["j1"], 1.0), "contestants"),
        (("x", "", ["n1", "n2"], NOMS, "", [rnd(top=float("nan"))], ["j1"], 1.0), "rounds"),
        (("x", "", ["n1", "n2"], NOMS, "", [], ["j1"], 1.0), "rounds"),
        (("x", "", ["n1", "n2"], NOMS, "", [rnd()], [], 1.0), "judge_ids"),
    ])
    def test_what_is_missing_is_named(self, args, field):
        got = arena_body(*args)
        assert isinstance(got, tuple) and got[0] == field and got[1]

    def test_the_board_ranked_with_the_visible_rounds(self):
        board = {"live_weight": 1.0, "rows": [
            {"name": "乙", "order": 2, "rank": None, "rounds": [], "live_total": None, "final": None},
            {"name": "甲", "order": 1, "rank": 1, "rounds": [{"name": "现场陈述", "score": 9.5}], "live_total": 9.5,
             "final": 95.0}]}
        rows = board_rows(board)
        assert [r[t("ar.col.contestant")] for r in rows] == ["甲", "乙"] and rows[0]["现场陈述"] == 9.5


def items(*rows):
    return [{t("in.col.item"): n, t("in.col.points"): p, t("in.col.max"): m} for n, p, m in rows]


class TestEntryBody:
    def test_items_add_up_and_tasks_keep_their_ids(self):
        body = entry_body({"basic": items(("组织建设", 4, 5), ("党员教育", 4.5, 5)), "business": [],
                           "key_tasks": items(("审计整改督办", 8, 10), ("新任务", 5, 10))},
                          [{"task_id": "t7", "name": "审计整改督办", "points": 1, "max_points": 10}])
        assert body["basic"]["points"] == 8.5 and body["basic"]["max_points"] == 10 and "business" not in body
        assert [(x["task_id"], x["name"]) for x in body["key_tasks"]] == [("t7", "审计整改督办"), ("t2", "新任务")]

    def test_bad_items_and_nothing_are_refused_naming_the_part(self):
        assert entry_body({"basic": items(("组织建设", 6, 5)), "business": [], "key_tasks": []}, [])[0] == "basic"
        assert entry_body({"basic": [], "business": items(("", 1, 5)), "key_tasks": []}, [])[0] == "business"
        assert entry_body({"basic": [], "business": [], "key_tasks": []}, [])[0] == "basic"

    def test_overview(self):
        row = overview([{"nomination_id": "n1", "nominee_name": "市审计局", "basic": {"points": 8.5, "max_points": 10},
                         "business": None, "key_tasks": [{"points": 8, "max_points": 10}, {"points": 9,
                                                                                           "max_points": 10}]}])[0]
        assert (row[t("in.col.basic")], row[t("in.col.business")], row[t("in.col.tasks")]) == ("8.5 / 10", "—",
                                                                                             "17 / 20")
