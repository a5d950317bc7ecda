"""The product's dependencies are the product's: the production set (what the image installs from uv.lock) holds
neither the local servers nor the test and benchmark tools, and the libraries whose private APIs shared/ touches
have an upper version bound."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")

LOCAL_SERVERS = {"noida-db", "secantusdb"}
BENCH_AND_TEST_TOOLS = {"psutil", "pytest", "pytest-asyncio", "pytest-timeout", "pytest-benchmark", "pyinstrument",
                        "hypothesis", "schemathesis", "playwright", "kubernetes-validate", "check-jsonschema"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _packages() -> dict[str, dict]:
    return {_norm(p["name"]): p for p in LOCK["package"]}


def production_set() -> set[str]:
    """Every package the lock installs for the project without any dependency group: its `dependencies` (with the
    extras they ask for), followed transitively through the lock's entries."""
    packages = _packages()
    project = packages[_norm(PYPROJECT["project"]["name"])]
    seen: set[str] = set()
    todo = [(_norm(d["name"]), tuple(d.get("extra", ()))) for d in project.get("dependencies", [])]
    done: set[tuple[str, tuple]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        seen.add(name)
        entry = packages[name]
        deps = list(entry.get("dependencies", []))
        for extra in extras:
            deps += entry.get("optional-dependencies", {}).get(extra, [])
        todo += [(_norm(d["name"]), tuple(d.get("extra", ()))) for d in deps]
    return seen


def test_the_production_set_holds_no_local_server_and_no_test_or_bench_tool() -> None:
    prod = production_set()
    assert {"fastapi", "aiokafka", "faststream", "pymongo", "streamlit"} <= prod  # the walk finds the product
    assert not prod & LOCAL_SERVERS, f"local servers in the production set: {sorted(prod & LOCAL_SERVERS)}"
    assert not prod & BENCH_AND_TEST_TOOLS, f"tools in the production set: {sorted(prod & BENCH_AND_TEST_TOOLS)}"


def test_the_local_servers_and_tools_are_in_dependency_groups_that_the_exemplar_script_installs() -> None:
    groups = {g: {_norm(Requirement(r).name) for r in reqs if isinstance(r, str)}
              for g, reqs in PYPROJECT["dependency-groups"].items()}
    runtime = {_norm(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    assert LOCAL_SERVERS | {"psutil"} <= groups["local"]
    assert {"pytest", "pytest-benchmark", "pyinstrument", "kubernetes-validate", "check-jsonschema"} <= groups["dev"]
    assert not runtime & (LOCAL_SERVERS | BENCH_AND_TEST_TOOLS)
    script = (ROOT / "exemplar").read_text(encoding="utf-8")
    assert re.search(r"uv sync .*--group dev --group local", script)


def test_the_image_installs_the_product_set_only() -> None:
    sync = [line for line in DOCKERFILE.splitlines() if "uv sync" in line]
    assert sync and all("--frozen" in line and "--no-default-groups" in line for line in sync), sync
    assert not re.search(r"--(all-)?group", " ".join(sync))


@pytest.mark.skipif(shutil.which("uv") is None and subprocess.run([sys.executable, "-m", "uv", "--version"],
                    capture_output=True).returncode != 0, reason="uv is not installed here")
def test_uv_export_of_the_image_set_agrees() -> None:
    """The same set as uv itself resolves it from the lock for the image's flags."""
    uv = [shutil.which("uv")] if shutil.which("uv") else [sys.executable, "-m", "uv"]
    out = subprocess.run([*uv, "export", "--frozen", "--no-default-groups", "--no-hashes", "--no-emit-project"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    exported = {_norm(line.split("==")[0]) for line in out.stdout.splitlines()
                if "==" in line and not line.startswith("#")}
    assert exported == production_set() - {_norm(PYPROJECT["project"]["name"])}
    assert not exported & (LOCAL_SERVERS | BENCH_AND_TEST_TOOLS)


@pytest.mark.parametrize("name", ["aiokafka", "faststream"])
def test_libraries_whose_private_apis_are_touched_have_an_upper_bound(name: str) -> None:
    """shared/ reads private attributes of aiokafka (its fetcher) and faststream (subscriber state): a new minor
    release may change them, so the bound makes the upgrade a deliberate step."""
    req = next(Requirement(r) for r in PYPROJECT["project"]["dependencies"] if _norm(Requirement(r).name) == name)
    assert any(spec.operator in ("<", "<=", "~=", "==") for spec in req.specifier), f"{name} has no upper bound"
    locked = _packages()[name]["version"]
    assert SpecifierSet(str(req.specifier)).contains(locked, prereleases=True), f"{name} {locked} outside {req}"
