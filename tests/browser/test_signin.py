"""Signing in without a token, in Chromium against the real nominations service and dashboard: the first organiser
opens the link the CLI prints, issues a unit's link in the console's sign-in links tab; the unit opens it and is
signed in, signs out, cannot use it twice; an expired link says what to do.

The programme with its tree and roll is the organiser's set-up, done in the console first. Only the first
organiser's links are minted outside the pages, as `exemplar signin-link organiser` prints them: one to sign in, and
one printed with `--hours` of a few seconds that has expired by the time it is opened."""
from __future__ import annotations

import time

import pytest

from shared.signin_links import link_url

from .conftest import publish_screenshot, shot
from .console_steps import (create_programme, first_organiser_link, import_tree_and_roll, issue_links,
                            organiser_page)
from .signin_support import sign_in

pytestmark = pytest.mark.browser

UNITS = """单位编号,单位名称,上级单位编号,单位类型
u-czj,市财政局,,机关
u-czj-b1,市财政局机关第一党支部,u-czj,支部
u-fgw,市发展和改革委员会,,机关
"""
ROLL = "党员编号,姓名,所在单位\nm1,王伟,市财政局机关第一党支部\nm2,张强,市发展和改革委员会\n"
SHORT = 10  # seconds the expired link was valid


@pytest.fixture(scope="module")
def signin_programme(stack, browser, tmp_path_factory) -> str:
    """The organiser's set-up in the console: a programme from the template, its tree and roll. Its name."""
    base, name = stack.urls["dashboard"], "2026年度登录链接测试评选"
    started = time.perf_counter()
    ctx, page = organiser_page(browser)
    try:
        sign_in(page, link_url(base, first_organiser_link(stack, "工委组织部")), "当前用户：工委组织部（组织者）")
        create_programme(page, name)
        import_tree_and_roll(page, UNITS, ROLL, tmp_path_factory.mktemp("signin"))
    except Exception:
        shot(page, "signin-failed-setup")
        raise
    finally:
        ctx.close()
    print(f"\n[measure] the organiser's set-up in the console: {time.perf_counter() - started:.1f}s")
    return name


@pytest.mark.timeout(600)  # the set-up on the pages too (the fixture's time counts), on a shared machine
def test_sign_in_by_links(stack, signin_programme, browser, page):
    base = stack.urls["dashboard"]
    # A first-organiser link printed with `--hours` of SHORT seconds: opened at the end, expired by then.
    expired, printed = link_url(base, first_organiser_link(stack, "首位组织者", hours=SHORT / 3600)), time.time()
    # The first organiser opens the link the CLI printed: signed in, the token gone from the address.
    sign_in(page, link_url(base, first_organiser_link(stack, "首位组织者")), "当前用户：首位组织者（组织者）")
    assert "signin=" not in page.url and "/portal" in page.url, page.url

    # In the sign-in links tab, the organiser picks the programme and a unit by name and issues its link.
    unit_url = issue_links(page, signin_programme, "申报单位联系人", ["市财政局"])["市财政局"]
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
    time.sleep(max(0.0, printed + SHORT + 1 - time.time()))
    unit.goto(expired)
    unit.get_by_text("此登录链接已过期，请联系组织者重新发放。").wait_for()
    assert unit.get_by_text("当前用户：").count() == 0
    path = shot(unit, "signin-expired")
    publish_screenshot(path, "signin-expired")
    unit.goto(expired + "&lang=en")
    unit.get_by_text("This sign-in link has expired. Ask the organiser for a new one.").wait_for()
    unit_ctx.close()
