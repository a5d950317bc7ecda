"""Voting day in headless Chromium, through the pages only: the organiser prints the slips, a member with only a
paper slip opens its QR URL on a phone, votes and later checks the receipt, while the public leaderboard moves
without a reload; a member signed in to the portal casts a grading ballot with no default grade and the cap.

The programme, roll, nominations and standings are seeded beforehand as the services' contract events, and the two
rounds are opened by the organiser's API (as test_flows does); every step after that is a click in a page.
"""
from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import expect

from shared.auth import issue_token
from shared.contracts import Envelope
from shared.contracts.nominations import (
    CategoryInfo,
    CriterionInfo,
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitInfo,
    UnitsImported,
)
from shared.contracts.scoring import ComponentExplanation, Standing, StandingsUpdated
from shared.signin_links import link_url, mint_link_token
from tests.support import publish_envelopes

from .conftest import SHOTS, publish_screenshot, shot
from .test_flows import run_async, wait_until

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                       "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}
ORGANS = [("市审计局", "u1"), ("市档案馆", "u2")]
BRANCHES = [("审计局机关第一党支部", "u1"), ("档案馆机关党支部", "u2"), ("审计局离退休党支部", "u1")]


def category(cid: str, name: str, kind: str, board: str, quota: int) -> CategoryInfo:
    return CategoryInfo(category_id=cid, name=name, nominee_kind=kind, board=board, quota=quota,
                        criteria=[CriterionInfo(criterion_id="c1", name="政治建设", max_points=10)],
                        weights={"peer_vote": 0.4, "basic": 0.6})


def standings(cid: str, noms: list[tuple[str, str, str]]) -> StandingsUpdated:
    rows = [Standing(nomination_id=nid, rank=i + 1, composite=80.0 - i * 5, nominee_name=name, components=[
        ComponentExplanation(component="basic", raw=8.0 - i, normalised=80.0 - i * 10, weight=0.6,
                             contribution=48.0 - i * 6, detail="基础指标 basic indicators: 8 / 10"),
        ComponentExplanation(component="peer_vote", raw=0.0, normalised=0.0, weight=0.4, contribution=0.0,
                             detail="民主测评 peer vote: 暂无计票 no tally yet")]) for i,
                             (nid, _, name) in enumerate(noms)]
    return StandingsUpdated(category_id=cid, programme_version=1, sequence=1, standings=rows)


@pytest.fixture(scope="module")
def voting_day(stack, app_settings):
    """A programme with two units and six members, two model organs and three branches, an approval round on the
    organs (the paper slips) and a grading round on the branches with at most one 优秀 (the portal)."""
    pid = "day" + uuid4().hex[:6]
    organs = [("o" + uuid4().hex[:8], unit, name) for name, unit in ORGANS]
    branches = [("b" + uuid4().hex[:8], unit, name) for name, unit in BRANCHES]

    def wrap(event, key):
        return Envelope.wrap(event, programme_id=pid, key=key)

    envs = [wrap(ProgrammeDefined(programme_id=pid, version=1, name="投票日测试评选", year=2026, stages=[], categories=[
        category("organ", "模范机关", "organ", "model_organ", 1),
        category("branch", "先锋红旗党支部", "branch", "red_flag_branch", 2)]), pid),
        wrap(UnitsImported(units=[UnitInfo(unit_id=u, name=n) for n, u in ORGANS]), pid),
        wrap(StageChanged(programme_id=pid, stage="voting", state="open"), pid),
        wrap(MembersImported(members=[MemberInfo(member_id=f"m{i}", name=f"党员{i}", unit_id="u1" if i <= 4 else "u2")
                                      for i in range(1, 7)]), pid)]
    for cid, kind, noms in (("organ", "organ", organs), ("branch", "branch", branches)):
        for nid, unit, name in noms:
            unit_name = dict((u, n) for n, u in ORGANS)[unit]
            envs.append(wrap(NominationSubmitted(nomination_id=nid, category_id=cid, nominee_id=f"{unit}-{nid}",
                                                 nominee_name=name, nominee_kind=kind, unit_id=unit,
                                                 unit_name=unit_name), nid))
            envs.append(wrap(NominationApproved(nomination_id=nid, category_id=cid), nid))
    envs += [wrap(standings("organ", organs), f"{pid}:organ"), wrap(standings("branch", branches), f"{pid}:branch")]
    run_async(publish_envelopes(app_settings, envs))
    organiser_token = issue_token(app_settings, role="organiser", subject="org-1", name="工委组织部")
    closes = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    rounds = {"paper": ("p" + uuid4().hex[:10], {"name": "模范机关推荐投票（扫码）", "category_ids": ["organ"],
                                                  "ballot_type": "approval", "max_selections": 1}),
              "grading": ("g" + uuid4().hex[:10], {"name": "先锋红旗党支部民主测评", "category_ids": ["branch"],
                                                   "ballot_type": "appraisal", "excellent_cap": 1,
                                                   "abstain_allowed": True})}
    auth = {"Authorization": f"Bearer {organiser_token}"}

    def learned_all():
        # A round takes the approved nominations voting knows when it opens: wait for all five.
        r = httpx.get(f"{stack.urls['voting']}/programmes/{pid}/candidates", headers=auth, timeout=10)
        body = r.json() if r.status_code == 200 else {}
        return len(body.get("candidates", [])) == len(organs) + len(branches) and body.get("members_on_roll") == 6

    wait_until(learned_all, timeout=60)
    for round_id, body in rounds.values():
        def open_round(round_id=round_id, body=body):
            r = httpx.post(f"{stack.urls['voting']}/rounds", timeout=10,
                           headers={"Authorization": f"Bearer {organiser_token}"},
                           json={"round_id": round_id, "programme_id": pid, "closes_at": closes, **body})
            return r.status_code == 201 or (r.status_code == 409 and "already exists" in r.text)

        wait_until(open_round, timeout=60)
    return {"programme_id": pid, "organs": organs, "branches": branches, "organiser": organiser_token,
            "rounds": {k: {"round_id": v[0], **v[1]} for k, v in rounds.items()}}


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


