"""Local servers manager: runs Kafka (Apache Kafka's own broker, or noida-db) and SecantusDB as child processes."""
from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


# Free ports are drawn below the kernel's ephemeral range (32768-60999 on Linux): a port the kernel handed out with
# bind(0) is free only until some outgoing connection (a Kafka client's, say) is given the same number, which made a
# demo's service find its HTTP port taken. Ports below the range are never given to outgoing connections.
_FREE_PORT_RANGE = (20000, 32767)
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback TCP port nobody listens on, below the ephemeral range, not handed out before by this process."""
    low, high = _FREE_PORT_RANGE
    for _ in range(2000):
        port = random.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free TCP port on 127.0.0.1 between {low} and {high}")


def _noida_binary() -> str:
    """The broker binary itself: the `noida-db` console script only wraps it in a Python process that would not
    pass our signals on."""
    from importlib.resources import files

    path = Path(str(files("noida_db").joinpath("noida-db")))
    if path.is_file():
        if not os.access(path, os.X_OK):
            path.chmod(0o755)
        return str(path)
    return _bin("noida-db")


def _secantus_command() -> list[str]:
    """SecantusDB through devtools/secantus_server.py (retryable-write records pruned in constant time) when it is
    importable here, else its own entry point."""
    if importlib.util.find_spec("secantus") is not None:
        return [sys.executable, str(Path(__file__).with_name("secantus_server.py"))]
    return [_bin("secantusd-py")]


def _bin(name: str) -> str:
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed; run `./exemplar install` first")
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _detach() -> None:
    os.setsid()


def _detach_and_follow_parent() -> None:
    """In the child: lead a new process group, and get SIGTERM if the process that started us dies, so a server
    never outlives a test run or a run command that was killed abruptly. (The signal follows the starting
    *thread*, so this is used only for children started from the main thread.)"""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class ManagedProcess:
    """A child process we started; stopped by its PID, never by name."""

    name: str
    cmd: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, cwd=self.cwd,
            preexec_fn=_detach_and_follow_parent if threading.current_thread() is threading.main_thread() else _detach,
        )
        log.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _signal(self, sig: int) -> None:
        # Each child leads its own process group (start_new_session), so this reaches what it spawned too.
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        if self.alive():
            self._signal(signal.SIGTERM)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(5)
        self._signal(signal.SIGKILL)  # anything the child left behind in its group

    def kill(self) -> None:
        if self.proc is not None:
            self._signal(signal.SIGKILL)
            self.proc.wait(5)


async def _kafka_ready(bootstrap: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()


def _run_probe(bootstrap: str) -> None:
    """asyncio.run of the readiness probe, from a helper thread when called inside a running event loop (a server
    started by an async test)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_kafka_ready(bootstrap))
        return
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_kafka_ready(bootstrap))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="kafka-wait-ready")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def wait_kafka(port: int, proc: ManagedProcess | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited during start:\n{proc.tail()}")
        if _port_open(port):
            try:
                _run_probe(f"127.0.0.1:{port}")
                return
            except Exception as exc:
                last = exc
        time.sleep(0.2)
    raise TimeoutError(f"Kafka on port {port} not ready after {timeout}s: {last}")


def wait_mongo(port: int, proc: ManagedProcess | None = None, timeout: float = 60) -> None:
    from pymongo import MongoClient

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited during start:\n{proc.tail()}")
        if _port_open(port):
            try:
                with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true",
                                 serverSelectionTimeoutMS=2000) as c:
                    c.admin.command("ping")
                return
            except Exception as exc:
                last = exc
        time.sleep(0.2)
    raise TimeoutError(f"MongoDB on port {port} not ready after {timeout}s: {last}")


KAFKA_IMPLS = ("apache", "noida")
KAFKA_IMPL_ENV = "EXEMPLAR_KAFKA_IMPL"
_fallback_said = False


def kafka_label(impl: str) -> str:
    if impl == "apache":
        from devtools.apache_kafka import KAFKA_VERSION

        return f"Apache Kafka {KAFKA_VERSION}"
    return "noida-db"


