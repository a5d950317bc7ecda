"""Run the local MongoDB-wire server (SecantusDB) with its retryable-write records pruned in constant time.

SecantusDB 0.7 keeps the reply of every retryable write (30 minutes, at most 10,000 records) so that a driver's
retry is answered without writing twice. It prunes that record on every retryable write and every lookup by
scanning all records and, once the cap is reached, sorting all of them, under the lock every command takes. After
about 10,000 retryable writes (a few minutes of a busy programme: lease renewals, outbox clean-ups, projections)
each one costs milliseconds of the server's only core of Python: a plain `insert_one` took 70-90 ms instead of
1.4-7 ms on the same server (docs/performance.md, finding 11).

The records are kept in insertion order, so the oldest are at the front: pruning walks from the front and stops
at the first record that is fresh and within the cap. A record written again moves to the back. Lifetime, cap and
the replies themselves are unchanged; only the cost of keeping them is. If the installed SecantusDB is not the
shape this expects, it runs unchanged.

It also aborts a transaction left idle for TRANSACTION_LIFETIME_SECONDS (10 s) instead of 60 s (mongod's
transactionLifetimeLimitSeconds default, which SecantusDB copies and its command line does not expose). A process
killed inside a transaction never ends it, and until the server aborts it every write to the same documents
conflicts and is retried: a consumer SIGKILLed mid-batch held its successor up for 56 s in the fault suite. Our
transactions are never idle for seconds; one that is, is aborted and retried by the driver.
"""
from __future__ import annotations

import functools
import inspect
import sys
import time


def _patch() -> bool:
    try:
        from secantus import transactions as t
    except ImportError:  # pragma: no cover - the server is not installed
        return False
    registry = getattr(t, "TransactionRegistry", None)
    needed = ("_RETRYABLE_RECORD_LIFETIME_SECONDS", "_RETRYABLE_RECORD_MAX", "_is_recordable_reply",
              "_strip_per_attempt_fields")
    if registry is None or not all(hasattr(t, n) for n in needed) \
            or not hasattr(registry, "_prune_retryable_locked") or not hasattr(registry, "record_retryable"):
        return False

    def prune(self) -> None:
        records = self._retryable
        cutoff = self._time() - t._RETRYABLE_RECORD_LIFETIME_SECONDS
        while records:
            oldest = next(iter(records))
            if len(records) <= t._RETRYABLE_RECORD_MAX and records[oldest][1] >= cutoff:
                return
            del records[oldest]

    def record(self, lsid_bytes: bytes, txn_number: int, identity: bytes, reply: dict) -> None:
        if not t._is_recordable_reply(reply):
            return
        with self._lock:
            key = (lsid_bytes, txn_number)
            self._retryable.pop(key, None)  # a record written again goes to the back: order stays time order
            self._retryable[key] = (t._strip_per_attempt_fields(reply), self._time(), identity)
            prune(self)

    registry._prune_retryable_locked = prune
    registry.record_retryable = record
    return True


TRANSACTION_LIFETIME_SECONDS = 10.0


def _shorten_transaction_lifetime(seconds: float = TRANSACTION_LIFETIME_SECONDS) -> bool:
    try:
        from secantus import server
    except ImportError:  # pragma: no cover - the server is not installed
        return False
    cls = getattr(server, "SecantusDBServer", None)
    if cls is None or "transaction_lifetime_seconds" not in inspect.signature(cls.__init__).parameters:
        return False
    init = cls.__init__

    @functools.wraps(init)
    def patched(self, *args, **kwargs):
        kwargs.setdefault("transaction_lifetime_seconds", seconds)
        init(self, *args, **kwargs)

    cls.__init__ = patched
    return True


def main() -> None:
    patched = _patch()
    lifetime = _shorten_transaction_lifetime()
    print(f"{time.strftime('%H:%M:%S')} retryable-write records pruned in constant time: {patched}; "
          f"idle transactions aborted after {TRANSACTION_LIFETIME_SECONDS:g} s: {lifetime}", file=sys.stderr,
          flush=True)
    from secantus.cli import main as serve

    sys.argv[0] = "secantusd-py"
    sys.exit(serve())


if __name__ == "__main__":
    main()
