"""A unit contact does its whole job in Chromium, on the real nominations service and dashboard: signs in by a
sign-in link, nominates a member found by name with an attachment and a self-assessment, nominates a branch, sees
both in its list, is refused a repeat in words naming the field, withdraws one; after the organiser returns the other
(in the organiser console's review tab, the organiser's own page) it reads the comment, resubmits and sees the
status change.

The preconditions are the organiser's work, done in the console first: a programme from the three shipped templates
(模范机关, 先锋红旗党支部, 四好优秀党员), the tree and the roll imported, 申报 opened and the unit contact's sign-in
link issued in the sign-in links tab (登录链接), read off the page; the same organiser session later returns the
nomination. Only the first organiser's link is minted, as `exemplar signin-link` prints it on a fresh installation.
Every step of the unit and the organiser is done through the pages."""
from __future__ import annotations

import re
import time

import pytest

from .conftest import publish_screenshot, shot
from .console_steps import (create_programme_with, import_tree_and_roll, issue_links, open_stage, organiser_page,
                            people)
from .console_steps import fill_nomination as nominate
from .console_steps import sign_in as sign_in_first
from .signin_support import sign_in
from .test_flows import wait_until

pytestmark = pytest.mark.browser

COMMENT = "请补充近三年的年度考核结果和佐证材料。"
COLUMNS = ("参评对象", "评选类别", "申报单位", "状态", "审查意见", "附件", "更新时间")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UNITS = """单位编号,单位名称,上级单位编号,单位类型
u-czj,市财政局,,机关
u-czj-d1,市财政局办公室,u-czj,部门
u-czj-b1,市财政局机关第一党支部,u-czj-d1,支部
u-czj-b2,市财政局机关第二党支部,u-czj-d1,支部
u-fgw,市发展和改革委员会,,机关
u-fgw-b1,市发展和改革委员会机关第一党支部,u-fgw,支部
"""
ROLL = """党员编号,姓名,所在单位
m1,王伟,市财政局机关第一党支部
m2,李娜,市财政局机关第二党支部
m3,张强,市发展和改革委员会机关第一党支部
"""


@pytest.fixture(scope="module")
def unit_programme(stack, browser, tmp_path_factory):
    """The organiser's set-up in the console, up to the unit's sign-in link; the organiser's page stays open."""
    base, name = stack.urls["dashboard"], "2026年度申报单位测试评选"
    started = time.perf_counter()
    ctx, page = organiser_page(browser)
    try:
        sign_in_first(page, base, people(stack, organiser=("organiser", None, "工委组织部"))["organiser"],
                      "当前用户：工委组织部（组织者）")
        create_programme_with(page, name, ("先锋红旗党支部", "四好优秀党员"))
        import_tree_and_roll(page, UNITS, ROLL, tmp_path_factory.mktemp("units"))
        open_stage(page)  # 申报
        link = issue_links(page, name, "申报单位联系人", ["市财政局"])["市财政局"]
        assert link.startswith(f"{base}/?signin="), link
        settle(page)
        shot(page, "unit-setup-01-unit-link")  # artifacts only
    except Exception:
        shot(page, "unit-failed-setup")
        ctx.close()
        raise
    print(f"\n[measure] the organiser's set-up in the console: {time.perf_counter() - started:.1f}s")
    yield {"name": name, "link": link, "organiser": page}
    ctx.close()


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def choose(page, label: str, option: str) -> None:
    box = page.get_by_label(label, exact=True).filter(visible=True).first
    box.click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    settle(page)


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(name)).first.click()
    settle(page)


def row_status(page, nominee: str) -> str:
    """The text of a nominee's row in the unit's list (a plain HTML table)."""
    row = page.locator('[data-testid="stTable"] tr').filter(has_text=nominee).first
    return row.inner_text()


