"""Fault injection helpers: stop whole process groups we started (by their ids), and restart the local servers."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time

from devtools.servers import LocalServers, ManagedProcess


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def signal_group(mp: ManagedProcess, sig: int, timeout: float = 15.0) -> None:
    """Signal the whole process group of a child we started (start_new_session=True makes its pid the group id).

    noida-db's launcher does not pass SIGTERM on to its broker binary, so signalling only the launcher leaves the
    broker serving on the port (see docs/reliability.md, finding 1)."""
    if mp.proc is None:
        return
    pgid = mp.proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
    with contextlib.suppress(Exception):
        mp.proc.wait(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def restart_server(servers: LocalServers, name: str, *, hard: bool = False) -> float:
    """Really restart Kafka or MongoDB (the whole process group), on the same port and data directory."""
    started = time.monotonic()
    mp = servers.kafka_process() if name == "kafka" else servers.mongo_process()
    port = servers.kafka_port if name == "kafka" else servers.mongo_port
    signal_group(mp, signal.SIGKILL if hard else signal.SIGTERM)
    servers.processes.remove(mp)
    deadline = time.monotonic() + 15
    while _port_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _port_open(port), f"{name} still listens on {port} after it was stopped"
    servers.start_kafka() if name == "kafka" else servers.start_mongo()
    return time.monotonic() - started


async def arestart_server(servers: LocalServers, name: str, *, hard: bool = False) -> float:
    return await asyncio.to_thread(restart_server, servers, name, hard=hard)


def stop_group(mp: ManagedProcess) -> None:
    signal_group(mp, signal.SIGTERM)
