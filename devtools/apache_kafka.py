"""Apache Kafka's own broker (KRaft mode, one node): the local default broker of the demo, the tests and the bench.

The broker comes from Maven Central artifacts (``org.apache.kafka:kafka_2.13`` and its
runtime dependencies, plus an SLF4J binding) listed in ``devtools/apache_kafka/pom.xml``.
``mvn`` copies the jars into a cache directory once (default
``~/.cache/exemplar/apache-kafka``, or ``$EXEMPLAR_APACHE_KAFKA_CACHE``); later runs reuse
them. ``$EXEMPLAR_APACHE_KAFKA_VERSION`` picks another Kafka release (default 4.1.1).
The broker runs on Java 17+ (``java`` on PATH) and listens on 127.0.0.1 only.

Use from Python::

    proc = start(port, data_dir)
    try:
        wait_ready(port, proc=proc)
        ...  # bootstrap servers: f"127.0.0.1:{port}"
    finally:
        stop(proc)

or in the foreground until Ctrl-C::

    python -m devtools.apache_kafka --port 29092 --data-dir /tmp/kafka-data
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

# The pom's <kafka.version> default is kept equal to DEFAULT_KAFKA_VERSION; the fetch passes
# -Dkafka.version explicitly, so EXEMPLAR_APACHE_KAFKA_VERSION can try another release.
# The jar cache is keyed on the version.
DEFAULT_KAFKA_VERSION = "4.1.1"
KAFKA_VERSION = os.environ.get("EXEMPLAR_APACHE_KAFKA_VERSION") or DEFAULT_KAFKA_VERSION
POM_PATH = Path(__file__).resolve().parent / "apache_kafka" / "pom.xml"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "exemplar" / "apache-kafka"

BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"
# A modest heap: one node, test traffic only.
JVM_OPTS = (
    "-Xms64m",
    "-Xmx512m",
    "-XX:MaxDirectMemorySize=256m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
    "-Dorg.slf4j.simpleLogger.log.kafka.request.logger=warn",
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn",
)
STOP_GRACE_SECONDS = 20.0
_COMPLETE_MARKER = ".complete"


# --------------------------------------------------------------------------- classpath


def _cache_root(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("EXEMPLAR_APACHE_KAFKA_CACHE")
    return Path(env).expanduser() if env else DEFAULT_CACHE_DIR


def _lib_dir(cache_dir: Path | None) -> Path:
    return _cache_root(cache_dir) / f"kafka-{KAFKA_VERSION}"


def _jars(lib: Path) -> list[Path]:
    return sorted(lib.glob("*.jar"))


def _cached(lib: Path) -> bool:
    return (lib / _COMPLETE_MARKER).exists() and bool(_jars(lib))


def ensure_classpath(cache_dir: Path | None = None, progress: Callable[[str], None] | None = None) -> str:
    """Return the broker's classpath, fetching the jars with ``mvn`` if the cache is empty.

    The jars land in ``<cache_dir>/kafka-<version>/``; a marker file records a complete
    copy, so an interrupted fetch is redone. A file lock keeps concurrent callers from
    fetching twice. ``progress`` (default: lines on stderr) hears what the fetch is doing.
    """
    lib = _lib_dir(cache_dir)
    if not _cached(lib):
        lib.parent.mkdir(parents=True, exist_ok=True)
        with open(lib.parent / f".kafka-{KAFKA_VERSION}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not _cached(lib):
                    _fetch(lib, progress or _stderr)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    return os.pathsep.join(str(j) for j in _jars(lib))


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# mvn -B prints one line per artifact it downloads: "Downloaded from <repo>: <url> (12 kB at 3 MB/s)".
_DOWNLOADED = re.compile(r"^(?:\[INFO\] )?Downloaded from [^:]+: \S+/([^/\s]+) \(([^)]*)\)")
PROGRESS_EVERY_SECONDS = 5.0


def _fetch(lib: Path, progress: Callable[[str], None]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(
            "Apache Kafka's jars are not cached and `mvn` is not on PATH "
            "(install Maven, e.g. `apt-get install maven`)"
        )
    staging = lib.parent / f"{lib.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        mvn, "-B", "-f", str(POM_PATH),
        "dependency:copy-dependencies", f"-DoutputDirectory={staging}", f"-Dkafka.version={KAFKA_VERSION}",
    ]
    progress(f"fetching Apache Kafka {KAFKA_VERSION} from Maven Central with mvn into {lib} "
             "(about 45 MB with Maven's own plugins; once, then cached)")
    started = time.monotonic()
    tail: list[str] = []
    count, last_report = 0, started
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-80:]
        match = _DOWNLOADED.match(line)
        if match:
            count += 1
            if time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
                last_report = time.monotonic()
                progress(f"  … {count} files downloaded ({time.monotonic() - started:.0f}s; "
                         f"latest {match.group(1)}, {match.group(2)})")
    try:
        code = proc.wait(timeout=900)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    if code != 0 or not _jars(staging):
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"mvn failed to fetch Apache Kafka {KAFKA_VERSION} (exit {code}):\n" + "\n".join(tail))
    (staging / _COMPLETE_MARKER).write_text(f"{KAFKA_VERSION}\n")
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    progress(f"fetched Apache Kafka {KAFKA_VERSION}: {len(_jars(lib))} jars, {count} files downloaded, "
             f"{time.monotonic() - started:.0f}s")


# --------------------------------------------------------------------------- java


JAVA_PACKAGE = "openjdk-17-jre-headless"  # Debian's Java 17 runtime; Maven is the package `maven`


def _java_major(java: str) -> int | None:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_x" style
        major = int(match.group(2))
    return major


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(f"`java` (17 or newer) is not on PATH; install e.g. {JAVA_PACKAGE}")
    major = _java_major(java)
    if major is not None and major < 17:
        raise RuntimeError(f"Apache Kafka {KAFKA_VERSION} needs Java 17+, found Java {major} at {java}")
    return java


@functools.lru_cache(maxsize=None)
def unavailable_reason(cache_dir: Path | None = None) -> str | None:
    """Why Apache Kafka cannot run here (no Java 17+, or neither cached jars nor `mvn`), or None when it can."""
    try:
        _java()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if not _cached(_lib_dir(cache_dir)) and shutil.which("mvn") is None:
        return "Apache Kafka's jars are not cached and `mvn` (Maven) is not on PATH"
    return None


def install_java(progress: Callable[[str], None] = _stderr) -> bool:
    """Install Debian's Java 17 runtime and Maven with apt-get when they are missing and we run as root.

    Returns True when something was installed. Nothing happens for a normal user or without apt-get
    (the caller then falls back to noida-db and says so)."""
    missing = []
    java = shutil.which("java")
    if java is None or (_java_major(java) or 17) < 17:
        missing.append(JAVA_PACKAGE)
    if not _cached(_lib_dir(None)) and shutil.which("mvn") is None:
        missing.append("maven")
    if not missing or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    progress(f"installing {' and '.join(missing)} with apt-get, for Apache Kafka (a minute or two, once) …")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                          check=False, env=env, stdout=subprocess.DEVNULL)
    unavailable_reason.cache_clear()
    if done.returncode != 0:
        progress(f"apt-get install {' '.join(missing)} failed (exit {done.returncode})")
    return done.returncode == 0


def _free_port() -> int:
    from .servers import free_port

    return free_port()


def _random_cluster_id() -> str:
    # Kafka's Uuid format: 16 random bytes, URL-safe base64 without padding (22 chars).
    # Like Kafka's own Uuid.randomUuid(), avoid a leading '-' (it reads as a CLI flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _server_properties(port: int, controller_port: int, log_dir: Path) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": "3",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "10",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        # Kept forever, as deploy/topics.py sets the event topics (retention.ms=-1): the topics are the log the read
        # models are rebuilt from and a programme is archived from; a local data directory lives as long as its run.
        "log.retention.ms": "-1",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    lines = [f"# Written by devtools/apache_kafka.py for Apache Kafka {KAFKA_VERSION} (KRaft, one node)."]
    lines += [f"{k}={v}" for k, v in props.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- lifecycle


def _follow_parent() -> None:
    from devtools.servers import _detach_and_follow_parent

    _detach_and_follow_parent()


def start(
    port: int,
    data_dir: Path,
    cache_dir: Path | None = None,
    log_path: Path | None = None,
) -> subprocess.Popen:
    """Start a one-node KRaft broker (broker + controller) on 127.0.0.1:``port``.

    Writes ``<data_dir>/server.properties`` (the controller takes a second free port),
    formats ``<data_dir>/kafka-logs`` with a random cluster id unless it is formatted
    already, and starts ``kafka.Kafka``. Its output goes to ``log_path`` (default
    ``<data_dir>/broker.log``). Returns the running process; call :func:`wait_ready`
    before use and :func:`stop` at the end.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = data_dir / "kafka-logs"
    log_path = Path(log_path) if log_path is not None else data_dir / "broker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    classpath = ensure_classpath(cache_dir)
    java = _java()

    controller_port = _free_port()
    while controller_port == port:
        controller_port = _free_port()
    props_path = data_dir / "server.properties"
    props_path.write_text(_server_properties(port, controller_port, log_dir))

    base = [java, *JVM_OPTS, f"-Dkafka.logs.dir={data_dir}", "-cp", classpath]
    if not (log_dir / "meta.properties").exists():
        fmt = subprocess.run(
            [*base, STORAGE_TOOL_MAIN, "format", "-t", _random_cluster_id(), "-c", str(props_path)],
            capture_output=True, text=True, timeout=180,
        )
        if fmt.returncode != 0:
            raise RuntimeError(
                f"Formatting Kafka storage failed (exit {fmt.returncode}):\n{fmt.stdout}\n{fmt.stderr}"
            )

    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [*base, BROKER_MAIN, str(props_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(data_dir),
            # Its own process group (Ctrl-C in a terminal reaches only the Python parent), and SIGTERM when the
            # process that started it dies, so a broker never outlives a killed test run or demo.
            preexec_fn=_follow_parent if threading.current_thread() is threading.main_thread() else os.setsid,
        )
    proc.kafka_port = port  # type: ignore[attr-defined]
    proc.kafka_log_path = log_path  # type: ignore[attr-defined]
    return proc


async def _probe(port: int, request_timeout_ms: int = 5000) -> None:
    """Produce one message and consume it back; raise if either fails."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    bootstrap = f"127.0.0.1:{port}"
    topic = "exemplar-readiness-probe"
    # Cheap check first: no client (and no client log noise) until the port accepts.
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()

    # Create the probe topic up front (one partition), so the producer need not wait for
    # auto-creation.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms)
    try:
        await admin.start()
        if topic not in await admin.list_topics():
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms, acks="all")
    try:
        await producer.start()
        marker = uuid.uuid4().hex.encode()
        meta = await producer.send_and_wait(topic, marker, key=b"probe")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms, enable_auto_commit=False
    )
    try:
        await consumer.start()
        tp = TopicPartition(topic, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        msg = await asyncio.wait_for(consumer.getone(), timeout=request_timeout_ms / 1000)
        if msg.value != marker:
            raise RuntimeError(f"readiness probe read back {msg.value!r}, expected {marker!r}")
    finally:
        await consumer.stop()


def _log_tail(proc: subprocess.Popen | None, lines: int = 40) -> str:
    path = getattr(proc, "kafka_log_path", None)
    if path is None or not Path(path).exists():
        return ""
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


async def wait_ready_async(port: int, timeout: float = 90, proc: subprocess.Popen | None = None) -> None:
    """Async form of :func:`wait_ready`."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"Apache Kafka exited with code {proc.returncode} before it was ready:\n{_log_tail(proc)}"
            )
        try:
            await asyncio.wait_for(_probe(port), timeout=max(1.0, min(30.0, deadline - time.monotonic())))
            return
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = exc
            await asyncio.sleep(0.5)
    raise TimeoutError(
        f"Apache Kafka on 127.0.0.1:{port} not ready after {timeout}s: {last_error!r}\n{_log_tail(proc)}"
    )


