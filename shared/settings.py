"""Settings read from the environment (prefix EXEMPLAR_), with local defaults."""
from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_DEV_SECRET = "local-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXEMPLAR_", extra="ignore")

    env: str = "local"
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    mongo_url: str = "mongodb://127.0.0.1:27027/?directConnection=true"
    # Prefixes isolate one programme installation (or one test) from another on shared servers.
    db_prefix: str = "exemplar"
    topic_prefix: str = "exemplar"
    auth_secret: SecretStr = SecretStr(LOCAL_DEV_SECRET)
    auth_jwks_url: str | None = None
    auth_issuer: str = "exemplar"
    auth_audience: str = "exemplar"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_format: str = "console"
    log_level: str = "INFO"
    max_delivery_attempts: int = Field(default=5, ge=1)
    # The events consumer applies a delivered batch in transactions of at most this many events and about this many
    # bytes of them (shared/service.py), and waits this long for a batch to fill.
    consumer_batch_events: int = Field(default=500, ge=1)
    consumer_batch_bytes: int = Field(default=1_000_000, ge=1)
    consumer_batch_timeout_ms: int = Field(default=15, ge=0)
    outbox_poll_seconds: float = 0.5
    # How long the outbox relay waits for Kafka to acknowledge what it sent before it gives the producer up for a
    # new one and sends again (an idempotent producer retries a refused batch for ever on its own).
    kafka_publish_timeout_seconds: float = Field(default=60.0, gt=0)
    # /readyz fails when the events consumer has been out of its group this long (a join takes a few seconds).
    readiness_grace_seconds: float = Field(default=30.0, gt=0)
    # How often the gauges that need a query (consumer lag, outbox backlog) are refreshed for /metrics.
    metrics_refresh_seconds: float = Field(default=10.0, gt=0)
    # Public endpoints are rate-limited per client address (requests per minute).
    public_rate_per_minute: int = 600

    # A stable name for this process among its service's replicas (Kafka static membership): a process that
    # restarts after a crash takes its place in the consumer group back at once instead of waiting for the
    # broker to expire the dead member. Must differ between replicas; unset means dynamic membership.
    instance_id: str | None = None
    # A replay run consumes with its own consumer group so the live group's offsets are left alone.
    group_suffix: str = ""

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> "Settings":
        if self.env == "production" and not self.auth_jwks_url and (
            self.auth_secret.get_secret_value() == LOCAL_DEV_SECRET or len(self.auth_secret.get_secret_value()) < 32
        ):
            raise ValueError("EXEMPLAR_AUTH_SECRET must be set to a random value of 32+ characters in production "
                             "(or set EXEMPLAR_AUTH_JWKS_URL)")
        return self

    def database_name(self, service: str) -> str:
        return f"{self.db_prefix}_{service}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
