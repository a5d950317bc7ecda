"""Static checks of the deployment files: docker-compose.yml, deploy/docker/Dockerfile, deploy/k8s.

Every service under services/ (a subfolder with __main__.py) and the dashboard must be
deployed by compose and by Kubernetes, with health checks, and scaled out on Kubernetes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"

# The services the design fixes, with their HTTP ports; services/ is discovered as well,
# so a new service folder must be deployed too.
EXPECTED_SERVICES = {"nominations": 8101, "voting": 8102, "scoring": 8103, "publicity": 8104, "leaderboard": 8105}
DASHBOARD_PORT = 8501
# Compose services that are not the application's (no image of ours, no Kafka or MongoDB to wait for).
INFRASTRUCTURE = ("kafka", "mongo", "prometheus", "grafana")


def discovered_services() -> set[str]:
    services_dir = ROOT / "services"
    if not services_dir.is_dir():
        return set()
    return {p.name for p in services_dir.iterdir() if p.is_dir() and (p / "__main__.py").is_file()}


ALL_SERVICES = sorted(discovered_services() | set(EXPECTED_SERVICES))


def _as_list(command: Any) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return command.split()
    return [str(c) for c in command]


def _runs_service(command: Any, name: str) -> bool:
    return f"services.{name}" in _as_list(command) or f"services.{name}" in " ".join(_as_list(command))


def _runs_dashboard(command: Any) -> bool:
    cmd = _as_list(command)
    return "streamlit" in cmd and "dashboard/app.py" in cmd


# --------------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def _compose_instances(compose: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in compose["services"].items() if _runs_service(v.get("command"), name)}


@pytest.mark.parametrize("name", ALL_SERVICES)
def test_compose_runs_every_service(compose: dict[str, Any], name: str) -> None:
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    assert _runs_service(compose["services"][name].get("command"), name)
    for key, svc in _compose_instances(compose, name).items():
        env = svc.get("environment") or {}
        assert isinstance(env, dict), f"{key}: use the mapping form of environment"
        assert env.get("EXEMPLAR_KAFKA_BOOTSTRAP") and env.get("EXEMPLAR_MONGO_URL"), key
        if name in EXPECTED_SERVICES:
            assert str(env.get("EXEMPLAR_HTTP_PORT")) == str(EXPECTED_SERVICES[name]), key


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES))
def test_compose_publishes_service_api_port_once(compose: dict[str, Any], name: str) -> None:
    published = [
        str(p) for svc in _compose_instances(compose, name).values() for p in (svc.get("ports") or [])
    ]
    port = EXPECTED_SERVICES[name]
    assert any(p.endswith(f"{port}:{port}") for p in published), f"{name}: host port {port} not published"
    # Exactly one instance publishes the host port, so replicas never conflict.
    assert sum(1 for p in published if p.startswith(f"{port}:") or f":{port}:" in p) == 1
    for key, svc in _compose_instances(compose, name).items():
        replicas = int((svc.get("deploy") or {}).get("replicas", 1))
        assert replicas == 1 or not svc.get("ports"), f"{key}: replicas with a published host port conflict"


def test_compose_runs_dashboard(compose: dict[str, Any]) -> None:
    dash = compose["services"].get("dashboard")
    assert dash is not None, "docker-compose.yml has no dashboard service"
    assert _runs_dashboard(dash.get("command"))
    assert any(str(p).endswith(f"{DASHBOARD_PORT}:{DASHBOARD_PORT}") for p in dash.get("ports") or [])
    assert "/_stcore/health" in " ".join(_as_list(dash["healthcheck"]["test"]))


def test_compose_scales_voting_and_scoring(compose: dict[str, Any]) -> None:
    for name in ("voting", "scoring"):
        count = sum(
            int((svc.get("deploy") or {}).get("replicas", 1)) for svc in _compose_instances(compose, name).values()
        )
        assert count >= 2, f"{name} should run at least two instances in compose"


def test_compose_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for key, svc in compose["services"].items():
        check = svc.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{key} has no healthcheck"
        text = " ".join(_as_list(check["test"]))
        if any(_runs_service(svc.get("command"), n) for n in ALL_SERVICES):
            assert "/readyz" in text, f"{key}: the healthcheck should hit /readyz"


def test_compose_depends_on_waits_for_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for key, svc in services.items():
        deps = svc.get("depends_on")
        if key in INFRASTRUCTURE:
            continue
        assert deps, f"{key} has no depends_on"
        assert isinstance(deps, dict), f"{key}: depends_on must use the long form with conditions"
        assert {"kafka", "mongo"} <= set(deps), f"{key} must wait for kafka and mongo"
        for dep, spec in deps.items():
            assert dep in services, f"{key} depends on unknown service {dep}"
            assert spec.get("condition") == "service_healthy", f"{key} -> {dep} must be service_healthy"


def test_compose_infrastructure(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert str(kafka["image"]).startswith("apache/kafka:")
    kenv = kafka["environment"]
    assert "controller" in kenv["KAFKA_PROCESS_ROLES"] and "broker" in kenv["KAFKA_PROCESS_ROLES"]
    assert kenv.get("CLUSTER_ID")
    mongo = compose["services"]["mongo"]
    assert str(mongo["image"]).startswith("mongo:7")
    assert "--replSet" in _as_list(mongo["command"])
    assert "rs.initiate" in " ".join(_as_list(mongo["healthcheck"]["test"]))


def test_compose_secret_comes_from_environment() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert re.search(r"EXEMPLAR_AUTH_SECRET:\s*\$\{EXEMPLAR_AUTH_SECRET:\?", text), (
        "EXEMPLAR_AUTH_SECRET must be required from the environment (${EXEMPLAR_AUTH_SECRET:?...})"
    )


def test_compose_app_services_use_the_one_image(compose: dict[str, Any]) -> None:
    images = set()
    for key, svc in compose["services"].items():
        if key in INFRASTRUCTURE:
            continue
        build = svc.get("build") or {}
        assert build.get("dockerfile") == "deploy/docker/Dockerfile", f"{key} must build deploy/docker/Dockerfile"
        images.add(svc.get("image"))
    assert len(images) == 1, f"app services should share one image, got {images}"


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=60)
    return probe.returncode == 0


def test_docker_compose_config_validates(tmp_path: Path) -> None:
    if not _docker_compose_available():
        pytest.skip("the docker CLI here has no compose plugin (`docker compose version` failed)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXEMPLAR_", "COMPOSE_"))}
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    base = ["docker", "compose", "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE)]
    ok = subprocess.run(
        [*base, "config", "-q"],
        cwd=ROOT,
        env={**env, "EXEMPLAR_AUTH_SECRET": "test-only-secret", "EXEMPLAR_BALLOT_SECRET": "test-only-ballot-secret"},
        capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run([*base, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0, "compose must refuse to start without EXEMPLAR_AUTH_SECRET"
    assert "EXEMPLAR_AUTH_SECRET" in missing.stderr


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM\s+(\$\{PYTHON_IMAGE\}|python:3\.11-slim)", text, re.M)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M) or "FROM python:3.11-slim" in text
    # Dependencies are installed from the lock file before the source is copied (layer caching).
    lock_copy = text.index("uv.lock")
    assert lock_copy < text.index("COPY services")
    assert "--frozen" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0"), "the image must run as a non-root user"
    assert re.search(r"^CMD\s", text, re.M) and "SERVICE" in text


# --------------------------------------------------------------------------- Kubernetes


@pytest.fixture(scope="module")
def k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")) + sorted(K8S_DIR.glob("*.yml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                assert "kind" in doc and "apiVersion" in doc, f"{path.name}: document without kind/apiVersion"
                docs.append((path, doc))
    assert docs, "deploy/k8s holds no manifests"
    return docs


def _deployments(k8s_docs: list[tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_docs if doc["kind"] == "Deployment"]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _find_deployment(k8s_docs, predicate) -> dict[str, Any] | None:
    for dep in _deployments(k8s_docs):
        c = _container(dep)
        if predicate(_as_list(c.get("command")) + _as_list(c.get("args"))):
            return dep
    return None


def _probe_path(container: dict[str, Any], probe: str) -> str:
    return container[probe]["httpGet"]["path"]


@pytest.mark.parametrize("name", ALL_SERVICES)
def test_k8s_deployment_per_service(k8s_docs, name: str) -> None:
    dep = _find_deployment(k8s_docs, lambda cmd: _runs_service(cmd, name))
    assert dep is not None, f"deploy/k8s has no Deployment running services.{name}"
    assert dep["spec"]["replicas"] >= 2, f"{name} must run at least two replicas"
    selector = dep["spec"]["selector"]["matchLabels"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    c = _container(dep)
    assert _probe_path(c, "readinessProbe") == "/readyz"
    assert _probe_path(c, "livenessProbe") == "/healthz"
    res = c["resources"]
    assert res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["memory"]
    env = {e["name"]: e.get("value") for e in c.get("env") or []}
    if name in EXPECTED_SERVICES:
        assert env.get("EXEMPLAR_HTTP_PORT") == str(EXPECTED_SERVICES[name])
        assert c["ports"][0]["containerPort"] == EXPECTED_SERVICES[name]
    refs = c.get("envFrom") or []
    assert any("configMapRef" in r for r in refs) and any("secretRef" in r for r in refs)


def test_k8s_dashboard(k8s_docs) -> None:
    dep = _find_deployment(k8s_docs, _runs_dashboard)
    assert dep is not None, "deploy/k8s has no dashboard Deployment"
    assert dep["spec"]["replicas"] >= 1
    c = _container(dep)
    assert _probe_path(c, "readinessProbe") == "/_stcore/health"
    services = [doc for _, doc in k8s_docs if doc["kind"] == "Service"]
    dash_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert any(s["spec"]["selector"].items() <= dash_labels.items() for s in services), "no Service for the dashboard"


def test_k8s_config_and_secret(k8s_docs) -> None:
    config_maps = [doc for _, doc in k8s_docs if doc["kind"] == "ConfigMap"]
    assert config_maps, "no ConfigMap"
    data = config_maps[0]["data"]
    for key in ("EXEMPLAR_KAFKA_BOOTSTRAP", "EXEMPLAR_MONGO_URL", "EXEMPLAR_ENV"):
        assert key in data
    assert "EXEMPLAR_AUTH_SECRET" not in data, "the auth secret belongs in a Secret"
    secrets = [doc for _, doc in k8s_docs if doc["kind"] == "Secret"]
    assert any("EXEMPLAR_AUTH_SECRET" in (s.get("stringData") or s.get("data") or {}) for s in secrets)


def test_kustomization_lists_existing_files(k8s_docs) -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    resources = kustomization["resources"]
    for res in resources:
        assert (K8S_DIR / res).is_file(), f"kustomization lists missing file {res}"
    deployment_files = {path.name for path, doc in k8s_docs if doc["kind"] == "Deployment"}
    assert deployment_files <= set(resources), "every Deployment file must be in kustomization.yaml"
    # The Secret is a template with a placeholder: it must not be applied by `kubectl apply -k`.
    secret_files = {path.name for path, doc in k8s_docs if doc["kind"] == "Secret"}
    assert not secret_files & set(resources)


def test_k8s_kustomize_builds_if_kubectl_present() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    out = subprocess.run([kubectl, "kustomize", str(K8S_DIR)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert all(d["metadata"].get("namespace") == "exemplar" for d in docs if d["kind"] != "Namespace")
