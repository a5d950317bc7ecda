"""Shared fixtures: the real local Kafka and MongoDB servers, started once per test session; and the `servers`
marker on every test that needs them (the fast tier, `./exemplar test --unit`, deselects those)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from devtools.servers import LocalServers, choose_kafka_impl


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
    """Servers started by someone else (e.g. a stack already running), named by EXEMPLAR_TEST_KAFKA_BOOTSTRAP and
    EXEMPLAR_TEST_MONGO_URL; EXEMPLAR_TEST_KAFKA_IMPL says which broker it is (default apache)."""

    def __init__(self, kafka_bootstrap: str, mongo_url: str, kafka_impl: str = "apache") -> None:
        self.kafka_bootstrap, self.mongo_url, self.kafka_impl = kafka_bootstrap, mongo_url, kafka_impl

    def env(self) -> dict[str, str]:
        return {"EXEMPLAR_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "EXEMPLAR_MONGO_URL": self.mongo_url}


def test_kafka_impl() -> str:
    """The session's broker: EXEMPLAR_TEST_KAFKA_IMPL, else EXEMPLAR_KAFKA_IMPL (set by `./exemplar test
    --kafka ...`), else Apache Kafka wherever Java 17+ can be had and noida-db otherwise (said once)."""
    return choose_kafka_impl(os.environ.get("EXEMPLAR_TEST_KAFKA_IMPL") or None)


test_kafka_impl.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session")
def servers():
    kafka = os.environ.get("EXEMPLAR_TEST_KAFKA_BOOTSTRAP")
    mongo = os.environ.get("EXEMPLAR_TEST_MONGO_URL")
    if kafka and mongo:
        yield ExternalServers(kafka, mongo, os.environ.get("EXEMPLAR_TEST_KAFKA_IMPL") or "apache")
        return
    root = Path(tempfile.mkdtemp(prefix="exemplar-test-servers-"))
    with LocalServers(root, kafka_impl=test_kafka_impl()) as s:
        yield s


@pytest.fixture(scope="session")
def kafka_of(servers):
    """`kafka_of("noida")` / `kafka_of("apache")`: a broker of that kind for a test about one broker's behaviour
    (e.g. a noida-db defect). The session's own servers when they are of that kind, else a Kafka-only LocalServers
    started on first use and kept for the session; skips when Apache Kafka cannot run here."""
    started: dict[str, LocalServers] = {}

    def get(impl: str):
        if getattr(servers, "kafka_impl", None) == impl:
            return servers
        if impl not in started:
            if impl == "apache":
                from devtools import apache_kafka

                reason = apache_kafka.unavailable_reason()
                if reason:
                    pytest.skip(f"Apache Kafka cannot run here: {reason}")
            extra = LocalServers(Path(tempfile.mkdtemp(prefix=f"exemplar-test-{impl}-")), kafka_impl=impl)
            extra.start_kafka()
            started[impl] = extra
        return started[impl]

    try:
        yield get
    finally:
        for extra in started.values():
            extra.stop()


@pytest.fixture
def settings(servers):
    from tests.support import fresh_settings

    return fresh_settings(servers)
