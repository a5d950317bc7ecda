"""Events of the publicity service: notices, objections (never with contact details), honours."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .base import Event
from .topics import PUBLICITY


class ListedEntry(BaseModel):
    """One line of a published 公示 list, as it was frozen when the notice opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    nomination_id: str
    rank: int
    composite: float
    components: list[dict[str, Any]] = []
    nominee_name: str = ""
    unit_name: str = ""


class PublicityOpened(Event, topic=PUBLICITY):
    notice_id: str
    category_id: str
    nomination_ids: list[str]
    starts_at: datetime
    ends_at: datetime
    working_days: int
    title: str = ""
    calendar_warning: str = ""
    replaces: list[str] = []
    # The frozen list (ranks, composites, explanations) and the versions of the inputs it was drawn from.
    listing: list[ListedEntry] = []
    standings_sequence: int | None = None
    programme_version: int | None = None


class ObjectionFiled(Event, topic=PUBLICITY):
    objection_id: str
    notice_id: str
    nomination_id: str
    tracking_no: str


class ObjectionAssigned(Event, topic=PUBLICITY):
    objection_id: str
    nomination_id: str
    investigator: str


class ObjectionResolved(Event, topic=PUBLICITY):
    objection_id: str
    nomination_id: str
    outcome: Literal["sustained", "dismissed"]
    reason: str


class NomineeRemoved(Event, topic=PUBLICITY):
    notice_id: str
    nomination_id: str
    reason: str


class HonourConfirmed(Event, topic=PUBLICITY):
    honour_id: str
    notice_id: str
    nomination_id: str
    category_id: str
    title: str
    nominee_name: str = ""
    unit_name: str = ""


class HonourRevoked(Event, topic=PUBLICITY):
    honour_id: str
    nomination_id: str
    reason: str


# ---- added by the publicity service (new events; the ones above keep their names and fields) ----------

class ObjectionFindingsRecorded(Event, topic=PUBLICITY):
    """An investigator recorded findings on an objection. The findings text stays in the publicity service:
    it may quote the objector, so it never travels on the bus."""

    objection_id: str
    nomination_id: str
    investigator: str
    findings_count: int


class PublicityClosed(Event, topic=PUBLICITY):
    """The period of a notice ended; confirmed nominees follow as HonourConfirmed, blocked ones wait for resolution."""

    notice_id: str
    category_id: str
    confirmed: list[str]
    blocked: list[str]
    removed: list[str]


class HonourReviewScheduled(Event, topic=PUBLICITY):
    """A periodic review (复查) of a confirmed honour is scheduled."""

    honour_id: str
    review_id: str
    nomination_id: str
    due_date: date
    note: str = ""  # the organiser's note on why the review is scheduled


class HonourReviewed(Event, topic=PUBLICITY):
    """The outcome of a periodic review; "revoke" is followed by HonourRevoked."""

    honour_id: str
    review_id: str
    nomination_id: str
    outcome: Literal["maintained", "rectification", "revoke"]
    note: str = ""


class NoticeDatesCorrected(Event, topic=PUBLICITY):
    """An open notice's period corrected (a wrong start or number of working days), with the organiser's reason."""

    notice_id: str
    category_id: str
    version: int
    starts_at: datetime
    ends_at: datetime
    working_days: int
    reason: str
    calendar_warning: str = ""


class CalendarUploaded(Event, topic=PUBLICITY):
    """A year's holiday arrangement (节假日安排) uploaded; it replaces the package's for that year. Installation-wide:
    its envelope's programme id is empty."""

    year: int
    holidays: int
    workdays: int
    filename: str = ""
