"""Pure voting rules, table-driven."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.voting import domain
from services.voting.domain import BallotInvalid, BallotRules, Candidate

APPROVAL = BallotRules("approval", (Candidate("a", "organ"), Candidate("b", "organ"), Candidate("c", "organ"),
                                    Candidate("x", "branch"), Candidate("w", "organ", withdrawn=True)),
                       max_per_category={"organ": 2, "branch": 1})
APPRAISAL = BallotRules("appraisal", (Candidate("a", "m"), Candidate("b", "m"), Candidate("c", "m")),
                        max_per_category={}, excellent_cap=1)


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
    entries = [domain.bulletin_entry(f"R{i}", ["a"], {}) for i in range(5)]
    root = domain.bulletin_root("r1", entries)
    assert root == domain.bulletin_root("r1", list(entries))
    assert root != domain.bulletin_root("r2", entries)
    assert root != domain.bulletin_root("r1", entries[:-1])
    tampered = entries[:2] + [domain.bulletin_entry("R2", ["b"], {})] + entries[3:]
    assert root != domain.bulletin_root("r1", tampered)


@pytest.mark.parametrize("eligible,minimum,share_,expected", [(10, 20, 0.5, 20), (100, 20, 0.5, 50), (0, 5, 0.5, 5)])
def test_burst_threshold(eligible, minimum, share_, expected):
    assert domain.burst_threshold(eligible, minimum, share_) == expected


def test_turnout_and_shares():
    assert domain.turnout({"u1": 2}, {"u1": 4, "u2": 3}) == {"u1": 0.5, "u2": 0.0}
    assert domain.share(1, 3) == 0.3333 and domain.share(1, 0) == 0.0
