"""A judge does the whole judging job in Chromium, on the real nominations, scoring and leaderboard processes and the
dashboard: signed in by the link the organiser issues in the console, the judge reads a nominee's materials and
attachment beside the score sheet, scores it (a score off the criterion's step is refused naming the criterion),
sees the progress move, declares a conflict with a reason on another nominee and sees it recused; the arena's phone
page opens signed in by the same session and takes a live score; at 390 x 844 the page still works.

The preconditions are the organiser's and the units' work, done on their own pages first: the organiser creates
the programme from the 五强五带头 template in the console, imports the tree and the roll, opens 申报 and issues the
units' sign-in links (登录链接); three units open them and nominate themselves on the units' page with materials, a
self-assessment and (the first) an attachment; the organiser approves them (资格审查), opens 评审打分, registers the
judge with the unit picked from the tree, forms the 模范机关 panel, auto-assigns it, creates the arena contest and
issues the judge's sign-in link in the judges' tab (评委与评审组), read off the page. Only the first organiser's link
is minted, as `exemplar signin-link` prints it on a fresh installation."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import publish_screenshot, shot
from .console_steps import (approve_all, auto_assign, close_stage, create_arena, create_programme, form_panel,
                            import_tree_and_roll, issue_judge_links, issue_links, nominate_with_materials, open_link,
                            open_stage, organiser_page, people, register_judge, sign_in)
from .test_flows import wait_until

pytestmark = pytest.mark.browser

UNITS = """单位编号,单位名称,上级单位编号,单位类型
u-czj,市财政局,,机关
u-jyj,市教育局,,机关
u-wjw,市卫生健康委员会,,机关
u-dx,市委党校,,机关
"""
ROLL = "党员编号,姓名,所在单位\nm1,王伟,市财政局\n"
NOMINEES = ("市财政局", "市教育局", "市卫生健康委员会")
# 五强五带头, the template's criteria as the setup tab lists them (each out of 20, in steps of 0.5)
CRITERIA = ('政治建设强、带头做到"两个维护"', "理论武装强、带头学懂弄通做实", "组织体系强、带头建强战斗堡垒",
            "作风建设强、带头转变工作作风", "履职担当强、带头推动高质量发展")
PDF = b"%PDF-1.4 judge-materials"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def judging_programme(stack, browser, tmp_path_factory):
    """The organiser's and the units' work on their pages, up to the judge's sign-in link (see the docstring)."""
    base, tmp = stack.urls["dashboard"], tmp_path_factory.mktemp("judging")
    name = "2026年度评委评分测试评选"  # each module of the package names its own
    started = time.perf_counter()
    ctx, page = organiser_page(browser)
    try:
        sign_in(page, base, people(stack, organiser=("organiser", None, "工委组织部"))["organiser"],
                "当前用户：工委组织部（组织者）")
        create_programme(page, name)
        import_tree_and_roll(page, UNITS, ROLL, tmp)
        open_stage(page)  # 申报
        links = issue_links(page, name, "申报单位联系人", list(NOMINEES))
        for i, unit in enumerate(NOMINEES):
            files = ()
            if i == 0:
                files = (tmp / "创建工作总结.pdf",)
                files[0].write_bytes(PDF)
            nominate_with_materials(
                browser, links[unit], unit, "模范机关",
                f"{unit}坚持党建引领业务，深化“模范机关”创建。\n全年办结群众诉求 {1200 + i} 件。",
                {c: str(18 - i) for c in CRITERIA}, files)
        close_stage(page, "申报")
        open_stage(page, "资格审查")
        approve_all(page, list(NOMINEES))
        close_stage(page, "资格审查")
        open_stage(page, "评审打分")
        register_judge(page, "李明", "市委党校")
        form_panel(page, "模范机关", ["李明"], per_nominee=1)
        auto_assign(page, nominees=3, per_nominee=1)
        settle(page)
        shot(page, "judge-setup-01-panel-assigned")  # artifacts only: the console has its own in docs
        create_arena(page, "模范机关擂台赛", "模范机关", ["市财政局", "市教育局"], ["李明"])
        link = issue_judge_links(page, 1)["李明"]
        assert link.startswith(f"{base}/?signin="), link
        settle(page)
        shot(page, "judge-setup-02-judge-link")
    except Exception:
        shot(page, "failed-judge-setup")
        raise
    finally:
        ctx.close()
    print(f"\n[measure] the organiser's and the units' set-up in the pages: {time.perf_counter() - started:.1f}s")
    return {"name": name, "link": link}