def wait_ready(port: int, timeout: float = 90, proc: subprocess.Popen | None = None) -> None:
    """Return once an aiokafka producer and consumer can round-trip a message on 127.0.0.1:``port``.

    Raises ``TimeoutError`` after ``timeout`` seconds, or ``RuntimeError`` at once if
    ``proc`` (optional) has exited. Safe to call from inside a running event loop
    (it then probes from a helper thread).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(wait_ready_async(port, timeout, proc))
        return
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(wait_ready_async(port, timeout, proc))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="kafka-wait-ready")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def stop(proc: subprocess.Popen) -> None:
    """Stop the broker by PID: SIGTERM (controlled shutdown), then SIGKILL after 20 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


# --------------------------------------------------------------------------- CLI


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.apache_kafka",
        description=f"Run Apache Kafka {KAFKA_VERSION} (KRaft, one node) on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=29092, help="client port (default 29092)")
    parser.add_argument("--data-dir", type=Path, required=True, help="broker data directory")
    parser.add_argument("--cache-dir", type=Path, default=None, help=f"jar cache (default {DEFAULT_CACHE_DIR})")
    parser.add_argument("--log-path", type=Path, default=None, help="broker log (default DATA_DIR/broker.log)")
    parser.add_argument("--timeout", type=float, default=90, help="seconds to wait for readiness")
    args = parser.parse_args(argv)

    t0 = time.monotonic()
    ensure_classpath(args.cache_dir)
    t1 = time.monotonic()
    proc = start(args.port, args.data_dir, args.cache_dir, args.log_path)
    try:
        wait_ready(args.port, args.timeout, proc=proc)
        t2 = time.monotonic()
        print(
            f"Apache Kafka {KAFKA_VERSION} ready on 127.0.0.1:{args.port} (pid {proc.pid}; "
            f"classpath {t1 - t0:.1f}s, start {t2 - t1:.1f}s; log {proc.kafka_log_path}). Ctrl-C stops it.",  # type: ignore[attr-defined]
            flush=True,
        )
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        while proc.poll() is None:
            time.sleep(0.5)
        print(f"Apache Kafka exited with code {proc.returncode}", file=sys.stderr)
        return proc.returncode or 1
    except KeyboardInterrupt:
        print("stopping Apache Kafka ...", flush=True)
        return 0
    finally:
        stop(proc)


if __name__ == "__main__":
    sys.exit(main())
