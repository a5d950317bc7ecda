"""Contract snapshots: the committed JSON schema of every event, and the rules for a compatible change.

Regenerate after a deliberate, compatible change:  .venv/bin/python -m tests.contracts.snapshot --update
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from shared.contracts import EVENT_TYPES, Envelope

SNAPSHOTS = Path(__file__).parent / "snapshots"


def current() -> dict[str, dict]:
    by_module: dict[str,
                    dict] = {"envelope": {"Envelope": {"schema_version": 0, "schema": Envelope.model_json_schema()}}}
    for name, cls in sorted(EVENT_TYPES.items()):
        module = cls.__module__.rsplit(".", 1)[-1]
        by_module.setdefault(module, {})[name] = {"schema_version": cls.schema_version, "topic": cls.topic,
                                                  "schema": cls.model_json_schema()}
    return by_module


def _shape(prop: dict) -> str:
    return json.dumps({k: prop.get(k) for k in ("type", "$ref", "anyOf", "items", "enum", "const",
                                                "additionalProperties")
                       if k in prop}, sort_keys=True)


def incompatibilities(old: dict, new: dict, name: str) -> list[str]:
    """Messages written under the old schema must still validate under the new one, and vice versa for readers."""
    problems = []
    if old.get("schema_version") != new.get("schema_version"):
        return problems  # a new schema version is a deliberate break; consumers dispatch on it
    if old.get("topic") and old.get("topic") != new.get("topic"):
        problems.append(f"{name}: moved from topic {old['topic']} to {new['topic']}")
    o, n = old["schema"], new["schema"]
    old_props, new_props = o.get("properties", {}), n.get("properties", {})
    for field, prop in old_props.items():
        if field not in new_props:
            problems.append(f"{name}.{field}: removed")
        elif _shape(prop) != _shape(new_props[field]):
            problems.append(f"{name}.{field}: type changed from {_shape(prop)} to {_shape(new_props[field])}")
    for field in set(n.get("required", [])) - set(o.get("required", [])):
        problems.append(f"{name}.{field}: new required field (give it a default)")
    for sub, sub_schema in o.get("$defs", {}).items():
        if sub in n.get("$defs", {}):
            problems += incompatibilities({"schema": sub_schema}, {"schema": n["$defs"][sub]}, f"{name}.{sub}")
        else:
            problems.append(f"{name}: nested model {sub} removed")
    return problems


def update() -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    for module, events in current().items():
        (SNAPSHOTS / f"{module}.json").write_text(json.dumps(events, indent=1, ensure_ascii=False,
                                                             sort_keys=True) + "\n")


if __name__ == "__main__":
    if "--update" in sys.argv:
        update()
        print(f"snapshots written to {SNAPSHOTS}")
