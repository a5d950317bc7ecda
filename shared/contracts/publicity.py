"""Events of the publicity service: notices, objections (never with contact details), honours."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from .base import Event
from .topics import PUBLICITY


class PublicityOpened(Event, topic=PUBLICITY):
    notice_id: str
    category_id: str
    nomination_ids: list[str]
    starts_at: datetime
    ends_at: datetime
    working_days: int


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


class HonourRevoked(Event, topic=PUBLICITY):
    honour_id: str
    nomination_id: str
    reason: str
