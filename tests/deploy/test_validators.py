"""The deployment files pass the real validators (no Docker or cluster needed): docker-compose.yml against the
compose-spec JSON schema (vendored by check-jsonschema), the Kubernetes manifests with `kubernetes-validate
--strict`; and they say what production needs: pinned images, replication 3 with min.insync.replicas 2, explicit
retention, an instance id per pod, a CPU autoscaler per service."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.topics import plan
from shared.contracts import topics
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
PATCH_TAG = re.compile(r"^[\w./-]+:v?\d+\.\d+\.\d+([-.][\w.]+)?$")


def _check_compose(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=120)


def _kubernetes_validate(*paths: Path) -> subprocess.CompletedProcess:
    tool = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent)) or "kubernetes-validate"
    return subprocess.run([tool, "--strict", "--quiet", *map(str, paths)], capture_output=True, text=True, timeout=120)


def _manifests() -> list[Path]:
    return [p for p in sorted(K8S_DIR.glob("*.yaml")) if p.name != "kustomization.yaml"]


def _docs() -> list[dict[str, Any]]:
    return [d for p in _manifests() for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]


# --------------------------------------------------------------------------- the validators


def test_compose_file_matches_the_compose_spec_schema() -> None:
    out = _check_compose(COMPOSE_FILE)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_compose_schema_check_rejects_a_wrong_file(tmp_path: Path) -> None:
    """The check is real: an unknown key in a service fails it."""
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    data["services"]["mongo"]["restart_policy_typo"] = "always"
    bad = tmp_path / "docker-compose.yml"
    bad.write_text(yaml.safe_dump(data))
    out = _check_compose(bad)
    assert out.returncode != 0 and "restart_policy_typo" in out.stdout + out.stderr


def test_kubernetes_manifests_pass_kubernetes_validate_strict() -> None:
    out = _kubernetes_validate(*_manifests())
    assert out.returncode == 0, out.stdout + out.stderr


def test_kubernetes_validate_strict_rejects_an_unknown_field(tmp_path: Path) -> None:
    doc = next(d for d in _docs() if d["kind"] == "Deployment")
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyTypo"] = "Always"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    out = _kubernetes_validate(bad)
    assert out.returncode != 0, out.stdout + out.stderr


# --------------------------------------------------------------------------- compose


def test_compose_images_are_pinned_to_patch_releases() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    for name, svc in compose["services"].items():
        image = re.sub(r"\$\{[A-Z_]+:-([^}]+)\}", r"\1", str(svc["image"]))  # the default of ${VAR:-default}
        assert PATCH_TAG.match(image), f"{name}: image {svc['image']!r} is not pinned to a patch release"
        assert not image.endswith(":latest")


# --------------------------------------------------------------------------- Kubernetes


def test_kubernetes_images_are_pinned() -> None:
    images = [c["image"] for d in _docs() if d["kind"] in ("Deployment", "Job")
              for c in d["spec"]["template"]["spec"]["containers"]]
    assert images and all(PATCH_TAG.match(i) for i in images), images
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    tags = [str(i.get("newTag", "")) for i in kustomization["images"]]
    assert tags and all(re.fullmatch(r"v?\d+\.\d+\.\d+\S*", t) for t in tags), tags


def test_configmap_asks_for_replication_3_min_insync_2_and_explicit_retention() -> None:
    data = next(d for d in _docs() if d["kind"] == "ConfigMap")["data"]
    assert data["EXEMPLAR_KAFKA_REPLICATION_FACTOR"] == "3"
    assert data["EXEMPLAR_KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    for key in ("EXEMPLAR_KAFKA_EVENT_RETENTION_MS", "EXEMPLAR_KAFKA_DEADLETTER_RETENTION_MS",
                "EXEMPLAR_KAFKA_COMMAND_RETENTION_MS"):
        assert re.fullmatch(r"-1|\d+", data[key]), key
    # The policy `exemplar topics` (the Job) applies with this ConfigMap: every topic, explicitly.
    settings = Settings(**{k.removeprefix("EXEMPLAR_").lower(): v for k, v in data.items()
                           if k in ("EXEMPLAR_KAFKA_PARTITIONS", "EXEMPLAR_KAFKA_REPLICATION_FACTOR")})
    policies = {p.name.removeprefix(settings.topic_prefix + "."): p for p in plan(settings, env=data)}
    assert set(policies) == set(topics.ALL)
    for name, p in policies.items():
        assert p.replication_factor == 3 and p.configs["min.insync.replicas"] == "2", name
    for name in topics.EVENT_TOPICS:
        assert policies[name].configs["retention.ms"] == "-1", name  # the log the read models are rebuilt from
    assert policies[topics.DEAD_LETTER].configs["retention.ms"] == "-1"
    assert int(policies[topics.BALLOTS].configs["retention.ms"]) >= 7 * 24 * 3600 * 1000


def test_topics_job_runs_exemplar_topics_with_the_configmap() -> None:
    job = next(d for d in _docs() if d["kind"] == "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-1] == "topics"
    assert any(r.get("configMapRef", {}).get("name") == "exemplar-config" for r in container["envFrom"])
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    assert {"hpa.yaml", "topics-job.yaml"} <= set(kustomization["resources"])


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_pod_has_its_instance_id_from_its_pod_name(name: str) -> None:
    dep = next(d for d in _docs() if d["kind"] == "Deployment" and d["metadata"]["name"] == name)
    env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EXEMPLAR_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_cpu_autoscaler(name: str) -> None:
    hpa = next(d for d in _docs()
               if d["kind"] == "HorizontalPodAutoscaler" and d["spec"]["scaleTargetRef"]["name"] == name)
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= 6  # 6 partitions: more would idle
    metrics = hpa["spec"]["metrics"]
    assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics)


def test_readme_documents_the_lag_based_autoscaler_and_retention() -> None:
    text = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    assert "lag" in text.lower() and "ScaledObject" in text
    assert "retention.ms" in text and "min.insync.replicas" in text
