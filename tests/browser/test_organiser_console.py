"""An organiser runs a small programme through the console in headless Chromium, on the real nominations, voting,
scoring, publicity and leaderboard processes: a programme from a template, the tree and the roll imported,
nominations reviewed (one returned), the stages opened, a round opened while members vote on the ballot pages (one
from a printed credential slip, one signed in), watched and closed after a confirmation; judges registered with
their units from the tree, a panel formed, auto-assigned with the tree's recusal, the loads seen, the panel locked
after a confirmation and its score sheets downloaded as PDF and .docx.
Each step's page is saved to docs/screenshots/organiser/ (with EXEMPLAR_UPDATE_SCREENSHOTS=1) and artifacts/.

Everyone signs in by opening a sign-in link, as `exemplar signin-link` prints it (each link is used once)."""
from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from uuid import uuid4

import docx
import pytest

from devtools.stack import Stack
from shared.signin_links import link_url, mint_link_token
from shared.settings import Settings

from .conftest import publish_screenshot, shot
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
    env = console_stack.env
    s = Settings(kafka_bootstrap=env["EXEMPLAR_KAFKA_BOOTSTRAP"], mongo_url=env["EXEMPLAR_MONGO_URL"],
                 db_prefix=console_stack.prefix, topic_prefix=console_stack.prefix)

    def person(role: str, subject_id: str | None, name: str):
        return lambda: mint_link_token(s, role=role, subject_id=subject_id, name=name)[0]

    return {"organiser": person("organiser", None, "工委组织部"), "u-sj": person("unit", "u-sj", "市审计局"),
            "u-da": person("unit", "u-da", "市档案馆"), "m1": person("member", "m1", "王伟")}


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
JUDGES = (("李审计", "市审计局"), ("张档案", "市档案馆"), ("陈档案", "市档案馆"))


def step(page, name: str) -> None:
    """Wait for the page to settle (Streamlit's running indicator gone), check it has no exception, save it."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    path = shot(page, f"organiser-{name}")
    publish_screenshot(path, f"organiser/{name}")


def sign_in(page, base: str, link, who: str) -> None:
    page.goto(link_url(base, link()))
    page.get_by_text(who).first.wait_for()


def refreshed(page, text: str) -> bool:
    """The console's refresh button, pressed until `text` shows (a programme reaches the read model by its event)."""
    if page.get_by_text(text).count() > 0:
        return True
    button = page.get_by_role("button", name="刷新")
    if button.count():
        button.first.click()
        page.wait_for_timeout(800)
    return page.get_by_text(text).count() > 0


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).first.click()
    page.wait_for_timeout(300)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by the text it shows."""
    box = page.get_by_label(label, exact=True).filter(visible=True).first
    box.click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    page.keyboard.press("Escape")  # a multiselect stays open (and hides the rest of the page from the roles)
    page.wait_for_timeout(300)


def upload(page, index: int, name: str, content: str, tmp: Path) -> None:
    f = tmp / name
    f.write_bytes(content.encode("gb18030"))
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="CSV 或 XLSX").nth(index)
    uploader.locator('input[type="file"]').set_input_files(str(f))


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


def pick_unit(page, unit: str) -> None:
    """Pick the judge's unit from the tree by typing its name (Escape would clear a selectbox that starts empty)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="所在单位").filter(visible=True).first
    box.click()
    page.keyboard.type(unit)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)


def table_rows(scope, heading: str) -> list[list[str]]:
    """The body rows of the table right after a heading, as the organiser reads them."""
    tbl = scope.locator(f'xpath=//h5[contains(., "{heading}")]/following::table[1]').first
    return [[c.inner_text().strip() for c in r.locator("td").all()] for r in tbl.locator("tbody tr").all()]


