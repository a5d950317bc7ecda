"""A transaction left open by a killed process holds up writes to its documents only briefly on the local server.

A consumer SIGKILLed in the middle of a batch transaction never ends it. Until the server aborts it, every write to
the same documents conflicts and is retried: with SecantusDB's default (60 s idle, as mongod's
transactionLifetimeLimitSeconds) the restarted leaderboard applied nothing for 56 s in the fault suite. The stack
runs the server with 10 s (devtools/secantus_server.py).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from uuid import uuid4

import pytest
from pymongo import MongoClient

from devtools.secantus_server import TRANSACTION_LIFETIME_SECONDS

pytestmark = pytest.mark.conformance

KILLED = """
import sys, time
from pymongo import MongoClient
client = MongoClient(sys.argv[1])
coll = client[sys.argv[2]].entries
session = client.start_session()
session.start_transaction()
coll.update_one({"_id": "e1"}, {"$set": {"by": "killed"}}, session=session)
print("in transaction", flush=True)
time.sleep(600)
"""


def test_a_killed_processs_transaction_stops_blocking_its_documents_within_seconds(servers):
    db = "abandoned" + uuid4().hex[:8]
    client = MongoClient(servers.mongo_url)
    try:
        client[db].entries.insert_one({"_id": "e1", "by": "seed"})
        child = subprocess.Popen([sys.executable, "-c", KILLED, servers.mongo_url, db], stdout=subprocess.PIPE,
                                 text=True)
        try:
            assert child.stdout.readline().strip() == "in transaction"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        started = time.monotonic()
        with client.start_session() as session:
            session.with_transaction(lambda s: client[db].entries.update_one(
                {"_id": "e1"}, {"$set": {"by": "successor"}}, session=s))
        waited = time.monotonic() - started
        print(f"\n[measure] write behind a killed process's transaction waited {waited:.1f}s "
              f"(idle limit {TRANSACTION_LIFETIME_SECONDS:g}s)")
        assert client[db].entries.find_one({"_id": "e1"})["by"] == "successor"
        assert waited < TRANSACTION_LIFETIME_SECONDS + 10, waited
    finally:
        client.drop_database(db)
        client.close()