def sign_in(page, base: str, settings, who: str, programme_id: str, *, role: str, subject_id: str | None = None,
            name: str = "") -> None:
    """Open a sign-in link (as `exemplar signin-link` prints it) on a deep link that picks the programme."""
    link = mint_link_token(settings, role=role, subject_id=subject_id, name=name)[0]
    page.goto(f"{link_url(base, link)}&programme={programme_id}")
    page.get_by_text(who).wait_for()


def print_slips(page, base: str, day: dict, settings) -> str:
    """The organiser issues every unit's slips of the paper round and downloads the A4 sheet."""
    sign_in(page, base, settings, "当前用户：工委组织部（组织者）", day["programme_id"], role="organiser",
            name="工委组织部")
    page.get_by_role("tab", name="测评轮次").click()
    form = page.locator('[data-testid="stForm"]').filter(has_text="生成全部单位的投票凭证")
    choose(page, form.locator('[data-testid="stSelectbox"]'), day["rounds"]["paper"]["name"])
    form.get_by_role("button", name="生成全部单位的投票凭证").click()
    page.get_by_text("已生成 6 张凭证（2 个单位）").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 A4 打印版").click()
    return download.value.path().read_text(encoding="utf-8")


def test_a_paper_slip_votes_on_a_phone_and_the_leaderboard_moves(stack, read_model, voting_day, browser, page,
                                                                  app_settings, capsys):
    base = stack.urls["dashboard"]
    day = voting_day
    target, _, target_name = day["organs"][0]
    sheet = print_slips(page, base, day, app_settings)
    # The print sheet: one slip per member, each with the round, the instructions, a credential, a QR of an http URL.
    slips = re.findall(r'<a href="([^"]+)"><img alt="投票二维码"', sheet)
    assert len(slips) == 6 and sheet.count("模范机关推荐投票（扫码）") >= 6 and "用手机扫描" in sheet
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
    page.goto(f"{base}/?programme={day['programme_id']}")
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
        assert ballot.get_by_text("模范机关推荐投票（扫码）").count() >= 1
        next_step = ballot.get_by_role("button", name="下一步：核对选票")
        assert next_step.is_disabled()
        boxes = ballot.locator('[data-testid="stCheckbox"]')
        boxes.nth(1).wait_for()
        # Numbered in the round's published order, each nominee once (a model organ is its own unit).
        labels = [b.inner_text().strip() for b in boxes.all()]
        assert [label.split(". ")[0] for label in labels] == ["1", "2"]
        assert sorted(label.split(". ", 1)[1] for label in labels) == sorted(name for name, _ in ORGANS)
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


def test_a_signed_in_member_grades_with_no_default_and_the_cap(stack, read_model, voting_day, page, app_settings):
    base = stack.urls["dashboard"]
    day = voting_day
    sign_in(page, base, app_settings, "当前用户：党员5（党员）", day["programme_id"], role="member",
            subject_id="m5", name="党员5")
    pick(page, "测评轮次", day["rounds"]["grading"]["name"])
    page.get_by_text("已评定 0 / 3").wait_for()
    main = page.locator('[data-testid="stMain"]')
    assert main.locator('[data-testid="stRadio"] input:checked').count() == 0  # no grade is preselected
    page.get_by_text("优秀 0 / 1").first.wait_for()
    next_step = page.get_by_role("button", name="下一步：核对选票")
    assert next_step.is_disabled()
    radios = main.locator('[data-testid="stRadio"]')
    cards = [name for _, _, name in day["branches"]]
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
