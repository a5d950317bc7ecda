"""The noida-db workaround is devtools' business: activated by the local servers, for them and their children."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import noida_pacing

ROOT = Path(__file__).resolve().parents[2]


def test_the_product_does_not_patch_aiokafka():
    code = ("import aiokafka.consumer.fetcher as f; import services.leaderboard.app as a; a.create_service(); "
            "print(getattr(f.Fetcher, '_exemplar_paced', False))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_activation_paces_this_process_and_the_python_processes_it_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "")
    noida_pacing.activate(tmp_path)
    from aiokafka.consumer.fetcher import Fetcher

    assert Fetcher._exemplar_paced
    code = "import aiokafka.consumer.fetcher as f; print(getattr(f.Fetcher, '_exemplar_paced', False))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr


@pytest.mark.parametrize(("raw", "ms"), [("", 10.0), ("0", 0.0), ("25", 25.0), ("9000", 500.0)])
def test_the_pause_comes_from_the_environment(monkeypatch, raw, ms):
    monkeypatch.setenv(noida_pacing.ENV, raw)
    assert noida_pacing.pause_ms() == ms
