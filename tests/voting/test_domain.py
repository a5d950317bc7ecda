"""Pure voting rules, table-driven."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.voting import domain
from services.voting.domain import BallotInvalid, BallotRules, Candidate, rounds
from shared.errors import Closed, Conflict, Invalid, NotFound

APPROVAL = BallotRules("approval", (Candidate("a", "organ"), Candidate("b", "organ"), Candidate("c", "organ"),
                                    Candidate("x", "branch"), Candidate("w", "organ", withdrawn=True)),
                       max_per_category={"organ": 2, "branch": 1})
APPRAISAL = BallotRules("appraisal", (Candidate("a", "m"), Candidate("b", "m"), Candidate("c", "m")),
                        max_per_category={}, excellent_cap=1, abstain_allowed=True)


@pytest.mark.parametrize("rules,selections,grades,code", [
    (APPROVAL, ["a"], {}, None),
    (APPROVAL, ["a", "b", "x"], {}, None),
    (APPROVAL, [], {}, "empty"),
    (APPROVAL, ["zz"], {}, "unknown_candidate"),
    (APPROVAL, ["w"], {}, "withdrawn_candidate"),
    (APPROVAL, ["a", "a"], {}, "duplicate_selection"),
    (APPROVAL, ["a", "b", "c"], {}, "too_many_selections"),
    (APPROVAL, ["x", "a"], {"a": "excellent"}, "wrong_ballot_type"),
    (APPRAISAL, [], {"a": "excellent", "b": "competent", "c": "incompetent"}, None),
    (APPRAISAL, [], {"a": "basically_competent"}, None),
    (APPRAISAL, [], {}, "empty"),
    (APPRAISAL, ["a"], {}, "wrong_ballot_type"),
    (APPRAISAL, [], {"a": "superb"}, "unknown_grade"),
    (APPRAISAL, [], {"zz": "competent"}, "unknown_candidate"),
    (APPRAISAL, [], {"a": "excellent", "b": "excellent"}, "too_many_excellent"),
])
def test_ballot_validity(rules, selections, grades, code):
    if code is None:
        domain.validate_ballot(rules, selections, grades)
        return
    with pytest.raises(BallotInvalid) as exc:
        domain.validate_ballot(rules, selections, grades)
    assert exc.value.code == code
    assert exc.value.message


NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("opens,closes,closed,expected", [
    (NOW - timedelta(hours=1), NOW + timedelta(hours=1), False, "open"),
    (NOW + timedelta(minutes=1), NOW + timedelta(hours=1), False, "not_open"),
    (NOW - timedelta(hours=2), NOW, False, "closed"),
    (NOW - timedelta(hours=1), NOW + timedelta(hours=1), True, "closed"),
])
def test_window(opens, closes, closed, expected):
    assert domain.window_state(opens, closes, NOW, closed) == expected


def test_marks_need_the_secret_and_differ_per_round():
    m = domain.voter_mark(b"s1", "r1", "m1")
    assert m == domain.voter_mark(b"s1", "r1", "m1")
    assert m != domain.voter_mark(b"s2", "r1", "m1")
    assert m != domain.voter_mark(b"s1", "r2", "m1")
    assert "m1" not in m


@pytest.mark.parametrize("typed,expected", [
    ("abcd-efgh-jkmn-pqrs", "ABCD-EFGH-JKMN-PQRS"),
    ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"),
    (" abcd efgh jkmn pqrs ", "ABCD-EFGH-JKMN-PQRS"),
])
def test_credentials_are_typed_forgivingly(typed, expected):
    assert domain.normalise_credential(typed) == expected
    assert domain.credential_hash("r", typed) == domain.credential_hash("r", expected)


def test_new_credentials_and_receipts_are_random():
    creds = {domain.new_credential() for _ in range(200)}
    assert len(creds) == 200 and all(len(c) == 19 for c in creds)
    assert len({domain.new_receipt() for _ in range(200)}) == 200


@pytest.mark.parametrize("kind,entries,expected", [
    ("approval", [{"selections": ["a", "b"]}, {"selections": ["a"]}], {"a": 2, "b": 1, "c": 0}),
    ("appraisal", [{"grades": {"a": "excellent", "b": "incompetent"}}, {"grades": {"a": "competent"}}],
     {"a": 2, "b": 0, "c": 0}),
])
def test_recompute_tally(kind, entries, expected):
    t = domain.recompute_tally(kind, ["a", "b", "c"], entries, eligible=4)
    assert t["ballots_cast"] == len(entries)
    assert {r["nomination_id"]: r["approvals"] for r in t["candidates"]} == expected
    a = t["candidates"][0]
    assert a["share_of_eligible"] == round(expected["a"] / 4, 4)
    assert a["share_of_cast"] == round(expected["a"] / len(entries), 4)
    if kind == "appraisal":
        assert a["grades"] == {"excellent": 1, "competent": 1, "basically_competent": 0, "incompetent": 0}


def test_bulletin_chain_detects_any_change():
    receipts = [f"R{i}" for i in range(5)]
    contents = [{"selections": ["a"], "grades": {}} for _ in range(5)]
    root = domain.bulletin_root("r1", receipts, contents)
    assert root == domain.bulletin_root("r1", list(receipts), list(contents))
    assert root != domain.bulletin_root("r2", receipts, contents)
    assert root != domain.bulletin_root("r1", receipts[:-1], contents)
    assert root != domain.bulletin_root("r1", receipts, contents[:-1])
    tampered = contents[:2] + [{"selections": ["b"], "grades": {}}] + contents[3:]
    assert root != domain.bulletin_root("r1", receipts, tampered)
    assert root != domain.bulletin_root("r1", receipts[:2] + ["R9"] + receipts[3:], contents)


@pytest.mark.parametrize("eligible,minimum,share_,expected", [(10, 20, 0.5, 20), (100, 20, 0.5, 50), (0, 5, 0.5, 5)])
def test_burst_threshold(eligible, minimum, share_, expected):
    assert domain.burst_threshold(eligible, minimum, share_) == expected


def test_turnout_and_shares():
    assert domain.turnout({"u1": 2}, {"u1": 4, "u2": 3}) == {"u1": 0.5, "u2": 0.0}
    assert domain.share(1, 3) == 0.3333 and domain.share(1, 0) == 0.0


# ---- the invariants of a round (domain/rounds.py) -------------------------------------------------------------
CATS = {"organ": {"category_id": "organ", "quota": 3}, "branch": {"category_id": "branch", "quota": 1}}
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("round_id, ok", [("r1", True), ("a-b_C9", True), ("x" * 64, True), ("x" * 65, False),
                                          ("", False), ("r 1", False), ("r/1", False), ("-r1", False),
                                          ("_r1", False)])
def test_round_ids(round_id, ok):
    if ok:
        rounds.check_round_id(round_id)
    else:
        with pytest.raises(Invalid):
            rounds.check_round_id(round_id)


@pytest.mark.parametrize("cats, ballot_type, max_sel, cap, field", [
    (["organ"], "approval", 2, None, None),
    (["organ", "branch"], "appraisal", None, 1, None),
    (["nope"], "approval", None, None, "category_ids"),
    (["organ", "organ"], "approval", None, None, "category_ids"),
    (["organ"], "appraisal", 2, None, "max_selections"),
    (["organ"], "approval", None, 1, "excellent_cap"),
])
def test_round_rules(cats, ballot_type, max_sel, cap, field):
    if field is None:
        rounds.check_rules("p", CATS, cats, ballot_type, max_sel, cap)
    else:
        with pytest.raises(Invalid) as err:
            rounds.check_rules("p", CATS, cats, ballot_type, max_sel, cap)
        assert err.value.field == field


@pytest.mark.parametrize("opens, closes, ok", [
    (None, NOW + timedelta(hours=1), True),
    (NOW + timedelta(hours=1), NOW + timedelta(hours=2), True),
    (NOW + timedelta(hours=2), NOW + timedelta(hours=1), False),
    (None, NOW - timedelta(seconds=1), False),
    (NOW - timedelta(hours=2), NOW - timedelta(hours=1), False),
])
def test_round_window(opens, closes, ok):
    if ok:
        start, end = rounds.window(opens, closes, NOW)
        assert start == (opens or NOW) and end == closes and start.tzinfo == UTC
    else:
        with pytest.raises(Invalid) as err:
            rounds.window(opens, closes, NOW)
        assert err.value.field == "closes_at"


def test_a_window_in_another_time_zone_is_kept_in_utc():
    from zoneinfo import ZoneInfo

    start, end = rounds.window(None, datetime(2026, 6, 1, 20, tzinfo=ZoneInfo("Asia/Shanghai")), NOW)
    assert end == datetime(2026, 6, 1, 12, tzinfo=UTC) and end.tzinfo == UTC


@pytest.mark.parametrize("nominations, cap, field", [
    ([{"_id": "n1"}], None, None), ([{"_id": "n1"}], 1, None),
    ([], None, "category_ids"), ([{"_id": "n1"}], 2, "excellent_cap")])
def test_round_candidates_and_the_excellent_cap(nominations, cap, field):
    if field is None:
        rounds.check_candidates(nominations, cap)
    else:
        with pytest.raises(Invalid) as err:
            rounds.check_candidates(nominations, cap)
        assert err.value.field == field


def test_units_candidates_limits_and_roll_of_a_round():
    members = [{"member_id": "m1", "unit_id": "u2"}, {"member_id": "m2", "unit_id": "u1"},
               {"member_id": "m3", "unit_id": "u2"}]
    assert rounds.round_units(members, {"u1": "一", "u2": "二"}) == [
        {"unit_id": "u1", "name": "一", "eligible": 1, "key": "u0"},
        {"unit_id": "u2", "name": "二", "eligible": 2, "key": "u1"}]
    assert [c["key"] for c in rounds.round_candidates([{"_id": "a", "category_id": "organ"},
                                                       {"_id": "b", "category_id": "organ"}])] == ["c0", "c1"]
    assert rounds.max_per_category("approval", ["organ", "branch"], CATS, None) == {"organ": 3, "branch": 1}
    assert rounds.max_per_category("approval", ["organ"], CATS, 2) == {"organ": 2}
    assert rounds.max_per_category("appraisal", ["organ"], CATS, None) == {}
    roll = rounds.roll_entries(b"k", "r1", members)
    assert [r["_id"] for r in roll] == ["r1:m1", "r1:m2", "r1:m3"] and all(r["cred"] is None for r in roll)
    assert all("mark" not in r for r in roll)  # recomputed from the secret, never stored (issue 16)
    assert list(rounds.roll_marks(b"k", "r1", roll))[0] == domain.voter_mark(b"k", "r1", "m1")
    assert rounds.first_missing(["a", "b", "c"], ["a", "c"]) == "b" and rounds.first_missing(["a"], ["a"]) is None


@pytest.mark.parametrize("rnd, visible, public", [
    ({"state": "open"}, True, False),
    ({"state": "closed"}, True, True),
    ({"state": "closed", "counts_hidden": True}, False, False),
    ({"state": "closed", "counts_hidden": True, "published": True}, True, True),
    ({"state": "open", "counts_hidden": True, "published": True}, True, False),
])
def test_what_is_visible(rnd, visible, public):
    assert rounds.counts_visible(rnd) is visible and rounds.bulletin_is_public(rnd) is public


def test_what_each_state_allows():
    open_round = {"_id": "r1", "state": "open", "closes_at": NOW, "units": [{"unit_id": "u1"}]}
    closed = open_round | {"state": "closed"}
    assert rounds.ensure_found(open_round, "r1") is open_round
    with pytest.raises(NotFound):
        rounds.ensure_found(None, "r1")
    rounds.ensure_closable(open_round)
    with pytest.raises(Conflict):
        rounds.ensure_closable(closed)
    assert rounds.due_to_close(open_round, NOW) and not rounds.due_to_close(open_round, NOW - timedelta(seconds=1))
    assert not rounds.due_to_close(closed, NOW)
    rounds.ensure_counts_hidden({"counts_hidden": True})
    with pytest.raises(Conflict):
        rounds.ensure_counts_hidden({"counts_hidden": False})
    rounds.ensure_not_closed(open_round)
    with pytest.raises(Closed):
        rounds.ensure_not_closed(closed)
    assert rounds.ensure_unit_in_round(open_round, "u1") == {"unit_id": "u1"}
    with pytest.raises(NotFound):
        rounds.ensure_unit_in_round(open_round, "u9")
    rounds.ensure_bulletin_published(closed)
    with pytest.raises(Closed):
        rounds.ensure_bulletin_published(open_round)


# ---- issue 15: grading caps, abstention, the voting stage, published categories, which round feeds ------------
STRICT = BallotRules("appraisal", (Candidate("a", "m"), Candidate("b", "m"), Candidate("w", "m", withdrawn=True)),
                     max_per_category={}, excellent_cap=1)


@pytest.mark.parametrize("cap, share, candidates, limit", [
    (None, None, 10, None),
    (3, None, 10, 3),
    (None, 0.3, 10, 3),
    (None, 0.3, 7, 2),  # 2.1 rounded down
    (None, 0.3, 9, 2),  # 2.7 rounded down
    (None, 0.3, 3, 1),  # 0.9: at least 1 while the share is above 0
    (None, 0.3, 20, 6),  # exact: 0.3 * 20 is 6, not 5.999...
    (None, 0.0, 10, 0),
    (None, 1.0, 4, 4),
    (2, 0.5, 10, 2),  # both: the smaller
    (5, 0.2, 10, 2),
    (0, 0.5, 10, 0),
])
def test_excellent_limit(cap, share, candidates, limit):
    assert domain.excellent_limit(cap, share, candidates) == limit


@pytest.mark.parametrize("grades, code", [
    ({"a": "competent", "b": "incompetent"}, None),  # the withdrawn candidate needs no grade
    ({"a": "competent"}, "ungraded_candidate"),
    ({"a": "excellent", "b": "excellent"}, "too_many_excellent"),  # the cap is named first
    ({"a": "competent", "b": "competent", "w": "competent"}, "withdrawn_candidate"),
])
def test_a_grading_ballot_grades_every_candidate_unless_abstention_is_allowed(grades, code):
    if code is None:
        domain.validate_ballot(STRICT, [], grades)
    else:
        with pytest.raises(BallotInvalid) as exc:
            domain.validate_ballot(STRICT, [], grades)
        assert exc.value.code == code
    domain.validate_ballot(BallotRules("appraisal", STRICT.candidates, {}, 1, abstain_allowed=True), [],
                           {"a": "competent"})


@pytest.mark.parametrize("stored, share, abstain, limit, abstain_rule", [
    ({}, None, None, None, True),  # a round stored before these rules: abstention allowed, as it was
    ({"excellent_cap": 2, "abstain_allowed": False}, None, None, 2, False),
    ({"excellent_cap_share": 0.5, "abstain_allowed": True}, 0.5, True, 1, True),
])
def test_rules_from_a_stored_round(stored, share, abstain, limit, abstain_rule):
    rnd = {"ballot_type": "appraisal", "candidates": [{"nomination_id": x, "category_id": "m"} for x in "abc"]}
    rules = domain.rules_from_round(rnd | stored)
    assert rules.excellent_cap == limit and rules.abstain_allowed is abstain_rule


def snapshot(**programme) -> dict:
    return rounds.stage_snapshot(programme)


@pytest.mark.parametrize("rnd, open_", [
    ({}, True),  # a round stored before rounds kept the stage: not gated
    ({"voting_stage": snapshot(stage_state={"voting": "open"})}, True),
    ({"voting_stage": snapshot(stage_state={"voting": "closed"})}, False),
    ({"voting_stage": snapshot(stage_state={"nomination": "open"})}, False),
    ({"voting_stage": snapshot(stage_control="dates", stages=[
        {"stage": "voting", "opens_at": "2026-06-01T08:00:00+08:00", "closes_at": "2026-06-02T00:00:00+08:00"}])},
     True),
    ({"voting_stage": snapshot(stage_control="dates", stages=[
        {"stage": "voting", "opens_at": "2026-06-01T18:00:00+08:00", "closes_at": "2026-06-02T00:00:00+08:00"}])},
     False),
    ({"voting_stage": snapshot(stage_control="dates", stage_state={"voting": "open"})}, False),  # dates rule
])
def test_casting_in_the_voting_stage(rnd, open_):
    assert rounds.casting_open(rnd, NOW) is open_
    if not open_:
        with pytest.raises(Closed) as exc:
            rounds.ensure_casting_open(rnd, NOW)
        assert (exc.value.code, exc.value.field) == ("stage_closed", "stage")


def test_the_stage_snapshot_keeps_only_the_voting_stage():
    programme = {"stage_control": "dates", "stage_state": {"voting": "open", "judging": "open"},
                 "stages": [{"stage": "voting", "opens_at": "a", "closes_at": "b"},
                            {"stage": "judging", "opens_at": "c", "closes_at": "d"}]}
    assert rounds.stage_snapshot(programme) == {
        "stage_control": "dates", "stages": [{"stage": "voting", "opens_at": "a", "closes_at": "b"}],
        "stage_state": {"voting": "open"}}
    assert rounds.stage_snapshot(None)["stage_state"] == {"voting": "closed"}
    with pytest.raises(Closed):
        rounds.ensure_voting_open({"stage_state": {"voting": "closed"}}, NOW)
    rounds.ensure_voting_open({"stage_state": {"voting": "open"}}, NOW)


@pytest.mark.parametrize("published, category_ids, refused", [
    ([], ["organ"], False),
    (["branch"], ["organ"], False),
    (["organ"], ["organ"], True),
    (["organ"], ["branch", "organ"], True),
])
def test_a_published_category_takes_no_round(published, category_ids, refused):
    if refused:
        with pytest.raises(Conflict) as exc:
            rounds.ensure_not_published({"published_categories": published}, category_ids)
        assert (exc.value.code, exc.value.field) == ("category_published", "category_ids")
    else:
        rounds.ensure_not_published({"published_categories": published}, category_ids)


@pytest.mark.parametrize("rules_by_category, category_ids, ballot_type, feeds", [
    ({}, ["organ"], "approval", True),
    ({"organ": "latest"}, ["organ"], "appraisal", True),
    ({"organ": "appraisal"}, ["organ"], "appraisal", True),
    ({"organ": "appraisal"}, ["organ"], "approval", False),
    ({"organ": "approval"}, ["organ"], "approval", True),
    ({"organ": "approval", "branch": "appraisal"}, ["organ", "branch"], "approval", "category_ids"),
    ({"organ": "appraisal", "branch": "appraisal"}, ["organ", "branch"], "approval", False),
])
def test_which_round_feeds_the_peer_vote(rules_by_category, category_ids, ballot_type, feeds):
    cats = {c: {"category_id": c, "quota": 1} | ({"peer_vote_round": rules_by_category[c]}
                                                  if c in rules_by_category else {}) for c in ("organ", "branch")}
    if feeds == "category_ids":
        with pytest.raises(Invalid) as exc:
            rounds.feeds_peer_vote(cats, category_ids, ballot_type)
        assert exc.value.field == "category_ids"
    else:
        assert rounds.feeds_peer_vote(cats, category_ids, ballot_type) is feeds


def test_replacing_a_feeding_round_is_confirmed():
    feeding = [{"_id": "r2", "name": "第二轮", "category_ids": ["organ"]}, {"_id": "r1", "name": "第一轮",
                                                                          "category_ids": ["organ"]}]
    assert rounds.ensure_replace_confirmed(["organ"], [], False) == []
    assert rounds.ensure_replace_confirmed(["organ"], feeding, True) == ["r2", "r1"]
    with pytest.raises(Conflict) as exc:
        rounds.ensure_replace_confirmed(["branch", "organ"], feeding, False)
    assert (exc.value.code, exc.value.field) == ("replaces_peer_vote", "confirm_replace")
    assert "round r2 (第二轮)" in exc.value.message and "category organ" in exc.value.message


@pytest.mark.parametrize("state, refused", [("open", True), ("closed", False)])
def test_hidden_counts_are_published_after_the_close(state, refused):
    if refused:
        with pytest.raises(Conflict) as exc:
            rounds.ensure_closed_to_publish({"_id": "r1", "state": state})
        assert (exc.value.status, exc.value.code) == (409, "round_open")
    else:
        rounds.ensure_closed_to_publish({"_id": "r1", "state": state})
