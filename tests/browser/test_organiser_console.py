"""An organiser runs a small programme through the console in headless Chromium, on the real nominations, voting,
scoring, publicity and leaderboard processes: a programme from a template, the tree and the roll imported,
nominations reviewed (one returned), the stages opened, a round opened while members vote on the ballot pages (one
from a printed credential slip, one signed in), watched and closed after a confirmation; judges registered with
their units from the tree, a panel formed, auto-assigned with the tree's recusal, the loads seen, the panel locked
after a confirmation and its score sheets downloaded as PDF and .docx.
Each step's page is saved to docs/screenshots/organiser/ (with EXEMPLAR_UPDATE_SCREENSHOTS=1) and artifacts/.

Everyone signs in by opening a sign-in link, as `exemplar signin-link` prints it (each link is used once)."""
from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from uuid import uuid4

import docx
import pytest

from devtools.stack import Stack

from .conftest import publish_screenshot, shot
from .console_steps import (choose, fetch_document, nominate, pdf_text, people, pick_unit, print_slips, refreshed,
                            refreshed_state, refreshed_turnout, sign_in, step, tab, table_rows, upload, vote,
                            vote_by_slip)
from .test_flows import wait_until

pytestmark = pytest.mark.browser

SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
UNITS = ("单位编号,单位名称,上级单位编号,单位类型\nu-sj,市审计局,,机关\nu-da,市档案馆,,机关\n"
         "u-sj-b1,市审计局机关第一党支部,u-sj,支部\n")
ROLL = "党员编号,姓名,所在单位\nm1,王伟,市审计局机关第一党支部\nm2,李娜,市审计局\nm3,张强,市档案馆\n"


