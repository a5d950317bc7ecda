"""noida-db's launcher leaves its broker process behind when the session's servers stop; end the ones of this
session (found by this session's own data directory, ended by their ids) when the test process exits."""
from __future__ import annotations

import atexit
import contextlib
import os
import signal
from pathlib import Path

import pytest

# On a loaded machine a cast may wait long for its batch; the tests want the final answer, not 202 pending.
os.environ.setdefault("EXEMPLAR_VOTING_CAST_WAIT", "60")


def _end_leftovers(root: str) -> None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if root in cmdline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGTERM)


@pytest.fixture(scope="session", autouse=True)
def _no_leftover_brokers(servers):
    root = getattr(servers, "root", None)
    if root is not None:
        atexit.register(_end_leftovers, str(root))
    yield
