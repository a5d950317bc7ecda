"""The organiser's arena and indicator tabs in headless Chromium, on the real scoring, nominations and leaderboard
processes.

Arena: the organiser, signed in by a sign-in link, creates an arena contest with a round and two judges chosen by
name, issues the judges' sign-in links from the tab; a judge signs in, opens the arena scoring page from the portal
(the tab's judge page, with the judge's identity) and scores; the organiser freezes the board (the hall's screen then
hides the round), reveals and closes it after a confirmation; the public board shows the result.

Indicators: the organiser imports the indicators from an XLSX with Chinese headers (a bad row is reported by line
and its nominee left out), sees the key-task list, publishes the spot-check draw's inputs, makes the draw with the
announced value and sees the committed inputs and the drawn task.

Preconditions that belong to other tabs and people are seeded through the services' APIs: the programme, the tree,
two nominations submitted by their units and approved, the judging stage open, the judges registered (the judges'
tab is another one)."""
from __future__ import annotations

import io
import re
from uuid import uuid4

import httpx
import openpyxl
import pytest

from tests.support import auth

from .conftest import publish_screenshot, shot
from .signin_support import cli_link, sign_in
from .test_flows import wait_until

pytestmark = pytest.mark.browser

NOMINEES = [("u-sj", "市审计局"), ("u-da", "市档案馆")]
UNITS = "unit_id,name,parent_id,kind\nu-sj,市审计局,,organ\nu-da,市档案馆,,organ\nu-jw,市纪委,,organ\n"
JUDGES = [("j-li", "李建国"), ("j-zhang", "张秀英")]


@pytest.fixture(scope="module")
def prog(stack, app_settings):
    """A programme with the tree, two approved nominations and the judging stage open, and two judges registered:
    seeded through the services' APIs as the setup, the units and the review would have left it."""
    pid = "arena" + uuid4().hex[:6]
    noms, org = {}, auth(app_settings, "organiser", name="工委组织部")
    nominations, scoring = stack.urls["nominations"], stack.urls["scoring"]

    def ok(r, status: int = 200):
        assert r.status_code == status, r.text
        return r.json()

    ok(httpx.post(f"{nominations}/programmes", headers=org, timeout=10, json={
        "programme_id": pid, "name": "擂台赛测试评选", "year": 2026, "categories": [
            {"category_id": "organ", "name": "模范机关", "nominee_kind": "organ", "board": "model_organ", "quota": 1,
             "criteria_template": "wuqiang_wudaitou", "weights": {"basic": 0.3, "key_tasks": 0.3, "business": 0.2,
                                                                 "report": 0.2}}]}), 201)
    ok(httpx.post(f"{nominations}/programmes/{pid}/units/import", headers=org, timeout=10,
                  files={"file": ("u.csv", UNITS.encode())}))
    ok(httpx.post(f"{nominations}/programmes/{pid}/stages/nomination/open", headers=org, timeout=10))
    for unit, name in NOMINEES:
        body = ok(httpx.post(f"{nominations}/programmes/{pid}/nominations", timeout=10,
                             headers=auth(app_settings, "unit", unit_id=unit),
                             json={"category_id": "organ", "nominee_id": unit, "materials": f"{name}的事迹材料"}), 201)
        noms[name] = body["nomination_id"]
    for stage in ("review", "judging"):
        ok(httpx.post(f"{nominations}/programmes/{pid}/stages/{stage}/open", headers=org, timeout=10))
    for nid in noms.values():
        ok(httpx.post(f"{nominations}/programmes/{pid}/nominations/{nid}/approve", headers=org, timeout=10))

    def registered(judge_id: str, name: str):
        r = httpx.post(f"{scoring}/programmes/{pid}/judges", headers=org, timeout=10,
                       json={"judge_id": judge_id, "name": name, "unit_id": "u-jw"})
        return r.status_code == 201 or "already registered" in r.text

    for judge_id, name in JUDGES:  # scoring learns the tree from the events first
        wait_until(lambda: registered(judge_id, name), timeout=60, interval=1)
    wait_until(lambda: len(httpx.get(f"{scoring}/programmes/{pid}/nominations", headers=org, timeout=10,
                                     params={"status": "approved"}).json()) == 2, timeout=60, interval=1)
    return {"programme_id": pid, "nominations": noms, "organiser": org}


def settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def open_console(page, base: str, settings, tab: str) -> None:
    sign_in(page, cli_link(base, settings, "organiser", name="工委组织部"), "当前用户：工委组织部（组织者）")

    def picked() -> bool:  # the read model learns the programme from its event: reload the console's data until then
        page.get_by_role("button", name="刷新数据").click()
        settle(page)
        page.get_by_label("评选活动", exact=True).filter(visible=True).first.click()
        option = page.get_by_role("option", name=re.compile("擂台赛测试评选"))
        if option.count() == 0:
            page.keyboard.press("Escape")
            return False
        option.first.click()
        return True

    wait_until(picked, timeout=60, interval=1)
    settle(page)
    page.get_by_role("tab", name=tab).first.click()
    settle(page)


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).filter(visible=True).first.click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)


def save(page, name: str, height: int = 3400) -> None:
    """The whole tab: Streamlit scrolls inside the page, so the viewport is made tall enough for the shot."""
    settle(page)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(600)
    page.evaluate("document.querySelectorAll('section, [data-testid=\"stMain\"]').forEach(e => e.scrollTo(0, 0))")
    page.wait_for_timeout(200)
    publish_screenshot(shot(page, name), name)
    page.set_viewport_size(size)


def test_an_arena_contest_from_creation_to_the_result_on_the_public_board(stack, app_settings, prog, browser):
    base = stack.urls["dashboard"]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # generous: the machine is shared
    try:
        open_console(page, base, app_settings, "擂台赛")
        # a contest without judges is refused in words, under the field
        page.get_by_label("赛事名称", exact=True).fill("机关党建擂台赛")
        for _, name in NOMINEES:
            choose(page, "参赛选手（按出场顺序选择，已通过审查的申报）", name)
        page.get_by_role("button", name="创建擂台赛").click()
        page.get_by_text("请至少选择一名评委。").first.wait_for()
        for _, name in JUDGES:
            choose(page, "评委（按姓名选择）", name)
        page.get_by_role("button", name="创建擂台赛").click()
        page.get_by_text("已完成。").first.wait_for()
        page.get_by_text("机关党建擂台赛 · 进行中").first.wait_for()
        assert page.get_by_label("赛事名称", exact=True).input_value() == ""  # no second contest by a second press
        # the links: the hall's screen, the judges' scoring page, and the judges' sign-in links issued here
        judge_page = page.locator("a", has_text=re.compile(r"/arena/[^/]+/judge$")).first.inner_text()
        screen = page.locator("a", has_text=re.compile(r"/arena\?arena=")).first.inner_text()
        assert judge_page.startswith(stack.urls["scoring"])
        page.get_by_role("button", name="为本场评委生成登录链接").click()
        page.get_by_text("已生成 2 个登录链接").first.wait_for()
        link = page.locator('[data-testid="stCode"]', has_text="signin=").first.inner_text().strip()
        assert link.startswith(base) and page.get_by_text("本场评委：李建国、张秀英").count() == 1
        save(page, "console-arenas")

        judge_scores(browser, link, judge_page, "市档案馆", "9.5")

        # the organiser sees the score, freezes the board from the round: the hall's screen hides it
        page.get_by_role("button", name="刷新数据").click()
        settle(page)
        page.locator("tr:visible", has_text="市档案馆").filter(has_text="9.5").first.wait_for()
        page.get_by_role("button", name="封榜").click()
        page.get_by_text(re.compile("封榜中（自“现场陈述”起）")).first.wait_for()
        settle(page)  # the run has finished: the reveal button is the new one, enabled
        hall = ctx.new_page()
        hall.goto(screen)
        hall.get_by_text(re.compile("封榜中")).first.wait_for(timeout=60_000)
        assert hall.get_by_text("9.5").count() == 0
        hall.close()  # the live board re-runs every second: on a loaded machine it slows the organiser's page
        page.get_by_role("button", name="揭晓").and_(page.locator(":enabled")).click()
        page.get_by_text("机关党建擂台赛 · 进行中 · 实时公开").first.wait_for()
        settle(page)
        # closing asks first, then the scores are final
        page.get_by_role("button", name="结束比赛").click()
        page.get_by_text(re.compile("结束“机关党建擂台赛”后评委不能再打分")).first.wait_for()
        page.get_by_role("button", name="确认执行").click()
        page.get_by_text("比赛已结束，成绩已锁定。").first.wait_for()
        # the public board (the screen's link) shows the result: the judged contestant first, with the score
        hall = ctx.new_page()
        hall.goto(screen)
        hall.locator("tr:visible", has_text="市档案馆").filter(has_text="9.5").first.wait_for(timeout=60_000)
        first = hall.locator("tbody tr").first.inner_text()
        assert "市档案馆" in first and "1" in first
        publish_screenshot(shot(hall, "arena-board-result"), "arena-board-result")
    except Exception:
        shot(page, "failed-console-arenas")
        raise
    finally:
        ctx.close()


