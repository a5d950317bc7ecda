"""The organiser's console and the people's pages driven as their users do, step by step, for the browser tests:
sign in by link, pick tabs and options, upload tables, open stages, review, open rounds, print slips, vote, nominate.

Each function does one thing a person does on a page and waits for what the page says back."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from devtools.stack import Stack
from shared.settings import Settings
from shared.signin_links import link_url, mint_link_token

from .conftest import publish_screenshot, shot
from .test_flows import wait_until

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def step(page, name: str, folder: str = "organiser") -> None:
    """Wait for the page to settle (Streamlit's running indicator gone), check it has no exception, save it
    (artifacts/screenshots/<folder>-<name>.png; docs/screenshots/<folder>/<name>.png when asked)."""
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    path = shot(page, f"{folder}-{name}")
    publish_screenshot(path, f"{folder}/{name}")


def settle(page) -> None:
    """Wait until Streamlit has finished running the page (its running indicator gone)."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def sign_in(page, base: str, link, who: str) -> None:
    """Open a fresh sign-in link (`link()` mints one, as `exemplar signin-link` prints it) and wait for `who`."""
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


def people(stack: Stack, **who: tuple[str, str | None, str]) -> dict:
    """Each person's way in: name -> a function minting a fresh single-use sign-in link, as `exemplar signin-link`
    prints it for the first organiser (and as the console issues them for units, judges and members)."""
    env = stack.env
    s = Settings(kafka_bootstrap=env["EXEMPLAR_KAFKA_BOOTSTRAP"], mongo_url=env["EXEMPLAR_MONGO_URL"],
                 db_prefix=stack.prefix, topic_prefix=stack.prefix)
    return {key: partial(_mint, s, role, subject_id, name) for key, (role, subject_id, name) in who.items()}


def _mint(settings: Settings, role: str, subject_id: str | None, name: str, hours: float = 72) -> str:
    return mint_link_token(settings, role=role, subject_id=subject_id, name=name, hours=hours)[0]


def organiser_page(browser):
    """A desktop-sized page for the organiser's console (close its context when done)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    return ctx, page


def create_programme(page, name: str) -> None:
    """评选设置: a programme from the default template (五强五带头), named `name`, shown in the picker once the
    read model has learned it."""
    tab(page, "评选设置")
    page.get_by_label("评选名称", exact=True).first.fill(name)  # 新建评选 comes before 修改评选方案
    page.get_by_text("权重合计：1（须为 1）").first.wait_for()
    page.get_by_role("button", name="创建评选").click()
    page.get_by_text("已完成。").first.wait_for()
    wait_until(lambda: refreshed(page, name), timeout=60, interval=1)


def import_tree_and_roll(page, units_csv: str, roll_csv: str, tmp: Path) -> None:
    """组织与党员导入: the tree, then the roll (GB18030 CSV), each previewed and imported."""
    tab(page, "组织与党员导入")
    units, members = units_csv.count("\n") - 1, roll_csv.count("\n") - 1
    upload(page, 0, "units.csv", units_csv, tmp)
    page.get_by_text(f"共 {units} 行").first.wait_for()
    page.get_by_role("button", name="导入").first.click()
    page.get_by_text(f"已导入 {units} 行").first.wait_for()
    upload(page, 1, "roll.csv", roll_csv, tmp)
    page.get_by_text(f"共 {members} 行").last.wait_for()
    page.get_by_role("button", name="导入").nth(1).click()
    page.get_by_text(re.compile(f"已导入 {members} 行，0 行无变化，0 行有误")).first.wait_for()


def open_stage(page, stage: str | None = None) -> None:
    """阶段管理: open a stage (申报 is the one shown first), and wait until it says what closing will refuse."""
    tab(page, "阶段管理")
    page.get_by_text("各阶段状态").first.wait_for()
    if stage:
        choose(page, "阶段", stage)
    page.get_by_role("button", name="开启此阶段").click()
    page.get_by_text("关闭后，将拒绝").first.wait_for()


def close_stage(page, stage: str) -> None:
    """阶段管理: close a stage, and wait until it says what opening it again would accept."""
    tab(page, "阶段管理")
    choose(page, "阶段", stage)
    page.get_by_role("button", name="关闭此阶段").click()
    page.get_by_text("开启后，本阶段的操作将被接受").first.wait_for()


def approve(page, nominee: str, pending: int | None = None) -> None:
    """资格审查: approve one submitted nomination (`pending`: how many the queue shows first)."""
    page.get_by_role("button", name="刷新数据").click()
    tab(page, "资格审查")
    if pending is not None:
        page.get_by_role("tab", name=re.compile(f"待审查（{pending}）")).first.wait_for()
    choose(page, "申报", nominee)
    page.get_by_text("通过", exact=True).first.click()
    page.get_by_role("button", name="通过").click()
    page.get_by_text("已完成。").first.wait_for()


def open_round(page, name: str, category: str) -> None:
    """测评轮次: open an approval round of a category (民主测评 must be open)."""
    tab(page, "测评轮次")
    page.get_by_label("轮次名称", exact=True).fill(name)
    choose(page, "参评类别", category)
    page.get_by_role("button", name="开启测评轮次").click()
    page.get_by_text("已完成。").first.wait_for()


def issued(url: str):
    """A link the console issued (read off its print card), as sign_in takes it: its token, for the one use."""
    token = parse_qs(urlparse(url).query)["signin"][0]
    return lambda: token


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
        cast_one(ballot, candidate)
        step(ballot, "07a-slip-ballot")
    except Exception:
        shot(ballot, "organiser-failed-slip-ballot")
        raise
    finally:
        ctx.close()


def cast_one(page, candidate: str) -> None:
    """An approval ballot of one choice: the candidate ticked (已选 1 / 1), checked on the confirmation step, cast."""
    page.get_by_text("已选 0 / 1").wait_for()
    page.locator('[data-testid="stCheckbox"]').filter(has_text=candidate).locator("label").click()
    page.get_by_text("已选 1 / 1").wait_for()
    page.get_by_role("button", name="下一步：核对选票").click()
    page.get_by_text("请核对您的选票").wait_for()
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text(re.compile("投票成功，您的选票已计入|选票已提交，正在计票")).wait_for()


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

    try:
        sign_in(page, base, token, "当前用户：王伟")  # a link is used once: the ballot must show in this session
        cast_one(page, candidate)
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


# ---- voting day (people/voting): a programme of two categories, people's links, nominations, both kinds of round ----

def create_programme_of(page, name: str, templates: tuple[str, ...]) -> None:
    """评选设置: the categories of these shipped templates (picked by the category each serves, e.g. 先锋红旗党支部)
    added to the default one, then the programme created as create_programme does."""
    tab(page, "评选设置")
    for category in templates:
        choose(page, "评选类别（标准模板）", category)
        page.get_by_text(f"**{category}**").or_(page.get_by_text(category, exact=True)).first.wait_for()
    create_programme(page, name)


def issue_people_links(page, programme: str, units: tuple[str, ...] = (),
                       members: tuple[str, ...] = ()) -> dict[str, str]:
    """登录链接: sign-in links for the programme's unit contacts and members, picked by name; each person's link as
    the print sheet shows it (name -> URL)."""
    links: dict[str, str] = {}
    for who, names in (("申报单位联系人", units), ("党员", members)):
        if names:
            links |= issue_links(page, programme, who, list(names))
    return links


def nominate_each(browser, url: str, unit_name: str, entries: list[tuple[str, str]]) -> None:
    """A unit's contact opens its link and nominates, on the units' page, each (category, nominee) in turn: the
    nominee picked from the unit's own subtree by name."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        page.goto(url)
        page.get_by_text(f"当前用户：{unit_name}").first.wait_for()
        for category, nominee in entries:
            tab(page, "提交新申报")
            settle(page)
            choose(page, "评选类别", category)
            settle(page)
            page.get_by_label("参评对象", exact=True).filter(visible=True).first.click()
            page.get_by_role("option", name=nominee, exact=True).first.click()
            settle(page)
            page.get_by_label("事迹材料", exact=True).fill(f"{nominee}坚持把政治建设摆在首位，全面加强党的建设，" * 3)
            page.get_by_role("button", name="提交申报").click()
            page.get_by_text(f"申报已提交：{nominee}（{category}）").first.wait_for()
        settle(page)
        shot(page, f"voting-day-nominated-{unit_name}")  # in artifacts/ only
    except Exception:
        shot(page, "voting-day-failed-nominate")
        raise
    finally:
        ctx.close()


def approve_each(page, nominees: list[str]) -> None:
    """资格审查: approve each submitted nomination in turn (picked by the text of its label), each time letting the
    page finish its run before the next click, and seeing the approved count grow."""
    for k, nominee in enumerate(nominees, start=1):
        settle(page)
        page.get_by_role("button", name="刷新数据").click()
        settle(page)
        tab(page, "资格审查")
        choose(page, "申报", nominee)
        settle(page)
        decision = page.locator('[data-testid="stRadio"]').filter(has_text="审查结论").filter(visible=True).first
        decision.get_by_text("通过", exact=True).click()
        settle(page)
        page.get_by_role("button", name="通过", exact=True).click()
        settle(page)
        page.get_by_role("tab", name=re.compile(f"已通过（{k}）")).first.wait_for()


def clear_multiselect(page, label: str) -> None:
    """Empty a multiselect (its 清除 button) that an earlier submission left filled."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=label).filter(visible=True).first
    clear = box.get_by_role("button", name="Clear all")
    if clear.count():
        clear.first.click()
        page.wait_for_timeout(300)


def open_round_of(page, name: str, category: str, *, grading: bool = False, max_selections: int = 1,
                  excellent_cap: int | None = None, abstain: bool = False) -> None:
    """测评轮次: open a round of one category: approval of up to `max_selections`, or grading (等次评价) with its 优秀
    cap and abstaining. Voting learns the approved nominations and the roll from their events: while it has not, the
    service refuses (said in the form) and the organiser submits again."""
    page.get_by_role("button", name="刷新数据").click()  # a run that takes off the last submission's message
    settle(page)
    tab(page, "测评轮次")
    form = page.locator('[data-testid="stForm"]').filter(has_text="轮次名称")
    form.get_by_label("轮次名称", exact=True).fill(name)
    clear_multiselect(page, "参评类别")
    choose(page, "参评类别", category)
    kind = "等次评价（优秀/称职/基本称职/不称职）" if grading else "推荐票（最多选N人）"
    form.get_by_text(kind, exact=True).click()
    form.get_by_label("最多可选人数", exact=True).fill(str(max_selections))
    form.get_by_label("“优秀”名额上限", exact=True).fill("" if excellent_cap is None else str(excellent_cap))
    abstain_box = form.locator('[data-testid="stCheckbox"]').filter(has_text="允许弃权")
    if abstain_box.locator("input").is_checked() != abstain:
        abstain_box.locator("label").click()

    done = page.get_by_text("已完成。").filter(visible=True)
    refused = page.locator('[data-testid="stAlertContentError"]').filter(visible=True)

    def opened() -> bool:
        page.get_by_role("button", name="开启测评轮次").click()
        settle(page)
        done.or_(refused).first.wait_for()
        # "already feeds the peer-vote component": an earlier submission did open it (its answer came late)
        return done.count() > 0 or "confirm_replace" in refused.first.inner_text()

    wait_until(opened, timeout=90, interval=2)


def print_round_slips(page, round_name: str, slips: int) -> str:
    """测评轮次: the organiser issues every unit's credential slips of a round and downloads the A4 sheet (HTML)."""
    tab(page, "测评轮次")
    form = page.locator('[data-testid="stForm"]').filter(has_text="生成全部单位的投票凭证")
    form.locator('[data-testid="stSelectbox"]').click()
    page.keyboard.type(round_name)  # typed to filter, and taken
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    form.get_by_role("button", name="生成全部单位的投票凭证").click()
    page.get_by_text(re.compile(f"已生成 {slips} 张凭证")).first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 A4 打印版").click()
    return Path(download.value.path()).read_text(encoding="utf-8")


# ---- people/setup: sign-in links, units' nominations, judges, panels and arena contests, on the people's pages ----
# Issue sign-in links and read them off the page (the first organiser's alone is minted, as the CLI prints it),
# nominate with materials, a self-assessment and files, approve, register judges, form and auto-assign a panel,
# create an arena contest.

def open_link(page, url: str, who: str) -> None:
    """Open a sign-in link the organiser issued (read from the console) and wait until the portal says who."""
    page.goto(url)
    page.get_by_text(who).first.wait_for()


def create_programme_with(page, name: str, templates: tuple[str, ...]) -> None:
    """评选设置: like create_programme, with more categories than the template's first: each template picked by the
    category it serves (e.g. "先锋红旗党支部", "四好优秀党员")."""
    tab(page, "评选设置")
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="评选类别（标准模板）").filter(visible=True)
    for category in templates:
        box.first.click()
        page.get_by_role("option", name=re.compile(re.escape(f"→ {category}"))).first.click()
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        page.get_by_text(re.compile(f"^{re.escape(category)}$")).first.wait_for()  # its category's card
    create_programme(page, name)


