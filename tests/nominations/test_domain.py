"""Table tests of the pure rules: programme validation messages, versioning, imports, eligibility, review."""
from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from services.nominations import domain as d
from services.nominations.criteria_templates import load_templates
from shared.errors import Conflict, Forbidden, Invalid, NotFound

TEMPLATES = load_templates()
W = {"basic": 0.3, "key_tasks": 0.2, "business": 0.2, "report": 0.15, "peer_vote": 0.15}


def programme(**over) -> dict:
    p = {"programme_id": "p1", "name": "2026年度评选", "year": 2026, "categories": [{
        "category_id": "organ", "name": "模范机关", "nominee_kind": "organ", "board": "model_organ", "quota": 3,
        "competitive_ratio": 1.2, "unit_limit": 1, "criteria_template": "wuqiang_wudaitou", "weights": dict(W)}],
        "stages": [{"stage": "nomination", "opens_at": "2026-03-01T09:00", "closes_at": "2026-03-31T17:00"},
                   {"stage": "review", "opens_at": "2026-04-01", "closes_at": "2026-04-10"}]}
    p.update(over)
    return p


def cat(**over) -> dict:
    p = programme()
    p["categories"][0].update(over)
    return p


def test_templates_are_shipped():
    assert set(TEMPLATES) == {"wuqiang_wudaitou", "siqiang", "sihao"}
    assert [len(TEMPLATES[t]["criteria"]) for t in ("wuqiang_wudaitou", "siqiang", "sihao")] == [5, 4, 4]
    for t in TEMPLATES.values():
        assert sum(c["max_points"] for c in t["criteria"]) == 100


def test_a_valid_programme_normalises():
    out, problems = d.normalise_programme(programme(), TEMPLATES)
    assert problems == []
    c = out["categories"][0]
    assert [x["criterion_id"] for x in c["criteria"]][0] == "political"
    assert out["stages"][0]["opens_at"] == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    assert out["stages"][1]["opens_at"] == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # a bare date: midnight


def _without_weight(key):
    w = dict(W)
    w.pop(key)
    return w


@pytest.mark.parametrize("raw, field, words", [
    (cat(weights=dict(W, basic=0.2)), "categories[0].weights", "sum to 0.9"),
    (cat(weights=_without_weight("peer_vote")), "categories[0].weights", "sum to 0.85"),
    (cat(weights=dict(W, charisma=0.1)), "categories[0].weights.charisma", "unknown component"),
    (cat(weights=dict(W, basic=-0.1)), "categories[0].weights.basic", "from 0 to 1"),
    (cat(weights="equal"), "categories[0].weights", "is required"),
    (cat(quota=0), "categories[0].quota", "positive"),
    (cat(quota=-2), "categories[0].quota", "positive"),
    (cat(quota=1.5), "categories[0].quota", "positive"),
    (cat(competitive_ratio=0.8), "categories[0].competitive_ratio", "1.0 to 5.0"),
    (cat(unit_limit=0), "categories[0].unit_limit", "positive"),
    (cat(nominee_kind="person"), "categories[0].nominee_kind", "one of"),
    (cat(board="best"), "categories[0].board", "one of"),
    (cat(category_id=""), "categories[0].category_id", "required"),
    (cat(name=" "), "categories[0].name", "required"),
    (cat(criteria_template="bazhong"), "categories[0].criteria_template", "unknown criteria template"),
    (cat(criteria_template=None, criteria=[]), "categories[0].criteria", "at least one criterion"),
    (cat(criteria_template=None, criteria=[{"criterion_id": "a", "name": "A", "max_points": 0}]),
     "categories[0].criteria[0].max_points", "positive"),
    (cat(criteria_template=None, criteria=[{"criterion_id": "a", "name": "A", "max_points": 5},
                                           {"criterion_id": "a", "name": "B", "max_points": 5}]),
     "categories[0].criteria[1].criterion_id", "duplicate"),
    (cat(criteria_template=None, criteria=[{"criterion_id": "a", "name": "", "max_points": 5}]),
     "categories[0].criteria[0].name", "required"),
    (programme(categories=[]), "categories", "at least one category"),
    (programme(categories=programme()["categories"] * 2), "categories[1].category_id", "duplicate"),
    (programme(name=""), "name", "required"),
    (programme(year=26), "year", "between 2000 and 2100"),
    (programme(programme_id="has space"), "programme_id", "letters"),
    (programme(stages=[{"stage": "nomination", "opens_at": "2026-03-31", "closes_at": "2026-03-01"}]),
     "stages[0].closes_at", "after opens_at"),
    (programme(stages=[{"stage": "review", "opens_at": "2026-03-01", "closes_at": "2026-03-10"},
                       {"stage": "nomination", "opens_at": "2026-03-05", "closes_at": "2026-03-20"}]),
     "stages[0].opens_at", "out of order"),
    (programme(stages=[{"stage": "nomination", "opens_at": "soon", "closes_at": "2026-03-01"}]),
     "stages[0].opens_at", "date"),
    (programme(stages=[{"stage": "party", "opens_at": "2026-03-01", "closes_at": "2026-03-02"}]),
     "stages[0].stage", "one of"),
    (programme(stages=[{"stage": "nomination", "opens_at": "2026-03-01", "closes_at": "2026-03-02"}] * 2),
     "stages[1].stage", "twice"),
    ("just text", "", "mapping"),
])
def test_every_validation_message_names_its_field(raw, field, words):
    _, problems = d.normalise_programme(raw, TEMPLATES)
    assert problems, "expected a problem"
    assert problems[0].field == field, problems
    assert words in problems[0].message, problems[0].message


