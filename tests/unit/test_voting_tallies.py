"""A round's tally in parts (services/voting/store/tallies.py): the parts and the head add up to the whole."""
from __future__ import annotations

from services.voting.store.tallies import merge, new_parts, part_id


def test_the_head_and_the_parts_add_up_field_by_field():
    head = {"_id": "r1", "sequence": 7, "ballots_cast": 1, "invalid": 2, "refused": {"already_voted": 3}}
    parts = [
        {"_id": "r1:0", "round_id": "r1", "ballots_cast": 4, "invalid": 0, "closed": True,
         "approvals": {"k1": 3, "k2": 1}, "voted": {"u1": 4}, "grades": {"k1": {"excellent": 2}}},
        {"_id": "r1:1", "round_id": "r1", "ballots_cast": 2, "invalid": 1,
         "approvals": {"k1": 1}, "voted": {"u1": 1, "u2": 1}, "grades": {"k1": {"excellent": 1, "good": 1}},
         "refused": {"already_voted": 1, "closed": 2}},
    ]
    assert merge(head, parts) == {
        "_id": "r1", "sequence": 7, "ballots_cast": 7, "invalid": 3,
        "refused": {"already_voted": 4, "closed": 2},
        "approvals": {"k1": 4, "k2": 1}, "voted": {"u1": 5, "u2": 1},
        "grades": {"k1": {"excellent": 3, "good": 1}},
    }


def test_a_round_without_parts_is_its_head():
    head = {"_id": "r1", "sequence": 3, "ballots_cast": 5, "approvals": {"k1": 5}}
    assert merge(head, []) == head


def test_one_part_per_partition():
    parts = new_parts("r1", 6)
    assert [p["_id"] for p in parts] == [part_id("r1", p) for p in range(6)]
    assert all(p["round_id"] == "r1" and p["ballots_cast"] == 0 for p in parts)
