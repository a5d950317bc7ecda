"""An organiser reads the audit trail (审计日志) in the console, in headless Chromium on the real services: after
creating a programme, importing the tree, opening 申报, issuing the units' sign-in links and returning one of two
units' nominations with a comment,
the tab lists each change with who made it and why; filtering by a nominee's name and by actor narrows it; the
filtered list downloads as .xlsx. Screenshots: docs/screenshots/organiser/audit-*.png (EXEMPLAR_UPDATE_SCREENSHOTS)."""
from __future__ import annotations

import io
import re
from uuid import uuid4

import openpyxl
import pytest

from .console_steps import issue_links, issued
from .test_flows import wait_until
from .test_organiser_console import (  # noqa: F401  (console_stack, tokens: the fixtures this test runs on)
    UNITS,
    choose,
    console_stack,
    nominate,
    refreshed,
    sign_in,
    step,
    tab,
    tokens,
    upload,
)
from .conftest import shot

pytestmark = pytest.mark.browser
COMMENT = "请补充近三年的考核结果和佐证材料。"


def test_an_organiser_reads_filters_and_exports_the_audit_trail(console_stack, tokens, browser, tmp_path):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN", timezone_id="Asia/Shanghai",
                              accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        changes(page, browser, console_stack.urls["dashboard"], tokens, tmp_path)
        read_the_trail(page)
    except Exception:
        shot(page, "organiser-audit-failed")
        raise
    finally:
        ctx.close()


def changes(page, browser, base: str, people: dict, tmp_path) -> None:
    """The organiser's own changes through the console; the units nominate on their own pages."""
    name = "2026年度审计测试评选" + uuid4().hex[:4]
    sign_in(page, base, people["organiser"], "工委组织部")
    tab(page, "评选设置")
    page.get_by_label("评选名称", exact=True).first.fill(name)  # 新建评选 comes before 修改评选方案
    page.get_by_role("button", name="创建评选").click()
    page.get_by_text("已完成。").first.wait_for()
    wait_until(lambda: refreshed(page, name), timeout=60, interval=1)
    tab(page, "组织与党员导入")
    upload(page, 0, "units.csv", UNITS, tmp_path)
    page.get_by_text("共 3 行").first.wait_for()
    page.get_by_role("button", name="导入").first.click()
    page.get_by_text("已导入 3 行").first.wait_for()
    tab(page, "阶段管理")
    page.get_by_role("button", name="开启此阶段").click()
    page.get_by_text("关闭后，将拒绝").first.wait_for()
    links = issue_links(page, name, "申报单位联系人", ["市审计局", "市档案馆"])  # read off the console's cards
    for unit_name in ("市审计局", "市档案馆"):
        nominate(browser, base, issued(links[unit_name]), unit_name)
    page.get_by_role("button", name="刷新数据").click()
    tab(page, "资格审查")
    page.get_by_role("tab", name=re.compile(r"待审查（2）")).first.wait_for()
    choose(page, "申报", "市档案馆")
    page.get_by_text("退回修改", exact=True).first.click()
    page.get_by_label(re.compile("退回意见")).fill(COMMENT)
    page.get_by_role("button", name="退回修改").click()
    page.get_by_role("tab", name=re.compile(r"已退回修改（1）")).first.wait_for()


def settled(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def cells(page) -> list[str]:
    settled(page)
    grid = page.locator('[data-testid="stDataFrame"]').filter(visible=True).first
    return [c.strip() for c in grid.locator('[role="gridcell"]').all_inner_texts()]


def listed(page, count: int) -> bool:
    """The tab's count line says `count` changes (the last ones reach the trail through their events)."""
    settled(page)
    if page.get_by_text(re.compile(rf"共 {count} 条")).count():
        return True
    page.get_by_role("button", name="刷新数据").click()
    page.wait_for_timeout(1000)
    tab(page, "审计日志")
    settled(page)
    return page.get_by_text(re.compile(rf"共 {count} 条")).count() > 0


def read_the_trail(page) -> None:
    tab(page, "审计日志")
    # defined, units imported, 申报 opened, the units' sign-in links issued, two nominations submitted, one returned
    wait_until(lambda: listed(page, 7), timeout=60, interval=1)
    page.locator('[data-testid="stDataFrame"]').filter(visible=True).first.wait_for()
    shown = cells(page)
    assert "退回修改" in shown and COMMENT in shown and "工委组织部" in shown and "定义或修改评选" in shown
    assert "发放登录链接" in shown
    step(page, "audit-01-all")

    page.get_by_label("对象（名称）", exact=True).fill("档案")
    page.keyboard.press("Enter")
    wait_until(lambda: page.get_by_text(re.compile(r"共 2 条")).count() > 0, timeout=20)
    shown = cells(page)
    assert "提交申报" in shown and "退回修改" in shown and "市审计局机关" not in " ".join(shown)
    step(page, "audit-02-nominee")

    choose(page, "操作人", "申报单位")
    wait_until(lambda: page.get_by_text(re.compile(r"共 1 条")).count() > 0, timeout=20)
    assert "退回修改" not in cells(page) and "提交申报" in cells(page)
    choose(page, "操作人", "全部")
    wait_until(lambda: page.get_by_text(re.compile(r"共 2 条")).count() > 0, timeout=20)

    page.get_by_role("button", name="生成 审计日志（.xlsx）").click()
    save = page.locator('[data-testid="stDownloadButton"]').filter(visible=True).filter(has_text="审计日志（.xlsx）")
    save.first.wait_for()
    settled(page)
    with page.expect_download() as got:
        save.first.get_by_role("button").click()
    rows = list(openpyxl.load_workbook(io.BytesIO(got.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0].startswith("时间")  # the header and the two changes of the filter
    assert {r[1] for r in rows[1:]} == {"NominationSubmitted", "NominationReturned"}
    assert any(r[5] == COMMENT and r[2] == "工委组织部" for r in rows[1:])
    step(page, "audit-03-export")