@pytest.fixture(scope="module")
def console_stack(servers):
    prefix = "c" + uuid4().hex[:8]
    st = Stack(Path(tempfile.mkdtemp(prefix="exemplar-console-")), services=SERVICES, dashboard=True, prefix=prefix,
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
        st.stop()  # our child processes, by PID


@pytest.fixture(scope="module")
def tokens(console_stack) -> dict:
    """Each person's way in: a function that mints a fresh single-use sign-in link for them."""
    return people(console_stack, organiser=("organiser", None, "工委组织部"), **{
        "u-sj": ("unit", "u-sj", "市审计局"), "u-da": ("unit", "u-da", "市档案馆"), "m1": ("member", "m1", "王伟")})


JUDGES = (("李审计", "市审计局"), ("张档案", "市档案馆"), ("陈档案", "市档案馆"))


@pytest.mark.timeout(900)  # a whole programme, some 40 pages, on a shared 2-core machine
def test_an_organiser_runs_a_programme_from_the_console(console_stack, tokens, browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        run_programme(page, browser, console_stack.urls["dashboard"], tokens, tmp_path)
    except Exception:
        shot(page, "organiser-failed")  # the page as it was when a step failed, in artifacts/
        raise
    finally:
        ctx.close()


def run_programme(page, browser, base: str, tokens: dict, tmp_path: Path) -> None:
    name = "2026年度控制台测试评选" + uuid4().hex[:4]

    # 1. a programme from the 五强五带头 template: quota, 差额 and weights, the sum shown as they change
    sign_in(page, base, tokens["organiser"], "工委组织部")
    tab(page, "评选设置")
    page.get_by_label("评选名称", exact=True).fill(name)
    page.get_by_text("权重合计：1（须为 1）").first.wait_for()
    step(page, "01-setup")
    page.get_by_role("button", name="创建评选").click()
    page.get_by_text("已完成。").first.wait_for()
    # the read model learns the programme from its event; the picker shows it once it has
    wait_until(lambda: refreshed(page, name), timeout=60, interval=1)
    step(page, "02-created")

    # 2. the tree and the roll, with Chinese headers, GB18030
    tab(page, "组织与党员导入")
    upload(page, 0, "units.csv", UNITS, tmp_path)
    page.get_by_text("共 3 行").first.wait_for()
    page.get_by_role("button", name="导入").first.click()
    page.get_by_text("已导入 3 行").first.wait_for()
    upload(page, 1, "roll.csv", ROLL, tmp_path)
    page.get_by_text("共 3 行").nth(1).wait_for()
    page.get_by_role("button", name="导入").nth(1).click()
    wait_until(lambda: page.get_by_text(re.compile("已导入 3 行，0 行无变化，0 行有误")).count() == 2, timeout=45)
    step(page, "03-imports")

    # 3. stages: each one's state and dates; opening 申报 says what it will accept from then on
    tab(page, "阶段管理")
    page.get_by_text("各阶段状态").first.wait_for()
    page.get_by_text("开启后，本阶段的操作将被接受").first.wait_for()
    page.get_by_role("button", name="开启此阶段").click()
    page.get_by_text("关闭后，将拒绝").first.wait_for()
    step(page, "04-stages")

    # 4. two units nominate themselves on their own pages
    for unit, unit_name in (("u-sj", "市审计局"), ("u-da", "市档案馆")):
        nominate(browser, base, tokens[unit], unit_name)

    # 5. review: returning needs a comment (said beside the field), then one returned and one approved
    page.get_by_role("button", name="刷新数据").click()
    tab(page, "资格审查")
    page.get_by_role("tab", name=re.compile(r"待审查（2）")).first.wait_for()
    choose(page, "申报", "市档案馆")
    page.get_by_text("退回修改", exact=True).first.click()
    page.get_by_role("button", name="退回修改").click()
    page.get_by_text("请填写此项。").first.wait_for()
    step(page, "05-review-comment-required")
    page.get_by_label(re.compile("退回意见")).fill("请补充近三年的考核结果和佐证材料。")
    page.get_by_role("button", name="退回修改").click()
    page.get_by_role("tab", name=re.compile(r"已退回修改（1）")).first.wait_for()
    choose(page, "申报", "市审计局")
    page.get_by_text("通过", exact=True).first.click()
    page.get_by_role("button", name="通过").click()
    page.get_by_role("tab", name=re.compile(r"已通过（1）")).first.wait_for()
    page.get_by_text("差额情况").first.wait_for()
    step(page, "06-review")

    # 6. peer voting: open the stage and a round, a member votes, the organiser closes it after confirming
    tab(page, "阶段管理")
    choose(page, "阶段", "民主测评")
    page.get_by_role("button", name="开启此阶段").click()
    page.get_by_text("关闭后，将拒绝：开启测评轮次").first.wait_for()
    tab(page, "测评轮次")
    page.get_by_label("轮次名称", exact=True).fill("模范机关民主测评")
    choose(page, "参评类别", "模范机关")
    page.get_by_role("button", name="开启测评轮次").click()
    page.get_by_text("已完成。").first.wait_for()
    # members vote on the ballot pages: one from a printed credential slip on a phone, one signed in to the portal
    slips = print_slips(page)
    assert len(slips) == 3 and all(u.startswith(f"{base}/?page=ballot&c=") for u in slips)
    vote_by_slip(browser, slips[0], "市审计局")
    vote(browser, base, tokens["m1"], "市审计局")
    page.get_by_role("button", name="刷新数据").click()
    wait_until(lambda: refreshed_turnout(page, 2), timeout=60, interval=1)
    step(page, "07-round-turnout")
    page.get_by_role("button", name="结束本轮").click()
    page.get_by_text("结束后不再接受投票").first.wait_for()
    step(page, "08-round-close-confirm")
    page.get_by_role("button", name="确认执行").click()
    page.get_by_text("已完成。").first.wait_for()
    wait_until(lambda: refreshed_state(page, "状态：已结束"), timeout=60, interval=1)
    step(page, "09-round-closed")

    judges_and_panel(page)


def judges_and_panel(page) -> None:
    """Judges with their units from the tree, a panel of 模范机关, auto-assignment (李审计 of 市审计局 is kept off
    市审计局 by the tree), the loads, the lock after a confirmation, and the score sheets."""
    tab(page, "评委与评审组")
    page.get_by_label("评委姓名", exact=True).fill("李审计")
    page.get_by_role("button", name="登记评委").click()
    page.get_by_text("请从组织机构中选择评委所在单位。").first.wait_for()  # said under the unit field
    step(page, "10-judge-unit-required")
    for n, (judge, unit) in enumerate(JUDGES, start=1):
        page.get_by_label("评委姓名", exact=True).fill(judge)
        pick_unit(page, unit)
        page.get_by_role("button", name="登记评委").click()
        page.get_by_text(f"评委（{n}）").first.wait_for()
    page.get_by_role("button", name="生成评委登录链接").click()
    page.get_by_text("已生成 3 个登录链接").first.wait_for()
    step(page, "11-judges")
    members = page.locator('[data-testid="stMultiSelect"]').filter(has_text="评审组成员").filter(visible=True).first
    members.click()
    for judge, _ in JUDGES:  # typed and taken one by one, in this order (the panel keeps it)
        page.keyboard.type(judge)
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
    page.keyboard.press("Escape")
    page.get_by_label("每个对象的评委人数").first.fill("2")
    page.get_by_role("button", name="组建评审组").click()
    page.get_by_text("评审组状态：未锁定").first.wait_for()  # the panel formed, shown below its form
    page.get_by_role("button", name="自动分配评委").click()
    page.get_by_text("已为 1 个对象新分配 2 人次（每个对象 2 名评委）").first.wait_for()
    main = page.locator('[data-testid="stMain"]')
    loads = table_rows(main, "评委工作量")
    assert loads == [["李审计", "0"], ["张档案", "1"], ["陈档案", "1"]], loads
    recusal = table_rows(main, "回避情况")
    assert recusal[0][:2] == ["市审计局", "李审计"] and "评委本单位" in recusal[0][2], recusal
    step(page, "12-panel-assigned")
    page.get_by_role("button", name="锁定评审组").click()
    page.get_by_text("锁定后，评分、分配和回避都不能再更改").first.wait_for()
    step(page, "13-panel-lock-confirm")
    page.get_by_role("button", name="确认执行").click()
    page.get_by_text("评审组状态：已锁定").first.wait_for()
    pdf = fetch_document(page, "评分表 .pdf")
    text = pdf_text(pdf)
    assert "评分表" in text and "评审组：模范机关评审组" in text and "评委签字" in text
    assert "评委：张档案" in text and "评委：陈档案" in text and "评委：李审计" not in text  # no nominee for him
    assert "市审计局" in text and "评审组已锁定" in text
    sheet = docx.Document(io.BytesIO(fetch_document(page, "评分表 .docx")))
    assert [row.cells[1].text for row in sheet.tables[0].rows] == ["名称", "市审计局"]
    step(page, "14-score-sheets")
    publish_screenshot(shot(page, "console-judges"), "console-judges")
