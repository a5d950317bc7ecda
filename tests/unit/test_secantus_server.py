"""The local MongoDB-wire server's retryable-write records, pruned in constant time (devtools/secantus_server.py)."""
from __future__ import annotations

import time

import pytest

from devtools import secantus_server

t = pytest.importorskip("secantus.transactions")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def registry_class():
    assert secantus_server._patch(), "the installed SecantusDB is not the shape the launcher patches"
    return t.TransactionRegistry


def lsid(i: int) -> bytes:
    return i.to_bytes(16, "big")


def test_records_keep_their_cap_lifetime_and_replies(registry_class):
    clock = Clock()
    reg = registry_class(time_func=clock)
    cap = t._RETRYABLE_RECORD_MAX
    n = cap + 2_000
    started = time.perf_counter()
    for i in range(n):
        clock.now += 0.001
        reg.record_retryable(lsid(i), 1, b"cmd%d" % i, {"ok": 1.0, "n": 1, "i": i})
    elapsed = time.perf_counter() - started
    # The cap holds and the oldest records are the ones dropped.
    assert len(reg._retryable) == cap
    assert reg.retryable_reply(lsid(0), 1, b"cmd0") is None
    assert reg.retryable_reply(lsid(n - cap - 1), 1, b"cmd%d" % (n - cap - 1)) is None
    assert reg.retryable_reply(lsid(n - cap), 1, b"cmd%d" % (n - cap))["i"] == n - cap
    assert reg.retryable_reply(lsid(n - 1), 1, b"cmd%d" % (n - 1))["i"] == n - 1
    # A retry of a different command under the same key is not answered from the record.
    assert reg.retryable_reply(lsid(n - 1), 1, b"another command") is None
    # Unpatched, every record past the cap sorted all 10,000 (about 3 ms each, 6 s here).
    assert elapsed < 1.5, f"{n} records took {elapsed:.2f} s"


def test_a_record_written_again_moves_to_the_back_and_stale_ones_go(registry_class):
    clock = Clock()
    reg = registry_class(time_func=clock)
    for i in range(5):
        reg.record_retryable(lsid(i), 1, b"c", {"ok": 1.0, "n": 1})
        clock.now += 60
    reg.record_retryable(lsid(0), 1, b"c", {"ok": 1.0, "n": 2})  # written again: fresh, at the back
    assert list(reg._retryable)[-1] == (lsid(0), 1)
    clock.now += t._RETRYABLE_RECORD_LIFETIME_SECONDS - 30  # records 1..4 are now older than the lifetime
    reg.record_retryable(lsid(9), 1, b"c", {"ok": 1.0, "n": 1})
    assert set(reg._retryable) == {(lsid(0), 1), (lsid(9), 1)}
    assert reg.retryable_reply(lsid(0), 1, b"c")["n"] == 2


def test_failed_writes_are_not_recorded(registry_class):
    reg = registry_class(time_func=Clock())
    reg.record_retryable(lsid(1), 1, b"c", {"ok": 0.0, "errmsg": "boom"})
    reg.record_retryable(lsid(2), 1, b"c", {"ok": 1.0, "n": 0, "writeErrors": [{"index": 0, "code": 11000}]})
    assert reg._retryable == {}
