"""Prometheus and Grafana in compose: pinned images, every service scraped, a dashboard of metrics that exist.

The metric names the dashboard queries are checked against a scrape of a real (not started) Service's /metrics,
so renaming a metric without the dashboard fails here.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from shared.service import Service
from shared.settings import Settings
from tests.deploy.test_deploy_files import ALL_SERVICES, COMPOSE_FILE, EXPECTED_SERVICES, _runs_service

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "deploy" / "observability"
DASHBOARD = OBS / "grafana" / "dashboards" / "exemplar.json"
PATCH_TAG = re.compile(r":v?\d+\.\d+\.\d+$")


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_prometheus_and_grafana_run_from_patch_pinned_images_with_their_config_mounted():
    services = compose()["services"]
    for name in ("prometheus", "grafana"):
        assert PATCH_TAG.search(services[name]["image"]), f"{name} image must be pinned to a patch version"
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_prometheus_scrapes_every_instance_of_every_service():
    config = yaml.safe_load((OBS / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    scraped = {t for job in jobs.values() for sc in job["static_configs"] for t in sc["targets"]}
    services = compose()["services"]
    for name in ALL_SERVICES:
        assert jobs[name].get("metrics_path", "/metrics") == "/metrics"
        port = EXPECTED_SERVICES.get(name)
        instances = [key for key, svc in services.items() if _runs_service(svc.get("command"), name)]
        assert instances, f"compose runs no {name}"
        for key in instances:
            assert f"{key}:{port}" in scraped, f"Prometheus does not scrape {key}:{port}"


def test_grafana_provisions_the_prometheus_datasource_the_dashboard_uses():
    sources = yaml.safe_load((OBS / "grafana/provisioning/datasources/prometheus.yml").read_text())["datasources"]
    uids = {s["uid"] for s in sources if s["type"] == "prometheus"}
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    used = {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p}
    assert used and used <= uids
    provider = yaml.safe_load((OBS / "grafana/provisioning/dashboards/exemplar.yml").read_text())["providers"][0]
    mounts = compose()["services"]["grafana"]["volumes"]
    assert any(m.endswith(":" + provider["options"]["path"] + ":ro") for m in mounts)


def exported_sample_names() -> set[str]:
    """Every series name a service's /metrics can show (counters as _total, histograms as _bucket/_sum/_count)."""
    text = TestClient(Service("probe", Settings(topic_prefix="unit"), title="probe").api).get("/metrics").text
    names = set()
    for family in text_string_to_metric_families(text):
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(family.type, [""])
        names |= {family.name + s for s in suffixes}
    return names


def test_the_dashboard_queries_only_metrics_the_services_export():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    queried = {m for e in exprs for m in re.findall(r"\b((?:exemplar|faststream)_[a-z_]+)\b", e)}
    exported = exported_sample_names()
    assert queried and not queried - exported, f"not exported: {sorted(queried - exported)}"
    for needed in ("exemplar_http_requests_total", "exemplar_http_request_duration_seconds_bucket",
                   "exemplar_messages_processed_total", "exemplar_messages_failed_total",
                   "exemplar_messages_dead_lettered_total", "exemplar_consumer_lag", "exemplar_outbox_pending",
                   "exemplar_outbox_oldest_age_seconds", "exemplar_producer_renewals_total",
                   "exemplar_consumer_rebalances_total"):
        assert needed in queried, f"the dashboard shows no {needed}"
