"""The whole suite as child processes: local servers, the services and the dashboard, each stopped by PID."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .servers import LocalServers, ManagedProcess, choose_kafka_impl, free_port, kafka_label

REPO = Path(__file__).resolve().parent.parent
SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
DEFAULT_PORTS = {"nominations": 8101, "voting": 8102, "scoring": 8103, "publicity": 8104, "leaderboard": 8105,
                 "dashboard": 8501, "kafka": 19092, "mongodb": 27027}


def available_services() -> list[str]:
    return [s for s in SERVICES if (REPO / "services" / s / "__main__.py").exists()]


@dataclass
class Stack:
    root: Path
    fixed_ports: bool = False  # the demo uses the well-known ports; tests use free ones
    services: tuple[str, ...] | None = None
    dashboard: bool = True
    prefix: str = "exemplar"
    extra_env: dict[str, str] = field(default_factory=dict)
    # "apache", "noida" or None (choose_kafka_impl: $EXEMPLAR_KAFKA_IMPL, else Apache Kafka where Java 17+ is).
    kafka_impl: str | None = None
    servers: LocalServers | None = None
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        names = list(self.services or available_services()) + (["dashboard"] if self.dashboard else [])
        for name in names + ["kafka", "mongodb"]:
            self.ports[name] = DEFAULT_PORTS[name] if self.fixed_ports else free_port()
        self.services = tuple(n for n in names if n != "dashboard")
        self.kafka_impl = choose_kafka_impl(self.kafka_impl)

    @property
    def urls(self) -> dict[str, str]:
        return {n: f"http://127.0.0.1:{p}" for n, p in self.ports.items() if n not in ("kafka", "mongodb")}

    @property
    def env(self) -> dict[str, str]:
        env = {
            "EXEMPLAR_KAFKA_BOOTSTRAP": f"127.0.0.1:{self.ports['kafka']}",
            "EXEMPLAR_MONGO_URL": f"mongodb://127.0.0.1:{self.ports['mongodb']}/?directConnection=true",
            "EXEMPLAR_DB_PREFIX": self.prefix,
            "EXEMPLAR_TOPIC_PREFIX": self.prefix,
            "EXEMPLAR_LOG_FORMAT": "json",
        }
        for name in SERVICES:
            if name in self.ports:
                env[f"EXEMPLAR_{name.upper()}_URL"] = f"http://127.0.0.1:{self.ports[name]}"
        if "dashboard" in self.ports:  # the base of the sign-in links the dashboard prints
            env["EXEMPLAR_DASHBOARD_URL"] = f"http://127.0.0.1:{self.ports['dashboard']}"
        env.update(self.extra_env)
        return env

    def _process_env(self, **more: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env.update(more)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start_servers(self) -> None:
        self.servers = LocalServers(self.root / "servers", self.ports["kafka"], self.ports["mongodb"],
                                    kafka_impl=self.kafka_impl)
        self.servers.start()

    def start_service(self, name: str) -> ManagedProcess:
        mp = ManagedProcess(name, [sys.executable, "-m", f"services.{name}"], self.root / "logs" / f"{name}.log",
                            env=self._process_env(EXEMPLAR_HTTP_PORT=str(self.ports[name]),
                                                  EXEMPLAR_INSTANCE_ID=f"{name}-{self.ports[name]}"), cwd=REPO)
        mp.start()
        self.processes[name] = mp
        return mp

    def start_dashboard(self) -> ManagedProcess:
        cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"),
               "--server.port", str(self.ports["dashboard"]), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        mp = ManagedProcess("dashboard", cmd, self.root / "logs" / "dashboard.log", env=self._process_env(), cwd=REPO)
        mp.start()
        self.processes["dashboard"] = mp
        return mp

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        mp = self.processes[name]
        path = "/_stcore/health" if name == "dashboard" else "/readyz"
        url = self.urls[name] + path
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not mp.alive():
                raise RuntimeError(f"{name} exited during start; last log lines:\n{mp.tail(30)}")
            try:
                r = httpx.get(url, timeout=2)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.25)
        raise TimeoutError(f"{name} not ready at {url} after {timeout}s ({last}); log:\n{mp.tail(30)}")

    def start(self, progress=lambda msg: None) -> Stack:
        try:
            progress(f"starting Kafka ({kafka_label(self.kafka_impl)}) and MongoDB (SecantusDB)")
            self.start_servers()
            for name in self.services:
                self.start_service(name)
            if self.dashboard:
                self.start_dashboard()
            for name in self.processes:
                progress(f"waiting for {name}")
                self.wait_ready(name)
        except BaseException:
            self.stop()
            raise
        return self

    def restart_service(self, name: str, *, hard: bool = False) -> None:
        mp = self.processes[name]
        mp.kill() if hard else mp.stop()
        self.start_dashboard() if name == "dashboard" else self.start_service(name)
        self.wait_ready(name)

    def stop(self) -> None:
        # Ask every process to stop at once, then wait for each: the whole stop takes as long as the slowest.
        for mp in self.processes.values():
            mp.terminate()
        for mp in reversed(list(self.processes.values())):
            mp.stop()
        self.processes.clear()
        if self.servers:
            self.servers.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
