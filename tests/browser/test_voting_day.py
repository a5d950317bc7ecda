"""Voting day in headless Chromium, through the pages only: the organiser prints the slips, a member with only a
paper slip opens its QR URL on a phone, votes and later checks the receipt, while the public leaderboard moves
without a reload; a member signed in to the portal casts a grading ballot with no default grade and the cap.

Everything before that is done in the pages too, by the people whose job it is: the organiser, in the console,
creates the programme from two templates, imports the tree and the roll, opens 申报 and issues the units' and a
member's sign-in links; the two units nominate on the units' page; the organiser approves the five nominations, opens
民主测评 and the two rounds in 测评轮次 (an approval round on the organs, a grading round on the branches with at most
one 优秀 and abstaining allowed). The standings are the real services' own: scoring ranks the approved nominations,
and a ballot moves their peer-vote component. Only the first organiser's link is minted outside the pages, as
`exemplar signin-link organiser` prints it.
"""
from __future__ import annotations

import html
import re
import time
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from .conftest import SHOTS, publish_screenshot, shot
from .console_steps import (approve_each, create_programme_of, import_tree_and_roll, issue_people_links,
                            nominate_each, open_round_of, open_stage, organiser_page, people, print_round_slips,
                            refreshed_state, sign_in, step)
from .test_flows import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]  # the set-up is a programme's first weeks, in pages

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                       "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}
ORGANS = ("市审计局", "市档案馆")
# Each branch with its organ, in the order the units nominate them.
BRANCHES = (("审计局机关第一党支部", "市审计局"), ("审计局离退休党支部", "市审计局"), ("档案馆机关党支部", "市档案馆"))
UNITS = ("单位编号,单位名称,上级单位编号,单位类型\nu-sj,市审计局,,机关\nu-da,市档案馆,,机关\n"
         "u-sj-b1,审计局机关第一党支部,u-sj,支部\nu-sj-b2,审计局离退休党支部,u-sj,支部\n"
         "u-da-b1,档案馆机关党支部,u-da,支部\n")
MEMBERS = (("m1", "王伟", "审计局机关第一党支部"), ("m2", "李娜", "审计局机关第一党支部"),
           ("m3", "张强", "审计局离退休党支部"), ("m4", "刘洋", "审计局离退休党支部"),
           ("m5", "陈静", "档案馆机关党支部"), ("m6", "杨帆", "档案馆机关党支部"))
ROLL = "党员编号,姓名,所在单位\n" + "".join(f"{m},{n},{u}\n" for m, n, u in MEMBERS)
PAPER = "模范机关推荐投票（扫码）"
GRADING = "先锋红旗党支部民主测评"
SIGNED_IN = "陈静"  # the member who votes in the portal


@pytest.fixture(scope="module")
def voting_day(stack, browser, tmp_path_factory):
    """The programme as the organiser and the units set it up in their pages: two organs and their three branches,
    six members, two model organs and three branches nominated and approved, and two open rounds. Gives the
    programme's name and the signed-in member's sign-in link, as the console issued it."""
    name = "投票日测试评选" + uuid4().hex[:4]
    base = stack.urls["dashboard"]
    organiser = people(stack, organiser=("organiser", None, "工委组织部"))["organiser"]
    ctx, page = organiser_page(browser)
    started = time.perf_counter()
    try:
        sign_in(page, base, organiser, "当前用户：工委组织部（组织者）")
        create_programme_of(page, name, ("先锋红旗党支部",))
        import_tree_and_roll(page, UNITS, ROLL, tmp_path_factory.mktemp("voting-day"))
        open_stage(page)  # 申报
        links = issue_people_links(page, name, units=ORGANS, members=(SIGNED_IN,))
        assert set(links) == {*ORGANS, SIGNED_IN} and all(u.startswith(f"{base}/?signin=") for u in links.values())
        for organ in ORGANS:  # each organ nominates itself and its own branches
            nominate_each(browser, links[organ], organ, [("模范机关", organ)] + [
                ("先锋红旗党支部", branch) for branch, parent in BRANCHES if parent == organ])
        page.get_by_role("tab", name="资格审查").first.click()
        wait_until(lambda: refreshed_state(page, "待审查（5）"), timeout=60, interval=1)
        approve_each(page, [f"{o} — " for o in ORGANS] + [b for b, _ in BRANCHES])
        step(page, "review", folder="voting-day")
        open_stage(page, "民主测评")
        open_round_of(page, PAPER, "模范机关", max_selections=1)
        open_round_of(page, GRADING, "先锋红旗党支部", grading=True, excellent_cap=1, abstain=True)
        step(page, "rounds", folder="voting-day")
        print(f"\n[measure] voting day set up through the pages: {time.perf_counter() - started:.0f}s")
        yield {"name": name, "page": page, "member_link": links[SIGNED_IN]}
    except Exception:
        shot(page, "voting-day-failed-setup")
        raise
    finally:
        ctx.close()