def approve_all(page, nominees: list[str]) -> None:
    """资格审查: approve each of `nominees` in turn; the approved tab's count follows."""
    for n, nominee in enumerate(nominees, start=1):
        page.get_by_role("button", name="刷新数据").click()
        settle(page)
        tab(page, "资格审查")
        choose(page, "申报", nominee)
        settle(page)  # the last nomination's form is gone (while the page runs, both are on it)
        page.get_by_text("通过", exact=True).first.click()
        settle(page)
        page.get_by_role("button", name="通过").click()
        page.get_by_role("tab", name=re.compile(f"已通过（{n}）")).first.wait_for()


def issued_cards(page, n: int) -> dict[str, str]:
    """The `n` issued links' print cards the page shows: each person's name -> the address of that person's link."""
    page.locator(".card").filter(visible=True).first.wait_for()

    def all_shown():
        cards = _cards(page)
        return cards if len(cards) == n else None

    return dict(wait_until(all_shown, timeout=20, interval=0.5))


def _cards(page) -> list[tuple[str, str]]:
    # one read in the page: Streamlit may redraw the cards between counting them and reading each
    return [tuple(c) for c in page.evaluate(
        """() => [...document.querySelectorAll('.card')]
            .filter(c => c.checkVisibility())
            .map(c => [(c.querySelector('h2')?.innerText || '').trim(),
                       (c.querySelector('p.url')?.innerText || '').trim()])"""
    )]


