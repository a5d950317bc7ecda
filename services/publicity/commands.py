"""The inputs of publicity's use cases, as the HTTP API accepts them (pydantic models, validated on parsing)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from .domain import MAX_WORKING_DAYS


class NoticeIn(BaseModel):
    programme_id: str = Field(min_length=1)
    category_id: str = Field(min_length=1)
    working_days: int = Field(default=5, ge=1, le=MAX_WORKING_DAYS)
    starts_at: datetime | None = Field(
        default=None, description="Defaults to now (the notice starts when it is published); without a zone it is "
                                  "Asia/Shanghai time. A start in the past is refused (no backdating); a later "
                                  "one (up to 90 days ahead) schedules the notice.")
    nomination_ids: list[str] | None = Field(default=None, description="Defaults to the top `quota` by rank.")
    contact_office: str = Field(default="市直机关工委组织部", min_length=2, max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=120)
    issuer: str = Field(default="市直机关工作委员会", min_length=2, max_length=100)
    objection_url: str = Field(default="", max_length=300)
    fallback_weekends_only: bool = Field(
        default=False, description="When a year's holiday calendar is unknown, count weekends only (with a warning).")


class ReplacementIn(BaseModel):
    nomination_id: str | None = Field(default=None, description="Defaults to the next-ranked candidate.")
    working_days: int | None = Field(default=None, ge=1, le=MAX_WORKING_DAYS)
    fallback_weekends_only: bool = False


class CorrectionIn(BaseModel):
    """A correction of a notice's dates: a new version of the notice, the prior one kept in its history."""

    starts_at: datetime | None = Field(default=None, description="A new start, only before the notice has started; "
                                                                 "not in the past")
    working_days: int | None = Field(default=None, ge=1, le=MAX_WORKING_DAYS)
    reason: str = Field(min_length=2, max_length=2000)
    fallback_weekends_only: bool = False


class ObjectionIn(BaseModel):
    """A real-name objection as the public form sends it (validated by the action, with its own messages)."""

    nomination_id: str
    name: str
    reason: str
    phone: str = ""
    email: str = ""


class AssignIn(BaseModel):
    investigator: str = Field(min_length=1, max_length=100)


class FindingsIn(BaseModel):
    findings: str = Field(min_length=2, max_length=10_000)


class ResolveIn(BaseModel):
    outcome: Literal["sustained", "dismissed"]
    reason: str = Field(min_length=2, max_length=2000)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=2, max_length=2000)


class ReviewIn(BaseModel):
    due_date: date
    note: str = Field(default="", max_length=2000)


class ReviewOutcomeIn(BaseModel):
    outcome: Literal["maintained", "rectification", "revoke"]
    note: str = Field(default="", max_length=2000)
