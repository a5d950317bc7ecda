"""An organiser runs a small programme through the console in headless Chromium, on the real nominations, voting,
scoring, publicity and leaderboard processes: a programme from a template, the tree and the roll imported,
nominations reviewed (one returned: its unit reads the comment, revises and resubmits on its own page, and it is
approved), the stages opened, a round opened while members vote on the ballot pages (one from a printed credential
slip, one signed in), watched and closed after a confirmation; judges registered with their units from the tree,
their sign-in links printed, a panel formed, auto-assigned with the tree's recusal, each judge scoring on the
judges' page by their link, the panel locked after a confirmation and its score sheets downloaded as PDF and .docx;
the 公示 notice opened after seeing its end in working days, read on the public page, where a member of the public
files a real-name objection; the objection assigned, investigated and dismissed after a confirmation; the period's
end passed on the publicity service's clock (shared/clock.py: time passing is no one's action, so the test moves the
clock as a trial installation does), both honours confirmed, one revoked with a reason after a confirmation; the
notice as PDF and the honours list as .xlsx downloaded and read.
Each step's page is saved to docs/screenshots/organiser/ (with EXEMPLAR_UPDATE_SCREENSHOTS=1) and artifacts/.

Everyone signs in by opening a sign-in link (each is used once): the first organiser's as `exemplar signin-link`
prints it on a fresh installation; the units', the member's and the judges' as the organiser issues them in the
console, read off the page."""
from __future__ import annotations

import io
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest

from devtools.stack import Stack
from shared.clock import OFFSET_FILE_ENV

from .conftest import publish_screenshot, shot
from .console_steps import (approve, choose, fetch_document, issue_links, issued, nominate, open_stage, organiser_page,
                            pdf_text, people, pick_unit, print_slips, refreshed, refreshed_state, refreshed_turnout,
                            settle, sign_in, step, tab, table_rows, upload, vote, vote_by_slip)
from .test_flows import wait_until

pytestmark = pytest.mark.browser

SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
UNITS = ("单位编号,单位名称,上级单位编号,单位类型\nu-sj,市审计局,,机关\nu-da,市档案馆,,机关\n"
         "u-sj-b1,市审计局机关第一党支部,u-sj,支部\n")
ROLL = "党员编号,姓名,所在单位\nm1,王伟,市审计局机关第一党支部\nm2,李娜,市审计局\nm3,张强,市档案馆\n"


@pytest.fixture(scope="module")
def console_stack(servers):
    prefix = "c" + uuid4().hex[:8]
    root = Path(tempfile.mkdtemp(prefix="exemplar-console-"))
    # Time passing is nobody's action: the test moves the publicity service's clock by writing this file
    # (shared/clock.py), and its scheduler looks for ended notices every second.
    st = Stack(root, services=SERVICES, dashboard=True, prefix=prefix,
               extra_env={"EXEMPLAR_LOG_FORMAT": "console", "EXEMPLAR_LOG_LEVEL": "WARNING",
                          "EXEMPLAR_KAFKA_BOOTSTRAP": servers.kafka_bootstrap, "EXEMPLAR_MONGO_URL": servers.mongo_url,
                          OFFSET_FILE_ENV: str(root / "publicity-clock-offset"),
                          "EXEMPLAR_PUBLICITY_TICK_SECONDS": "1"})
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
    """The first organiser's way in, as `exemplar signin-link organiser` prints it on a fresh installation; everyone
    else's link is issued by the organiser in the console and read off the page."""
    return people(console_stack, organiser=("organiser", None, "工委组织部"))


JUDGES = (("李审计", "市审计局"), ("张档案", "市档案馆"), ("陈档案", "市档案馆"))
COMMENT = "请补充近三年的考核结果和佐证材料。"
REVISED = "市档案馆已补充2023—2025年度考核结果（均为优秀）及档案数字化工作佐证材料。" * 2
# each judge's points per criterion (五强五带头, five criteria of 20): 市审计局 ranks above 市档案馆
POINTS = {"李审计": ("市档案馆", 16), "张档案": ("市审计局", 18), "陈档案": ("市审计局", 17.5)}
TITLE = re.compile(r"关于\d{4}年度“模范机关”评选结果的公示")
REVOKED_BECAUSE = "经复查，该单位报送的年度考核佐证材料与实际不符。"


