"""What changed between two versions of a programme: each changed value by its path (categories and criteria by
their ids), before and after; nothing for an unchanged definition, nor for a reordered list."""
from __future__ import annotations

import copy

import pytest

from services.nominations import domain as d
from services.nominations import views
from services.nominations.actions import programmes, stages
from services.nominations.criteria_templates import load_templates
from shared.errors import Conflict
from tests.nominations.fakes import fake_uow
from tests.nominations.helpers import PID, PROGRAMME

TEMPLATES = load_templates()


def normalised(raw: dict) -> dict:
    prog, problems = d.normalise_programme(raw, TEMPLATES)
    assert not problems, problems
    return d.definition_of(prog)


def edited(change) -> tuple[dict, dict]:
    raw = copy.deepcopy(PROGRAMME)
    change(raw)
    return normalised(copy.deepcopy(PROGRAMME)), normalised(raw)


def paths(change) -> list[tuple[str, object, object]]:
    old, new = edited(change)
    return [(x["path"], x["before"], x["after"]) for x in d.what_changed(old, new)]


def test_an_unchanged_definition_changes_nothing():
    old = normalised(copy.deepcopy(PROGRAMME))
    assert d.what_changed(old, copy.deepcopy(old)) == []


def test_the_programme_and_its_categories_values():
    def change(raw):
        raw["name"], raw["year"], raw["stage_control"] = "2027年度评选", 2027, "dates"
        cat = raw["categories"][0]
        cat.update(quota=3, competitive_ratio=2.0, unit_limit=None, name="模范机关（市直）")

    assert paths(change) == [
        ("name", "2026年度市直机关创先争优评选", "2027年度评选"), ("year", 2026, 2027),
        ("stage_control", "organiser", "dates"),
        ("categories[model-organ].name", "模范机关", "模范机关（市直）"), ("categories[model-organ].quota", 2, 3),
        ("categories[model-organ].competitive_ratio", 1.5, 2.0), ("categories[model-organ].unit_limit", 1, None)]


def test_weights_are_compared_per_component():
    def change(raw):
        raw["categories"][1]["weights"] = raw["categories"][1]["weights"] | {"report": 0.1, "peer_vote": 0.2}

    assert paths(change) == [("categories[red-flag-branch].weights.report", 0.15, 0.1),
                             ("categories[red-flag-branch].weights.peer_vote", 0.15, 0.2)]


def test_criteria_added_removed_and_changed_by_their_ids():
    def change(raw):
        cat = raw["categories"][2]
        criteria = copy.deepcopy(TEMPLATES["sihao"]["criteria"])
        first, gone = criteria[0], criteria.pop()
        first["max_points"] += 5
        criteria.append({"criterion_id": "extra", "name": "加分项", "max_points": 5})
        cat["criteria"] = criteria
        change.first, change.gone = first, gone

    out = paths(change)
    at = "categories[good-member].criteria"
    assert out == [
        (f"{at}[{change.first['criterion_id']}].max_points", change.first["max_points"] - 5,
         change.first["max_points"]),
        (f"{at}[{change.gone['criterion_id']}]", {"name": change.gone["name"], "max_points":
                                                  change.gone["max_points"]}, None),
        (f"{at}[extra]", None, {"name": "加分项", "max_points": 5.0})]


def test_categories_added_and_removed():
    def change(raw):
        raw["categories"].pop(1)
        raw["categories"].append(copy.deepcopy(PROGRAMME["categories"][0]) | {"category_id": "new-one",
                                                                              "name": "新类别", "quota": 1})

    assert paths(change) == [("categories[red-flag-branch]", {"name": "先锋红旗党支部", "quota": 1}, None),
                             ("categories[new-one]", None, {"name": "新类别", "quota": 1})]


def test_a_reordered_list_is_no_change():
    def change(raw):
        raw["categories"].reverse()
        raw["stages"].reverse()

    assert paths(change) == []


def test_stage_dates_and_stages_added():
    def change(raw):
        raw["stages"][0]["closes_at"] = "2026-03-25T17:30"
        raw["stages"].append({"stage": "voting", "opens_at": "2026-05-01T09:00", "closes_at": "2026-05-03T17:00"})

    old, new = edited(change)
    out = d.what_changed(old, new)
    assert [x["path"] for x in out] == ["stages[nomination].closes_at", "stages[voting]"]
    assert out[0]["before"] == d.to_utc("2026-03-31T17:30") and out[0]["after"] == d.to_utc("2026-03-25T17:30")
    assert out[1]["before"] is None
    assert out[1]["after"] == {"opens_at": d.to_utc("2026-05-01T09:00"), "closes_at": d.to_utc("2026-05-03T17:00")}


def test_a_category_stored_before_the_round_rule_takes_its_default():
    old, new = edited(lambda raw: None)
    for c in old["categories"]:
        c.pop("peer_vote_round")
    assert d.what_changed(old, new) == []


# ---- the action: the paths recorded on the version and on the change ------------------------------------------
async def test_a_changed_quota_and_weight_record_exactly_those_paths():

    uow = fake_uow()
    await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
    raw = copy.deepcopy(PROGRAMME)
    raw["categories"][0]["quota"] = 3
    raw["categories"][0]["weights"] = raw["categories"][0]["weights"] | {"basic": 0.25, "peer_vote": 0.2}
    await programmes.change_programme(uow, PID, raw, "org", TEMPLATES)
    expected = [{"path": "categories[model-organ].quota", "before": 2, "after": 3},
                {"path": "categories[model-organ].weights.basic", "before": 0.3, "after": 0.25},
                {"path": "categories[model-organ].weights.peer_vote", "before": 0.15, "after": 0.2}]
    assert uow.store.programme_versions[f"{PID}:2"]["changed"] == expected
    [change] = uow.store.programme_changes
    assert change["outcome"] == "new_version" and change["changed"] == expected
    history = await views.programme_versions(uow.store, PID)
    assert "changed" not in history["versions"][0] and history["versions"][1]["changed"] == expected
    assert history["changes"][0]["changed"] == expected


async def test_a_refused_change_records_what_it_attempted_with_its_code_and_field():

    uow = fake_uow()
    await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
    await stages.change_stage(uow, PID, "voting", "open")
    raw = copy.deepcopy(PROGRAMME)
    raw["categories"][0]["weights"] = raw["categories"][0]["weights"] | {"basic": 0.25, "peer_vote": 0.2}
    with pytest.raises(Conflict):
        await programmes.change_programme(uow, PID, raw, "org", TEMPLATES)
    [change] = uow.store.programme_changes
    assert change["outcome"] == "refused" and change["code"] == "criteria_fixed"
    assert change["field"] == "categories.model-organ"
    assert [x["path"] for x in change["changed"]] == ["categories[model-organ].weights.basic",
                                                      "categories[model-organ].weights.peer_vote"]
