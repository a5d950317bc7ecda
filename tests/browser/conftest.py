"""Browser-test fixtures: the services and the dashboard as child processes on the session's real servers,
a seeded read model, and headless Chromium (Debian's binary) driven by Playwright."""
from __future__ import annotations

import os

import shutil
import tempfile
from pathlib import Path
from uuid import uuid4

import pytest
from pymongo import MongoClient

from devtools.stack import Stack
from shared.settings import Settings

from .seed import seed_read_model

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"


def publish_screenshot(path: Path, name: str) -> None:
    """Copy a screenshot to docs/screenshots (shown in the README) only when asked, so tests leave the tree clean."""
    if os.environ.get("EXEMPLAR_UPDATE_SCREENSHOTS"):
        target = REPO / "docs" / "screenshots" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")  # nominations redeems sign-in links


@pytest.fixture(scope="package")
def stack(servers):
    """nominations, voting, publicity, the leaderboard projector and the dashboard, on the session's Kafka/MongoDB."""
    prefix = "b" + uuid4().hex[:8]
    st = Stack(Path(tempfile.mkdtemp(prefix="exemplar-browser-")), services=SERVICES, dashboard=True, prefix=prefix,
               extra_env={"EXEMPLAR_LOG_FORMAT": "console", "EXEMPLAR_LOG_LEVEL": "WARNING",
                          "EXEMPLAR_KAFKA_BOOTSTRAP": servers.kafka_bootstrap, "EXEMPLAR_MONGO_URL": servers.mongo_url})
    st.ports["kafka"] = int(servers.kafka_bootstrap.rsplit(":", 1)[1])
    try:
        for name in SERVICES:
            st.start_service(name)
        st.start_dashboard()
        for name in st.processes:
            st.wait_ready(name, timeout=90)
        yield st
    finally:
        st.stop()  # stops our child processes by PID; the session servers belong to the `servers` fixture


@pytest.fixture(scope="package")
def app_settings(stack) -> Settings:
    """Settings matching the running stack (same prefixes and the services' default local secret)."""
    env = stack.env
    return Settings(kafka_bootstrap=env["EXEMPLAR_KAFKA_BOOTSTRAP"], mongo_url=env["EXEMPLAR_MONGO_URL"],
                    db_prefix=stack.prefix, topic_prefix=stack.prefix)


@pytest.fixture(scope="package")
def read_model(stack, app_settings):
    """The read model seeded directly with a 500-nominee programme, a frozen arena, honours and a closed round."""
    client = MongoClient(app_settings.mongo_url)
    db = client[app_settings.database_name("leaderboard")]
    seeded = seed_read_model(db, nominees=500)
    yield seeded
    client.close()


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def page(browser, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    pg = ctx.new_page()
    pg.set_default_timeout(45_000)  # generous: CI machines are shared
    yield pg
    if getattr(request.node, "failed_call", False):  # what the page showed when the test failed, for its log
        shot(pg, f"failed-{request.node.name}"[:120])
    ctx.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
