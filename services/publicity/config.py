"""The publicity service's own settings, read from EXEMPLAR_PUBLICITY_* environment variables (the shared ones,
EXEMPLAR_*, stay in shared.settings)."""
from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class PublicitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXEMPLAR_PUBLICITY_", extra="ignore")

    # How often the closing scheduler looks for notices whose period has ended (EXEMPLAR_PUBLICITY_TICK_SECONDS).
    tick_seconds: float = Field(default=5.0, gt=0)
    # Objections per minute (and burst) from one client address, and from one objector's contact (phone or e-mail).
    objection_rate_per_minute: int = Field(default=10, ge=1)
    objection_burst: int = Field(default=5, ge=1)
    contact_rate_per_minute: int = Field(default=2, ge=1)
    contact_burst: int = Field(default=3, ge=1)


class ConfigError(RuntimeError):
    """A bad EXEMPLAR_PUBLICITY_* value: the service refuses to start and names it."""


def load() -> PublicitySettings:
    try:
        return PublicitySettings()
    except ValidationError as exc:
        problems = "; ".join(f"EXEMPLAR_PUBLICITY_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']} "
                             f"(got {e.get('input')!r})" for e in exc.errors())
        raise ConfigError(f"publicity settings: {problems}") from None