def fetch_document(page, label: str) -> bytes:
    """Press 生成 (the service renders it), then save it as the organiser does."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")  # no half-drawn page left
    page.get_by_role("button", name=f"生成 {label}").first.click()
    with page.expect_download() as download:
        page.get_by_role("button", name=label, exact=True).first.click()
    return Path(download.value.path()).read_bytes()


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: install poppler-utils (.ci/run does)")
    out = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


def print_slips(page) -> list[str]:
    """The organiser prints every unit's credential slips of the open round: the slips' ballot URLs."""
    form = page.locator('[data-testid="stForm"]').filter(has_text="生成全部单位的投票凭证")
    form.get_by_role("button", name="生成全部单位的投票凭证").click()
    page.get_by_text(re.compile("已生成 3 张凭证")).first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 A4 打印版").click()
    sheet = Path(download.value.path()).read_text(encoding="utf-8")
    return [html.unescape(u) for u in re.findall(r'<a href="([^"]+)"><img alt="投票二维码"', sheet)]


def vote_by_slip(browser, url: str, candidate: str) -> None:
    """A member opens the slip's QR URL on a phone and votes (as test_voting_day does)."""
    ctx = browser.new_context(**PHONE)
    ballot = ctx.new_page()
    ballot.set_default_timeout(45_000)
    try:
        ballot.goto(url)
        ballot.get_by_text("已选 0 / 1").wait_for()
        ballot.locator('[data-testid="stCheckbox"]').filter(has_text=candidate).locator("label").click()
        ballot.get_by_text("已选 1 / 1").wait_for()
        ballot.get_by_role("button", name="下一步：核对选票").click()
        ballot.get_by_text("请核对您的选票").wait_for()
        ballot.get_by_role("button", name="确认提交").click()
        ballot.get_by_text(re.compile("投票成功，您的选票已计入|选票已提交，正在计票")).wait_for()
        step(ballot, "07a-slip-ballot")
    except Exception:
        shot(ballot, "organiser-failed-slip-ballot")
        raise
    finally:
        ctx.close()


def nominate(browser, base: str, token, unit_name: str) -> None:
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        sign_in(page, base, token, unit_name)
        tab(page, "提交新申报")
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
        # the nominee is found in the unit's own subtree, by name (picked without Escape, which clears a pick)
        page.get_by_label("参评对象", exact=True).filter(visible=True).first.click()
        page.get_by_role("option", name=re.compile(re.escape(unit_name))).first.click()
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
        page.get_by_label("事迹材料", exact=True).fill(f"{unit_name}坚持把政治建设摆在首位，全面加强机关党的建设，" * 3)
        page.get_by_role("button", name="提交申报").click()
        page.get_by_text("申报已提交").first.wait_for()
    except Exception:
        shot(page, "organiser-failed-nominate")
        raise
    finally:
        ctx.close()


def vote(browser, base: str, token, candidate: str) -> None:
    """A member signed in to the portal votes in the round (the round reaches the read model by its event)."""
    ctx = browser.new_context(viewport={"width": 420, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)

    def ballot_shown() -> bool:  # sign in again until the ballot shows
        sign_in(page, base, token, "当前用户：王伟")
        page.wait_for_timeout(1500)
        return page.get_by_text("已选 0 / 1").count() > 0

    try:
        wait_until(ballot_shown, timeout=90, interval=2)
        page.locator('[data-testid="stCheckbox"]').filter(has_text=candidate).locator("label").click()
        page.get_by_text("已选 1 / 1").wait_for()
        page.get_by_role("button", name="下一步：核对选票").click()
        page.get_by_text("请核对您的选票").wait_for()
        page.get_by_role("button", name="确认提交").click()
        page.get_by_text(re.compile("投票成功，您的选票已计入|选票已提交，正在计票")).wait_for()
        step(page, "07b-member-ballot")
    except Exception:
        shot(page, "organiser-failed-ballot")
        raise
    finally:
        ctx.close()


def refreshed_state(page, text: str) -> bool:
    if page.get_by_text(text).count():
        return True
    page.get_by_role("button", name="刷新数据").click()
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    return page.get_by_text(text).count() > 0


def refreshed_turnout(page, cast: int) -> bool:
    """Refresh, and read the turnout once the page has run again (a click while it runs would start it over)."""
    page.get_by_role("button", name="刷新投票情况").first.click()
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    return page.get_by_text(f"投票情况：{cast} / 3").count() > 0