def test_weights_out_of_100_are_refused_but_a_whole_of_1_passes():
    _, problems = d.normalise_programme(cat(weights={"basic": 30, "key_tasks": 20, "business": 20, "report": 15,
                                                     "peer_vote": 15}), TEMPLATES)
    assert problems[0].field.startswith("categories[0].weights.")
    _, problems = d.normalise_programme(cat(weights={"basic": 0.5, "report": 0.5}), TEMPLATES)
    assert problems == []


def _norm(p):
    out, problems = d.normalise_programme(p, TEMPLATES)
    assert not problems
    return out


@pytest.mark.parametrize("change, voting_started, expected", [
    (lambda p: p, False, "unchanged"),
    (lambda p: p, True, "unchanged"),
    (lambda p: p["categories"][0].update(quota=5), False, "new_version"),
    (lambda p: p["categories"][0].update(quota=5), True, "new_version"),
    (lambda p: p["categories"][0].update(weights=dict(W, basic=0.2, key_tasks=0.3)), False, "new_version"),
    (lambda p: p["categories"][0].update(weights=dict(W, basic=0.2, key_tasks=0.3)), True, "refused"),
    (lambda p: p["categories"][0].update(criteria_template="siqiang"), False, "new_version"),
    (lambda p: p["categories"][0].update(criteria_template="siqiang"), True, "refused"),
    (lambda p: p.update(name="改名"), True, "new_version"),
])
def test_versioning(change, voting_started, expected):
    old = _norm(programme())
    raw = copy.deepcopy(programme())
    change(raw)
    result = d.change_decision(old, _norm(raw), voting_started)
    if expected == "refused":
        assert isinstance(result, d.Refusal) and result.kind == "conflict"
        assert result.field == "categories.organ" and "after voting has started" in result.message
    else:
        assert result == expected


UNIT_POS = {"unit_id": 0, "name": 1, "parent_id": 2, "kind": 3}


@pytest.mark.parametrize("rows, known, good, bad", [
    ([["a", "甲局", "", "organ"], ["a-1", "甲局办公室", "a", "department"]], {}, ["a", "a-1"], []),
    ([["a", "甲局", "", "机关"], ["a-b", "甲局第一党支部", "a", "党支部"]], {}, ["a", "a-b"], []),
    ([["a-b", "支部", "a", "branch"], ["a", "甲局", "", "organ"]], {}, ["a-b", "a"], []),  # parent later in file
    ([["x", "乙", "a", "branch"]], {"a": {"unit_id": "a"}}, ["x"], []),  # parent already imported
    ([["", "无编号", "", "organ"]], {}, [], [(2, "unit_id")]),
    ([["a b", "空格", "", "organ"]], {}, [], [(2, "unit_id")]),
    ([["a", "", "", "organ"]], {}, [], [(2, "name is required")]),
    ([["a", "甲", "", "club"]], {}, [], [(2, "kind 'club'")]),
    ([["a", "甲", "a", "organ"]], {}, [], [(2, "itself")]),
    ([["a", "甲", "", "organ"], ["a", "甲2", "", "organ"]], {}, ["a"], [(3, "repeats line 2")]),
    ([["a", "甲", "zz", "organ"]], {}, [], [(2, "parent_id zz")]),
    ([["a", "甲", "", "organ"], ["b", "", "a", "branch"], ["c", "丙", "b", "branch"]], {}, ["a"],
     [(3, "name"), (4, "parent_id b")]),  # the child of a bad row is bad too
    ([["a", "甲", "b", "organ"], ["b", "乙", "a", "organ"]], {}, [], [(2, "cycle"), (3, "cycle")]),
    ([["a", "甲", "", "organ"], ["", "", "", ""]], {}, ["a"], []),  # blank lines are skipped
])
def test_unit_rows(rows, known, good, bad):
    units, problems = d.parse_units(rows, UNIT_POS, known)
    assert [u["unit_id"] for u in units] == good
    assert [(p["line"]) for p in problems] == [b[0] for b in bad]
    for p, (_, words) in zip(problems, bad):
        assert words in p["reason"], p


