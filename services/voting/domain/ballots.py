"""Pure rules of a ballot: grades, the reasons a ballot is refused, windows, validity and what it adds to a tally."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

GRADES = ("excellent", "competent", "basically_competent", "incompetent")
GRADE_LABELS = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职", "incompetent": "不称职"}
FAVOURABLE = ("excellent", "competent")

# Reasons a ballot is refused. The first group are spoiled ballots (废票), counted apart in the tally;
# the second are refusals of the voter or the moment, logged and counted by reason.
SPOILED = {
    "empty": "the ballot selects nobody (空白票)",
    "unknown_candidate": "the ballot names a candidate who is not on this round",
    "withdrawn_candidate": "the ballot names a candidate whose nomination was withdrawn",
    "duplicate_selection": "the ballot selects the same candidate twice",
    "too_many_selections": "the ballot selects more candidates than allowed",
    "too_many_excellent": "the ballot gives 优秀 to more candidates than allowed",
    "wrong_ballot_type": "the ballot does not match the round's ballot type",
    "unknown_grade": "the ballot uses a grade that does not exist",
    "ungraded_candidate": "the ballot leaves a candidate ungraded (this round does not allow abstention)",
}
REFUSED = {
    "not_eligible": "the voter is not on this round's roll",
    "already_voted": "this voter has already cast a ballot in this round",
    "not_open": "the round is not open yet",
    "closed": "the round is closed",
    "stage_closed": "the voting stage (民主测评) is not open: casting a ballot is refused",
    "unknown_credential": "the ballot credential is not valid for this round",
    "unknown_round": "the round does not exist",
}


class BallotInvalid(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        message = SPOILED.get(code) or REFUSED.get(code) or code
        super().__init__(f"{message}{': ' + detail if detail else ''}")
        self.code = code
        self.message = str(self)


# ---- windows ------------------------------------------------------------------------------------------

def window_state(opens_at: datetime, closes_at: datetime, now: datetime, closed: bool = False) -> str:
    if closed or now >= closes_at:
        return "closed"
    if now < opens_at:
        return "not_open"
    return "open"


# ---- ballots ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    nomination_id: str
    category_id: str
    withdrawn: bool = False


@dataclass(frozen=True)
class BallotRules:
    ballot_type: str  # approval | appraisal
    candidates: tuple[Candidate, ...]
    # approval: the most candidates one ballot may select in each category (the category's quota by default)
    max_per_category: dict[str, int]
    excellent_cap: int | None = None  # the effective limit (see excellent_limit)
    # appraisal: whether a ballot may leave a candidate ungraded (a withdrawn candidate is never graded)
    abstain_allowed: bool = False


def excellent_limit(cap: int | None, share: float | None, candidates: int) -> int | None:
    """The most 优秀 one appraisal ballot may give: at most `cap`, and at most `share` of the round's candidates.

    The share is rounded down (0.3 of 10 candidates: 3; of 7: 2.1, so 2), but never below 1 while the share is
    above 0: a share is meant to cap 优秀, not to forbid it in a small round (0.3 of 3 candidates: 1). A share of 0
    allows none. With both a number and a share, the smaller wins. Exact: 0.3 is 3/10, not 0.29999...
    """
    limits = [] if cap is None else [cap]
    if share is not None:
        by_share = math.floor(Fraction(str(share)) * candidates)
        limits.append(max(by_share, 1) if share > 0 and candidates > 0 else by_share)
    return min(limits) if limits else None


def rules_from_round(round_doc: dict[str, Any]) -> BallotRules:
    """The ballot rules of a stored round. A round stored before rounds said abstain_allowed let candidates be
    left ungraded, and keeps doing so."""
    return BallotRules(
        ballot_type=round_doc["ballot_type"],
        candidates=tuple(Candidate(c["nomination_id"], c["category_id"], bool(c.get("withdrawn")))
                         for c in round_doc["candidates"]),
        max_per_category=dict(round_doc.get("max_per_category", {})),
        excellent_cap=excellent_limit(round_doc.get("excellent_cap"), round_doc.get("excellent_cap_share"),
                                      len(round_doc["candidates"])),
        abstain_allowed=bool(round_doc.get("abstain_allowed", True)),
    )


def validate_ballot(rules: BallotRules, selections: list[str] | None, grades: dict[str, str] | None) -> None:
    """Raise BallotInvalid with the reason when the ballot is spoiled; return quietly when it is valid."""
    selections = list(selections or [])
    grades = dict(grades or {})
    by_id = {c.nomination_id: c for c in rules.candidates}
    if rules.ballot_type == "approval":
        if grades:
            raise BallotInvalid("wrong_ballot_type", "an approval ballot selects candidates; it gives no grades")
        if not selections:
            raise BallotInvalid("empty")
        if len(set(selections)) != len(selections):
            raise BallotInvalid("duplicate_selection")
        per_category: dict[str, int] = {}
        for nid in selections:
            cand = by_id.get(nid)
            if cand is None:
                raise BallotInvalid("unknown_candidate", nid)
            if cand.withdrawn:
                raise BallotInvalid("withdrawn_candidate", nid)
            per_category[cand.category_id] = per_category.get(cand.category_id, 0) + 1
        for cat, n in per_category.items():
            limit = rules.max_per_category.get(cat)
            if limit is not None and n > limit:
                raise BallotInvalid("too_many_selections", f"{n} selected in {cat}, at most {limit}")
        return
    if selections:
        raise BallotInvalid("wrong_ballot_type", "an appraisal ballot grades candidates; it selects none")
    if not grades:
        raise BallotInvalid("empty")
    excellent = 0
    for nid, grade in grades.items():
        cand = by_id.get(nid)
        if cand is None:
            raise BallotInvalid("unknown_candidate", nid)
        if cand.withdrawn:
            raise BallotInvalid("withdrawn_candidate", nid)
        if grade not in GRADES:
            raise BallotInvalid("unknown_grade", str(grade))
        excellent += grade == "excellent"
    if rules.excellent_cap is not None and excellent > rules.excellent_cap:
        raise BallotInvalid("too_many_excellent", f"{excellent} given, at most {rules.excellent_cap}")
    if not rules.abstain_allowed:
        ungraded = next((c.nomination_id for c in rules.candidates
                         if not c.withdrawn and c.nomination_id not in grades), None)
        if ungraded is not None:
            raise BallotInvalid("ungraded_candidate", ungraded)


# ---- tallies ------------------------------------------------------------------------------------------

def ballot_increments(ballot_type: str, selections: Iterable[str], grades: dict[str, str]) -> dict[str, int]:
    """The tally counters one valid ballot adds to (dotted keys of the tally document)."""
    inc: dict[str, int] = {}
    if ballot_type == "approval":
        for nid in selections:
            inc[f"approvals.{nid}"] = inc.get(f"approvals.{nid}", 0) + 1
    else:
        for nid, grade in grades.items():
            inc[f"grades.{nid}.{grade}"] = inc.get(f"grades.{nid}.{grade}", 0) + 1
    return inc


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def candidate_rows(ballot_type: str, candidate_ids: Iterable[str], approvals: dict[str, int],
                   grades: dict[str, dict[str, int]], eligible: int, cast: int) -> list[dict[str, Any]]:
    """Per nominee: approvals (for appraisal: 优秀+称职, the favourable grades), grade distribution, 得票率."""
    rows = []
    for nid in candidate_ids:
        dist = {g: int(grades.get(nid, {}).get(g, 0)) for g in GRADES} if ballot_type == "appraisal" else {}
        count = (sum(dist[g] for g in FAVOURABLE) if ballot_type == "appraisal" else int(approvals.get(nid, 0)))
        rows.append({"nomination_id": nid, "approvals": count, "grades": dist,
                     "share_of_eligible": share(count, eligible), "share_of_cast": share(count, cast)})
    return rows


def turnout(voted_by_unit: dict[str, int], eligible_by_unit: dict[str, int]) -> dict[str, float]:
    return {unit: share(int(voted_by_unit.get(unit, 0)), n) for unit, n in sorted(eligible_by_unit.items())}


def recompute_tally(ballot_type: str, candidate_ids: list[str], entries: Iterable[dict[str, Any]],
                    eligible: int) -> dict[str, Any]:
    """The whole tally from bulletin entries alone (what any observer can do with the published bulletin)."""
    approvals: dict[str, int] = {}
    grades: dict[str, dict[str, int]] = {}
    cast = 0
    for e in entries:
        cast += 1
        for key, n in ballot_increments(ballot_type, e.get("selections", []), e.get("grades", {})).items():
            parts = key.split(".")
            if parts[0] == "approvals":
                approvals[parts[1]] = approvals.get(parts[1], 0) + n
            else:
                grades.setdefault(parts[1], {})[parts[2]] = grades.get(parts[1], {}).get(parts[2], 0) + n
    return {"ballots_cast": cast,
            "candidates": candidate_rows(ballot_type, candidate_ids, approvals, grades, eligible, cast)}