def row_cells(page, nominee: str) -> dict[str, str]:
    """A nominee's row in the unit's list, by column heading (the headings checked as the page shows them)."""
    table = page.locator('[data-testid="stTable"]').first
    heads = table.locator("thead").inner_text()
    assert all(h in heads for h in COLUMNS[1:]), heads
    row = table.locator("tbody tr").filter(has_text=nominee).first
    return dict(zip(COLUMNS, [c.strip() for c in row.locator("th, td").all_inner_texts()]))


def top(page) -> None:
    """Scroll Streamlit's main area to the top (a screenshot shows the window's height of it)."""
    page.locator('[data-testid="stMain"]').evaluate("e => e.scrollTo(0, 0)")
    page.wait_for_timeout(200)


@pytest.mark.timeout(900)  # the set-up on the pages too (the fixture's time counts), on a shared machine
def test_a_unit_nominates_withdraws_and_resubmits(unit_programme, browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1500}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        started = time.perf_counter()
        sign_in(page, unit_programme["link"], "当前用户：市财政局（申报单位）")  # the link the organiser issued
        unit_job(page, unit_programme["organiser"], tmp_path)
        print(f"\n[measure] the unit's whole job in the pages, organiser's return included: "
              f"{time.perf_counter() - started:.1f}s")
    except Exception:
        shot(page, "unit-failed")
        raise
    finally:
        ctx.close()