@pytest.mark.parametrize("rows, good, bad", [
    ([["m1", "王伟", "a"]], ["m1"], []),
    ([["m1", "王伟", "zz"]], [], [(2, "unit_id 'zz'")]),
    ([["m1", "", "a"]], [], [(2, "name is required")]),
    ([["", "王伟", "a"]], [], [(2, "member_id")]),
    ([["m1", "王伟", "a"], ["m1", "李娜", "a"]], ["m1"], [(3, "repeats line 2")]),
    ([[1001.0, "王伟", "a"]], ["1001"], []),  # XLSX numbers become ids
])
def test_member_rows(rows, good, bad):
    members, problems = d.parse_members(rows, {"member_id": 0, "name": 1, "unit_id": 2}, {"a"})
    assert [m["member_id"] for m in members] == good
    assert [(p["line"]) for p in problems] == [b[0] for b in bad]
    for p, (_, words) in zip(problems, bad):
        assert words in p["reason"], p


@pytest.mark.parametrize("header, missing", [
    (["unit_id", "name", "parent_id", "kind"], None),
    (["单位编号", "单位名称", "上级单位编号", "单位类型"], None),
    (["unit_id", "name"], None),
    (["name", "kind"], "unit_id"),
])
def test_unit_headers(header, missing):
    _, problem = d.map_headers(header, d.UNIT_HEADERS)
    assert (problem is None) if missing is None else (missing in problem.message and problem.field == "file")


def test_changed_rows_and_chunks():
    existing = {"m1": {"member_id": "m1", "name": "王伟", "unit_id": "a"}}
    rows = [{"member_id": "m1", "name": "王伟", "unit_id": "a"}, {"member_id": "m2", "name": "李娜", "unit_id": "a"},
            {"member_id": "m1x", "name": "x", "unit_id": "a"}]
    assert [r["member_id"] for r in d.changed_rows(existing, rows, "member_id")] == ["m2", "m1x"]
    assert d.changed_rows(existing, [dict(rows[0], unit_id="b")], "member_id")[0]["unit_id"] == "b"
    assert [len(c) for c in d.chunks(list(range(2500)), 1000)] == [1000, 1000, 500]


def test_subtree_and_tree():
    parents = {"a": None, "a1": "a", "a1x": "a1", "b": None}
    assert d.subtree(parents, "a") == {"a", "a1", "a1x"}
    assert d.subtree(parents, "a1") == {"a1", "a1x"}
    assert d.subtree(parents, "nope") == set()
    tree = d.build_tree([{"unit_id": k, "parent_id": v} for k, v in parents.items()])
    assert [t["unit_id"] for t in tree] == ["a", "b"]
    assert tree[0]["children"][0]["children"][0]["unit_id"] == "a1x"


CATEGORY = {"category_id": "organ", "name": "模范机关", "nominee_kind": "organ", "unit_limit": 1, "quota": 3,
            "competitive_ratio": 1.2, "criteria": [{"criterion_id": "c1", "max_points": 20, "step": 0.5}]}
OK = d.Submission(stage_open=True, acting_unit="a", acting_subtree=frozenset({"a", "a1"}), submitting_unit="a",
                  category=CATEGORY, nominee_id="a", nominee_kind="organ", nominee_unit="a",
                  unit_active_in_category=0, nominee_already_active=False, veto=None)


def sub(**over) -> d.Submission:
    return d.Submission(**(OK.__dict__ | over))


