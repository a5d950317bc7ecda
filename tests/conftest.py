"""Shared fixtures: the real local Kafka and MongoDB servers, started once per test session; and the `servers`
marker on every test that needs them (the fast tier, `./exemplar test --unit`, deselects those)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from devtools.servers import LocalServers


TESTS = Path(__file__).resolve().parent
# Folders whose tests start processes or servers of their own (a stack, a broker, the `exemplar demo` command),
# whatever fixtures they request.
SERVER_FOLDERS = frozenset({"e2e", "browser", "reliability", "conformance"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `servers` every test whose fixture closure holds the `servers` fixture (directly, through `settings`
    or any other fixture) and every test in a folder that starts processes, so `-m "not servers"` keeps only the
    tests that need no server."""
    for item in items:
        try:
            folder = Path(str(item.path)).resolve().relative_to(TESTS).parts[0]
        except ValueError:
            folder = ""
        if "servers" in getattr(item, "fixturenames", ()) or folder in SERVER_FOLDERS:
            item.add_marker(pytest.mark.servers)


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
