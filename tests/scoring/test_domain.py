"""Table tests of the scoring rules: recusal, score validation, aggregation, composite, tie-breaks, assignment,
arena."""
from __future__ import annotations

import pytest

from services.scoring import domain as d

# 市委 (root) -> 市直机关工委 -> 市发改委 -> 发改委第一党支部
#                              -> 市财政局 -> 财政局第一党支部
PARENTS = {"root": None, "gw": "root", "fgw": "gw", "fgw-b1": "fgw", "czj": "gw", "czj-b1": "czj"}


def judge(unit="fgw", member=None, branch=None):
    return d.JudgeFacts("j1", unit, member, branch)


def nominee(kind="organ", nominee_id="czj", unit="czj", submitting=None):
    return d.NomineeFacts("n1", kind, nominee_id, unit, submitting)


@pytest.mark.parametrize("j, n, expected", [
    # the judge is the nominee
    (judge("czj-b1", member="m1", branch="czj-b1"), nominee("member", "m1", "czj-b1"), "self"),
    # a member of the judge's own branch
    (judge("fgw", member="m9", branch="fgw-b1"), nominee("member", "m2", "fgw-b1"), "same_branch"),
    (judge("fgw-b1"), nominee("member", "m2", "fgw-b1"), "same_branch"),
    # the judge's own unit, as the nominee or as the nominee's unit
    (judge("fgw"), nominee("organ", "fgw", "fgw"), "own_unit"),
    (judge("fgw"), nominee("team", "t1", "fgw"), "own_unit"),
    (judge("fgw"), nominee("member", "m3", "czj-b1", submitting="fgw"), "own_unit"),
    # a unit in the judge's subtree
    (judge("fgw"), nominee("branch", "fgw-b1", "fgw-b1"), "subordinate_unit"),
    (judge("gw"), nominee("organ", "czj", "czj"), "subordinate_unit"),
    (judge("root"), nominee("member", "m4", "czj-b1"), "subordinate_unit"),
    # a unit in the judge's chain of superiors
    (judge("fgw-b1"), nominee("organ", "gw", "gw"), "superior_unit"),
    (judge("fgw-b1"), nominee("organ", "root", "root"), "superior_unit"),
    # no conflict: a sibling or a cousin unit
    (judge("fgw"), nominee("organ", "czj", "czj"), None),
    (judge("fgw-b1"), nominee("branch", "czj-b1", "czj-b1"), None),
    (judge("fgw", member="m9", branch="fgw-b1"), nominee("member", "m5", "czj-b1"), None),
])
def test_recusal_rules(j, n, expected):
    assert d.conflict_rule(j, n, PARENTS) == expected
    if expected:
        assert expected in d.RECUSAL_RULES


def test_ancestors_survive_a_cycle():
    assert d.ancestors({"a": "b", "b": "a"}, "a") == ["b"]
    assert d.ancestors(PARENTS, "fgw-b1") == ["fgw", "gw", "root"]
    assert d.ancestors(PARENTS, "unknown") == []


@pytest.mark.parametrize("value, maximum, step, problem", [
    (10, 20, 0.5, None),
    (0, 20, 0.5, None),
    (20, 20, 0.5, None),
    (19.5, 20, 0.5, None),
    (19.25, 20, 0.5, "must be a multiple of 0.5"),
    (20.5, 20, 0.5, "must be between 0 and 20"),
    (-1, 20, 0.5, "must be between 0 and 20"),
    (7, 10, 1, None),
    (7.5, 10, 1, "must be a multiple of 1"),
    (0.3, 1, 0.1, None),
    (float("nan"), 10, 1, "must be a number"),
])
def test_score_validation(value, maximum, step, problem):
    assert d.score_problem(value, maximum, step) == problem


@pytest.mark.parametrize("values, threshold, expected, dropped", [
    ([], 5, None, []),
    ([80], 5, 80, []),
    ([70, 80, 90, 100], 5, 85, []),  # below the threshold: plain mean
    ([60, 80, 85, 90, 100], 5, 85, [60, 100]),  # at the threshold: trimmed
    ([60, 80, 85, 90, 100], 6, 83, []),  # threshold configurable
    ([50, 80, 100], 3, 80, [50, 100]),
    ([50, 80], 2, 65, []),  # never trims below three values
    ([90, 90, 90, 90, 90], 5, 90, [90, 90]),
])
def test_trimmed_mean(values, threshold, expected, dropped):
    value, out = d.trimmed_mean(values, threshold)
    assert value == (pytest.approx(expected) if expected is not None else None)
    assert out == dropped