@pytest.mark.parametrize("s, kind, field, words", [
    (OK, None, None, None),
    (sub(category=None), "not_found", "category_id", "does not exist"),
    (sub(stage_open=False), "closed", "stage", "not open"),
    (sub(acting_unit=None), "forbidden", "unit_id", "no unit_id"),
    (sub(submitting_unit="b"), "forbidden", "unit_id", "outside your unit's subtree"),
    (sub(nominee_kind=None, nominee_unit=None), "not_found", "nominee_id", "not in the organisation tree"),
    (sub(nominee_kind="branch"), "invalid", "nominee_id", "kind organ, not branch"),
    (sub(nominee_kind="member", nominee_unit="a1"), "invalid", "nominee_id", "kind organ, not member"),
    (sub(nominee_unit="b"), "forbidden", "nominee_id", "outside your unit's subtree"),
    (sub(veto="受到党纪处分"), "conflict", "nominee_id", "一票否决"),
    (sub(nominee_already_active=True), "conflict", "nominee_id", "already nominated"),
    (sub(unit_active_in_category=1), "conflict", "unit_id", "limit of 1"),
    (sub(unit_active_in_category=5, category=CATEGORY | {"unit_limit": None}), None, None, None),
])
def test_every_eligibility_rule(s, kind, field, words):
    r = d.check_submission(s)
    if kind is None:
        assert r is None
    else:
        assert (r.kind, r.field) == (kind, field) and words in r.message, r


@pytest.mark.parametrize("scores, field, words", [
    ({"c1": 18.5}, None, None),
    ({}, None, None),
    ({"c9": 1}, "self_assessment.c9", "unknown criterion"),
    ({"c1": 21}, "self_assessment.c1", "from 0 to 20"),
    ({"c1": -1}, "self_assessment.c1", "from 0 to 20"),
    ({"c1": 18.3}, "self_assessment.c1", "multiple of 0.5"),
])
def test_self_assessment(scores, field, words):
    r = d.check_self_assessment(scores, CATEGORY["criteria"])
    assert (r is None) if field is None else (r.field == field and words in r.message)


@pytest.mark.parametrize("name, size, already, words", [
    ("事迹.pdf", 1000, 0, None),
    ("photo.JPG", 1000, 0, None),
    ("run.exe", 1000, 0, "not allowed"),
    ("noext", 1000, 0, "not allowed"),
    ("a.pdf", 0, 0, "empty"),
    ("a.pdf", d.MAX_ATTACHMENT_BYTES + 1, 0, "larger than 10 MB"),
    ("a.pdf", 10, d.MAX_ATTACHMENTS, "at most"),
])
def test_attachments(name, size, already, words):
    r = d.check_attachment(name, size, already)
    assert (r is None) if words is None else (r.field == "file" and words in r.message)
    assert d.check_materials("x" * (d.MAX_MATERIALS_CHARS + 1)).field == "materials"


@pytest.mark.parametrize("status, action, result", [
    ("submitted", "approve", "approved"), ("submitted", "return", "returned"), ("submitted", "reject", "rejected"),
    ("returned", "reject", "rejected"), ("submitted", "withdraw", "withdrawn"), ("returned", "withdraw", "withdrawn"),
    ("returned", "resubmit", "submitted"), ("approved", "withdraw", None), ("approved", "approve", None),
    ("rejected", "approve", None), ("withdrawn", "resubmit", None), ("returned", "approve", None),
    ("submitted", "resubmit", None),
])
def test_review_transitions(status, action, result):
    r = d.transition(status, action)
    if result is None:
        assert isinstance(r, d.Refusal) and r.kind == "conflict" and status in r.message
    else:
        assert r == result


@pytest.mark.parametrize("quota, ratio, approved, warn", [
    (3, 1.2, 4, False), (3, 1.2, 3, True), (10, 1.0, 10, False), (10, 1.25, 12, True), (10, 1.25, 13, False),
])
def test_quota_shortfalls(quota, ratio, approved, warn):
    c = {"category_id": "x", "name": "模范机关", "quota": quota, "competitive_ratio": ratio}
    out = d.quota_shortfalls([c], {"x": approved})
    assert bool(out) is warn
    if warn:
        assert out[0]["needed"] == d.needed_candidates(c) and "fewer than quota" in out[0]["message"]


