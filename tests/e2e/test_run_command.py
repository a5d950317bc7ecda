"""The README's run command brings the whole suite up, answers every health check, and stops cleanly on Ctrl-C."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def _port_open(url: str) -> bool:
    host, port = url.split("//")[1].split(":")
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, int(port.split("/")[0]))) == 0


@pytest.mark.timeout(420)
def test_run_command_starts_everything_and_stops_on_ctrl_c(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "demo", "--free-ports", "--no-browser", "--run-dir",
         str(tmp_path / "run")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ),
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 360
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if "READY" in line:
                break
        output = "\n".join(lines)
        assert "READY" in output, f"the run command did not get ready:\n{output}"
        # It showed its progress while starting, and printed every URL.
        assert "waiting for nominations" in output
        urls = dict(re.findall(r"^\s+(\w+)\s+(http://127\.0\.0\.1:\d+)/docs", output, re.M))
        assert set(urls) >= {"nominations", "voting", "scoring", "publicity", "leaderboard"} & set(
            p.name for p in (REPO / "services").iterdir() if (p / "__main__.py").exists())
        dashboard = re.search(r"Leaderboard \(排行榜\)\s+(http://\S+)", output).group(1)

        for name, base in urls.items():
            assert httpx.get(base + "/healthz").json()["status"] == "ok", name
            ready = httpx.get(base + "/readyz")
            checks = ready.json()["checks"]  # MongoDB, Kafka, and the service's consumers when it has some
            assert ready.status_code == 200 and {"mongodb", "kafka"} <= set(checks), name
            assert set(checks.values()) == {"ok"}, (name, checks)
            assert httpx.get(base + "/openapi.json").json()["info"]["title"]
            assert "asyncapi" in httpx.get(base + "/asyncapi.json").json()
        assert httpx.get(dashboard + "/_stcore/health").text == "ok"
        page = httpx.get(dashboard + "/")
        assert page.status_code == 200 and "<div id=\"root\">" in page.text

        # It printed the environment lines that let other commands reach its servers, and they do.
        exports = dict(re.findall(r"^\s+export (EXEMPLAR_\w+)='([^']*)'", output, re.M))
        assert {"EXEMPLAR_KAFKA_BOOTSTRAP", "EXEMPLAR_MONGO_URL", "EXEMPLAR_TOPIC_PREFIX"} <= set(exports), output
        assert (tmp_path / "run" / "env").read_text().count("export EXEMPLAR_") == len(exports)
        other = {**{k: v for k, v in os.environ.items() if not k.startswith("EXEMPLAR_")}, **exports}
        dlq = subprocess.run([sys.executable, "-m", "deploy.cli", "dlq", "list"], cwd=REPO, env=other,
                             capture_output=True, text=True, timeout=120)
        assert dlq.returncode == 0 and "dead letter(s)" in dlq.stdout, dlq.stdout + dlq.stderr
        status = subprocess.run([sys.executable, "-m", "deploy.cli", "status", "--run-dir", str(tmp_path / "run")],
                                cwd=REPO, env=other, capture_output=True, text=True, timeout=120)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "demo running" in status.stdout and status.stdout.count(" ready ") == len(urls) + 1, status.stdout

        # Ctrl-C stops every child process: their ports close.
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
        assert proc.returncode == 0, rest
        assert "stopped" in rest
        assert not any(_port_open(u) for u in [*urls.values(), dashboard])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
