"""ruff (E, F at 120 columns) and mypy (strict on shared/ and the services' domain modules) find nothing.

Both read their configuration from pyproject.toml; mypy's cache lives in a temporary directory of the test session,
so the check is the same on a fresh clone as here."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=240)


def test_ruff_finds_nothing() -> None:
    out = _run([str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise"])
    assert out.returncode == 0, f"ruff findings (fix them; the rules are in pyproject.toml):\n{out.stdout}{out.stderr}"


def test_mypy_finds_nothing(tmp_path_factory) -> None:
    cache = tmp_path_factory.mktemp("mypy-cache")
    out = _run([str(BIN / "mypy"), "--cache-dir", str(cache)])
    assert out.returncode == 0, f"mypy findings (the checked files are in pyproject.toml):\n{out.stdout}{out.stderr}"