def judge_scores(browser, link: str, judge_page: str, contestant: str, score: str) -> None:
    """A judge signs in by the link, opens the contest's scoring page from the portal and scores a contestant."""
    ctx = browser.new_context(viewport={"width": 420, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # generous: the machine is shared
    try:
        sign_in(page, link, "当前用户：李建国（评委）")
        button = page.get_by_role("link", name="打开“机关党建擂台赛”评委打分页")
        href = button.get_attribute("href")
        assert href.startswith(judge_page + "#token=")
        page.goto(href)
        page.locator("#contestant option", has_text=contestant).wait_for(state="attached")
        page.select_option("#contestant", label=next(o for o in page.locator("#contestant option").all_inner_texts()
                                                   if contestant in o))
        page.fill("#score", "11")  # above the round's maximum: refused in words
        page.click("#send")
        page.get_by_text(re.compile("score for 现场陈述")).wait_for()
        page.fill("#score", score)
        page.click("#send")
        page.get_by_text("已提交 submitted ✓").wait_for()
        assert "token=" not in page.url  # the token left the address bar
        publish_screenshot(shot(page, "arena-judge-page"), "arena-judge-page")
    finally:
        ctx.close()


def indicators_xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["被推荐对象", "指标类别", "指标项", "得分", "满分"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_indicators_imported_and_the_spot_check_draw(stack, app_settings, prog, browser, tmp_path):
    base, pid = stack.urls["dashboard"], prog["programme_id"]
    f = tmp_path / "指标.xlsx"
    f.write_bytes(indicators_xlsx([
        ["市审计局", "基础指标", "组织建设", 4, 5], ["市审计局", "基础指标", "党员教育", 4.5, 5],
        ["市审计局", "业务工作", "审计项目完成率", 18, 20], ["市审计局", "重点任务", "经济责任审计全覆盖", 9, 10],
        ["市审计局", "重点任务", "审计整改督办", 8, 10],
        ["市档案馆", "基础指标", "组织建设", 6, 5],  # line 7: above the maximum
        ["市档案馆", "重点任务", "档案数字化", 7, 10]]))
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # generous: the machine is shared
    try:
        open_console(page, base, app_settings, "指标与点验")
        page.locator('[data-testid="stFileUploader"]').filter(has_text="指标文件（CSV 或 XLSX）").locator(
            'input[type="file"]').set_input_files(str(f))
        page.get_by_text("共 7 行").first.wait_for()
        page.get_by_role("button", name="导入指标").click()
        page.get_by_text("已导入 1 个对象，0 个无变化，1 行有误").first.wait_for()
        page.locator("tr:visible", has_text="7").filter(has_text="between 0 and max_points 5").first.wait_for()
        page.get_by_text(re.compile("因有错误行未导入：市档案馆")).first.wait_for()
        page.locator("tr:visible", has_text="市审计局").filter(has_text="8.5 / 10").first.wait_for()
        page.locator("tr:visible", has_text="经济责任审计全覆盖").first.wait_for()  # the key-task list
        # the draw's inputs are published first (confirmed), then it is made with the announced value
        page.get_by_label(re.compile("种子来源"), exact=False).fill("中国福利彩票3D 2026-12-05 开奖号码，数字连写")
        page.get_by_label("抽取数量", exact=True).fill("1")
        page.get_by_role("button", name="公布抽签输入").click()
        page.get_by_text(re.compile("公布后抽签输入（2 个候选任务、抽取 1 个")).first.wait_for()
        page.get_by_role("button", name="确认执行").click()
        page.get_by_text(re.compile("抽签输入已公布")).first.wait_for()
        page.get_by_text("inputs_sha256").first.wait_for()
        page.get_by_label(re.compile("种子（按公布的原样录入）")).fill("371")
        page.get_by_role("button", name="抽签", exact=True).click()
        page.get_by_text(re.compile("以“371”为种子抽签，结果公布后不能重抽")).first.wait_for()
        page.get_by_role("button", name="确认执行").click()
        page.get_by_text(re.compile("已抽签（.*），种子 371；不能重抽")).first.wait_for()
        record = httpx.get(f"{stack.urls['scoring']}/programmes/{pid}/categories/organ/spot-checks/draw",
                           timeout=10).json()  # the public record, to check what the page says
        assert record["state"] == "drawn" and len(record["picks"]) == 1
        pick = record["picks"][0]["task_name"]
        page.locator("tr:visible", has_text=pick).filter(has_text=record["picks"][0]["ticket"][:16]).first.wait_for()
        assert page.get_by_text(record["inputs_sha256"]).count() == 1
        assert page.get_by_role("button", name="公布抽签输入").count() == 0  # nothing to redo
        save(page, "console-indicators")
    except Exception:
        shot(page, "failed-console-indicators")
        raise
    finally:
        ctx.close()
