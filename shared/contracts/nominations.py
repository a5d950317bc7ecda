"""Events of the nominations service: programmes, the organisation tree, the roll, nominations."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .base import Event
from .topics import NOMINATIONS

NomineeKind = Literal["organ", "branch", "site", "team", "member"]
Board = Literal["model_organ", "red_flag_branch", "demonstration_site", "service_team", "excellent_member",
                "pacesetter", "other"]
Component = Literal["basic", "key_tasks", "business", "report", "peer_vote"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CriterionInfo(_Part):
    criterion_id: str
    name: str
    max_points: float
    step: float = 0.5


class CategoryInfo(_Part):
    category_id: str
    name: str
    name_en: str = ""
    nominee_kind: NomineeKind
    board: Board = "other"
    quota: int
    competitive_ratio: float = 1.0
    unit_limit: int | None = None
    criteria: list[CriterionInfo]
    weights: dict[Component, float]
    # Which of the category's peer rounds feeds the peer-vote component: the latest one opened to feed it, or the
    # latest of one ballot type (a shortlisting approval round then does not replace an appraisal, or the reverse).
    peer_vote_round: Literal["latest", "approval", "appraisal"] = "latest"
    # 业务工作进位: the business component as progress against this earlier programme's business ranking.
    business_baseline_programme_id: str | None = None


class StageWindow(_Part):
    stage: str
    opens_at: datetime
    closes_at: datetime


class ProgrammeDefined(Event, topic=NOMINATIONS):
    programme_id: str
    version: int
    name: str
    year: int
    categories: list[CategoryInfo]
    stages: list[StageWindow]
    # How the stages open and close: by the organiser (StageChanged) or by their windows' dates (Asia/Shanghai).
    stage_control: Literal["organiser", "dates"] = "organiser"


class StageChanged(Event, topic=NOMINATIONS):
    programme_id: str
    stage: str
    state: Literal["open", "closed"]


class UnitInfo(_Part):
    unit_id: str
    name: str
    parent_id: str | None = None
    kind: Literal["organ", "department", "branch", "site", "team"] = "organ"


class UnitsImported(Event, topic=NOMINATIONS):
    units: list[UnitInfo]


class MemberInfo(_Part):
    member_id: str
    name: str
    unit_id: str


class MembersImported(Event, topic=NOMINATIONS):
    members: list[MemberInfo]


class NominationSubmitted(Event, topic=NOMINATIONS):
    nomination_id: str
    category_id: str
    nominee_id: str
    nominee_name: str
    nominee_kind: NomineeKind
    unit_id: str
    unit_name: str
    resubmission: bool = False


class NominationApproved(Event, topic=NOMINATIONS):
    nomination_id: str
    category_id: str
    comment: str = ""


class NominationReturned(Event, topic=NOMINATIONS):
    nomination_id: str
    category_id: str
    comments: str


class NominationRejected(Event, topic=NOMINATIONS):
    nomination_id: str
    category_id: str
    reason: str


class NominationWithdrawn(Event, topic=NOMINATIONS):
    nomination_id: str
    category_id: str


class VetoSet(Event, topic=NOMINATIONS):
    """一票否决 on a nominee, at any stage: its nominations are rejected, taken off a notice, or their honours revoked."""  # noqa: E501 -- the schema's description, held by the contract snapshot

    nominee_id: str
    reason: str
    nomination_ids: list[str] = []
    stage: str = ""


class VetoLifted(Event, topic=NOMINATIONS):
    nominee_id: str
    reason: str
    nomination_ids: list[str] = []


class AttachmentAdded(Event, topic=NOMINATIONS):
    """A file attached to a nomination's materials; its bytes stay in the nominations service (sha256 to check)."""

    nomination_id: str
    file_id: str
    filename: str
    size: int
    content_type: str
    sha256: str = ""


class SigninLinkInfo(_Part):
    link_id: str
    role: str
    subject_id: str | None = None  # none for a member: a voter's identity stays off the record
    name: str = ""


class SigninLinksIssued(Event, topic=NOMINATIONS):
    """Sign-in links the organiser issued (their tokens are never stored nor sent); members' links by id only."""

    links: list[SigninLinkInfo]
    expires_at: datetime


class SigninLinkRevoked(Event, topic=NOMINATIONS):
    link_id: str
    role: str
