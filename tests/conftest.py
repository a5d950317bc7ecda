"""Shared fixtures: the real local Kafka and MongoDB servers, started once per test session."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from devtools.servers import LocalServers


class ExternalServers:
    """Servers started by someone else (e.g. `.ci/run` for the Apache Kafka conformance run)."""

    def __init__(self, kafka_bootstrap: str, mongo_url: str) -> None:
        self.kafka_bootstrap, self.mongo_url = kafka_bootstrap, mongo_url

    def env(self) -> dict[str, str]:
        return {"EXEMPLAR_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "EXEMPLAR_MONGO_URL": self.mongo_url}


@pytest.fixture(scope="session")
def servers():
    kafka = os.environ.get("EXEMPLAR_TEST_KAFKA_BOOTSTRAP")
    mongo = os.environ.get("EXEMPLAR_TEST_MONGO_URL")
    if kafka and mongo:
        yield ExternalServers(kafka, mongo)
        return
    root = Path(tempfile.mkdtemp(prefix="exemplar-test-servers-"))
    impl = os.environ.get("EXEMPLAR_TEST_KAFKA_IMPL", "noida")
    with LocalServers(root, kafka_impl=impl) as s:
        yield s


@pytest.fixture
def settings(servers):
    from tests.support import fresh_settings

    return fresh_settings(servers)