def test_plain_mean():
    assert d.mean([]) is None
    assert d.mean([1, 2, 3, 6]) == 3


def test_zscore_puts_a_severe_and_a_lenient_judge_on_one_scale():
    sheets = {"severe": {"a": 60, "b": 70}, "lenient": {"a": 90, "b": 100}}
    adjusted = d.zscore_adjust(sheets)
    assert adjusted["severe"]["a"] == pytest.approx(adjusted["lenient"]["a"])
    assert adjusted["severe"]["b"] == pytest.approx(adjusted["lenient"]["b"])
    assert adjusted["severe"]["b"] > adjusted["severe"]["a"]
    # a judge with one nominee (no spread) contributes the grand mean
    single = d.zscore_adjust({"j": {"a": 40}, "k": {"a": 80, "b": 100}})
    assert single["j"]["a"] == pytest.approx((40 + 80 + 100) / 3)
    assert d.zscore_adjust({}) == {}


@pytest.mark.parametrize("rule, expected_a, detail", [
    (d.ReportRule("trimmed_mean", 5, False), 85.0, "trimmed mean"),
    (d.ReportRule("trimmed_mean", 6, False), 83.0, "mean"),
    (d.ReportRule("mean", 3, False), 83.0, "mean"),
])
def test_report_component_rules(rule, expected_a, detail):
    sheets = {f"j{i}": {"a": v} for i, v in enumerate([60, 80, 85, 90, 100])}
    out = d.report_component(sheets, 100, rule, ["a", "b"])
    assert out["a"].raw == pytest.approx(expected_a)
    assert out["a"].normalised == pytest.approx(expected_a)
    assert detail in out["a"].detail
    assert out["b"].raw is None and out["b"].normalised == 0


def test_report_component_with_zscore_and_a_partial_scale():
    sheets = {"j1": {"a": 30, "b": 40}, "j2": {"a": 45, "b": 50}}
    out = d.report_component(sheets, 50, d.ReportRule("mean", 5, True), ["a", "b"])
    assert out["b"].raw > out["a"].raw
    assert "z-score" in out["a"].detail
    assert 0 <= out["a"].normalised <= 100


@pytest.mark.parametrize("points, maximum, raw, normalised", [
    (18, 20, 18, 90.0),
    (0, 20, 0, 0.0),
    (25, 20, 25, 100.0),  # clamped
    (None, 20, None, 0.0),
])
def test_points_component(points, maximum, raw, normalised):
    v = d.points_component(points, maximum)
    assert v.raw == raw and v.normalised == normalised


TASKS = [d.KeyTask("t1", "乡村振兴", 10, 10), d.KeyTask("t2", "营商环境", 8, 10), d.KeyTask("t3", "安全生产", 6, 10)]


@pytest.mark.parametrize("spot, raw, note", [
    ({}, 24, ""),
    ({"t1": d.SpotResult(True)}, 24, "1 checked, 0 failed"),
    ({"t1": d.SpotResult(False, 4)}, 18, "1 checked, 1 failed"),
    ({"t2": d.SpotResult(False)}, 16, "1 checked, 1 failed"),
    ({"t3": d.SpotResult(False, 9)}, 24, "1 checked, 1 failed"),  # verified never exceeds the claim
])
def test_key_tasks_with_spot_checks(spot, raw, note):
    v = d.key_tasks_component(TASKS, spot)
    assert v.raw == raw
    assert v.normalised == pytest.approx(raw / 30 * 100, abs=1e-3)
    assert note in v.detail
    assert d.key_tasks_component([], {}).raw is None


@pytest.mark.parametrize("share, basis, normalised", [
    (0.8, "share_of_cast", 80.0),
    (0.5, "share_of_eligible", 50.0),
    (None, "share_of_cast", 0.0),
])
def test_vote_component(share, basis, normalised):
    assert d.vote_component(share, basis).normalised == normalised


