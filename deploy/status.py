"""What runs where: the Kafka, MongoDB, services and dashboard the EXEMPLAR_* settings point at, and whether each
answers."""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from shared.settings import Settings

SERVICE_PORTS = {"nominations": 8101, "voting": 8102, "scoring": 8103, "publicity": 8104, "leaderboard": 8105,
                 "dashboard": 8501}
STATE_FILE = "stack.json"  # written by `exemplar demo` into its run directory


@dataclass
class Line:
    name: str
    where: str
    state: str  # "up", "ready", "not ready: ...", "down"
    setting: str  # the setting that says where it is

    @property
    def up(self) -> bool:
        return self.state in ("up", "ready")


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    host, _, port = address.strip().rpartition(":")
    return (host or address, int(port)) if port.isdigit() else (address, default_port)


def kafka_line(settings: Settings, impl: str | None) -> Line:
    first = settings.kafka_bootstrap.split(",")[0]
    host, port = _host_port(first, 9092)
    label = f"Kafka ({impl})" if impl else "Kafka"
    return Line(label, settings.kafka_bootstrap, "up" if _port_open(host, port) else "down",
                "EXEMPLAR_KAFKA_BOOTSTRAP")


def mongo_line(settings: Settings) -> Line:
    parsed = urlparse(settings.mongo_url)
    hosts = (parsed.netloc.rpartition("@")[2] or "127.0.0.1:27017").split(",")
    host, port = _host_port(hosts[0], 27017)
    up = parsed.scheme == "mongodb+srv" or _port_open(host, port)
    return Line("MongoDB", settings.mongo_url, "up" if up else "down", "EXEMPLAR_MONGO_URL")


def service_url(name: str) -> tuple[str, str]:
    setting = f"EXEMPLAR_{name.upper()}_URL"
    return os.environ.get(setting) or f"http://127.0.0.1:{SERVICE_PORTS[name]}", setting


def service_line(name: str, url: str, setting: str) -> Line:
    path = "/_stcore/health" if name == "dashboard" else "/readyz"
    try:
        r = httpx.get(url.rstrip("/") + path, timeout=2)
    except httpx.HTTPError:
        return Line(name, url, "down", setting)
    if r.status_code == 200:
        return Line(name, url, "ready", setting)
    return Line(name, url, f"not ready: {r.status_code} {r.text[:120]}", setting)


def demo_state(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect(settings: Settings, run_dir: Path) -> tuple[dict | None, list[Line]]:
    """The demo recorded in run_dir (if its process still runs) and one line per server, service and dashboard.
    Where the environment names nothing, a running demo's ports are used, then the well-known ones."""
    state = demo_state(run_dir)
    if state and not _pid_alive(int(state.get("pid", 0))):
        state = None
    if state:
        env = {k: v for k, v in state.get("env", {}).items() if k not in os.environ}
        settings = settings.model_copy(update={k.removeprefix("EXEMPLAR_").lower(): v for k, v in env.items()
                                               if k in ("EXEMPLAR_KAFKA_BOOTSTRAP", "EXEMPLAR_MONGO_URL")})
        urls = {**{n: u for n, u in state.get("urls", {}).items()}}
    else:
        urls = {}
    lines = [kafka_line(settings, state.get("kafka") if state else None), mongo_line(settings)]
    for name in SERVICE_PORTS:
        url, setting = service_url(name)
        if name in urls and f"EXEMPLAR_{name.upper()}_URL" not in os.environ:
            url = urls[name]
        lines.append(service_line(name, url, setting))
    return state, lines
