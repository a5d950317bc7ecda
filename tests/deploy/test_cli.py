"""The `exemplar` command line helps: it is named exemplar, documents every argument, and a connection error is one
line naming the setting to fix, not a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer.main

from deploy.cli import app, connection_problem
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    from devtools.servers import free_port

    return free_port()


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EXEMPLAR_")}
    return subprocess.run([sys.executable, "-m", "deploy.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**clean, "COLUMNS": "200", **env})


def _commands(group: click.Command, path: str = "exemplar"):
    yield path, group
    if isinstance(group, click.Group):
        for name, cmd in group.commands.items():
            yield from _commands(cmd, f"{path} {name}")


def test_help_names_the_program_exemplar() -> None:
    out = _cli("--help")
    assert out.returncode == 0, out.stderr
    assert "Usage: exemplar" in out.stdout and "deploy.cli" not in out.stdout
    sub = _cli("dlq", "list", "--help")
    assert "Usage: exemplar dlq list" in sub.stdout


def test_every_command_and_argument_is_documented() -> None:
    undocumented = []
    for path, cmd in _commands(typer.main.get_command(app)):
        if not (cmd.help or "").strip():
            undocumented.append(path)
        for param in cmd.params:
            if param.name == "help":
                continue
            if not (getattr(param, "help", None) or "").strip():
                undocumented.append(f"{path} {param.name}")
    assert not undocumented, f"no help text: {undocumented}"


def test_dlq_list_without_kafka_is_one_line_naming_the_setting() -> None:
    port = _free_port()
    out = _cli("dlq", "list", EXEMPLAR_KAFKA_BOOTSTRAP=f"127.0.0.1:{port}")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "EXEMPLAR_KAFKA_BOOTSTRAP" in lines[0] and f"127.0.0.1:{port}" in lines[0]
    assert out.stdout == ""


def test_a_mongodb_connection_error_names_the_mongo_setting() -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    settings = Settings(mongo_url="mongodb://127.0.0.1:1/?directConnection=true")
    line = connection_problem(ServerSelectionTimeoutError("127.0.0.1:1: connection refused"), settings)
    assert line and "EXEMPLAR_MONGO_URL" in line and "127.0.0.1:1" in line and "\n" not in line
    assert connection_problem(ValueError("not a connection error"), settings) is None


def test_status_names_what_is_down_and_the_setting_that_points_there(tmp_path: Path) -> None:
    port = _free_port()
    out = _cli("status", "--run-dir", str(tmp_path), EXEMPLAR_KAFKA_BOOTSTRAP=f"127.0.0.1:{port}",
               EXEMPLAR_MONGO_URL=f"mongodb://127.0.0.1:{port}/?directConnection=true",
               **{f"EXEMPLAR_{n.upper()}_URL": f"http://127.0.0.1:{port}"
                  for n in ("nominations", "voting", "scoring", "publicity", "leaderboard", "dashboard")})
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    for name, setting in (("Kafka", "EXEMPLAR_KAFKA_BOOTSTRAP"), ("MongoDB", "EXEMPLAR_MONGO_URL"),
                          ("voting", "EXEMPLAR_VOTING_URL"), ("dashboard", "EXEMPLAR_DASHBOARD_URL")):
        line = next(line for line in out.stdout.splitlines() if line.strip().startswith(name))
        assert "down" in line and setting in line, line


def test_a_bad_kafka_choice_is_one_line() -> None:
    out = _cli("servers", "--kafka", "rabbitmq")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "apache, noida or auto" in out.stderr


@pytest.mark.parametrize("value", ["noida", "NOIDA"])
def test_the_kafka_choice_noida_needs_no_java(value: str, monkeypatch) -> None:
    from devtools.servers import choose_kafka_impl

    monkeypatch.setenv("PATH", "/nonexistent")  # no java, no mvn
    assert choose_kafka_impl(value) == "noida"


def test_auto_falls_back_to_noida_and_says_so_when_java_cannot_be_had(monkeypatch) -> None:
    from devtools import apache_kafka, servers

    monkeypatch.setattr(apache_kafka, "unavailable_reason",
                        lambda cache_dir=None: "`java` (17 or newer) is not on PATH")
    monkeypatch.setattr(servers, "_fallback_said", False)
    said: list[str] = []
    assert servers.choose_kafka_impl("auto", say=said.append) == "noida"
    assert len(said) == 1 and "noida-db" in said[0] and "java" in said[0].lower()
    with pytest.raises(RuntimeError, match="cannot run here"):
        servers.choose_kafka_impl("apache")