def choose_kafka_impl(requested: str | None = None, *, install: bool = False,
                      say: Callable[[str], None] | None = None) -> str:
    """The local Kafka to run: "apache" (Apache Kafka's own broker, the default wherever Java 17+ can be had) or
    "noida" (noida-db, the fallback, or chosen with EXEMPLAR_KAFKA_IMPL=noida / --kafka noida).

    `requested` (or $EXEMPLAR_KAFKA_IMPL) is "apache", "noida" or "auto" (the default). With install=True (the
    CLI) a missing Java or Maven is installed from Debian's packages first when we run as root. "auto" falls back
    to noida-db with a printed line that says why; an explicit "apache" that cannot run is an error."""
    global _fallback_said
    choice = (requested or os.environ.get(KAFKA_IMPL_ENV) or "auto").strip().lower()
    if choice not in (*KAFKA_IMPLS, "auto"):
        raise ValueError(f"{KAFKA_IMPL_ENV} / --kafka must be apache, noida or auto (got {choice!r})")
    if choice == "noida":
        return "noida"
    from devtools import apache_kafka

    reason = apache_kafka.unavailable_reason()
    if reason is not None and install and apache_kafka.install_java(say or _say):
        reason = apache_kafka.unavailable_reason()
    if reason is None:
        return "apache"
    if choice == "apache":
        raise RuntimeError(f"Apache Kafka was asked for ({KAFKA_IMPL_ENV}=apache or --kafka apache) "
                           f"but cannot run here: {reason}")
    if not _fallback_said:
        _fallback_said = True
        (say or _say)(f"Java 17+ cannot be had here ({reason}): running noida-db instead of Apache Kafka "
                      f"(as root, `./exemplar` installs {apache_kafka.JAVA_PACKAGE} and maven itself)")
    return "noida"


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class LocalServers:
    """Kafka and MongoDB on loopback, each with its own data directory under root."""

    root: Path
    kafka_port: int = 0
    mongo_port: int = 0
    # "apache" (Apache Kafka's own broker), "noida" (noida-db), or None: choose_kafka_impl() decides (the default
    # is Apache Kafka wherever Java 17+ can be had, else noida-db with a printed line saying so).
    kafka_impl: str | None = None
    processes: list[ManagedProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.kafka_impl = choose_kafka_impl(self.kafka_impl)
        self.kafka_port = self.kafka_port or free_port()
        self.mongo_port = self.mongo_port or free_port()

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"

    def env(self) -> dict[str, str]:
        return {"EXEMPLAR_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "EXEMPLAR_MONGO_URL": self.mongo_url}

    def kafka_process(self) -> ManagedProcess | None:
        return next((p for p in self.processes if p.name == "kafka"), None)

    def mongo_process(self) -> ManagedProcess | None:
        return next((p for p in self.processes if p.name == "mongodb"), None)

    def start_kafka(self) -> None:
        data = self.root / "kafka"
        data.mkdir(parents=True, exist_ok=True)
        if self.kafka_impl == "apache":
            from devtools import apache_kafka

            proc = apache_kafka.start(self.kafka_port, data, log_path=self.root / "kafka.log")
            mp = ManagedProcess("kafka", list(proc.args), self.root / "kafka.log", proc=proc)
            self.processes.append(mp)
            apache_kafka.wait_ready(self.kafka_port, proc=proc)
            return
        mp = ManagedProcess(
            "kafka",
            [_noida_binary(), "start", "--only", "kafka", "--kafka-port", str(self.kafka_port), "--data-dir",
             str(data)],
            self.root / "kafka.log",
        )
        mp.start()
        self.processes.append(mp)
        wait_kafka(self.kafka_port, mp)
        from devtools import noida_pacing  # noida-db answers empty fetches at once: see devtools/noida_pacing.py
        noida_pacing.activate(self.root)

    def start_mongo(self) -> None:
        data = self.root / "mongodb"
        data.mkdir(parents=True, exist_ok=True)
        mp = ManagedProcess(
            "mongodb",
            [*_secantus_command(), "--host", "127.0.0.1", "--port", str(self.mongo_port), "--storage-path", str(data)],
            self.root / "mongodb.log",
        )
        mp.start()
        self.processes.append(mp)
        wait_mongo(self.mongo_port, mp)

    def start(self) -> LocalServers:
        try:
            self.start_mongo()
            self.start_kafka()
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, name: str, *, hard: bool = False) -> None:
        """Stop one server (SIGKILL when hard) and start it again on the same port and data directory."""
        mp = self.kafka_process() if name == "kafka" else self.mongo_process()
        mp.kill() if hard else mp.stop()
        self.processes.remove(mp)
        self.start_kafka() if name == "kafka" else self.start_mongo()

    def stop(self) -> None:
        for mp in reversed(self.processes):
            mp.stop()
        self.processes.clear()

    def __enter__(self) -> LocalServers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Run the local Kafka and MongoDB servers in the foreground")
    ap.add_argument("--kafka-port", type=int, default=19092)
    ap.add_argument("--mongo-port", type=int, default=27027)
    ap.add_argument("--data-dir", type=Path, default=Path(".run/servers"))
    ap.add_argument("--kafka", choices=("auto", *KAFKA_IMPLS), default=None,
                    help=f"which Kafka to run (default ${KAFKA_IMPL_ENV} or auto: Apache Kafka where Java 17+ is)")
    args = ap.parse_args(argv)
    servers = LocalServers(args.data_dir, args.kafka_port, args.mongo_port,
                           kafka_impl=choose_kafka_impl(args.kafka, install=True))
    stop = False

    def _sig(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _sig)
    with servers:
        print(f"kafka   {servers.kafka_bootstrap}  ({kafka_label(servers.kafka_impl)}, pid "
              f"{servers.kafka_process().pid})")
        print(f"mongodb {servers.mongo_url}  (pid {servers.mongo_process().pid})")
        for key, value in servers.env().items():
            print(f"export {key}='{value}'")
        print("press Ctrl-C to stop", flush=True)
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
