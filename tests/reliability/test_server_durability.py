"""Durability of the local servers under a hard kill (why the fault suite restarts them with SIGTERM)."""
from __future__ import annotations

import tempfile

import pytest
from pymongo import MongoClient, WriteConcern

from deploy.servers import LocalServers
from tests.reliability.faults import restart_server, signal_group

pytestmark = pytest.mark.timeout(120)


@pytest.mark.xfail(strict=False, reason="finding 4 in docs/reliability.md: SecantusDB 0.7.0b3 loses acknowledged "
                   "writes (even w=majority, j=true, in transactions) when SIGKILLed")
def test_mongodb_keeps_acknowledged_writes_through_a_hard_kill():
    servers = LocalServers(tempfile.mkdtemp(prefix="exemplar-durability-"))
    servers.start_mongo()
    try:
        with MongoClient(servers.mongo_url) as client:
            coll = client.t.get_collection("c", write_concern=WriteConcern(w="majority", j=True))
            for i in range(20):
                with client.start_session() as session:
                    session.with_transaction(lambda s, i=i: coll.insert_one({"_id": i}, session=s))
        restart_server(servers, "mongodb", hard=True)
        with MongoClient(servers.mongo_url) as client:
            assert client.t.c.count_documents({}) == 20
    finally:
        for mp in list(servers.processes):
            signal_group(mp, 15)


def test_restart_kafka_really_restarts_the_broker():
    """finding 1: LocalServers.restart('kafka') signals only noida-db's launcher; its broker keeps running (and the
    new launcher exits with 'already running'). restart_server signals the process group instead."""
    import os

    servers = LocalServers(tempfile.mkdtemp(prefix="exemplar-durability-"))
    servers.start_kafka()
    try:
        pgid = servers.kafka_process().pid
        restart_server(servers, "kafka")
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)  # nothing of the old process group is left
        assert servers.kafka_process().alive()
    finally:
        for mp in list(servers.processes):
            signal_group(mp, 15)
