"""The closing scheduler and the honours actions on the fakes, no server: close due notices (restart-safe, once),
confirm, revoke, schedule a periodic review and record its outcome."""
from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from services.publicity import views
from services.publicity.actions import closing, honours, investigation, notices, objections
from services.publicity.commands import NoticeIn, ObjectionIn, ResolveIn, ReviewIn, ReviewOutcomeIn, RevokeIn
from services.publicity.domain import SHANGHAI
from shared.auth import Principal
from shared.contracts.publicity import HonourRevoked, PublicityClosed
from shared.errors import Conflict, Invalid, NotFound
from tests.publicity.fakes import Clock, learned, make_context
from tests.publicity.helpers import CAT, PID
from tests.publicity.test_actions_notices import refused

ORG = Principal(subject="org-1", role="organiser", name="组织部")
REASON = "该单位在年度考核中存在材料不实的问题，具体情况见附件。"


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
async def world():
    """A notice of nom-a, nom-b, nom-c (period 9/26 to 10/9 17:30) with an open objection against nom-b."""
    clock = Clock(sh(2025, 9, 26, 8))
    ctx, store, uow = make_context(clock)
    await learned(ctx, uow)
    n = await notices.open_notice(ctx, ORG, NoticeIn(programme_id=PID, category_id=CAT, working_days=5,
                                                     starts_at=sh(2025, 9, 26, 9)))
    clock.t = sh(2025, 9, 29, 10)
    await objections.file_objection(ctx, n["_id"], ObjectionIn(nomination_id="nom-b", name="张三",
                                                               phone="13800138000", reason=REASON), [], client="c")
    uow.events.clear()
    return ctx, store, uow, clock


async def closed(world) -> str:
    ctx, store, uow, clock = world
    clock.t = sh(2025, 10, 9, 17, 30)
    assert await closing.close_due(ctx) == 1
    uow.events.clear()
    return next(iter(store.notice_docs))


class TestCloseDue:
    async def test_nothing_is_due_before_the_end(self, world):
        ctx, store, uow, clock = world
        clock.t = sh(2025, 10, 9, 17, 29)
        assert await closing.close_due(ctx) == 0
        assert {n["state"] for n in store.notice_docs.values()} == {"open"} and uow.events == []

    async def test_the_end_confirms_the_free_and_blocks_the_objected(self, world):
        ctx, store, uow, clock = world
        clock.t = sh(2025, 10, 9, 17, 30)
        assert await closing.close_due(ctx) == 1
        [n] = store.notice_docs.values()
        assert n["state"] == "closed" and n["closed_at"] == clock.t
        assert {e["nomination_id"]: e["status"] for e in n["entries"]} == {
            "nom-a": "confirmed", "nom-b": "blocked", "nom-c": "confirmed"}
        assert uow.types() == ["PublicityClosed", "HonourConfirmed", "HonourConfirmed"]
        [c] = uow.of_type(PublicityClosed)
        assert c.confirmed == ["nom-a", "nom-c"] and c.blocked == ["nom-b"] and c.removed == []
        assert {e.key for e in uow.events} == {n["_id"]}
        h = store.honour_docs["h-nom-a"]
        assert h["title"] == "2025年度模范机关" and h["status"] == "confirmed"
        assert h["history"][0]["status"] == "confirmed"

    async def test_a_second_run_or_another_replica_closes_nothing_again(self, world):
        ctx, store, uow, _ = world
        nid = await closed(world)
        assert await closing.close_due(ctx) == 0 and await closing.close_one(ctx, nid) is False
        assert uow.events == []

    async def test_a_removed_nominee_is_reported_and_not_confirmed(self, world):
        ctx, store, uow, clock = world
        oid = next(iter(store.objection_docs))
        await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="sustained", reason="反映问题属实"))
        uow.events.clear()
        clock.t = sh(2025, 10, 10)
        assert await closing.close_due(ctx) == 1
        [c] = uow.of_type(PublicityClosed)
        assert c.removed == ["nom-b"] and c.blocked == [] and "h-nom-b" not in store.honour_docs

    async def test_the_scheduler_keeps_ticking_through_a_failure(self, world):
        ctx, store, uow, clock = world
        clock.t = sh(2025, 10, 9, 17, 30)
        real, calls = store.due_notices, []

        async def flaky(now):
            calls.append(now)
            if len(calls) == 1:
                raise RuntimeError("the database is away")
            return await real(now)

        store.due_notices = flaky
        warnings = []
        log = type("Log", (), {"warning": lambda self, msg, **kw: warnings.append(msg)})()
        stop = asyncio.Event()
        task = asyncio.create_task(closing.Scheduler(ctx, 0.01, log)(stop))
        for _ in range(200):
            if store.notice_docs and next(iter(store.notice_docs.values()))["state"] == "closed":
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 2)
        assert warnings == ["closing due notices failed; will retry"]
        assert next(iter(store.notice_docs.values()))["state"] == "closed"
        assert uow.types().count("PublicityClosed") == 1


class TestConfirm:
    async def test_a_nominee_is_confirmed_once(self, world):
        ctx, store, uow, clock = world
        nid = await closed(world)
        n = store.notice_docs[nid]
        await ctx.uow.run(lambda tx: honours.confirm(tx, n, "nom-a", clock))
        assert uow.events == [] and len(store.honour_docs) == 2