def choose(page, box, option: str) -> None:
    """Choose an option of a Streamlit selectbox: open it, type to filter, take the match."""
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # the rerun that the choice starts


def pick(page, label: str, option: str) -> None:
    """Choose an option of the visible Streamlit selectbox with this label."""
    choose(page, page.locator('[data-testid="stSelectbox"]').filter(has_text=label).filter(visible=True).first,
           option)


def test_a_paper_slip_votes_on_a_phone_and_the_leaderboard_moves(stack, voting_day, browser, page, capsys):
    base = stack.urls["dashboard"]
    day = voting_day
    target_name = ORGANS[0]
    sheet = print_round_slips(day["page"], PAPER, 6)
    day["page"].get_by_text("已生成 6 张凭证（3 个单位）").first.wait_for()  # every member's branch
    # The print sheet: one slip per member, each with the round, the instructions, a credential, a QR of an http URL.
    slips = re.findall(r'<a href="([^"]+)"><img alt="投票二维码"', sheet)
    assert len(slips) == 6 and sheet.count(PAPER) >= 6 and "用手机扫描" in sheet
    assert not re.search(r"已投票|已发放|voted", sheet)
    url = html.unescape(slips[0])
    assert url.startswith(f"{base}/?page=ballot&c=")
    a4 = browser.new_context(viewport={"width": 794, "height": 1123}, locale="zh-CN")
    try:
        paper = a4.new_page()
        paper.set_content(sheet)
        SHOTS.mkdir(parents=True, exist_ok=True)
        paper.screenshot(path=str(SHOTS / "slips.png"), clip={"x": 0, "y": 0, "width": 794, "height": 1123})
        publish_screenshot(SHOTS / "slips.png", "slips")
    finally:
        a4.close()

    # The public leaderboard, open on a screen in the hall: it must move by itself, without a reload.
    page.goto(base)
    pick(page, "评选活动", day["name"])
    pick(page, "参评对象", target_name)
    page.get_by_text(f"{target_name} 的得分构成").wait_for()
    page.get_by_text(re.compile("测评得票: (—|0)")).first.wait_for()
    page.evaluate("window.__not_reloaded = true")

    phone = browser.new_context(**PHONE)
    try:
        ballot = phone.new_page()
        ballot.set_default_timeout(45_000)
        started = time.perf_counter()
        ballot.goto(url)  # what scanning the QR code does
        ballot.get_by_text("已选 0 / 1").wait_for()
        loaded = time.perf_counter() - started
        assert ballot.get_by_text(PAPER).count() >= 1
        next_step = ballot.get_by_role("button", name="下一步：核对选票")
        assert next_step.is_disabled()
        boxes = ballot.locator('[data-testid="stCheckbox"]')
        boxes.nth(1).wait_for()
        # Numbered in the round's published order, each nominee once (a model organ is its own unit).
        labels = [b.inner_text().strip() for b in boxes.all()]
        assert [label.split(". ")[0] for label in labels] == ["1", "2"]
        assert sorted(label.split(". ", 1)[1] for label in labels) == sorted(ORGANS)
        boxes.filter(has_text="市档案馆").locator("label").click()
        ballot.get_by_text("已选 1 / 1").wait_for()
        boxes.filter(has_text=target_name).locator("label").click()
        ballot.get_by_text("已选 2 个，超过上限 1 个").wait_for()
        assert next_step.is_disabled()
        boxes.filter(has_text="市档案馆").locator("label").click()
        ballot.get_by_text("已选 1 / 1").wait_for()
        path = shot(ballot, "phone-ballot")
        publish_screenshot(path, "phone-ballot")
        next_step.click()
        ballot.get_by_text("请核对您的选票").wait_for()
        assert ballot.get_by_text("✓ 推荐").count() == 1 and ballot.get_by_text("未选").count() == 1
        shot(ballot, "phone-confirm")
        submit_started = time.perf_counter()
        ballot.get_by_role("button", name="确认提交").click()
        ballot.get_by_text(re.compile("投票成功，您的选票已计入|选票已提交，正在计票")).wait_for()
        submitted = time.perf_counter() - submit_started
        total = time.perf_counter() - started
        receipt = ballot.locator(".bl-receipt").first.inner_text().strip()
        assert re.fullmatch(r"[0-9A-F]{16}", receipt)
        ballot.locator('[data-testid="stImage"] img').first.wait_for()  # the receipt link's QR code
        ballot.get_by_role("button", name="English").wait_for()
        path = shot(ballot, "phone-receipt")
        publish_screenshot(path, "phone-receipt")
        check_url = ballot.get_by_role("link", name="核验我的回执").get_attribute("href")
        assert check_url.startswith(f"{base}/?page=receipt&") and receipt in check_url
        with capsys.disabled():
            print(f"\n[measure] phone ballot from a paper slip: scan to receipt {total:.2f}s "
                  f"(page load {loaded:.2f}s, confirm to receipt {submitted:.2f}s; clicks in between)")

        # Later, the member checks the receipt from the link alone: nothing to type.
        later = phone.new_page()
        later.goto(check_url)

        def found():
            if later.get_by_text("已核验：回执").count():
                return True
            later.get_by_role("button", name="重新核验").click()
            return False

        later.get_by_text("核验回执").first.wait_for()
        wait_until(found, timeout=60, interval=1.0)
        assert later.get_by_text(receipt).count() >= 1
        later.get_by_role("button", name="English").wait_for()
        path = shot(later, "phone-receipt-check")
        publish_screenshot(path, "phone-receipt-check")
        # The same slip again: it says it was used, and offers no ballot.
        again = phone.new_page()
        again.goto(url)
        again.get_by_text("此凭证已经投过票").wait_for()
        assert again.locator('[data-testid="stCheckbox"]').count() == 0
    except Exception:
        for i, pg in enumerate(phone.pages):  # what the phone showed, for the log
            shot(pg, f"failed-phone-{i}")
        raise
    finally:
        phone.close()

    # The leaderboard showed the vote by itself (its fragment re-runs), and the page was never reloaded.
    page.get_by_text("测评得票: 1").wait_for(timeout=60_000)
    assert page.evaluate("window.__not_reloaded") is True
    path = shot(page, "leaderboard-live")
    publish_screenshot(path, "leaderboard-live")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_signed_in_member_grades_with_no_default_and_the_cap(stack, voting_day, page):
    day = voting_day
    page.goto(day["member_link"])  # the link the organiser issued in the console
    page.get_by_text(f"当前用户：{SIGNED_IN}（党员）").wait_for()
    pick(page, "测评轮次", GRADING)
    page.get_by_text("已评定 0 / 3").wait_for()
    main = page.locator('[data-testid="stMain"]')
    assert main.locator('[data-testid="stRadio"] input:checked').count() == 0  # no grade is preselected
    page.get_by_text("优秀 0 / 1").first.wait_for()
    next_step = page.get_by_role("button", name="下一步：核对选票")
    assert next_step.is_disabled()
    radios = main.locator('[data-testid="stRadio"]')
    cards = [name for name, _ in BRANCHES]
    assert [t for t in cards if page.get_by_text(t).count()] == cards  # in the published order, all shown
    for i in range(3):
        radios.nth(i).get_by_text("优秀", exact=True).click()
        page.get_by_text(f"已评定 {i + 1} / 3").wait_for()
    page.get_by_text("“优秀”已选 3 个，超过上限 1 个").wait_for()
    assert next_step.is_disabled()  # a ballot over the cap cannot be submitted
    path = shot(page, "portal-ballot-over-cap")
    publish_screenshot(path, "portal-ballot-over-cap")
    radios.nth(1).get_by_text("称职", exact=True).click()
    page.get_by_text("优秀 2 / 1").wait_for()
    radios.nth(2).get_by_text("弃权", exact=True).click()
    page.get_by_text("优秀 1 / 1").wait_for()
    expect(next_step).to_be_enabled()  # the rerun draws the status first, the button after it
    next_step.click()
    page.get_by_text("请核对您的选票").wait_for()
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text(re.compile("投票成功，您的选票已计入|选票已提交，正在计票")).wait_for()
    assert re.fullmatch(r"[0-9A-F]{16}", page.locator(".bl-receipt").first.inner_text().strip())
    page.get_by_role("link", name="核验我的回执").wait_for()
    page.locator('[data-testid="stImage"] img').first.wait_for()
    path = shot(page, "portal-receipt")
    publish_screenshot(path, "portal-receipt")
    assert page.locator('[data-testid="stException"]').count() == 0
