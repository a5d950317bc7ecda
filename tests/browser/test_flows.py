"""Flows through the dashboard in headless Chromium against the real voting, publicity and leaderboard processes:
a ballot cast in the staff portal moves the public leaderboard; the objection form files an objection.

What the nominations and scoring services would emit (the programme, the roll, two approved nominations and their
standings) is published to Kafka as their real contract events, so this test does not depend on their HTTP APIs.
"""
from __future__ import annotations


import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from pymongo import MongoClient

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

from .conftest import publish_screenshot, shot

pytestmark = pytest.mark.browser


def login(page, base: str, link: str, who: str) -> None:
    """A fresh page load is a fresh Streamlit session: sign in by opening a sign-in link (single use)."""
    page.goto(link_url(base, link))
    page.get_by_text(who).wait_for()


def member_link(settings, member_id: str, name: str) -> str:
    """A member's sign-in link as `exemplar signin-link member <id>` prints it."""
    return mint_link_token(settings, role="member", subject_id=member_id, name=name)[0]


def run_async(coro) -> None:
    """Run a coroutine to completion in a thread of its own (Playwright's sync API owns this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def wait_until(check, timeout: float = 30.0, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last: {last!r}")


@pytest.fixture(scope="module")
def programme(stack, app_settings):
    """A programme known to voting, publicity and the leaderboard, with a roll of three members and two nominees."""
    pid = "flow" + uuid4().hex[:6]
    cat = CategoryInfo(category_id="organ", name="模范机关", name_en="Model organs", nominee_kind="organ",
                       board="model_organ", quota=1, criteria=[CriterionInfo(criterion_id="c1", name="政治建设",
                                                                             max_points=10)],
                       weights={"peer_vote": 0.4, "basic": 0.6})
    now = datetime.now(UTC)
    noms = [("nA" + uuid4().hex[:8], "u1", "市审计局"), ("nB" + uuid4().hex[:8], "u2", "市档案馆")]

    def wrap(event, key):
        return Envelope.wrap(event, programme_id=pid, key=key)

    envs = [wrap(ProgrammeDefined(programme_id=pid, version=1, name="流程测试评选", year=2026, categories=[cat],
                                  stages=[]), pid),
            wrap(UnitsImported(units=[UnitInfo(unit_id="u1", name="市审计局"),
                                      UnitInfo(unit_id="u2", name="市档案馆")]),
                 pid),
            wrap(MembersImported(members=[MemberInfo(member_id=f"m{i}", name=f"党员{i}", unit_id="u1")
                                          for i in range(1, 4)]), pid),
            # the organiser has opened the voting stage (民主测评): rounds open and ballots are cast in it only
            wrap(StageChanged(programme_id=pid, stage="voting", state="open"), pid)]
    for nid, unit, name in noms:
        envs.append(wrap(NominationSubmitted(nomination_id=nid, category_id="organ", nominee_id=unit,
                                             nominee_name=name, nominee_kind="organ", unit_id=unit, unit_name=name),
                         nid))
        envs.append(wrap(NominationApproved(nomination_id=nid, category_id="organ"), nid))
    standings = [Standing(nomination_id=nid, rank=i + 1, composite=80.0 - i * 5, nominee_name=name, components=[
        ComponentExplanation(component="basic", raw=8.0 - i, normalised=80.0 - i * 10, weight=0.6,
                             contribution=48.0 - i * 6),
        ComponentExplanation(component="peer_vote", raw=0.0, normalised=0.0, weight=0.4, contribution=0.0,
                             detail="no ballots yet")]) for i, (nid, _, name) in enumerate(noms)]
    envs.append(wrap(StandingsUpdated(category_id="organ", programme_version=1, sequence=1, standings=standings),
                     f"{pid}:organ"))
    run_async(publish_envelopes(app_settings, envs))
    organiser = {"Authorization": "Bearer " + issue_token(app_settings, role="organiser", subject="org-1",
                                                         name="工委组织部")}
    # The round opens once voting has learned the programme, the roll and the approvals from the events.
    round_id = "r" + uuid4().hex[:10]

    def open_round():
        r = httpx.post(f"{stack.urls['voting']}/rounds", headers=organiser, timeout=10, json={
            "round_id": round_id, "programme_id": pid, "name": "流程测试民主测评", "category_ids": ["organ"],
            "ballot_type": "approval", "max_selections": 1, "closes_at": (now + timedelta(hours=2)).isoformat()})
        return r.status_code == 201 or (r.status_code == 409 and "already exists" in r.text)

    wait_until(open_round, timeout=40)
    return {"programme_id": pid, "nominations": noms, "round_id": round_id, "organiser": organiser}


def test_ballot_cast_in_the_portal_moves_the_leaderboard(stack, read_model, app_settings, programme, page, capsys):
    base = stack.urls["dashboard"]
    lb = MongoClient(app_settings.mongo_url)[app_settings.database_name("leaderboard")]
    target, _, target_name = programme["nominations"][0]
    wait_until(lambda: lb.rounds.find_one({"_id": programme["round_id"]}))
    wait_until(lambda: (lb.entries.find_one({"_id": target}) or {}).get("rank") == 1)
    # Before: the leaderboard shows the nominee with no votes.
    def shown():
        page.goto(f"{base}/?programme={programme['programme_id']}")
        try:
            page.get_by_text(f"{target_name} 的得分构成").wait_for(timeout=15_000)
        except Exception:
            return False
        return True

    wait_until(shown, timeout=60, interval=1.0)
    assert page.get_by_text("测评得票: —").count() == 1 or page.get_by_text("测评得票: 0").count() == 1

    login(page, base, member_link(app_settings, "m1", "党员1"), "当前用户：党员1（党员）")
    page.get_by_text("民主测评投票").first.wait_for()
    page.get_by_text(target_name).first.wait_for()
    page.locator('[data-testid="stCheckbox"]').filter(has_text=target_name).locator("label").click()
    page.get_by_text("已选 1 / 1").wait_for()
    page.get_by_role("button", name="下一步：核对选票").click()
    started = time.perf_counter()
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text(re.compile("投票成功，您的选票已计入|选票已提交，正在计票")).wait_for()
    receipt = re.fullmatch(r"\s*([0-9A-F]{16})\s*", page.locator(".bl-receipt").first.inner_text())
    path = shot(page, "portal")
    publish_screenshot(path, "portal")

    # After: the public leaderboard shows the vote (tally -> read model -> cached query, within seconds).
    def moved():
        return shown() and page.get_by_text("测评得票: 1").count() == 1

    wait_until(moved, timeout=60, interval=1.0)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[measure] ballot click to leaderboard showing the vote: {elapsed:.1f}s "
              f"(receipt {receipt.group(1) if receipt else '?'})")
    tally = lb.rounds.find_one({"_id": programme["round_id"]})
    assert {c["nomination_id"]: c["approvals"] for c in tally["candidates"]}[target] == 1
    # The member cannot vote twice: the portal says so and offers no second ballot.
    login(page, base, member_link(app_settings, "m1", "党员1"), "当前用户：党员1（党员）")
    page.get_by_text("您已在本轮投票。").wait_for()
    assert page.locator('[data-testid="stCheckbox"]').count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0


def test_objection_form_files_an_objection(stack, read_model, app_settings, programme, page):
    base = stack.urls["dashboard"]
    lb = MongoClient(app_settings.mongo_url)[app_settings.database_name("leaderboard")]
    target, _, target_name = programme["nominations"][0]
    # The organiser closes voting and opens the publicity stage (公示); the notice starts when it is published, so
    # its period is open from now, whatever the weekday.
    pid = programme["programme_id"]
    run_async(publish_envelopes(app_settings, [
        Envelope.wrap(StageChanged(programme_id=pid, stage=stage, state=state), programme_id=pid, key=pid)
        for stage, state in (("voting", "closed"), ("publicity", "open"))]))

    def open_notice():
        r = httpx.post(f"{stack.urls['publicity']}/notices", headers=programme["organiser"], timeout=10, json={
            "programme_id": programme["programme_id"], "category_id": "organ", "nomination_ids": [target],
            "working_days": 7})  # starting now: publicity no longer takes a start in the past
        return r.status_code == 201 or (r.status_code == 409 and "already in a notice" in r.text)

    wait_until(open_notice, timeout=30)
    wait_until(lambda: lb.notices.find_one({"programme_id": programme["programme_id"]}))
    page.goto(f"{base}/notices")
    page.get_by_text("实名提出异议").first.wait_for()
    notice = lb.notices.find_one({"programme_id": programme["programme_id"]})
    # Pick our notice (the newest is listed first, and so is the default choice).
    page.get_by_text(notice["title"]).first.wait_for()
    page.get_by_label("真实姓名").fill("李明")
    page.get_by_label("电话").fill("13800138000")
    page.get_by_label("异议事实与理由（至少10字）").fill("该单位在年度考核中存在材料不实的问题，请予核查。")
    page.get_by_role("button", name="提交异议").click()
    page.get_by_text("异议已受理，受理编号").wait_for()
    tracking = re.search(r"受理编号：(\S+)", page.get_by_text("异议已受理，受理编号").inner_text()).group(1)
    shot(page, "objection")
    r = httpx.get(f"{stack.urls['publicity']}/objections/status/{tracking}", timeout=10)
    assert r.status_code == 200 and r.json()["state"] == "filed"
    wait_until(lambda: (lb.entries.find_one({"_id": target}) or {}).get("open_objections") == 1)
    # A refused objection shows the service's message (here: the reason is too short).
    page.get_by_label("异议事实与理由（至少10字）").fill("太短")
    page.get_by_role("button", name="提交异议").click()
    page.get_by_text("请填写姓名和至少10字的理由").wait_for()
    # The tracking number stays on the page, with how to follow it; its link shows the state, nothing to type.
    assert page.get_by_text(f"受理编号：{tracking}").count() >= 1
    follow = page.get_by_role("link", name="查询本异议的办理状态").get_attribute("href")
    assert follow.endswith(f"/notices?track={tracking}")
    page.goto(follow)
    page.get_by_text("办理状态：").first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
