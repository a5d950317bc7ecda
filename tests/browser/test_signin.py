"""Signing in without a token, in Chromium against the real nominations service and dashboard: the first organiser
opens the link the CLI prints, issues a unit's link in the portal; the unit opens it and is signed in, signs out,
cannot use it twice; an expired link says what to do.

Only the first organiser's link is minted outside the pages (as `exemplar signin-link organiser` prints it), and the
programme with its units is defined through nominations' API as its set-up, as the organiser's files would be."""
from __future__ import annotations

import copy
import time
from uuid import uuid4

import httpx
import pytest
from pymongo import MongoClient

from shared.auth import issue_token
from tests.nominations.helpers import MEMBERS_CSV, PROGRAMME, UNITS_CSV

from .conftest import publish_screenshot, shot
from .signin_support import cli_link, sign_in
from .test_flows import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def signin_programme(stack, app_settings):
    pid = "si" + uuid4().hex[:6]
    org = {"Authorization": "Bearer " + issue_token(app_settings, role="organiser", subject="setup")}
    url = stack.urls["nominations"]
    prog = copy.deepcopy(PROGRAMME) | {"programme_id": pid, "name": "登录链接测试评选"}
    r = httpx.post(f"{url}/programmes", json=prog, headers=org, timeout=30)
    assert r.status_code == 201, r.text
    for kind, csv in (("units", UNITS_CSV), ("members", MEMBERS_CSV)):
        r = httpx.post(f"{url}/programmes/{pid}/{kind}/import", files={"file": (f"{kind}.csv", csv.encode())},
                       headers=org, timeout=30)
        assert r.status_code == 200, r.text
    lb = MongoClient(app_settings.mongo_url)[app_settings.database_name("leaderboard")]
    wait_until(lambda: lb.programmes.find_one({"_id": pid}), timeout=60)  # the portal's programme picker
    return pid


def test_sign_in_by_links(stack, app_settings, signin_programme, browser, page):
    base = stack.urls["dashboard"]
    # The first organiser opens the link the CLI printed: signed in, the token gone from the address.
    sign_in(page, cli_link(base, app_settings, "organiser", name="首位组织者", programme_id=signin_programme),
            "当前用户：首位组织者（组织者）")
    assert "signin=" not in page.url and "/portal" in page.url, page.url

    # In the sign-in links tab, the organiser picks a unit by name and issues its link.
    page.get_by_role("tab", name="登录链接").click()
    units = page.locator('[data-testid="stMultiSelect"]').filter(has_text="申报单位联系人").filter(visible=True).first
    units.click()
    page.get_by_role("option", name="市财政局", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="生成登录链接").click()
    page.get_by_text("已生成 1 个登录链接").wait_for()
    unit_url = page.locator("p.url").first.inner_text().strip()
    assert unit_url.startswith(f"{base}/?signin="), unit_url
    for label in ("下载打印页（含二维码）", "导出 CSV", "导出 Excel"):
        page.get_by_role("button", name=label).wait_for()
    shot(page, "signin-links-tab")

    # The unit opens its link on its own device: signed in as itself.
    unit_ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
    unit = unit_ctx.new_page()
    unit.set_default_timeout(45_000)
    started = time.perf_counter()
    unit.goto(unit_url)
    unit.get_by_text("当前用户：市财政局（申报单位）").wait_for()
    elapsed = time.perf_counter() - started
    unit.get_by_text("已登录：市财政局（申报单位）").wait_for()
    assert "signin=" not in unit.url
    assert unit.locator('[data-testid="stException"]').count() == 0
    path = shot(unit, "signin")
    publish_screenshot(path, "signin")
    print(f"\n[measure] open a sign-in link to signed in: {elapsed:.1f}s")

    # A reload is a new Streamlit session: it stays signed in (the session cookie), without the used link.
    unit.reload()
    unit.get_by_text("当前用户：市财政局（申报单位）").wait_for()

    # Signing out clears the session, on a reload too; the same link cannot sign in twice.
    unit.get_by_role("button", name="退出登录").first.click()
    unit.get_by_text("您已退出登录。").wait_for()
    assert unit.get_by_text("当前用户：市财政局").count() == 0
    unit.wait_for_timeout(1000)  # the cookie is dropped by the next run's component
    unit.reload()
    unit.get_by_text("请打开组织者发给您的登录链接").wait_for()
    assert unit.get_by_text("当前用户：市财政局").count() == 0
    unit.goto(unit_url)
    unit.get_by_text("此登录链接已使用过，请联系组织者重新发放。").wait_for()

    # The organiser's list shows the link as used.
    page.get_by_role("tab", name="登录链接").click()
    page.get_by_text("已发放的登录链接").wait_for()

    # An expired link says what to do (in English too when English is chosen).
    expired = cli_link(base, app_settings, "unit", "u-fgw", "市发展和改革委员会", hours=1, now=time.time() - 7200)
    unit.goto(expired)
    unit.get_by_text("此登录链接已过期，请联系组织者重新发放。").wait_for()
    assert unit.get_by_text("当前用户：").count() == 0
    path = shot(unit, "signin-expired")
    publish_screenshot(path, "signin-expired")
    unit.goto(expired + "&lang=en")
    unit.get_by_text("This sign-in link has expired. Ask the organiser for a new one.").wait_for()
    unit_ctx.close()
