"""Recusal (回避): which rule keeps a judge from scoring a nominee."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RECUSAL_RULES = {
    "self": "评委本人即被评对象 the judge is the nominee",
    "same_branch": "被评对象是评委本支部党员 the nominee is a member of the judge's own branch",
    "own_unit": "被评对象属评委本单位 the nominee belongs to the judge's own unit",
    "subordinate_unit": "被评对象属评委单位的下级单位 the nominee belongs to a unit below the judge's unit",
    "superior_unit": "被评对象属评委单位的上级单位 the nominee belongs to a superior of the judge's unit",
    "declared": "评委主动申报利益冲突 the judge declared a conflict",
}


@dataclass(frozen=True)
class JudgeFacts:
    judge_id: str
    unit_id: str
    member_id: str | None = None
    branch_id: str | None = None  # the party branch the judge belongs to, when the judge is on the roll


@dataclass(frozen=True)
class NomineeFacts:
    nomination_id: str
    kind: str  # organ, branch, site, team, member
    nominee_id: str
    unit_id: str  # the nominee's own unit (for a member: the member's branch)
    submitting_unit_id: str | None = None


def ancestors(parents: Mapping[str, str | None], unit_id: str | None) -> list[str]:
    """The chain of superiors of a unit, nearest first; safe against cycles in imported data."""
    out: list[str] = []
    seen = {unit_id}
    current = parents.get(unit_id) if unit_id else None
    while current and current not in seen:
        out.append(current)
        seen.add(current)
        current = parents.get(current)
    return out


def conflict_rule(judge: JudgeFacts, nominee: NomineeFacts, parents: Mapping[str, str | None]) -> str | None:
    """The recusal rule that applies to this judge and nominee, or None when the judge may score."""
    if nominee.kind == "member" and judge.member_id and nominee.nominee_id == judge.member_id:
        return "self"
    if nominee.kind != "member" and nominee.nominee_id in (judge.unit_id, judge.branch_id):
        return "own_unit"
    if nominee.kind == "member" and nominee.unit_id in {judge.branch_id or judge.unit_id}:
        return "same_branch"
    judge_chain = ancestors(parents, judge.unit_id)
    for unit in dict.fromkeys(u for u in (nominee.unit_id, nominee.submitting_unit_id) if u):
        if unit == judge.unit_id:
            return "own_unit"
        if judge.unit_id in ancestors(parents, unit):
            return "subordinate_unit"
        if unit in judge_chain:
            return "superior_unit"
    return None