class TestRevoke:
    async def test_a_confirmed_honour_is_revoked_with_its_reason(self, world):
        ctx, store, uow, clock = world
        await closed(world)
        h = await honours.revoke(ctx, ORG, "h-nom-c", RevokeIn(reason="复查发现弄虚作假"))
        assert h["status"] == "revoked" and h["revoked_reason"] == "复查发现弄虚作假" and h["revoked_at"] == clock.t
        assert [x["status"] for x in h["history"]] == ["confirmed", "revoked"] and h["history"][1]["by"] == "org-1"
        [e] = uow.events
        assert isinstance(e.event, HonourRevoked) and e.event.nomination_id == "nom-c" and e.key == h["notice_id"]
        # the notice's line says the honour is revoked, and the notice's record says when and why
        notice = store.notice_docs[h["notice_id"]]
        line = next(x for x in notice["entries"] if x["nomination_id"] == "nom-c")
        assert line["status"] == "revoked"
        assert views.public_notice(notice, clock.t)["entries"][[x["nomination_id"] for x in notice["entries"]].index(
            "nom-c")]["status_label"] == "荣誉已撤销"
        assert notice["record"][-1]["change"] == "revoked" and notice["record"][-1]["reason"] == "复查发现弄虚作假"

    async def test_refusals(self, world):
        ctx = world[0]
        await closed(world)
        await refused(world, honours.revoke(ctx, ORG, "nope", RevokeIn(reason="无此荣誉")), NotFound, "honour_id")
        await honours.revoke(ctx, ORG, "h-nom-c", RevokeIn(reason="复查发现弄虚作假"))
        await refused(world, honours.revoke(ctx, ORG, "h-nom-c", RevokeIn(reason="再次撤销")), Conflict, "honour_id",
                      "already revoked")


class TestScheduleReview:
    async def test_a_review_of_a_confirmed_honour(self, world):
        ctx, store, uow, _ = world
        await closed(world)
        r = await honours.schedule_review(ctx, ORG, "h-nom-a", ReviewIn(due_date=date(2027, 2, 25), note="年度复查"))
        assert r["due_date"] == "2027-02-25" and r["outcome"] is None and r["scheduled_by"] == "org-1"
        assert store.review_docs[r["_id"]]["honour_id"] == "h-nom-a"
        assert uow.types() == ["HonourReviewScheduled"] and uow.events[0].event.review_id == r["_id"]
        assert uow.events[0].event.note == "年度复查"  # the reason reaches the record

    async def test_refusals(self, world):
        ctx = world[0]
        await closed(world)
        await refused(world, honours.schedule_review(ctx, ORG, "nope", ReviewIn(due_date=date(2027, 1, 1))),
                      NotFound, "honour_id")
        await refused(world, honours.schedule_review(ctx, ORG, "h-nom-a", ReviewIn(due_date=date(2025, 10, 8))),
                      Invalid, "due_date")
        await honours.revoke(ctx, ORG, "h-nom-c", RevokeIn(reason="复查发现弄虚作假"))
        await refused(world, honours.schedule_review(ctx, ORG, "h-nom-c", ReviewIn(due_date=date(2027, 1, 1))),
                      Conflict, "honour_id", "only a confirmed honour is reviewed")


class TestRecordReviewOutcome:
    async def review(self, world) -> str:
        await closed(world)
        r = await honours.schedule_review(world[0], ORG, "h-nom-a", ReviewIn(due_date=date(2027, 2, 25)))
        world[2].events.clear()
        return r["_id"]

    async def test_maintained(self, world):
        ctx, store, uow, _ = world
        rid = await self.review(world)
        r = await honours.record_review_outcome(ctx, ORG, "h-nom-a", rid, ReviewOutcomeIn(outcome="maintained"))
        assert r["outcome"] == "maintained" and r["outcome_label"] == "复查合格，保留荣誉"
        assert store.honour_docs["h-nom-a"]["history"][-1]["review_outcome"] == "maintained"
        assert store.honour_docs["h-nom-a"]["status"] == "confirmed" and uow.types() == ["HonourReviewed"]

    async def test_revoke_revokes_the_honour_with_the_note(self, world):
        ctx, store, uow, _ = world
        rid = await self.review(world)
        await honours.record_review_outcome(ctx, ORG, "h-nom-a", rid,
                                            ReviewOutcomeIn(outcome="revoke", note=" 复查不合格 "))
        assert uow.types() == ["HonourReviewed", "HonourRevoked"]
        assert store.honour_docs["h-nom-a"]["revoked_reason"] == "复查不合格"

    async def test_refusals(self, world):
        ctx = world[0]
        rid = await self.review(world)
        await refused(world, honours.record_review_outcome(ctx, ORG, "h-nom-a", rid, ReviewOutcomeIn(outcome="revoke")),
                      Invalid, "note")
        await refused(world, honours.record_review_outcome(ctx, ORG, "h-nom-a", "nope",
                                                           ReviewOutcomeIn(outcome="maintained")), NotFound,
                                                           "review_id")
        await refused(world, honours.record_review_outcome(ctx, ORG, "h-nom-c", rid,
                                                           ReviewOutcomeIn(outcome="maintained")), NotFound,
                                                           "review_id")
        await honours.record_review_outcome(ctx, ORG, "h-nom-a", rid, ReviewOutcomeIn(outcome="rectification"))
        await refused(world, honours.record_review_outcome(ctx, ORG, "h-nom-a", rid,
                                                           ReviewOutcomeIn(outcome="maintained")), Conflict,
                                                           "review_id")
