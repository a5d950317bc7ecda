"""A judge does the whole judging job in Chromium, on the real nominations, scoring and leaderboard processes and the
dashboard: signed in by the link the organiser issues in the console, the judge reads a nominee's materials and
attachment beside the score sheet, scores it (a score off the criterion's step is refused naming the criterion),
sees the progress move, declares a conflict with a reason on another nominee and sees it recused; the arena's phone
page opens signed in by the same session and takes a live score; at 390 x 844 the page still works.

Preconditions that are other people's work are seeded through the services' APIs before the browser starts: the
organiser's programme, tree, stages, review, judge registration, panel, assignments and arena contest (the console
has no judging tab yet) and the units' nominations with their materials, self-assessment and attachment."""
from __future__ import annotations

import copy
import time
from uuid import uuid4

import httpx
import pytest
from pymongo import MongoClient

from shared.auth import issue_token
from tests.nominations.helpers import PROGRAMME

from .conftest import publish_screenshot, shot
from .signin_support import cli_link, sign_in
from .test_flows import wait_until

pytestmark = pytest.mark.browser

UNITS = """unit_id,name,parent_id,kind
u-czj,市财政局,,organ
u-jyj,市教育局,,organ
u-wjw,市卫生健康委员会,,organ
u-dx,市委党校,,organ
"""
MEMBERS = "member_id,name,unit_id\nm1,王伟,u-czj\n"
NOMINEES = {"u-czj": "市财政局", "u-jyj": "市教育局", "u-wjw": "市卫生健康委员会"}
JUDGE = {"judge_id": "j-li", "name": "李明", "unit_id": "u-dx", "title": "教授"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _ok(r: httpx.Response, *codes: int) -> dict:
    assert r.status_code in (codes or (200, 201)), f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json() if r.content else {}


def _stage(nom: httpx.Client, pid: str, org: dict, stage: str, action: str) -> None:
    _ok(nom.post(f"/programmes/{pid}/stages/{stage}/{action}", headers=org))


def _nominations(nom: httpx.Client, pid: str, org: dict, settings, criteria: list[dict]) -> dict[str, str]:
    """Each unit nominates itself with materials, a self-assessment and (the first) an attachment; all approved."""
    ids = {}
    for i, (unit_id, name) in enumerate(NOMINEES.items()):
        unit = {"Authorization": "Bearer " + issue_token(settings, role="unit", subject=unit_id, unit_id=unit_id)}
        body = {"category_id": "model-organ", "nominee_id": unit_id,
                "materials": f"{name}坚持党建引领业务，深化“模范机关”创建。\n全年办结群众诉求 {1200 + i} 件。",
                "self_assessment": {c["criterion_id"]: 18 - i for c in criteria}}
        n = _ok(nom.post(f"/programmes/{pid}/nominations", json=body, headers=unit), 201)
        ids[unit_id] = n["nomination_id"]
        if i == 0:
            _ok(nom.post(f"/programmes/{pid}/nominations/{n['nomination_id']}/attachments", headers=unit,
                         files={"file": ("创建工作总结.pdf", b"%PDF-1.4 judge-materials", "application/pdf")}), 201)
    _stage(nom, pid, org, "nomination", "close")
    _stage(nom, pid, org, "review", "open")
    for nid in ids.values():
        _ok(nom.post(f"/programmes/{pid}/nominations/{nid}/approve", json={"comment": "材料齐全"}, headers=org))
    _stage(nom, pid, org, "review", "close")
    _stage(nom, pid, org, "judging", "open")
    return ids


def _judging(sco: httpx.Client, pid: str, org: dict, ids: dict[str, str]) -> None:
    """The judge registered, the category's panel formed, the three nominees assigned to the judge, an arena."""
    wait_until(lambda: _ok(sco.get(f"/programmes/{pid}/sync", headers=org))["nominations"].get("approved", 0) >= 3
               and _ok(sco.get(f"/programmes/{pid}/sync", headers=org))["units"] >= 4, timeout=90)
    _ok(sco.post(f"/programmes/{pid}/judges", json=JUDGE, headers=org), 201)
    _ok(sco.post(f"/programmes/{pid}/panels", headers=org, json={
        "panel_id": "pan-organ", "category_id": "model-organ", "name": "模范机关评审组", "judge_ids": ["j-li"],
        "min_judges": 1}), 201)
    for nid in ids.values():
        _ok(sco.post(f"/programmes/{pid}/panels/pan-organ/assignments", json={"nomination_id": nid,
                                                                            "judge_id": "j-li"}, headers=org), 201)
    _ok(sco.post(f"/programmes/{pid}/arenas", headers=org, json={
        "arena_id": f"ar-{pid}", "name": "模范机关擂台赛", "category_id": "model-organ", "judge_ids": ["j-li"],
        "contestants": [{"contestant_id": "c1", "name": "市财政局代表队"},
                        {"contestant_id": "c2", "name": "市教育局代表队"}],
        "rounds": [{"round_id": "r1", "name": "现场陈述", "max_points": 10, "step": 0.5}]}), 201)


@pytest.fixture(scope="module")
def judging_programme(stack, app_settings):
    pid = "jd" + uuid4().hex[:6]
    org = {"Authorization": "Bearer " + issue_token(app_settings, role="organiser", subject="setup")}
    prog = copy.deepcopy(PROGRAMME) | {"programme_id": pid, "name": "评委评分测试评选", "stages": []}
    prog["categories"][0]["unit_limit"] = None
    with httpx.Client(base_url=stack.urls["nominations"], timeout=30) as nom, \
            httpx.Client(base_url=stack.urls["scoring"], timeout=30) as sco:
        _ok(nom.post("/programmes", json=prog, headers=org), 201)
        for kind, csv in (("units", UNITS), ("members", MEMBERS)):
            _ok(nom.post(f"/programmes/{pid}/{kind}/import", files={"file": (f"{kind}.csv", csv.encode())},
                         headers=org))
        _stage(nom, pid, org, "nomination", "open")
        criteria = _ok(nom.get(f"/programmes/{pid}"))["categories"][0]["criteria"]
        ids = _nominations(nom, pid, org, app_settings, criteria)
        _judging(sco, pid, org, ids)
        judge = {"Authorization": "Bearer " + issue_token(app_settings, role="judge", subject="j-li",
                                                          judge_id="j-li")}
        # The nominations service has learned the assignments (JudgesAssigned) once the judge may read them.
        wait_until(lambda: all(nom.get(f"/programmes/{pid}/nominations/{n}", headers=judge).status_code == 200
                               for n in ids.values()), timeout=60)
    lb = MongoClient(app_settings.mongo_url)[app_settings.database_name("leaderboard")]
    wait_until(lambda: lb.programmes.find_one({"_id": pid}), timeout=60)  # the portal's programme picker
    return {"pid": pid, "ids": ids, "criteria": criteria}


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


def issue_judge_link(page, base: str, app_settings, pid: str) -> str:
    """The organiser, signed in by the first link, issues the judge's sign-in link in the console's links tab."""
    sign_in(page, cli_link(base, app_settings, "organiser", name="工委组织部", programme_id=pid),
            "当前用户：工委组织部（组织者）")
    page.get_by_role("tab", name="登录链接").click()
    # every tab is in the page; the links tab's picker is the visible one (other tabs have judge pickers too)
    judges = page.locator('[data-testid="stMultiSelect"]').filter(has_text="评委").filter(visible=True).first
    judges.click()
    page.get_by_role("option", name="李明", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="生成登录链接").click()
    page.get_by_text("已生成 1 个登录链接").wait_for()
    return page.locator("p.url").first.inner_text().strip()


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


def test_a_judge_scores_declares_a_conflict_and_works_on_a_phone(stack, app_settings, judging_programme, browser,
                                                                 page, judge_page):
    base, pid, criteria = stack.urls["dashboard"], judging_programme["pid"], judging_programme["criteria"]
    link = issue_judge_link(page, base, app_settings, pid)

    jp = judge_page
    started = time.perf_counter()
    sign_in(jp, link, "当前用户：李明（评委）")
    jp.get_by_text("评委评分：李明").wait_for()
    settle(jp)
    print(f"\n[measure] judge link to the judging page: {time.perf_counter() - started:.1f}s")
    assert (metric(jp, "已评分"), metric(jp, "待评分"), metric(jp, "已回避")) == ("0", "3", "0")
    jp.get_by_text("评分进度：已评 0 / 应评 3").wait_for()

    # The first nominee: its materials, self-assessment and attachment beside the score sheet.
    pick(jp, "市财政局")
    jp.get_by_text("市财政局坚持党建引领业务").wait_for()
    jp.get_by_text("全年办结群众诉求 1200 件").wait_for()
    selfs = jp.locator('[data-testid="stTable"]').filter(has_text="自评分")
    assert all(c["name"] in selfs.inner_text() for c in criteria) and "18" in selfs.inner_text()
    assert "市教育局" in jp.locator('[data-testid="stTable"]').filter(has_text="参评对象").inner_text()
    with jp.expect_download() as dl:
        jp.get_by_role("button", name="创建工作总结.pdf").click()
    path = dl.value.path()
    assert open(path, "rb").read() == b"%PDF-1.4 judge-materials" and dl.value.suggested_filename == "创建工作总结.pdf"

    # A score off the criterion's step is refused in words naming that criterion; nothing is saved.
    first = criteria[0]
    for i, c in enumerate(criteria):
        score_input(jp, c["name"]).fill("17.3" if i == 0 else str(16 + i % 3))
    jp.get_by_role("button", name="保存评分").click()
    jp.get_by_text(f"未能保存（{first['name']}）：应在 0–20 分之间，且为 0.5 的整数倍").wait_for()
    assert metric(jp, "已评分") == "0"

    # Corrected, the sheet is saved: the progress moves and the list shows it scored.
    score_input(jp, first["name"]).fill("17.5")
    jp.get_by_role("button", name="保存评分").click()
    jp.get_by_text("评分已保存：市财政局").wait_for()
    settle(jp)
    assert (metric(jp, "已评分"), metric(jp, "待评分")) == ("1", "2")
    jp.get_by_text("评分进度：已评 1 / 应评 3").wait_for()
    assert score_input(jp, first["name"]).input_value() == "17.5"  # the saved sheet reads back
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
    assert score_input(jp, first["name"]).count() == 0  # no score sheet for a recused nominee

    # The arena's phone page, linked from the portal, is signed in by the same session: a live score goes in.
    href = jp.get_by_role("link", name="打开“模范机关擂台赛”评委打分页").get_attribute("href")
    assert href.startswith(stack.urls["scoring"]) and "#token=" in href
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
        score_input(jp, c["name"]).fill("15")
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
