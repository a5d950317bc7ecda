"""Event base class, the registry of event types and the envelope every message travels in."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Event(BaseModel):
    """A fact that happened, named in the past tense. Subclasses register themselves by name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = ""
    topic: ClassVar[str] = ""
    schema_version: ClassVar[int] = SCHEMA_VERSION

    def __init_subclass__(cls, *, topic: str | None = None, version: int = SCHEMA_VERSION, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if topic is None:
            return
        cls.event_type = cls.__name__
        cls.topic = topic
        cls.schema_version = version
        if cls.__name__ in EVENT_TYPES and EVENT_TYPES[cls.__name__] is not cls:
            raise TypeError(f"event type {cls.__name__} is defined twice")
        EVENT_TYPES[cls.__name__] = cls


EVENT_TYPES: dict[str, type[Event]] = {}


class UnknownEventType(ValueError):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """What every message carries: the event id is the idempotency key; the key orders one aggregate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(default_factory=lambda: uuid4().hex)
    type: str
    schema_version: int
    occurred_at: datetime = Field(default_factory=utcnow)
    programme_id: str
    correlation_id: str = Field(default_factory=lambda: uuid4().hex)
    key: str
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event, *, programme_id: str, key: str, correlation_id: str | None = None) -> Envelope:
        return cls(
            type=event.event_type,
            schema_version=event.schema_version,
            programme_id=programme_id,
            key=key,
            correlation_id=correlation_id or uuid4().hex,
            payload=event.model_dump(mode="json"),
        )

    def event(self) -> Event:
        cls = EVENT_TYPES.get(self.type)
        if cls is None:
            raise UnknownEventType(f"unknown event type {self.type!r}")
        return cls.model_validate(self.payload)

    @property
    def topic(self) -> str:
        cls = EVENT_TYPES.get(self.type)
        if cls is None:
            raise UnknownEventType(f"unknown event type {self.type!r}")
        return cls.topic


class DeadLetter(BaseModel):
    """A message a consumer could not process, with the reason; re-driven by `exemplar dlq redrive`."""

    model_config = ConfigDict(extra="forbid")

    dead_letter_id: str = Field(default_factory=lambda: uuid4().hex)
    consumer: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    original: str
    reason: str
    attempts: int
    failed_at: datetime = Field(default_factory=utcnow)
