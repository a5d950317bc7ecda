"""On the local MongoDB-wire server, a retryable write stays as cheap as a plain one once the server keeps its full
10,000 retryable-write records (devtools/secantus_server.py). Unpatched, each such write sorted every record under
the lock that transactions also take: insert_one went from 1.4-7 ms to 70-90 ms in the full-size benchmark."""
from __future__ import annotations

import statistics
import time

import pytest
from pymongo import MongoClient

from devtools.servers import LocalServers

FILL = 10_500  # past the server's cap of 10,000 records
PROBES = 200


def per_write_ms(coll, n: int) -> float:
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        coll.insert_one({"i": i})
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def test_retryable_writes_stay_cheap_past_the_record_cap(servers):
    if not isinstance(servers, LocalServers):
        pytest.skip("servers started elsewhere")
    url = servers.mongo_url
    sep = "&" if "?" in url else "?"
    with MongoClient(url + f"{sep}retryWrites=true") as retrying, \
            MongoClient(url + f"{sep}retryWrites=false") as plain:
        db = retrying["retryable_probe"]
        db.fill.drop()
        db.fill.insert_one({"_id": 1, "n": 0})
        started = time.perf_counter()
        for _ in range(FILL):  # each one is a retryable write the server keeps a record of
            db.fill.update_one({"_id": 1}, {"$inc": {"n": 1}})
        fill_s = time.perf_counter() - started
        assert db.fill.find_one({"_id": 1})["n"] == FILL
        retry_ms = per_write_ms(db.probe, PROBES)
        plain_ms = per_write_ms(plain["retryable_probe"].probe_plain, PROBES)
        retrying.drop_database("retryable_probe")
    print(f"\n{FILL} retryable updates in {fill_s:.1f} s; insert_one median: retryable {retry_ms:.2f} ms, "
          f"plain {plain_ms:.2f} ms")
    assert retry_ms < 3 * plain_ms + 1.0, (retry_ms, plain_ms)
