"""Every dashboard page loads in headless Chromium without a Streamlit exception; the 500-nominee leaderboard is
fast."""
from __future__ import annotations


import os
import re
import time

import pytest

from .conftest import publish_screenshot, shot

pytestmark = pytest.mark.browser

SEEDED_ARENA = "?arena=seed-arena"  # the hall's screen link of the seeded contest (the organiser's console gives it)
PAGES = [  # url path, a text the page must show once loaded
    ("", "综合得分"),
    ("arena", "封榜"),
    ("honours", "已撤销"),
    ("notices", "实名提出异议"),
    ("turnout", "各单位参评率"),
    ("portal", "登录链接"),
]


def open_page(page, base: str, path: str, text: str, query: str = "") -> float:
    started = time.perf_counter()
    page.goto(f"{base}/{path}{query}")
    # visible=True: a data grid also renders its headers in a hidden accessibility table.
    page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(state="visible")
    elapsed = time.perf_counter() - started
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    return elapsed


@pytest.mark.parametrize(("path", "text"), PAGES)
def test_page_loads_without_error(stack, read_model, page, path, text):
    # the arena page shows the most recently updated contest first (another test's may be newer): the hall's link
    # names the seeded, frozen one
    open_page(page, stack.urls["dashboard"], path, text, query=SEEDED_ARENA if path == "arena" else "")
    page.wait_for_timeout(500)  # let late elements (charts, fragments) render
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, f"page-{path or 'leaderboard'}")


def test_english_switch(stack, read_model, page):
    open_page(page, stack.urls["dashboard"], "", "Composite", query="?lang=en")
    page.get_by_text("Model organs").filter(visible=True).first.wait_for()
    page.get_by_text("中文").filter(visible=True).first.click()
    page.get_by_text("综合得分").filter(visible=True).first.wait_for()


def test_leaderboard_of_500_nominees_renders_fast(stack, read_model, page, capsys):
    base = stack.urls["dashboard"]
    open_page(page, base, "", "综合得分")  # warm the caches once
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        page.goto(f"{base}/?programme={read_model['programme_id']}")
        page.get_by_text("共 500 个参评对象").wait_for()
        page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
        page.locator('[data-testid="stTable"]').first.wait_for(state="visible")
        timings.append(time.perf_counter() - started)
    # The page no longer prints its build time (issue 17); tests/dashboard times the page data of 500 nominees.
    assert page.get_by_text(re.compile("页面数据生成用时")).count() == 0
    with capsys.disabled():
        print(f"\n[measure] leaderboard, 500 nominees: browser load-to-render {min(timings):.2f}s best, "
              f"{max(timings):.2f}s worst of 3")
    # The browser bound holds on an idle machine (1.3 s measured); on a shared, overloaded one only report it.
    if os.getloadavg()[0] < 2 * (os.cpu_count() or 1):
        assert min(timings) < 5.0
    path = shot(page, "leaderboard")
    publish_screenshot(path, "leaderboard")


def test_arena_board_is_live_and_frozen(stack, read_model, page, app_settings):
    from pymongo import MongoClient

    base = stack.urls["dashboard"]
    open_page(page, base, "arena", "封榜", query=SEEDED_ARENA)
    page.get_by_text("最终得分").first.wait_for()
    # A new board arrives in the read model: the fragment shows it within a few seconds without a page reload.
    client = MongoClient(app_settings.mongo_url)
    try:
        client[app_settings.database_name("leaderboard")].arenas.update_one(
            {"_id": "seed-arena"}, {"$set": {"frozen": False, "frozen_from": None, "rows.0.name": "揭晓后的冠军队",
                                             "sequence": 6}})
        page.get_by_text("揭晓后的冠军队").wait_for(timeout=30_000)
        assert page.get_by_text("封榜中").count() == 0
        path = shot(page, "arena")
        publish_screenshot(path, "arena")
    finally:
        client[app_settings.database_name("leaderboard")].arenas.update_one(
            {"_id": "seed-arena"}, {"$set": {"frozen": True, "frozen_from": "决赛", "sequence": 7}})
        client.close()
