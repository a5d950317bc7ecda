"""Settings of the nominations service: the shared EXEMPLAR_ variables; it reads none of its own today."""
from __future__ import annotations

from shared.settings import Settings


class NominationsSettings(Settings):
    """The shared settings (Kafka, MongoDB, auth, HTTP, rate limits); a bad value fails at start-up, naming the
    variable (pydantic's ValidationError), never a silent default."""


def settings_for(settings: Settings | None) -> Settings:
    """The given settings (tests, the local stack), or those of the environment."""
    return settings if settings is not None else NominationsSettings()
