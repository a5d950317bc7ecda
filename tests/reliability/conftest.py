"""A stack of its own for the fault suite (its servers get restarted, so they must not be the session's)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from devtools.stack import Stack
from shared.settings import Settings
from tests.conftest import test_kafka_impl
from tests.reliability.faults import signal_group


@pytest.fixture(scope="module")
def stack():
    root = Path(tempfile.mkdtemp(prefix="exemplar-faults-"))
    # Every service that learns from the others' events runs too: the replay after the faults compares each one's
    # learned views with what it built live through the same faults.
    st = Stack(root, services=("nominations", "voting", "scoring", "publicity", "leaderboard"), dashboard=False,
               prefix="faults",
               extra_env={"EXEMPLAR_OUTBOX_POLL_SECONDS": "0.2", "EXEMPLAR_LOG_LEVEL": "INFO",
                          # small transactions, so a SIGKILL lands in the middle of a stream (between and
                          # inside the batch transactions) rather than after one transaction took it all
                          "EXEMPLAR_CONSUMER_BATCH_EVENTS": "8"},
               kafka_impl=test_kafka_impl())  # the session's broker: Apache Kafka by default, noida-db on request
    st.start()
    try:
        yield st
    finally:
        processes = list(st.processes.values()) + list(st.servers.processes if st.servers else [])
        for mp in processes:
            signal_group(mp, 15)
        st.processes.clear()
        if st.servers:
            st.servers.processes.clear()


@pytest.fixture
def stack_settings(stack) -> Settings:
    return Settings(kafka_bootstrap=stack.servers.kafka_bootstrap, mongo_url=stack.servers.mongo_url,
                    db_prefix=stack.prefix, topic_prefix=stack.prefix, log_level="WARNING")