# ---- the state invariants that were in the routes --------------------------------------------------------------
NOW = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("state_of, stage, action, result, error, words", [
    ({}, "nomination", "open", "open", None, None),
    ({"nomination": "open"}, "nomination", "close", "closed", None, None),
    ({"nomination": "open"}, "nomination", "open", None, Conflict, "already open"),
    ({}, "review", "close", None, Conflict, "already closed"),
    ({}, "party", "open", None, NotFound, "unknown stage"),
    ({}, "review", "pause", None, NotFound, "open or close"),
])
def test_stage_changes(state_of, stage, action, result, error, words):
    prog = {"_id": "p1", "stage_state": state_of}
    if error is None:
        update, event = d.stage_change(prog, stage, d.stage_state(action, stage), NOW)
        assert update == {f"stage_state.{stage}": result, "updated_at": NOW}
        assert (event.programme_id, event.stage, event.state) == ("p1", stage, result)
    else:
        with pytest.raises(error) as caught:
            d.stage_change(prog, stage, d.stage_state(action, stage), NOW)
        assert words in caught.value.message


def test_opening_voting_marks_the_programme():
    update, _ = d.stage_change({"_id": "p1"}, "voting", "open", NOW)
    assert update["voting_started"] is True
    assert "voting_started" not in d.stage_change({"_id": "p1", "stage_state": {"voting": "open"}}, "voting",
                                                  "closed", NOW)[0]


def test_versions_of_a_programme():
    prog, _ = d.normalise_programme(programme(), TEMPLATES)
    doc, record = d.first_version(prog | {"programme_id": None}, "p1", NOW)
    assert (doc["_id"], doc["version"], doc["voting_started"], record["_id"], record["change"]) == (
        "p1", 1, False, "p1:1", "defined")
    changed = copy.deepcopy(prog)
    changed["categories"][0]["quota"] = 9
    doc2, record2, change = d.next_version(doc, changed, "org", NOW)
    assert (doc2["version"], doc2["categories"][0]["quota"], record2["_id"], change["outcome"]) == (
        2, 9, "p1:2", "new_version")
    assert doc2["created_at"] == doc["created_at"]
    with pytest.raises(Conflict):
        d.ensure_new("p1", exists=True)
    event = d.programme_event(doc2)
    assert event.version == 2 and event.categories[0].quota == 9


@pytest.mark.parametrize("status, action, released", [
    ("submitted", "withdraw", True), ("submitted", "approve", False), ("returned", "resubmit", False),
])
def test_a_move_sets_the_status_and_a_withdrawal_releases_the_nominee(status, action, released):
    update, entry = d.moved({"_id": "n1", "status": status}, action, "org", "ok", NOW, {"materials": "x"})
    assert update["status"] == d.TRANSITIONS[action][1] and update["materials"] == "x"
    assert (update.get("active_key") == "released:n1") is released
    assert entry == {"at": NOW, "action": action, "by": "org", "comment": "ok"}


def test_a_move_from_the_wrong_status_is_a_conflict():
    with pytest.raises(Conflict) as caught:
        d.moved({"_id": "n1", "status": "approved"}, "approve", "org", "", NOW)
    assert caught.value.field == "status" and "it must be submitted" in caught.value.message


def test_scope_and_visibility():
    parents = {"a": None, "a1": "a", "b": None}
    assert d.scope_of("organiser", None, parents) is None
    assert d.scope_of("unit", "a", parents) == {"a", "a1"}
    with pytest.raises(Forbidden):
        d.scope_of("unit", None, parents)
    d.ensure_visible({"unit_id": "a1"}, {"a", "a1"})
    d.ensure_visible({"unit_id": "b"}, None)
    with pytest.raises(Forbidden):
        d.ensure_visible({"unit_id": "b"}, {"a", "a1"})


@pytest.mark.parametrize("status, ok", [("submitted", True), ("returned", True), ("approved", False),
                                        ("rejected", False), ("withdrawn", False)])
def test_only_an_open_nomination_takes_attachments(status, ok):
    if ok:
        d.ensure_attachable(status)
    else:
        with pytest.raises(Conflict):
            d.ensure_attachable(status)


def test_a_revision_is_checked_as_a_submission():
    assert d.revised(CATEGORY, "新材料", {"c1": 18}) == {"self_assessment": {"c1": 18}, "materials": "新材料"}
    assert d.revised(CATEGORY, None, None) == {}
    with pytest.raises(Invalid):
        d.revised(CATEGORY, None, {"c1": 21})
    assert d.attachment_info("a.PDF", 10, 0) == (".pdf", "application/pdf")