@pytest.mark.timeout(900)  # a whole programme, some 40 pages, on a shared 2-core machine
def test_an_organiser_runs_a_programme_from_the_console(console_stack, tokens, browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        run_programme(page, browser, console_stack.urls["dashboard"], tokens, tmp_path,
                      Path(console_stack.env[OFFSET_FILE_ENV]))
    except Exception:
        shot(page, "organiser-failed")  # the page as it was when a step failed, in artifacts/
        for shown in page.locator('[data-testid="stException"]').all():  # a page that failed says why
            print("page exception:", shown.inner_text())
        raise
    finally:
        ctx.close()


def run_programme(page, browser, base: str, tokens: dict, tmp_path: Path, clock_file: Path) -> None:
    name = "2026年度控制台测试评选" + uuid4().hex[:4]

    # 1. a programme from the 五强五带头 template: quota, 差额 and weights, the sum shown as they change
    sign_in(page, base, tokens["organiser"], "工委组织部")
    tab(page, "评选设置")
    page.get_by_label("评选名称", exact=True).first.fill(name)  # 新建评选 comes before 修改评选方案
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

    # 4. the units' contacts get their sign-in links from the console, and nominate themselves on their own pages
    unit_links = issue_links(page, name, "申报单位联系人", ["市审计局", "市档案馆"])
    step(page, "04a-unit-links")
    for unit_name in ("市审计局", "市档案馆"):
        nominate(browser, base, issued(unit_links[unit_name]), unit_name)

    # 5. review: returning needs a comment (said beside the field), then one returned and one approved
    page.get_by_role("button", name="刷新数据").click()
    tab(page, "资格审查")
    page.get_by_role("tab", name=re.compile(r"待审查（2）")).first.wait_for()
    choose(page, "申报", "市档案馆")
    page.get_by_text("退回修改", exact=True).first.click()
    page.get_by_role("button", name="退回修改").click()
    page.get_by_text("请填写此项。").first.wait_for()
    step(page, "05-review-comment-required")
    page.get_by_label(re.compile("退回意见")).fill(COMMENT)
    page.get_by_role("button", name="退回修改").click()
    page.get_by_role("tab", name=re.compile(r"已退回修改（1）")).first.wait_for()
    choose(page, "申报", "市审计局")
    page.get_by_text("通过", exact=True).first.click()
    page.get_by_role("button", name="通过").click()
    page.get_by_role("tab", name=re.compile(r"已通过（1）")).first.wait_for()
    page.get_by_text("差额情况").first.wait_for()
    step(page, "06-review")

    # 5a. the returned unit reads the comment on its own page, revises and resubmits; the organiser approves it
    relink = issue_links(page, name, "申报单位联系人", ["市档案馆"])  # a link is used once: a new one to come back
    resubmit(browser, base, issued(relink["市档案馆"]), "市档案馆", COMMENT)
    approve(page, "市档案馆", pending=1)
    page.get_by_role("tab", name=re.compile(r"已通过（2）")).first.wait_for()
    page.get_by_role("tab", name=re.compile(r"已退回修改（0）")).first.wait_for()
    step(page, "06b-review-resubmitted")

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
    member = issue_links(page, name, "党员", ["王伟"])
    vote(browser, base, issued(member["王伟"]), "市审计局")
    tab(page, "测评轮次")
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

    links = judges_and_panel(page)
    judges_score(page, browser, links)
    lock_and_score_sheets(page)
    notice_end = open_notice(page)
    objection_no = public_objection(browser, base, "市档案馆")
    handle_objection(page, objection_no)
    honours_confirmed(page, notice_end, clock_file)
    revoke_one(page, "市档案馆", REVOKED_BECAUSE)
    documents(page)


def judges_and_panel(page) -> dict[str, str]:
    """Judges with their units from the tree, their sign-in links (returned by name, as printed), a panel of 模范机关
    and auto-assignment: the tree keeps 李审计 (市审计局) off 市审计局 and both 市档案馆 judges off 市档案馆."""
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
    links = {judge: printed_link(page, judge) for judge, _ in JUDGES}  # the cut-out cards handed to the judges
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
    page.get_by_text("已为 2 个对象新分配 3 人次（每个对象 2 名评委）").first.wait_for()
    page.get_by_text("市档案馆：可分配的评委不足，尚缺 1 名").first.wait_for()  # both its judges are its own
    main = page.locator('[data-testid="stMain"]')
    loads = table_rows(main, "评委工作量")
    assert loads == [["李审计", "1"], ["张档案", "1"], ["陈档案", "1"]], loads
    recusal = {tuple(r[:2]): r[2] for r in table_rows(main, "回避情况")}
    assert "评委本单位" in recusal[("市审计局", "李审计")], recusal
    assert "评委本单位" in recusal[("市档案馆", "张档案")] and "评委本单位" in recusal[("市档案馆", "陈档案")], recusal
    step(page, "12-panel-assigned")
    return links


def printed_link(page, judge: str) -> str:
    """The sign-in link on a judge's card of the printed sheet (the console shows the sheet it prints)."""
    card = page.locator("div.card").filter(has=page.locator("h2", has_text=judge)).first
    return card.locator("p.url").inner_text().strip()


def judges_score(page, browser, links: dict[str, str]) -> None:
    """评审打分 opened in 阶段管理; each judge signs in by the link on their card and scores their nominee on the
    judges' page; the panel's progress in the console shows every sheet scored."""
    open_stage(page, "评审打分")
    for judge, (nominee, points) in POINTS.items():
        judge_scores(browser, links[judge], judge, nominee, points)
    wait_until(lambda: panel_scored(page) == "3", timeout=60, interval=1)


def panel_scored(page) -> str:
    """The panel's progress in 评委与评审组, read after a refresh: how many sheets are scored."""
    page.get_by_role("button", name="刷新数据").click()
    settle(page)
    tab(page, "评委与评审组")
    box = page.locator('[data-testid="stMetric"]').filter(visible=True).filter(has_text="已评分").first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def judge_scores(browser, url: str, judge: str, nominee: str, points: float) -> None:
    ctx, jp = organiser_page(browser)  # a desktop page of their own
    try:
        jp.goto(url)
        jp.get_by_text(f"评委评分：{judge}").first.wait_for()
        jp.locator("h3").filter(has_text=nominee).first.wait_for()  # their one nominee, shown first
        materials = REVISED[:20] if nominee == "市档案馆" else f"{nominee}坚持把政治建设摆在首位"  # as resubmitted
        jp.get_by_text(materials).first.wait_for()  # the materials beside the sheet
        boxes = jp.locator('[data-testid="stNumberInput"]').filter(has_text="满分").locator("input")
        boxes.nth(4).wait_for()  # the sheet's five criteria (五强五带头)
        for i in range(5):
            boxes.nth(i).fill(f"{points:g}")
        jp.get_by_role("button", name="保存评分").click()
        jp.get_by_text(f"评分已保存：{nominee}，合计 {points * 5:g} 分。").first.wait_for()
        if judge == "张档案":
            step(jp, "12a-judge-scores")
    except Exception:
        shot(jp, "organiser-failed-judge")
        raise
    finally:
        ctx.close()


def lock_and_score_sheets(page) -> None:
    """The lock after a confirmation (no score changes from then on), and the score sheets with the scores."""
    tab(page, "评委与评审组")
    page.get_by_role("button", name="锁定评审组").click()
    page.get_by_text("锁定后，评分、分配和回避都不能再更改").first.wait_for()
    step(page, "13-panel-lock-confirm")
    page.get_by_role("button", name="确认执行").click()
    page.get_by_text("评审组状态：已锁定").first.wait_for()
    pdf = fetch_document(page, "评分表 .pdf")
    text = pdf_text(pdf)
    assert "评分表" in text and "评审组：模范机关评审组" in text and "评委签字" in text and "评审组已锁定" in text
    for judge, (nominee, points) in POINTS.items():
        assert f"评委：{judge}" in text and nominee in text and f"{points * 5:g}" in text, (judge, text)
    sheet = docx.Document(io.BytesIO(fetch_document(page, "评分表 .docx")))
    assert [row.cells[1].text for row in sheet.tables[0].rows][:2] == ["名称", "市档案馆"]  # 李审计's sheet first
    step(page, "14-score-sheets")
    publish_screenshot(shot(page, "console-judges"), "console-judges")


def resubmit(browser, base: str, token, unit_name: str, comment: str) -> None:
    """The unit signs in, reads the reviewer's comment on its returned nomination, revises it and resubmits."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    up = ctx.new_page()
    up.set_default_timeout(45_000)
    try:
        sign_in(up, base, token, unit_name)
        up.get_by_text(re.compile("退回修改")).first.wait_for()  # the list says so, with the comment
        choose(up, "查看或处理申报", unit_name)
        up.get_by_text(f"审查意见（退回修改）：{comment}").first.wait_for()
        up.get_by_text("修改后重新提交").first.wait_for()
        up.get_by_label("事迹材料", exact=True).filter(visible=True).last.fill(REVISED)
        settle(up)
        up.get_by_text(f"审查意见（退回修改）：{comment}").first.scroll_into_view_if_needed()
        step(up, "06a-unit-returned")
        up.get_by_role("button", name="重新提交").click()
        up.get_by_text(f"已重新提交对“{unit_name}”的申报，等待审查。").first.wait_for()
    except Exception:
        shot(up, "organiser-failed-resubmit")
        raise
    finally:
        ctx.close()


def open_notice(page) -> datetime:
    """公示 opened in 阶段管理; in the 公示 tab the end date in working days is shown before the confirmation; once
    published, the notice lists the ranking's nominees. Returns the notice's end as the console shows it."""
    open_stage(page, "公示")
    step(page, "15-publicity-stage")
    tab(page, "公示")
    preview = page.get_by_text(re.compile("按工作日计算（跳过节假日、计入调休）：.* 起，至 .* 止")).first
    preview.wait_for()
    end = shown_moment(preview.inner_text().split("至", 1)[1])
    assert end > datetime.now(UTC) + timedelta(days=4), end  # five working days, at least a week of calendar
    page.get_by_role("button", name="确认发布公示").click()
    question = page.get_by_text(re.compile("公示一经发布即固定。确认发布「模范机关」公示，截止"))
    question.first.wait_for()
    assert shown_moment(question.first.inner_text()) == end
    step(page, "16-notice-confirm")
    page.get_by_role("button", name="确认执行").click()
    # the ranking reaches the publicity service by its event: until it has, the refusal says so and nothing is
    # published; the organiser tries again
    wait_until(lambda: notice_published(page), timeout=90, interval=2)
    notice = page.locator('[data-testid="stExpander"]').filter(has_text=TITLE).first
    rows = notice.locator('[data-testid="stDataFrame"]').first
    rows.wait_for()
    step(page, "17-notice-published")
    return end


def notice_published(page) -> bool:
    settle(page)
    if page.get_by_text("已发布的公示").count() and page.locator('[data-testid="stExpander"]').filter(
            has_text="评选结果的公示").count():
        return True
    refusal = page.locator('[data-testid="stAlert"]').filter(has_text="category_id").count()
    if refusal:  # "no ranked shortlist yet": press publish again, and confirm
        page.get_by_role("button", name="确认发布公示").click()
        page.get_by_role("button", name="确认执行").click()
    return False


def shown_moment(text: str) -> datetime:
    """A moment as the console shows it (2026年12月8日 17:30, Asia/Shanghai)."""
    y, mo, d, h, mi = map(int, re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{1,2}):(\d{2})", text).groups())
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("Asia/Shanghai"))


def public_objection(browser, base: str, nominee: str) -> str:
    """A member of the public reads the notice on the public page and files a real-name objection: its number."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    pp = ctx.new_page()
    pp.set_default_timeout(45_000)

    def notice_shown() -> bool:  # the notice reaches the public read model by its event
        pp.goto(f"{base}/notices")
        settle(pp)
        return pp.get_by_text(TITLE).count() > 0

    try:
        wait_until(notice_shown, timeout=60, interval=2)
        pp.get_by_text("公示中").first.wait_for()
        pp.get_by_text(nominee).first.wait_for()
        step(pp, "18-public-notice")
        form = pp.locator('[data-testid="stForm"]').filter(has_text="真实姓名")
        form.get_by_label("异议对象").click()
        pp.get_by_role("option", name=nominee).first.click()
        form.get_by_label("真实姓名").fill("赵敏")
        form.get_by_label("电话").fill("13800138000")
        form.get_by_label(re.compile("异议事实与理由")).fill("反映该单位申报材料中的年度考核结果与实际情况不符，请核查。")
        form.get_by_role("button", name="提交异议").click()
        filed = pp.get_by_text(re.compile("异议已受理，受理编号："))
        filed.first.wait_for()
        number = filed.first.inner_text().split("受理编号：", 1)[1].strip()
        step(pp, "19-objection-filed")
        return number
    except Exception:
        shot(pp, "organiser-failed-objection")
        raise
    finally:
        ctx.close()


def handle_objection(page, number: str) -> None:
    """异议处理: the objection in the list to handle, assigned, findings recorded, dismissed after the confirmation;
    it leaves the list and shows its real state among the resolved."""
    page.get_by_role("button", name="刷新数据").click()
    tab(page, "异议处理")
    page.get_by_role("tab", name="待处理异议（1）").first.wait_for()
    wait_until(lambda: object_state(page, number) == "已受理", timeout=30, interval=1)
    step(page, "20-objection-to-handle")
    page.get_by_label("调查人", exact=True).fill("纪检组 王明")
    page.get_by_role("button", name="指派调查人").click()
    wait_until(lambda: object_state(page, number) == "已指派", timeout=30, interval=1)
    page.get_by_label("调查情况", exact=True).fill("经调阅2023—2025年度考核档案，考核结果均为优秀，与申报材料一致。")
    page.get_by_role("button", name="记录调查情况").click()
    wait_until(lambda: object_state(page, number) == "调查中", timeout=30, interval=1)
    page.get_by_role("button", name="办结").click()
    page.get_by_text("请填写此项。").first.wait_for()  # the reason is required, said under it
    page.get_by_label("结论理由（必填）", exact=True).fill("反映问题经核查不属实。")
    page.get_by_role("button", name="办结").click()
    page.get_by_text("确认办结为「异议不成立」？办结后不可更改。").first.wait_for()
    step(page, "21-objection-dismiss-confirm")
    page.get_by_role("button", name="确认执行").click()
    page.get_by_role("tab", name="待处理异议（0）").first.wait_for()
    page.get_by_text("没有待处理的异议。").first.wait_for()
    page.get_by_role("tab", name="已办结（1）").first.click()
    wait_until(lambda: object_state(page, number) == "异议不成立", timeout=30, interval=1)
    step(page, "22-objection-handled")


def object_state(page, number: str) -> str:
    """The state column of the objection's row in the table shown."""
    settle(page)
    rows = [r for r in grid_rows(page) if r[0] == number]
    return rows[0][2] if len(rows) == 1 else ""  # "" until the grid has drawn its cells


def grid_rows(page) -> list[list[str]]:
    """The rows of the table shown (Streamlit's grid draws on a canvas; its cells are also in the page for
    screen readers, which is what is read here)."""
    grid = page.locator('[data-testid="stDataFrame"]').filter(visible=True).first
    grid.wait_for()
    rows = [[c.strip() for c in r.locator('[role="gridcell"]').all_inner_texts()]
            for r in grid.locator('[role="row"]').all()]
    return [r for r in rows if r]


def honour_rows(page) -> dict[str, list[str]]:
    """荣誉与文件's list by name: [title, name, unit, state, revocation reason]."""
    return {r[1]: r for r in grid_rows(page)}


def honours_confirmed(page, notice_end: datetime, clock_file: Path) -> None:
    """Time passes (the publicity clock moved past the notice's end, as a trial installation does); the scheduler
    closes the notice and the organiser sees both honours confirmed in 荣誉与文件."""
    ahead = (notice_end - datetime.now(UTC)).total_seconds() + 3600
    clock_file.write_text(f"{ahead:.0f}\n")
    tab(page, "荣誉与文件")

    def confirmed() -> bool:
        page.get_by_role("button", name="刷新数据").click()
        settle(page)
        tab(page, "荣誉与文件")
        return page.locator('[data-testid="stDataFrame"]').filter(visible=True).count() > 0 and \
            len(honour_rows(page)) == 2

    wait_until(confirmed, timeout=90, interval=2)
    rows = honour_rows(page)
    assert {name: r[3] for name, r in rows.items()} == {"市审计局": "有效", "市档案馆": "有效"}, rows
    assert all(r[0].endswith("模范机关") for r in rows.values()), rows
    step(page, "23-honours-confirmed")


def revoke_one(page, nominee: str, reason: str) -> None:
    """荣誉与文件: one honour revoked with a reason (refused without one), after the confirmation."""
    choose(page, "荣誉", nominee)
    page.get_by_role("button", name="撤销", exact=True).click()
    page.get_by_text("请填写此项。").first.wait_for()
    settle(page)  # the reason box of the honour picked (each honour has its own), once the page has run
    page.get_by_label("撤销原因（必填）", exact=True).fill(reason)
    page.get_by_role("button", name="撤销", exact=True).click()
    page.get_by_text(re.compile(f"撤销「{nominee}」的「.*」荣誉？撤销记入档案，不可恢复。")).first.wait_for()
    step(page, "24-honour-revoke-confirm")
    page.get_by_role("button", name="确认执行").click()
    page.get_by_text("已完成。").first.wait_for()
    wait_until(lambda: honour_rows(page).get(nominee, [""] * 5)[3] == "已撤销", timeout=30, interval=1)
    rows = honour_rows(page)
    assert rows[nominee][3:5] == ["已撤销", reason] and rows["市审计局"][3] == "有效", rows
    settle(page)
    assert page.get_by_label("撤销原因（必填）", exact=True).input_value() == ""  # not left filled in for the next
    step(page, "25-honour-revoked")


def documents(page) -> None:
    """The notice as PDF (公示), the honours list as .xlsx (荣誉与文件): what a reader of each checks."""
    xlsx = fetch_document(page, "表彰名单 .xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:7] == ("序号", "荣誉称号", "名称", "所在单位", "状态", "确认日期", "撤销原因"), rows[0]
    by_name = {r[2]: r for r in rows[1:]}
    assert set(by_name) == {"市审计局", "市档案馆"}, rows
    assert by_name["市档案馆"][4] == "已撤销" and by_name["市档案馆"][6] == REVOKED_BECAUSE, by_name
    assert by_name["市审计局"][4] != "已撤销" and not by_name["市审计局"][6], by_name
    step(page, "26-honours-xlsx")
    publish_screenshot(shot(page, "console-honours"), "console-honours")
    tab(page, "公示")
    page.locator('[data-testid="stExpander"]').filter(has_text=TITLE).filter(has_text="已结束").first.wait_for()
    text = pdf_text(fetch_document(page, "公示 .pdf"))
    assert TITLE.search(text) and "市审计局" in text and "市档案馆" in text, text
    assert text.index("市审计局") < text.index("市档案馆"), text  # in the order of the composite ranking
    assert "共5个工作日" in text, text
    step(page, "27-notice-pdf")
    publish_screenshot(shot(page, "console-publicity"), "console-publicity")
