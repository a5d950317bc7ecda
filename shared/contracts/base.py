"""Event base class, the registry of event types and the envelope every message travels in."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar
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


class UnsupportedSchemaVersion(ValueError):
    """An event of a schema version this code cannot read: newer than its class, or with no upcaster to it."""


Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
U = TypeVar("U", bound=Upcaster)

# (event type, version) -> the function that maps a payload of that version to the next version's
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(cls: type[Event], *, from_version: int) -> Callable[[U], U]:
    """Register fn(payload) -> payload mapping a `from_version` payload of `cls` to version from_version + 1.

    Events stay on Kafka and in outboxes across deployments: when a contract gets a new schema version, the old
    payloads still arriving are brought up to date one version at a time when they are parsed."""

    def register(fn: U) -> U:
        if not 1 <= from_version < cls.schema_version:
            raise TypeError(f"{cls.event_type} is at schema version {cls.schema_version}: "
                            f"no upcaster from version {from_version}")
        if (cls.event_type, from_version) in UPCASTERS:
            raise TypeError(f"{cls.event_type} has two upcasters from version {from_version}")
        UPCASTERS[(cls.event_type, from_version)] = fn
        return fn

    return register


def upcast(cls: type[Event], version: int, payload: Payload) -> Payload:
    """The payload of a `version` event of `cls` mapped, an upcaster at a time, to the class's schema version."""
    if version > cls.schema_version:
        raise UnsupportedSchemaVersion(f"{cls.event_type} version {version} is newer than this service reads "
                                       f"(version {cls.schema_version})")
    for v in range(version, cls.schema_version):
        fn = UPCASTERS.get((cls.event_type, v))
        if fn is None:
            raise UnsupportedSchemaVersion(f"{cls.event_type} version {version} cannot be read: "
                                           f"no upcaster from version {v}")
        payload = fn(dict(payload))
    return payload


def utcnow() -> datetime:
    return datetime.now(UTC)


ActorRole = Literal["organiser", "unit", "judge", "system"]  # never "member": see Actor


class Actor(BaseModel):
    """Who made a change: the signed-in principal of the request, or "system" for what an event or a timer caused.

    Never a voter's identity: what a member does as a voter (a ballot) travels with no member actor at all
    (shared.context.principal_actor gives none for the member role), and what the counter emits is "system"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: ActorRole
    subject: str = ""  # the token's subject (a sign-in identity); empty for "system"
    name: str = ""  # the display name, when the token carries one
    unit_id: str | None = None
    judge_id: str | None = None
    cause: str | None = None  # "system": the id of the event whose handling emitted this one


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
    # Who made the change (shared.context.current_actor when emitted); None on envelopes written before actors were
    # recorded, and on what no principal caused.
    actor: Actor | None = None

    @classmethod
    def wrap(cls, event: Event, *, programme_id: str, key: str, correlation_id: str | None = None,
             actor: Actor | None = None) -> Envelope:
        return cls(
            type=event.event_type,
            schema_version=event.schema_version,
            programme_id=programme_id,
            key=key,
            correlation_id=correlation_id or uuid4().hex,
            payload=event.model_dump(mode="json"),
            actor=actor,
        )

    def event(self) -> Event:
        """The event, its payload brought up to its class's schema version first (see `upcaster`)."""
        cls = EVENT_TYPES.get(self.type)
        if cls is None:
            raise UnknownEventType(f"unknown event type {self.type!r}")
        if self.schema_version == cls.schema_version:
            return cls.model_validate(self.payload)
        return cls.model_validate(upcast(cls, self.schema_version, self.payload))

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
