"""Request bodies of the scoring service's HTTP API."""
from __future__ import annotations

from typing import Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID = r"^[A-Za-z0-9_.:-]{1,64}$"
ComponentName = Literal["basic", "key_tasks", "business", "report", "peer_vote"]


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:10]}"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoringConfigIn(_In):
    """How a programme's components are computed and ranked."""

    vote_share: Literal["share_of_cast", "share_of_eligible"] = "share_of_cast"
    report_method: Literal["trimmed_mean", "mean"] = "trimmed_mean"
    min_judges_to_trim: int = Field(5, ge=3, le=50, description="drop one highest and one lowest from this many judges")
    zscore: bool = Field(False, description="normalise each judge's totals by z-score before aggregating")
    tie_breaks: list[ComponentName] = Field(default_factory=lambda: ["report", "peer_vote"])
    min_judges_per_nominee: int = Field(3, ge=1, le=50)

    @field_validator("tie_breaks")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each tie-break component may appear once")
        return v


class JudgeIn(_In):
    judge_id: str = Field(default_factory=lambda: _id("judge"), pattern=ID)
    name: str = Field(min_length=1, max_length=100)
    unit_id: str = Field(min_length=1, max_length=64)
    member_id: str | None = Field(None, max_length=64, description="the judge's own record on the roll, if any")
    title: str = Field("", max_length=100, description="职务 position")


class PanelIn(_In):
    panel_id: str = Field(default_factory=lambda: _id("panel"), pattern=ID)
    category_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=100)
    judge_ids: list[str] = Field(min_length=1)
    min_judges: int | None = Field(None, ge=1, le=50, description="K: judges per nominee (default from config)")


class PanelJudgesIn(_In):
    judge_ids: list[str] = Field(min_length=1)


class AutoAssignIn(_In):
    min_judges: int | None = Field(None, ge=1, le=50)


class AssignIn(_In):
    nomination_id: str = Field(min_length=1)
    judge_id: str = Field(min_length=1)


class RecusalIn(_In):
    reason: str = Field(min_length=2, max_length=500)


class ScoresIn(_In):
    nomination_id: str = Field(min_length=1)
    scores: dict[str, float] = Field(min_length=1, description="criterion_id -> score")


class ItemIn(_In):
    """One line of a part's breakdown (细项), as the party-building platform lists it."""
    name: str = Field(min_length=1, max_length=200)
    points: float = Field(ge=0)
    max_points: float = Field(gt=0)


class PointsIn(_In):
    points: float = Field(ge=0)
    max_points: float = Field(gt=0)
    items: list[ItemIn] | None = Field(None, description="the breakdown; when given, it adds up to the points")

    @model_validator(mode="after")
    def _within(self) -> "PointsIn":
        if self.points > self.max_points:
            raise ValueError("points must not exceed max_points")
        if self.items:
            if abs(sum(i.points for i in self.items) - self.points) > 1e-6:
                raise ValueError("items: their points must add up to points")
            if abs(sum(i.max_points for i in self.items) - self.max_points) > 1e-6:
                raise ValueError("items: their max_points must add up to max_points")
        return self


class KeyTaskIn(PointsIn):
    task_id: str = Field(pattern=ID)
    name: str = Field(min_length=1, max_length=200)


class IndicatorsIn(_In):
    basic: PointsIn | None = None
    business: PointsIn | None = None
    key_tasks: list[KeyTaskIn] | None = None

    @model_validator(mode="after")
    def _some(self) -> "IndicatorsIn":
        if self.basic is None and self.business is None and self.key_tasks is None:
            raise ValueError("give at least one of basic, business, key_tasks")
        if self.key_tasks and len({t.task_id for t in self.key_tasks}) != len(self.key_tasks):
            raise ValueError("key_tasks: task_id must be unique")
        return self


class SpotCommitIn(_In):
    """The draw's inputs, published before its seed exists: the sample size and the public random value to come."""
    sample_size: int = Field(ge=1, le=500)
    seed_source: str = Field(min_length=1, max_length=300, description=(
        "the public random value that will be the seed, announced in advance, e.g. "
        "'中国福利彩票3D 2026-12-05 开奖号码, digits without spaces'"))


class SpotDrawIn(_In):
    """The draw: the announced public value, typed exactly as published (its characters are the HMAC key)."""
    seed: str = Field(min_length=1, max_length=64)
    sample_size: int | None = Field(None, ge=1, le=500, description="if given, must be the committed sample size")


class SpotResultIn(_In):
    nomination_id: str
    task_id: str
    passed: bool
    verified_points: float | None = Field(None, ge=0)
    note: str = Field("", max_length=500)


class ArenaRoundIn(_In):
    round_id: str | None = Field(None, pattern=ID)
    name: str = Field(min_length=1, max_length=100)
    max_points: float = Field(gt=0)
    step: float = Field(0.5, gt=0)


class ContestantIn(_In):
    contestant_id: str | None = Field(None, pattern=ID)
    name: str = Field(min_length=1, max_length=200)
    unit_id: str | None = None
    nomination_id: str | None = None
    prior_score: float | None = Field(None, ge=0, le=100, description="earlier assessment, 0..100")


class ArenaIn(_In):
    arena_id: str = Field(default_factory=lambda: _id("arena"), pattern=ID)
    name: str = Field(min_length=1, max_length=200)
    category_id: str | None = None
    contestants: list[ContestantIn] = Field(min_length=2)
    rounds: list[ArenaRoundIn] = Field(min_length=1)
    judge_ids: list[str] = Field(min_length=1)
    live_weight: float = Field(1.0, ge=0, le=1, description="share of the live score in the final; the rest is prior")
    min_judges_to_trim: int = Field(5, ge=3, le=50)


class ArenaScoreIn(_In):
    round_id: str
    contestant_id: str
    score: float


class FreezeIn(_In):
    round_id: str
