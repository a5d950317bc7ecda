"""The rules a ballot page enforces before casting, as pure functions: no default, every candidate answered, the
caps."""
from __future__ import annotations

from dataclasses import dataclass, field

GRADES = ("excellent", "competent", "basically_competent", "incompetent")
ABSTAIN = "abstain"


@dataclass(frozen=True)
class Problem:
    key: str  # an i18n key
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BallotCheck:
    """What the page shows live above the ballot, and whether the ballot may go on to the confirmation step."""

    ballot_type: str
    total: int
    answered: int
    excellent: int = 0
    excellent_cap: int | None = None
    selected: dict[str, int] = field(default_factory=dict)  # approval: category -> selected
    limits: dict[str, int] = field(default_factory=dict)  # approval: category -> at most
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def selected_total(self) -> int:
        return sum(self.selected.values())


def candidates(rnd: dict) -> list[dict]:
    """The candidates a voter answers, in the round's published order (withdrawn ones are not on the ballot)."""
    return [c for c in rnd.get("candidates") or [] if not c.get("withdrawn")]


def unit_of(candidate: dict) -> str:
    """The candidate's unit, or nothing when the nominee is that unit itself (shown once)."""
    unit = (candidate.get("unit_name") or "").strip()
    return "" if not unit or unit == (candidate.get("nominee_name") or "").strip() else unit


def limits(rnd: dict) -> dict[str, int]:
    """Approval: the most candidates one ballot may select in each category of the round."""
    per = {str(k): int(v) for k, v in (rnd.get("max_per_category") or {}).items()}
    if not per and rnd.get("max_selections"):
        per = {c: int(rnd["max_selections"]) for c in rnd.get("category_ids") or []}
    return per


def abstain_allowed(rnd: dict) -> bool:
    """Whether the round lets a voter leave a candidate ungraded (a round that does not say so did)."""
    return bool(rnd.get("abstain_allowed", True))


def excellent_cap(rnd: dict) -> int | None:
    """The most 优秀 one ballot may give: the service's limit from both caps (a number and a share), else the number."""
    cap = rnd.get("excellent_limit", rnd.get("excellent_cap"))
    return None if cap is None else int(cap)


def grade_options(rnd: dict) -> list[str]:
    return [*GRADES, ABSTAIN] if abstain_allowed(rnd) else list(GRADES)


def check_grades(rnd: dict, choices: dict[str, str | None]) -> BallotCheck:
    """An appraisal ballot: each candidate graded (or abstained, where the round allows it); 优秀 within the cap;
    not every candidate abstained."""
    cands = candidates(rnd)
    options = grade_options(rnd)
    answers = [choices.get(c["nomination_id"]) for c in cands]
    answered = sum(1 for a in answers if a in options)
    excellent = sum(1 for a in answers if a == "excellent")
    cap = excellent_cap(rnd)
    problems = []
    if answered < len(cands):
        problems.append(Problem("bl.unanswered" if abstain_allowed(rnd) else "bl.ungraded",
                                {"n": len(cands) - answered}))
    if cap is not None and excellent > int(cap):
        problems.append(Problem("bl.over_cap", {"n": excellent, "cap": int(cap)}))
    if cands and answered == len(cands) and all(a == ABSTAIN for a in answers):
        problems.append(Problem("bl.all_abstain"))
    return BallotCheck("appraisal", len(cands), answered, excellent, None if cap is None else int(cap),
                       problems=tuple(problems))


def check_selections(rnd: dict, selected: set[str] | list[str]) -> BallotCheck:
    """An approval ballot: at least one selected, at most the limit of each category."""
    cands = candidates(rnd)
    chosen = set(selected)
    per = limits(rnd)
    counts = {cat: 0 for cat in per}
    for c in cands:
        if c["nomination_id"] in chosen:
            counts[c["category_id"]] = counts.get(c["category_id"], 0) + 1
    problems = []
    if not any(counts.values()):
        problems.append(Problem("bl.none_selected"))
    for cat, n in counts.items():
        if cat in per and n > per[cat]:
            problems.append(Problem("bl.over_limit", {"n": n, "limit": per[cat], "category": cat}))
    return BallotCheck("approval", len(cands), sum(counts.values()), selected=counts, limits=per,
                       problems=tuple(problems))


def payload(rnd: dict, choices: dict[str, str | None] | None = None,
            selected: set[str] | list[str] | None = None) -> dict:
    """The body the voting service takes: grades without the abstentions, or the selections in ballot order."""
    cands = candidates(rnd)
    if rnd.get("ballot_type") == "appraisal":
        choices = choices or {}
        return {"selections": [], "grades": {c["nomination_id"]: choices[c["nomination_id"]] for c in cands
                                             if choices.get(c["nomination_id"]) in GRADES}}
    chosen = set(selected or [])
    return {"selections": [c["nomination_id"] for c in cands if c["nomination_id"] in chosen], "grades": {}}