def top(page) -> None:
    """Streamlit scrolls inside its main container, not the window: back to the top of the page."""
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")


def whole_page(page, name: str):
    """A screenshot of the whole page: the viewport made as tall as Streamlit's scrolled content, then restored."""
    size = page.viewport_size
    height = page.evaluate("Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 4000)})
    page.wait_for_timeout(500)
    path = shot(page, name)
    page.set_viewport_size(size)
    return path


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def pick(page, nominee: str) -> None:
    """Choose a nominee in the page's picker (already shown: nothing to do), typing its name as a judge can."""
    heading = page.locator("h3").filter(has_text=nominee)
    settle(page)
    if heading.count() == 0:
        combo = page.locator('[data-testid="stSelectbox"]').filter(has_text="选择参评对象").get_by_role("combobox")
        combo.click()
        combo.fill(nominee)
        page.get_by_role("option").filter(has_text=nominee).first.click()
    heading.wait_for()
    settle(page)


def score_input(page, criterion: str):
    return page.locator('[data-testid="stNumberInput"]').filter(has_text=criterion).locator("input")


@pytest.fixture
def judge_page(browser, request):
    """The judge's own browser; what it showed is saved when the test fails."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    jp = ctx.new_page()
    jp.set_default_timeout(45_000)
    yield jp
    if getattr(request.node, "failed_call", False):
        shot(jp, "failed-judge-page")
    ctx.close()


@pytest.mark.timeout(900)  # the set-up on the pages too (the fixture's time counts), on a shared machine
def test_a_judge_scores_declares_a_conflict_and_works_on_a_phone(stack, judging_programme, browser, judge_page):
    base, criteria = stack.urls["dashboard"], CRITERIA
    jp = judge_page
    started = time.perf_counter()
    open_link(jp, judging_programme["link"], "当前用户：李明（评委）")  # the link the organiser issued
    jp.get_by_text("评委评分：李明").wait_for()
    settle(jp)
    pid = parse_qs(urlparse(jp.url).query)["programme"][0]  # the link opened its programme in the portal
    print(f"\n[measure] judge link to the judging page: {time.perf_counter() - started:.1f}s")
    assert (metric(jp, "已评分"), metric(jp, "待评分"), metric(jp, "已回避")) == ("0", "3", "0")
    jp.get_by_text("评分进度：已评 0 / 应评 3").wait_for()

    # The first nominee: its materials, self-assessment and attachment beside the score sheet.
    pick(jp, "市财政局")

    def materials_shown() -> bool:  # readable once nominations has learned the assignment: reload, as a judge would
        if jp.get_by_text("市财政局坚持党建引领业务").count():
            return True
        jp.reload()
        jp.get_by_text("评委评分：李明").wait_for()
        pick(jp, "市财政局")
        return jp.get_by_text("市财政局坚持党建引领业务").count() > 0

    wait_until(materials_shown, timeout=60, interval=1)
    jp.get_by_text("全年办结群众诉求 1200 件").wait_for()
    selfs = jp.locator('[data-testid="stTable"]').filter(has_text="自评分")
    assert all(c in selfs.inner_text() for c in criteria) and "18" in selfs.inner_text()
    assert "市教育局" in jp.locator('[data-testid="stTable"]').filter(has_text="参评对象").inner_text()
    with jp.expect_download() as dl:
        jp.get_by_role("button", name="创建工作总结.pdf").click()
    path = dl.value.path()
    assert open(path, "rb").read() == b"%PDF-1.4 judge-materials" and dl.value.suggested_filename == "创建工作总结.pdf"

    # A score off the criterion's step is refused in words naming that criterion; nothing is saved.
    first = criteria[0]
    for i, c in enumerate(criteria):
        score_input(jp, c).fill("17.3" if i == 0 else str(16 + i % 3))
    jp.get_by_role("button", name="保存评分").click()
    jp.get_by_text(f"未能保存（{first}）：应在 0–20 分之间，且为 0.5 的整数倍").wait_for()
    assert metric(jp, "已评分") == "0"

    # Corrected, the sheet is saved: the progress moves and the list shows it scored.
    score_input(jp, first).fill("17.5")
    jp.get_by_role("button", name="保存评分").click()
    jp.get_by_text("评分已保存：市财政局").wait_for()
    settle(jp)
    assert (metric(jp, "已评分"), metric(jp, "待评分")) == ("1", "2")
    jp.get_by_text("评分进度：已评 1 / 应评 3").wait_for()
    assert score_input(jp, first).input_value() == "17.5"  # the saved sheet reads back
    path = whole_page(jp, "judge")
    publish_screenshot(path, "judge")

    # Another nominee: a conflict declared with a reason (too short first: refused naming the reason).
    pick(jp, "市教育局")
    wait_until(lambda: jp.get_by_text("申报回避（利益冲突）").count() == 1, timeout=20)  # the last sheet's is gone
    jp.get_by_text("申报回避（利益冲突）").click()
    reason = jp.get_by_label("回避理由")
    reason.fill("亲")
    jp.get_by_role("button", name="确认申报回避").click()
    jp.get_by_text("未能保存（回避理由）：请填写 2–500 个字的理由").wait_for()
    assert metric(jp, "已回避") == "0"
    reason.fill("本人配偶在市教育局任职")
    jp.get_by_role("button", name="确认申报回避").click()
    jp.get_by_text("已申报回避：市教育局").wait_for()
    jp.get_by_text("本人配偶在市教育局任职").first.wait_for()
    settle(jp)
    assert (metric(jp, "已评分"), metric(jp, "待评分"), metric(jp, "已回避")) == ("1", "1", "1")
    jp.get_by_text("评分进度：已评 1 / 应评 2（另有 1 个已回避）").wait_for()
    assert score_input(jp, first).count() == 0  # no score sheet for a recused nominee

    # The arena's phone page, linked from the portal, is signed in by the same session: a live score goes in.
    href = jp.get_by_role("link", name="打开“模范机关擂台赛”评委打分页").get_attribute("href")
    assert re.fullmatch(r"https?://[^/]+/arena/[^/#]+/judge#token=.+", href), href  # the arena's judge page
    phone_ctx = browser.new_context(**PHONE)
    arena = phone_ctx.new_page()
    arena.goto(href)
    assert arena.locator("#token").input_value() != ""
    arena.get_by_text("已用工作人员入口的登录身份签入").wait_for()  # no token box to paste into
    assert not arena.locator("#token").is_visible()
    assert "#token" not in arena.url  # the page keeps the session, not the address
    arena.locator("#score").fill("9.5")
    arena.get_by_role("button", name="提交 Submit").click()
    arena.get_by_text("已提交 submitted").wait_for()
    shot(arena, "judge-arena-phone")
    phone_ctx.close()

    # At 390 x 844 the same page works: nothing wider than the screen, the sheet reachable, a score saved.
    jp.set_viewport_size({"width": 390, "height": 844})
    jp.reload()
    jp.get_by_text("评委评分：李明").wait_for()
    settle(jp)
    pick(jp, "市卫生健康委员会")
    jp.get_by_text("市卫生健康委员会坚持党建引领业务").wait_for()
    width = jp.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the page is {width}px wide on a 390px screen"
    for c in criteria:
        score_input(jp, c).fill("15")
    save = jp.get_by_role("button", name="保存评分")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, box
    save.click()
    jp.get_by_text("评分已保存：市卫生健康委员会").wait_for()
    settle(jp)
    assert (metric(jp, "已评分"), metric(jp, "待评分"), metric(jp, "已回避")) == ("2", "0", "1")
    top(jp)
    jp.wait_for_timeout(300)
    path = shot(jp, "judge-phone")
    publish_screenshot(path, "judge-phone")

    # The same page in English, when English is chosen.
    jp.goto(f"{base}/portal?lang=en&programme={pid}")
    jp.get_by_text("Judging: 李明").wait_for()
    jp.get_by_text("Progress: 2 of 2 scored (1 recused besides)").wait_for()