def issue_links(page, programme: str, who: str, names: list[str]) -> dict[str, str]:
    """登录链接: the organiser picks the programme and the people by name under `who` (申报单位联系人, 党员, 评委),
    issues their links and reads them off the print cards shown: name -> link."""
    tab(page, "登录链接")
    settle(page)
    picker = page.get_by_label("评选活动", exact=True).filter(visible=True).last  # the tab's own, below the console's
    picker.click()
    page.get_by_role("option", name=re.compile(re.escape(programme))).first.click()
    settle(page)
    for kind in ("申报单位联系人", "党员", "评委"):  # the people of an earlier issue are still picked
        clear_multiselect(page, kind)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=who).filter(visible=True).first
    for name in names:
        box.click()
        page.get_by_role("option", name=name, exact=True).click()
        page.keyboard.press("Escape")
        page.wait_for_timeout(200)
    page.get_by_role("button", name="生成登录链接").filter(visible=True).first.click()
    page.get_by_text(f"已生成 {len(names)} 个登录链接").first.wait_for()
    # the cards of an earlier issue stay until the page has run again: wait for these people's
    wait_until(lambda: sorted(_card_names(page)) == sorted(names), timeout=30, interval=0.5)
    return issued_cards(page, len(names))


def _card_names(page) -> list[str]:
    return [name for name, _ in _cards(page)]