@pytest.mark.parametrize("share, round_name, detail", [
    (0.8, "民主测评", "得票率（占实到） share of ballots cast; 测评轮次 round: 民主测评"),
    (0.8, None, "得票率（占实到） share of ballots cast"),
    (None, "复评", "暂无计票 no tally yet; 测评轮次 round: 复评"),
])
def test_vote_component_names_its_round(share, round_name, detail):
    assert d.vote_component(share, "share_of_cast", round_name).detail == detail


@pytest.mark.parametrize("values, ranks", [
    ({"a": 0.9, "b": 0.8, "c": 0.7}, {"a": 1, "b": 2, "c": 3}),
    ({"a": 0.9, "b": 0.9, "c": 0.7}, {"a": 1, "b": 1, "c": 3}),
    ({}, {}),
])
def test_competition_ranks(values, ranks):
    assert d.competition_ranks(values) == ranks


@pytest.mark.parametrize("now, before, unit, raw, normalised, words", [
    # moved from last to first of four: +3 places, the whole span
    ({"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}, {"a": 0.1, "b": 0.8, "c": 0.7, "d": 0.9}, "a", 3.0, 100.0,
     "rank 1 of 4 this year against 4 of 4 in p-2025 (+3)"),
    # from first to last: -3, 0
    ({"a": 0.1, "b": 0.8, "c": 0.7, "d": 0.6}, {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}, "a", -3.0, 0.0,
     "rank 4 of 4 this year against 1 of 4 in p-2025 (-3)"),
    # the same rank: no change, 50
    ({"a": 0.5, "b": 0.4}, {"a": 0.9, "b": 0.1}, "a", 0.0, 50.0, "rank 1 of 2 this year against 1 of 2"),
    # one place up in a list of five: 50 + 50 / 4
    ({"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6, "e": 0.5}, {"b": 0.9, "a": 0.8, "c": 0.7, "d": 0.6, "e": 0.5}, "a",
     1.0, 62.5, "(+1)"),
    # not ranked in the baseline: neutral, and it says so
    ({"a": 0.9, "new": 0.95}, {"a": 0.9}, "new", None, 50.0, "not ranked in p-2025, counted as no change"),
    # a tie shares the rank
    ({"a": 0.8, "b": 0.8, "c": 0.1}, {"a": 0.1, "b": 0.5, "c": 0.9}, "b", 1.0, 75.0,
     "rank 1 of 3 this year against 2 of 3"),
])
def test_business_progress(now, before, unit, raw, normalised, words):
    got = d.business_progress(now, before, "p-2025")[unit]
    assert (got.raw, got.normalised) == (raw, normalised) and words in got.detail
    assert set(d.business_progress(now, before, "p-2025")) == set(now)


def test_spot_check_draw_is_reproducible_and_seeded():
    keys = [d.candidate_id(f"n{i}", f"t{j}") for i in range(6) for j in range(3)]

    def picks(ids, category, seed, size):
        return sorted(t.candidate_id for t in d.draw_tickets(seed, "p", category, ids, size))

    a = picks(keys, "c", "2026", 5)
    assert a == picks(reversed(keys), "c", "2026", 5)
    assert len(a) == 5 and set(a) <= set(keys)
    assert a != picks(keys, "c", "other-seed", 5)
    assert a != picks(keys, "other-category", "2026", 5)
    assert len(picks(keys[:2], "c", "s", 5)) == 2


def test_composite_explains_every_component():
    values = {"basic": d.ComponentValue(18, 90), "report": d.ComponentValue(85, 85),
              "peer_vote": d.ComponentValue(0.6, 60)}
    weights = {"basic": 0.2, "key_tasks": 0.2, "business": 0.1, "report": 0.3, "peer_vote": 0.2}
    total, explanations = d.composite(values, weights)
    assert total == pytest.approx(0.2 * 90 + 0.3 * 85 + 0.2 * 60)
    by = {e.component: e for e in explanations}
    assert set(by) == set(weights)
    assert by["report"].contribution == pytest.approx(25.5) and by["report"].raw == 85
    assert by["key_tasks"].raw is None and by["key_tasks"].contribution == 0
    assert sum(e.contribution for e in explanations) == pytest.approx(total)
    # weights that do not sum to one are used relative to their total
    total2, _ = d.composite({"report": d.ComponentValue(80, 80), "basic": d.ComponentValue(10, 40)},
                            {"report": 3, "basic": 1})
    assert total2 == pytest.approx(70)


def row(nid, comp, report=0.0, vote=0.0, basic=0.0):
    exps = [d.Explanation("report", report, report, 1, 0, ""), d.Explanation("peer_vote", vote, vote, 1, 0, ""),
            d.Explanation("basic", basic, basic, 1, 0, "")]
    return d.Row(nid, nid, comp, exps)


@pytest.mark.parametrize("rows, tie_breaks, order, ranks, tie", [
    # composite decides
    ([row("a", 70), row("b", 80)], ["report"], ["b", "a"], [1, 2], ["", ""]),
    # equal composite: higher report first
    ([row("a", 80, report=70, vote=90), row("b", 80, report=75, vote=50)], ["report", "peer_vote"],
     ["b", "a"], [1, 2], ["", "report"]),
    # equal composite and report: higher vote share first
    ([row("a", 80, report=75, vote=90), row("b", 80, report=75, vote=50)], ["report", "peer_vote"],
     ["a", "b"], [1, 2], ["", "peer_vote"]),
    # the order of tie-breaks is configurable
    ([row("a", 80, report=70, vote=90), row("b", 80, report=75, vote=50)], ["peer_vote", "report"],
     ["a", "b"], [1, 2], ["", "peer_vote"]),
    # another component as tie-break
    ([row("a", 80, basic=10), row("b", 80, basic=20)], ["basic"], ["b", "a"], [1, 2], ["", "basic"]),
    # still equal after every tie-break: shared rank, next rank skips
    ([row("a", 80, 75, 50), row("b", 80, 75, 50), row("c", 60)], ["report", "peer_vote"],
     ["a", "b", "c"], [1, 1, 3], ["", "tie 并列", ""]),
    # no tie-breaks configured: equal composites share the rank
    ([row("a", 80, report=70), row("b", 80, report=75)], [], ["a", "b"], [1, 1], ["", "tie 并列"]),
])
def test_tie_breaks(rows, tie_breaks, order, ranks, tie):
    ranked = d.rank_rows(rows, tie_breaks)
    assert [r.nomination_id for r in ranked] == order
    assert [r.rank for r in ranked] == ranks
    assert [r.tie_break for r in ranked] == tie


@pytest.mark.parametrize("now, first, last, expected", [
    (10.0, 10.0, 10.0, 0.2),  # just changed: wait for quiet
    (10.2, 10.0, 10.0, 0.0),  # quiet long enough
    (10.5, 10.0, 10.45, 0.15),  # a later change pushes it back
    (11.0, 10.0, 10.95, 0.0),  # but never beyond max wait
])
def test_debounce(now, first, last, expected):
    assert d.recompute_due(now, first, last, quiet=0.2, max_wait=1.0) == pytest.approx(expected)


def test_auto_assign_even_loads_and_k_judges():
    noms = [f"n{i}" for i in range(10)]
    judges = [f"j{i}" for i in range(7)]
    plan = d.auto_assign(noms, judges, {}, {}, 3)
    per = {n: {j for nn, j in plan.new if nn == n} for n in noms}
    assert all(len(v) == 3 for v in per.values())
    assert max(plan.loads.values()) - min(plan.loads.values()) <= 1
    assert not plan.shortfalls


def test_auto_assign_respects_conflicts_existing_and_reports_shortfalls():
    excluded = {"n0": {"j0", "j1"}, "n1": {"j0", "j1", "j2"}}
    existing = {"n2": {"j2"}}
    plan = d.auto_assign(["n0", "n1", "n2"], ["j0", "j1", "j2"], existing, excluded, 2)
    assert ("n0", "j2") in plan.new and not any(n == "n0" and j in {"j0", "j1"} for n, j in plan.new)
    assert not any(n == "n1" for n, _ in plan.new)
    assert plan.shortfalls == {"n0": 1, "n1": 2}
    assert sum(1 for n, _ in plan.new if n == "n2") == 1 and ("n2", "j2") not in plan.new


def test_auto_assign_rebalances_around_conflicts():
    # the first four judges each conflict with one nominee; greedy alone would overload the early judges
    excluded = {"n1": {"j-a"}, "n2": {"j-b"}, "n3": {"j-c"}, "n4": {"j-d"}}
    judges = ["j-a", "j-b", "j-c", "j-d", "j-e", "j-f"]
    plan = d.auto_assign(["n1", "n2", "n3", "n4"], judges, {}, excluded, 3)
    assert max(plan.loads.values()) - min(plan.loads.values()) <= 1
    assert not any(j in excluded[n] for n, j in plan.new)
    assert all(sum(1 for n, _ in plan.new if n == nom) == 3 for nom in excluded)
    assert len(set(plan.new)) == len(plan.new)


def test_suggest_replacement():
    assert d.suggest_replacement(["a", "b", "c"], {"a"}, {"b"}, {"c": 4}) == "c"
    assert d.suggest_replacement(["a", "b", "c"], {"a"}, set(), {"b": 3, "c": 1}) == "c"
    assert d.suggest_replacement(["a"], {"a"}, set(), {}) is None


ROUNDS = [d.ArenaRound("r1", "必答题", 10), d.ArenaRound("r2", "抢答题", 10), d.ArenaRound("r3", "风采展示", 20)]
CONTESTANTS = [d.Contestant("c1", "甲队", 1, prior=80), d.Contestant("c2", "乙队", 2), d.Contestant("c3", "丙队", 3)]
SCORES = {("r1", "c1"): {"j1": 8, "j2": 9}, ("r1", "c2"): {"j1": 9, "j2": 9}, ("r2", "c1"): {"j1": 6},
          ("r3", "c1"): {"j1": 20}, ("r3", "c2"): {"j1": 2}}


def test_arena_board_and_blend():
    rounds, rows = d.arena_board(ROUNDS, CONTESTANTS, SCORES, frozen_from=None, live_weight=0.5, min_judges_to_trim=5)
    assert rounds == ["必答题", "抢答题", "风采展示"]
    by = {r["contestant_id"]: r for r in rows}
    assert by["c1"]["live_total"] == 34.5 and by["c1"]["live_normalised"] == 86.25
    assert by["c1"]["final"] == pytest.approx(0.5 * 86.25 + 0.5 * 80)
    assert by["c2"]["live_total"] == 11 and by["c2"]["final"] == pytest.approx(11 / 40 * 100, abs=1e-3)
    assert by["c3"]["final"] is None and by["c3"]["rank"] is None
    assert [r["contestant_id"] for r in rows] == ["c1", "c2", "c3"]


def test_frozen_board_shows_earlier_rounds_only():
    rounds, rows = d.arena_board(ROUNDS, CONTESTANTS, SCORES, frozen_from="r3", live_weight=1.0, min_judges_to_trim=5)
    assert rounds == ["必答题", "抢答题"]
    by = {r["contestant_id"]: r for r in rows}
    assert [c["round_id"] for c in by["c1"]["rounds"]] == ["r1", "r2"]
    assert by["c1"]["live_total"] == 14.5 and by["c2"]["live_total"] == 9
    assert by["c1"]["live_normalised"] == 72.5 and by["c2"]["live_normalised"] == 45
    assert by["c1"]["rank"] == 1 and by["c2"]["rank"] == 2


@pytest.mark.parametrize("live, prior, w, expected", [
    (80, 60, 0.5, 70), (80, None, 0.5, 80), (None, 60, 0.5, None), (80, 60, 1.0, 80), (80, 60, 0.3, 66),
])
def test_blend(live, prior, w, expected):
    assert d.blend(live, prior, w) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("nominees, expected", [(0, 1.0), (12, 1.0), (200, 1.0), (500, 2.5), (2000, 10.0)])
def test_a_large_category_under_a_stream_of_changes_refreshes_less_often(nominees, expected):
    assert d.max_wait_for(nominees, max_wait=1.0, nominees_per_second=200) == pytest.approx(expected)
    # still right after a quiet moment, whatever its size
    assert d.recompute_due(10.2, 10.0, 10.0, quiet=0.2, max_wait=d.max_wait_for(nominees, 1.0, 200)) == 0.0
