"""Define a programme (from templates, JSON or YAML) and change it: a new version, or refused for criteria and
weights once voting has started; every version and every change is recorded."""
from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import yaml

from shared.errors import Invalid
from shared.uow import Transaction

from .. import domain as d
from ..lookups import get_programme, now
from ..store import Store
from . import Work, roles


def parse_definition(filename: str, data: bytes) -> Any:
    """An uploaded programme file: JSON when it is named .json, YAML otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the file must be UTF-8 text (YAML or JSON)", field="file", code="file_not_utf8") from None
    try:
        if filename.lower().endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise Invalid(f"the file is not valid YAML or JSON: {str(exc).splitlines()[0]}", field="file",
                      code="file_not_yaml_json") from None


async def _checked(uow: Work, raw: Any, templates: dict[str, dict], pid: str | None = None) -> tuple[dict, str]:
    """The normalised definition and its id; refused with every problem listed, including a business baseline
    that is not an earlier programme of this installation."""
    prog, problems = d.normalise_programme(raw, templates)
    pid = pid or prog.get("programme_id") or uuid4().hex[:12]
    if not any(p.field.startswith("categories") for p in problems):
        known = {b: doc for b in sorted(d.baseline_ids(prog)) if (doc := await uow.store.get_programme(b))}
        problems += d.baseline_problems(prog, pid, known)
    if problems:
        raise d.ProgrammeInvalid(problems)
    prog.pop("programme_id", None)
    return prog, pid


@roles("organiser")
async def define_programme(uow: Work, raw: Any, templates: dict[str, dict]) -> dict:
    """Refused: problems in the definition (all listed; a business baseline that is not an earlier programme
    among them), a programme id that exists."""
    prog, pid = await _checked(uow, raw, templates)
    return await uow.run(lambda tx: _define(tx, prog, pid))


async def _define(tx: Transaction[Store], prog: dict, pid: str) -> dict:
    d.ensure_new(pid, await tx.store.programme_exists(pid))
    doc, record = d.first_version(prog, pid, now())
    await tx.store.insert_programme(doc)
    await tx.store.add_programme_version(record)
    await tx.emit(d.programme_event(doc), programme_id=pid, key=pid)
    return doc


@roles("organiser")
async def change_programme(uow: Work, pid: str, raw: dict[str, Any], by: str, templates: dict[str, dict]) -> dict:
    """Refused: problems in the definition, an unknown programme, criteria, weights or the peer-vote round rule
    changed after voting started (that refusal is itself recorded). An unchanged definition keeps its version."""
    new, _ = await _checked(uow, raw | {"programme_id": pid}, templates, pid)
    result = await uow.run(lambda tx: _change(tx, pid, new, by))
    if isinstance(result, d.Refusal):
        raise d.refuse(result)  # the refusal itself was recorded in programme_changes
    return result


async def _change(tx: Transaction[Store], pid: str, new: dict, by: str) -> dict | d.Refusal:
    old = await get_programme(tx.store, pid)
    decision = d.change_decision(old, new, d.has_voting_started(old, now()))
    # What changed, in words an organiser reads on the version history; a refused change keeps what it attempted,
    # and its code and field so that the console words its reason (the message is the service's English).
    changed = d.what_changed(d.definition_of(old), d.definition_of(new))
    if isinstance(decision, d.Refusal):
        refused = d.refused_change(pid, new, decision, by, now()) | {
            "code": decision.code or decision.kind, "field": decision.field, "changed": changed}
        await tx.store.add_programme_change({"_id": uuid4().hex} | refused)
        return decision
    if decision == "unchanged":
        return old
    doc, record, change = d.next_version(old, new, by, now())
    await tx.store.replace_programme(doc)
    await tx.store.add_programme_version(record | {"changed": changed})
    await tx.store.add_programme_change({"_id": uuid4().hex} | change | {"changed": changed})
    await tx.emit(d.programme_event(doc), programme_id=pid, key=pid)
    return doc