def unit_job(page, org, tmp_path) -> None:
    # 1. a member found by name, with a self-assessment per criterion of 四好 and a PDF attachment
    nominate(page, "四好优秀党员", "王", "王伟", "王伟同志政治坚定，履职尽责，群众评价好。")
    page.get_by_text("每个文件不超过 10 MB，每个申报最多 10 个").first.wait_for()
    for name, score in (("政治素质好", "22"), ("履职尽责好", "23.5"), ("作风品行好", "24"), ("群众评价好", "21")):
        page.get_by_label(f"{name}（满分 25）").fill(score)
    pdf = tmp_path / "王伟事迹材料.pdf"
    pdf.write_bytes(PDF)
    page.locator('[data-testid="stFileUploader"]').filter(visible=True).first.locator(
        'input[type="file"]').set_input_files(str(pdf))
    page.get_by_text("王伟事迹材料.pdf").first.wait_for()
    settle(page)
    path = shot(page, "unit-new")
    publish_screenshot(path, "unit-new")
    page.get_by_role("button", name="提交申报").click()
    page.get_by_text("申报已提交：王伟（四好优秀党员），附件 1 个。").wait_for()
    settle(page)
    assert "已申报，待审查" in row_status(page, "王伟")  # the new nomination is in the list at once

    # 2. a branch of its subtree, found by a part of its name; then the same branch again is refused in words
    nominate(page, "先锋红旗党支部", "第二", "市财政局机关第二党支部", "支部建设扎实。")
    page.get_by_role("button", name="提交申报").click()
    page.get_by_text("申报已提交：市财政局机关第二党支部（先锋红旗党支部），附件 0 个。").wait_for()
    settle(page)
    nominate(page, "先锋红旗党支部", "第二", "市财政局机关第二党支部", "再次申报。")
    page.get_by_role("button", name="提交申报").click()
    page.get_by_text("参评对象：已在本类别中被申报，不能重复申报。").wait_for()
    assert page.get_by_text("already").count() == 0
    shot(page, "unit-refused")

    # 3. the list shows both, at once, with their status in words
    tab(page, r"本单位申报")
    page.get_by_text("共 2 个申报。").first.wait_for()
    wang = row_cells(page, "王伟")
    assert (wang["状态"], wang["附件"], wang["评选类别"]) == ("已申报，待审查", "1", "四好优秀党员"), wang
    assert "已申报，待审查" in row_status(page, "第二党支部")

    # 4. withdraw the branch's nomination, after a confirmation
    choose(page, "查看或处理申报", "市财政局机关第二党支部")
    page.get_by_role("button", name="撤回申报").click()
    page.get_by_text("确定撤回对“市财政局机关第二党支部”的申报吗").wait_for()
    page.get_by_role("button", name="确认").click()
    page.get_by_text("已撤回对“市财政局机关第二党支部”的申报。").wait_for()
    settle(page)
    tab(page, r"本单位申报")
    assert "已撤回" in row_status(page, "第二党支部")

    # 5. the organiser returns 王伟's nomination with a comment, in the console's review tab
    organiser_returns(org, "王伟")

    # 6. the unit refreshes, reads the comment, revises and resubmits; the status changes back to submitted
    page.get_by_role("button", name="刷新").first.click()
    settle(page)
    wait_until(lambda: "退回修改" in row_status(page, "王伟"), timeout=30, interval=1)
    assert COMMENT in row_status(page, "王伟")
    choose(page, "查看或处理申报", "王伟")
    page.get_by_text(f"审查意见（退回修改）：{COMMENT}").wait_for()
    page.get_by_text("修改后重新提交").first.wait_for()
    page.get_by_label("事迹材料", exact=True).filter(visible=True).last.fill(
        "王伟同志政治坚定，履职尽责，群众评价好。已补充2023—2025年度考核结果（均为优秀）。")
    settle(page)
    page.get_by_text(f"审查意见（退回修改）：{COMMENT}").scroll_into_view_if_needed()
    path = shot(page, "unit-returned")
    publish_screenshot(path, "unit-returned")
    page.get_by_role("button", name="重新提交").click()
    page.get_by_text("已重新提交对“王伟”的申报，等待审查。").wait_for()
    settle(page)
    tab(page, r"本单位申报")
    assert "已申报，待审查" in row_status(page, "王伟") and "已撤回" in row_status(page, "第二党支部")
    page.get_by_text(re.compile(f"退回修改：{COMMENT}")).first.wait_for()  # the history keeps the comment
    page.get_by_text(re.compile("重新提交$")).first.wait_for()
    top(page)
    path = shot(page, "unit")
    publish_screenshot(path, "unit")

    # 7. one more file on the submitted nomination
    png = tmp_path / "考核结果.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    page.locator('[data-testid="stFileUploader"]').filter(visible=True).last.locator(
        'input[type="file"]').set_input_files(str(png))
    page.get_by_text("考核结果.png").first.wait_for()
    settle(page)
    page.get_by_role("button", name="上传附件").click()
    page.get_by_text("已上传附件 1 个。").wait_for()
    settle(page)
    page.get_by_text(re.compile("^考核结果.png（1 KB）$")).first.wait_for()
    wang = row_cells(page, "王伟")
    assert (wang["状态"], wang["附件"]) == ("已申报，待审查", "2"), wang

    # 8. the same page in English, every status in words
    page.get_by_text("English", exact=True).first.click()
    settle(page)
    page.get_by_role("tab", name="Our nominations").first.wait_for()
    wait_until(lambda: "submitted, awaiting review" in row_status(page, "王伟"), timeout=30, interval=0.5)
    assert "withdrawn" in row_status(page, "第二党支部")
    page.get_by_text("Status: submitted, awaiting review").first.wait_for()


def organiser_returns(org, nominee: str) -> None:
    """The organiser, in the console still open since the set-up, returns the nomination with a comment."""
    try:
        org.get_by_role("button", name="刷新数据").click()
        settle(org)
        tab(org, "资格审查")
        org.get_by_role("tab", name=re.compile(r"待审查（1）")).first.wait_for()
        choose(org, "申报", nominee)
        org.get_by_text("退回修改", exact=True).first.click()
        settle(org)
        org.get_by_label(re.compile("退回意见")).fill(COMMENT)
        org.get_by_role("button", name="退回修改").click()
        org.get_by_role("tab", name=re.compile(r"已退回修改（1）")).first.wait_for()
    except Exception:
        shot(org, "unit-failed-organiser")
        raise
