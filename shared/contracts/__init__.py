"""The one contracts package: every event is defined here once, with its envelope and topic."""
from . import nominations, publicity, scoring, topics, voting  # noqa: F401  (registers the event types)
from .base import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    UPCASTERS,
    Actor,
    DeadLetter,
    Envelope,
    Event,
    UnknownEventType,
    UnsupportedSchemaVersion,
    upcaster,
)

__all__ = ["EVENT_TYPES", "SCHEMA_VERSION", "UPCASTERS", "Actor", "DeadLetter", "Envelope", "Event", "UnknownEventType",
           "UnsupportedSchemaVersion", "topics", "upcaster"]
