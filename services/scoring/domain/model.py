"""State invariants of panels, assignments and arenas: each refuses a change with a shared error or returns the
event the change announces."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contracts.scoring import JudgeRecused
from shared.errors import Closed, Conflict, Forbidden

from .recusal import RECUSAL_RULES

# What a locked panel refuses, per kind of change: (what the message adds, name the panel by, error field).
LOCKED = {
    "judges": ("", "panel_id", "panel_id"),
    "assignments": ("assignments can no longer change", "panel_id", "panel_id"),
    "recusals": ("recusals can no longer change", "panel_id", "panel_id"),
    "scores": ("scores can no longer be entered or revised", "name", "nomination_id"),
}


@dataclass(frozen=True)
class Panel:
    panel_id: str
    name: str
    category_id: str
    locked: bool

    @classmethod
    def of(cls, doc: dict[str, Any]) -> "Panel":
        return cls(doc.get("panel_id", doc["_id"]), doc.get("name", ""), doc.get("category_id", ""),
                   bool(doc.get("locked")))

    def ensure_open(self, change: str) -> None:
        """A locked panel refuses every change of this kind (see LOCKED) with Closed (409)."""
        if not self.locked:
            return
        consequence, label, field = LOCKED[change]
        message = f"panel {self.panel_id if label == 'panel_id' else self.name} is locked"
        raise Closed(f"{message}; {consequence}" if consequence else message, field=field, code="panel_locked")


@dataclass(frozen=True)
class Recusal:
    """Why a judge stops scoring a nominee: a rule found by conflict_rule, or the judge's own declaration."""

    rule: str
    reason: str
    declared: bool = False

    @classmethod
    def by_rule(cls, rule: str) -> "Recusal":
        return cls(rule, RECUSAL_RULES[rule])

    @classmethod
    def declared_by_judge(cls, reason: str) -> "Recusal":
        return cls("declared", f"{RECUSAL_RULES['declared']}: {reason}", declared=True)

    def fields(self, at: datetime) -> dict[str, Any]:
        """The assignment's fields once the judge is recused."""
        return {"recused": True, "rule": self.rule, "reason": self.reason, "declared": self.declared,
                "recused_at": at}

    def event(self, nomination_id: str, judge_id: str, category_id: str,
              replacement_judge_id: str | None) -> JudgeRecused:
        return JudgeRecused(nomination_id=nomination_id, judge_id=judge_id, reason=self.reason,
                            declared=self.declared, category_id=category_id, rule=self.rule,
                            replacement_judge_id=replacement_judge_id)


def ensure_may_declare(assignment: dict[str, Any], nomination_id: str) -> None:
    """A judge declares a conflict only with a nominee assigned to them, once."""
    if assignment["recused"]:
        raise Conflict(f"you are already recused from nomination {nomination_id}", field="nomination_id",
                       code="already_recused")


def ensure_may_score(assignment: dict[str, Any] | None, judge_id: str, nomination_id: str) -> None:
    """Only an assigned judge who is not recused scores a nominee."""
    if assignment is None:
        raise Forbidden(f"judge {judge_id} is not assigned to nomination {nomination_id}", field="nomination_id")
    if assignment["recused"]:
        raise Forbidden(f"judge {judge_id} is recused from nomination {nomination_id}: {assignment.get('reason')}",
                        field="nomination_id")


def ensure_arena_open(arena: dict[str, Any]) -> None:
    """A closed arena contest refuses every score."""
    if arena["status"] != "open":
        raise Closed("this arena contest is closed; scores can no longer change", field="arena_id",
                     code="arena_closed")