def unit_page(browser, height: int = 1500):
    """A desktop-sized page for a unit contact (close its context when done)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    return ctx, page


def _pick(page, label: str, option: str) -> None:
    """Pick a selectbox option without Escape (which clears a selectbox that starts empty), then let the page run."""
    page.get_by_label(label, exact=True).filter(visible=True).first.click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    settle(page)


def fill_nomination(page, category: str, search: str, nominee: str, materials: str,
                    scores: dict[str, str] | None = None, files: tuple[Path, ...] = ()) -> None:
    """提交新申报 on the units' page: the category, the nominee found by (part of) its name in the unit's subtree or
    roll, the materials, a self-assessment per criterion (by the criterion's name) and the files; not yet sent."""
    page.get_by_role("tab", name="提交新申报").first.click()
    settle(page)
    _pick(page, "评选类别", category)
    field = page.get_by_label(re.compile("^按(姓名|名称)搜索")).filter(visible=True).first

    def searched() -> bool:  # typed while the page still ran: Streamlit may drop it, as a person would type again
        if page.get_by_text(re.compile(r"找到 \d+ 个")).count() == 0:
            field.fill(search)
            field.press("Enter")
            settle(page)
        return page.get_by_text(re.compile(r"找到 \d+ 个")).count() > 0

    wait_until(searched, timeout=30, interval=1)
    _pick(page, "参评对象", nominee)
    page.get_by_label("事迹材料", exact=True).fill(materials)
    for criterion, value in (scores or {}).items():
        page.get_by_label(f"{criterion}（满分").filter(visible=True).first.fill(value)
    if files:
        page.locator('[data-testid="stFileUploader"]').filter(visible=True).first.locator(
            'input[type="file"]').set_input_files([str(f) for f in files])
        for f in files:
            page.get_by_text(f.name).first.wait_for()
        settle(page)


def submit_nomination(page, nominee: str, category: str, files: int = 0) -> None:
    """Send the filled nomination and wait until the page says it is in, with its files."""
    page.get_by_role("button", name="提交申报").click()
    page.get_by_text(f"申报已提交：{nominee}（{category}），附件 {files} 个。").wait_for()
    settle(page)


def register_judge(page, name: str, unit: str) -> None:
    """评委与评审组: a judge registered with the unit picked from the tree; the list shows the judge."""
    tab(page, "评委与评审组")
    page.get_by_label("评委姓名", exact=True).fill(name)
    pick_unit(page, unit)
    page.get_by_role("button", name="登记评委").click()
    page.locator("td").filter(has_text=re.compile(f"^{re.escape(name)}$")).first.wait_for()
    settle(page)


def issue_judge_links(page, judges: int) -> dict[str, str]:
    """评委与评审组: every judge's sign-in link issued (`judges` of them), read off the print cards: name -> link."""
    tab(page, "评委与评审组")
    page.get_by_role("button", name="生成评委登录链接").click()
    page.get_by_text(f"已生成 {judges} 个登录链接").first.wait_for()
    return issued_cards(page, judges)


def form_panel(page, category: str, judges: list[str], per_nominee: int | None = None) -> None:
    """评委与评审组: a panel of a category with judges picked by name (in this order); shown unlocked once formed."""
    tab(page, "评委与评审组")
    settle(page)
    _choose_until_listed(page, "评选类别", category)
    members = page.locator('[data-testid="stMultiSelect"]').filter(has_text="评审组成员").filter(visible=True).first
    members.click()
    for judge in judges:
        page.keyboard.type(judge)
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
    page.keyboard.press("Escape")
    if per_nominee:
        page.get_by_label("每个对象的评委人数").first.fill(str(per_nominee))
    page.get_by_role("button", name="组建评审组").click()
    page.get_by_text("评审组状态：未锁定").first.wait_for()


def _choose_until_listed(page, label: str, option: str) -> None:
    """choose, clicking the box again until its list opens (a click while the page still runs opens none)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def chosen() -> bool:
        page.get_by_label(label, exact=True).filter(visible=True).first.click()
        item = page.get_by_role("option", name=re.compile(re.escape(option))).first
        try:
            item.wait_for(timeout=3000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            return False
        item.click()
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        return True

    wait_until(chosen, timeout=45, interval=1)


def _panel_nominees(page) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text="参评对象").filter(visible=True).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def auto_assign(page, nominees: int, per_nominee: int = 1) -> None:
    """评委与评审组: once the panel shows its approved nominees (scoring learns them by events), auto-assign."""
    def all_there() -> bool:
        if _panel_nominees(page) == str(nominees):
            return True
        page.get_by_role("button", name="刷新数据").click()
        settle(page)
        tab(page, "评委与评审组")
        return _panel_nominees(page) == str(nominees)

    wait_until(all_there, timeout=60, interval=1)
    page.get_by_role("button", name="自动分配评委").click()
    page.get_by_text(f"已为 {nominees} 个对象新分配 {nominees * per_nominee} 人次（每个对象 {per_nominee} 名评委）"
                     ).first.wait_for()


def create_arena(page, name: str, category: str, contestants: list[str], judges: list[str]) -> None:
    """擂台赛: a contest of a category, the approved nominations as contestants and judges picked by name, with the
    form's default round (现场陈述, 10 points, step 0.5); listed as open once created."""
    tab(page, "擂台赛")
    settle(page)
    page.get_by_label("赛事名称", exact=True).fill(name)
    choose(page, "所属类别（可选）", category)
    for contestant in contestants:
        choose(page, "参赛选手（按出场顺序选择，已通过审查的申报）", contestant)
    for judge in judges:
        choose(page, "评委（按姓名选择）", judge)
    page.get_by_role("button", name="创建擂台赛").click()
    page.get_by_text("已完成。").first.wait_for()
    page.get_by_text(f"{name} · 进行中").first.wait_for()


def nominate_with_materials(browser, url: str, unit: str, category: str, materials: str,
                            scores: dict[str, str] | None = None, files: tuple[Path, ...] = ()) -> None:
    """A unit contact opens the sign-in link the organiser issued and nominates the unit itself, with materials,
    a self-assessment and files, on the units' page."""
    ctx, page = unit_page(browser)
    try:
        open_link(page, url, f"当前用户：{unit}（申报单位）")
        fill_nomination(page, category, unit, unit, materials, scores, files)
        submit_nomination(page, unit, category, len(files))
    except Exception:
        shot(page, f"failed-nominate-{unit}")
        raise
    finally:
        ctx.close()


def first_organiser_link(stack: Stack, name: str, hours: float = 72) -> str:
    """A link for the first organiser valid for `hours`, as `exemplar signin-link organiser --hours H` prints it:
    its token (link_url makes the address)."""
    return people(stack, first=("organiser", None, name))["first"](hours=hours)
