"""Events of the scoring service: judges' scores, recusals, composite standings, arena boards."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from .base import Event
from .topics import SCORING


class ScoreEntered(Event, topic=SCORING):
    nomination_id: str
    category_id: str
    judge_id: str
    criterion_id: str
    score: float
    revision: int = 1


class ScoreRevised(Event, topic=SCORING):
    nomination_id: str
    category_id: str
    judge_id: str
    criterion_id: str
    score: float
    previous: float
    revision: int


class JudgesAssigned(Event, topic=SCORING):
    """Judges of a panel were assigned to a nominee: the nominations service lets them read its materials."""
    nomination_id: str
    category_id: str
    panel_id: str
    judge_ids: list[str]


class JudgeRecused(Event, topic=SCORING):
    nomination_id: str
    judge_id: str
    reason: str
    declared: bool = False
    # Added compatibly: the category scored, the rule that applied (self, same_branch, own_unit, subordinate_unit,
    # superior_unit, declared) and the judge suggested in place of the recused one (None when nobody is free).
    category_id: str = ""
    rule: str = ""
    replacement_judge_id: str | None = None


class ComponentExplanation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    component: str
    raw: float | None
    normalised: float
    weight: float
    contribution: float
    detail: str = ""


class Standing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    nomination_id: str
    rank: int
    composite: float
    components: list[ComponentExplanation]
    nominee_name: str = ""
    # Which tie-break separated this standing from the one above it ("" when the composite alone did).
    tie_break: str = ""


class StandingsUpdated(Event, topic=SCORING):
    category_id: str
    programme_version: int
    sequence: int
    standings: list[Standing]
    # Added compatibly: a large category's standings come in `parts` events of the same sequence (part 1..parts,
    # in rank order, in order on the category's key), each well under Kafka's 1 MB message limit. A reader
    # takes a sequence as complete once it has every part.
    part: int = 1
    parts: int = 1


class ArenaBoardUpdated(Event, topic=SCORING):
    arena_id: str
    name: str
    sequence: int
    frozen: bool
    rounds: list[str]
    rows: list[dict[str, Any]]
    # Added compatibly: the round the board is frozen from (its and later rounds are hidden) and the live/prior blend.
    frozen_from: str | None = None
    live_weight: float = 1.0


class SpotCandidate(BaseModel):
    """One key task that may be drawn for a 随机点验 spot check; candidate_id is 'nomination_id/task_id'."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    candidate_id: str
    nomination_id: str
    task_id: str
    task_name: str = ""
    nominee_name: str = ""


class SpotCheckDrawCommitted(Event, topic=SCORING):
    """A spot-check draw's inputs, published before the seed exists (docs/verify.md, 随机点验 spot-check draws)."""

    category_id: str
    algorithm: str
    algorithm_version: int
    sample_size: int
    seed_source: str
    candidates: list[SpotCandidate]
    candidates_sha256: str
    inputs_sha256: str


class SpotCheckDrawn(Event, topic=SCORING):
    """The draw, made by revealing the announced public seed: the candidates with the lowest tickets, in order."""

    category_id: str
    seed: str
    inputs_sha256: str
    picks: list[str]
    tickets: list[str]


# ---- the organiser's changes to judging (on the record since issue 16; the audit trail lists them) ----------------
class JudgeRegistered(Event, topic=SCORING):
    judge_id: str
    name: str
    unit_id: str
    member_id: str | None = None
    title: str = ""


class PanelFormed(Event, topic=SCORING):
    panel_id: str
    category_id: str
    name: str
    judge_ids: list[str]
    min_judges: int


class PanelJudgesAdded(Event, topic=SCORING):
    panel_id: str
    judge_ids: list[str]


class PanelLockChanged(Event, topic=SCORING):
    """A panel locked (its scores, assignments and recusals can no longer change) or reopened."""

    panel_id: str
    category_id: str
    locked: bool


class ScoringConfigured(Event, topic=SCORING):
    """A programme's scoring configuration (aggregation, trimming, tie-breaks, judges per nominee)."""

    config: dict[str, Any]


class IndicatorsEntered(Event, topic=SCORING):
    """Indicator points of a nomination (basic 基础, business 业务, key tasks 重点), as entered."""

    nomination_id: str
    category_id: str
    points: dict[str, Any]


class SpotCheckResultRecorded(Event, topic=SCORING):
    category_id: str
    nomination_id: str
    task_id: str
    passed: bool
    verified_points: float | None = None
    note: str = ""
