"""Fails when an event contract changes incompatibly with its committed snapshot."""
from __future__ import annotations

import json

import pytest

from tests.contracts.snapshot import SNAPSHOTS, current, incompatibilities

SNAPSHOT_FILES = sorted(SNAPSHOTS.glob("*.json"))


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.stem)
def test_every_committed_event_is_still_compatible(path):
    now = current().get(path.stem, {})
    problems = []
    for name, old in json.loads(path.read_text()).items():
        if name not in now:
            problems.append(f"{name}: event type removed")
            continue
        problems += incompatibilities(old, now[name], name)
    assert not problems, "incompatible contract change:\n" + "\n".join(problems)


def test_every_event_has_a_snapshot():
    committed = {name for p in SNAPSHOT_FILES for name in json.loads(p.read_text())}
    missing = {name for events in current().values() for name in events} - committed
    assert not missing, (f"events without a committed snapshot: {sorted(missing)}; "
                         "run `.venv/bin/python -m tests.contracts.snapshot --update`")


def test_the_checker_catches_breaking_changes():
    old = {"schema_version": 1, "topic": "t",
           "schema": {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                                                          "required": ["a"]}}
    removed = {"schema_version": 1, "topic": "t",
               "schema": {"properties": {"a": {"type": "string"}}, "required": ["a"]}}
    retyped = {"schema_version": 1, "topic": "t",
               "schema": {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                                              "required": ["a"]}}
    required = {"schema_version": 1, "topic": "t", "schema": {
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "string"}},
        "required": ["a", "c"]}}
    added_optional = {"schema_version": 1, "topic": "t", "schema": {
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "string"}}, "required": ["a"]}}
    assert incompatibilities(old, removed, "E") == ["E.b: removed"]
    assert "type changed" in incompatibilities(old, retyped, "E")[0]
    assert incompatibilities(old, required, "E") == ["E.c: new required field (give it a default)"]
    assert incompatibilities(old, added_optional, "E") == []
