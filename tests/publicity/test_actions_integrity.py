"""Issue 15 on the fakes, no server: the publicity stage gates opening a notice (a 递补 notice, objections,
resolution and closing stay allowed); the notice is a frozen snapshot, changed only on its record; no backdating and
recorded date corrections; vetoes (一票否决) during the notice and after confirmation."""
from __future__ import annotations

from datetime import datetime

import pytest

from services.publicity import learning, views
from services.publicity.actions import closing, investigation, notices, objections, vetoes
from services.publicity.commands import CorrectionIn, NoticeIn, ObjectionIn, ReplacementIn, ResolveIn
from services.publicity.domain import SHANGHAI
from shared.auth import Principal
from shared.contracts.nominations import StageChanged, VetoLifted, VetoSet
from shared.contracts.publicity import HonourRevoked, NomineeRemoved, NoticeDatesCorrected, PublicityOpened
from shared.contracts.scoring import ComponentExplanation, Standing, StandingsUpdated
from shared.errors import Closed, Conflict, Invalid, NotFound
from shared.learning import Learning
from tests.publicity.fakes import Clock, learned, make_context
from tests.publicity.helpers import CAT, PID
from tests.publicity.test_actions_notices import refused

ORG = Principal(subject="org-1", role="organiser", name="组织部")
REASON = "该单位在年度考核中存在材料不实的问题，具体情况见附件。"


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def body(**kw) -> NoticeIn:
    return NoticeIn(programme_id=PID, category_id=CAT, working_days=5, starts_at=sh(2025, 9, 26, 9), **kw)


async def make_world(publicity_open: bool = True):
    clock = Clock(sh(2025, 9, 26, 8))
    ctx, store, uow = make_context(clock)
    await learned(ctx, uow, publicity_open=publicity_open)
    return ctx, store, uow, clock


@pytest.fixture
async def world():
    return await make_world()


async def stage(world, state: str) -> None:
    await world[2].deliver(Learning().stage_changed, StageChanged(programme_id=PID, stage="publicity", state=state),
                           programme_id=PID, key=PID)
    world[2].events.clear()


async def veto(world, *nomination_ids: str, reason: str = "违反廉洁纪律") -> None:
    await world[2].deliver(vetoes.veto_set, VetoSet(nominee_id="nominee-x", reason=reason,
                                                    nomination_ids=list(nomination_ids), stage="publicity"),
                           programme_id=PID, key="nominee-x")


class TestStageGate:
    async def test_opening_a_notice_outside_the_publicity_stage_is_refused(self):
        world = await make_world(publicity_open=False)
        error = await refused(world, notices.open_notice(world[0], ORG, body()), Closed, "stage",
                              "the publicity stage (公示) is not open: opening a 公示 notice is refused")
        assert error.status == 409 and error.code == "stage_closed"

    async def test_a_closed_stage_refuses_again_after_being_open(self, world):
        await stage(world, "closed")
        await refused(world, notices.open_notice(world[0], ORG, body()), Closed, "stage")
        await stage(world, "open")
        assert (await notices.open_notice(world[0], ORG, body()))["state"] == "open"

    async def test_replacement_objection_resolution_and_closing_stay_allowed(self, world):
        ctx, store, uow, clock = world
        n = await notices.open_notice(ctx, ORG, body())
        await stage(world, "closed")
        clock.t = sh(2025, 9, 29, 10)
        await objections.file_objection(ctx, n["_id"], ObjectionIn(nomination_id="nom-b", name="张三",
                                                                   phone="13800138000", reason=REASON), [],
                                        client="c")
        oid = next(iter(store.objection_docs))
        await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="sustained", reason="经核查属实"))
        r = await notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn())
        assert r["replaces"] == ["nom-b"] and [e["nomination_id"] for e in r["entries"]] == ["nom-d"]
        clock.t = sh(2025, 10, 9, 17, 30)
        assert await closing.close_due(ctx) == 1
        assert "HonourConfirmed" in uow.types()


class TestFrozenListing:
    async def test_the_notice_and_publicity_opened_carry_the_frozen_lines(self, world):
        ctx, store, uow, _ = world
        n = await notices.open_notice(ctx, ORG, body())
        [opened] = uow.of_type(PublicityOpened)
        assert opened.standings_sequence == 3 and opened.programme_version == 1
        assert [(x.nomination_id, x.rank, x.composite, x.nominee_name, x.unit_name) for x in opened.listing] == [
            ("nom-a", 1, 95.0, "市发展和改革委员会机关", "市发展和改革委员会"),
            ("nom-b", 2, 92.0, "市财政局机关", "市财政局"), ("nom-c", 3, 89.0, "市教育局机关", "市教育局")]
        stored = store.notice_docs[n["_id"]]
        assert stored["listing"] == [x.model_dump(mode="json") for x in opened.listing]
        assert stored["standings_sequence"] == 3 and stored["programme_version"] == 1 and stored["version"] == 1

    async def test_a_later_board_changes_neither_the_notice_nor_its_listing(self, world):
        ctx, store, uow, clock = world
        components = [ComponentExplanation(component="peer_vote", raw=10.0, normalised=100.0, weight=0.5,
                                           contribution=50.0, detail="round r1")]
        await uow.deliver(learning.standings_updated, StandingsUpdated(
            category_id=CAT, programme_version=1, sequence=4, standings=[
                Standing(nomination_id=nid, rank=i + 1, composite=90.0 - i, components=components)
                for i, nid in enumerate(["nom-a", "nom-b", "nom-c", "nom-d"])]), programme_id=PID, key=CAT)
        row = store.boards[f"{PID}:{CAT}"]["standings"][0]  # the complete standing is kept
        assert row["components"][0]["detail"] == "round r1"
        n = await notices.open_notice(ctx, ORG, body())
        assert n["standings_sequence"] == 4 and n["listing"][0]["components"][0]["detail"] == "round r1"
        assert n["listing"][0]["unit_name"] == "市发展和改革委员会"  # from the nomination, when the notice opens
        frozen = store.notice_docs[n["_id"]]["listing"]
        await uow.deliver(learning.standings_updated, StandingsUpdated(
            category_id=CAT, programme_version=2, sequence=5, standings=[
                Standing(nomination_id=nid, rank=i + 1, composite=50.0 - i, components=[])
                for i, nid in enumerate(["nom-d", "nom-c", "nom-b", "nom-a"])]), programme_id=PID, key=CAT)
        shown = views.public_notice(store.notice_docs[n["_id"]], clock())
        assert shown["listing"] == frozen and shown["standings_sequence"] == 4 and shown["record"] == []
        assert [e["nomination_id"] for e in shown["entries"]] == ["nom-a", "nom-b", "nom-c"]

    async def test_a_removal_and_the_replacement_are_on_the_record(self, world):
        ctx, store, uow, clock = world
        n = await notices.open_notice(ctx, ORG, body())
        clock.t = sh(2025, 9, 29, 10)
        await objections.file_objection(ctx, n["_id"], ObjectionIn(nomination_id="nom-b", name="张三",
                                                                   phone="13800138000", reason=REASON), [],
                                        client="c")
        oid = next(iter(store.objection_docs))
        await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="sustained", reason="经核查属实"))
        [removal] = store.notice_docs[n["_id"]]["record"]
        assert removal["change"] == "removed" and removal["source"] == "objection"
        assert removal["nomination_id"] == "nom-b" and removal["replacement_proposed"] == "nom-d"
        r = await notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn())
        record = store.notice_docs[n["_id"]]["record"]
        assert [x["change"] for x in record] == ["removed", "replacement"]
        assert record[1]["notice_id"] == r["_id"] and record[1]["nomination_ids"] == ["nom-d"]
        assert store.notice_docs[n["_id"]]["listing"] == n["listing"]  # the published lines stay as published
        public = views.public_notice(store.notice_docs[n["_id"]], clock())
        assert [x["change"] for x in public["record"]] == ["removed", "replacement"]
        assert all("by" not in x for x in public["record"])


class TestNoBackdating:
    async def test_a_start_in_the_past_is_refused_naming_the_field(self, world):
        ctx, _, _, clock = world
        clock.t = sh(2025, 9, 26, 10)
        await refused(world, notices.open_notice(ctx, ORG, body()), Invalid, "starts_at",
                      "a notice starts when it is published and cannot be backdated")

    async def test_without_a_start_it_starts_now(self, world):
        ctx, _, _, clock = world
        n = await notices.open_notice(ctx, ORG, body().model_copy(update={"starts_at": None}))
        assert n["starts_at"] == clock().astimezone(n["starts_at"].tzinfo)


class TestCorrectDates:
    async def opened(self, world) -> dict:
        n = await notices.open_notice(world[0], ORG, body())
        world[2].events.clear()
        return n

    async def test_more_working_days_is_a_new_recorded_version(self, world):
        ctx, store, uow, clock = world
        n = await self.opened(world)
        clock.t = sh(2025, 9, 29, 10)
        c = await notices.correct_dates(ctx, ORG, n["_id"], CorrectionIn(working_days=6, reason="公示期延长一天"))
        assert c["version"] == 2 and c["working_days"] == 6 and c["days"][-1] == "2025-10-10"
        assert c["starts_at"] == n["starts_at"] and "共6个工作日" in c["text"]
        [prior] = c["versions"]
        assert prior["version"] == 1 and prior["days"] == n["days"] and prior["reason"] == "公示期延长一天"
        assert c["record"][-1]["change"] == "dates_corrected"
        [corrected] = uow.of_type(NoticeDatesCorrected)  # on the record of events too, with the reason
        assert (corrected.notice_id, corrected.version, corrected.working_days, corrected.reason) == (
            n["_id"], 2, 6, "公示期延长一天")
        assert corrected.ends_at == c["ends_at"] and uow.types() == ["NoticeDatesCorrected"]
        shown = views.public_notice(store.notice_docs[n["_id"]], clock())
        assert shown["version"] == 2 and shown["versions"][0]["ends_at"] == n["ends_at"].isoformat()

    async def test_a_scheduled_start_moves_before_it_comes(self, world):
        ctx, _, _, _ = world
        n = await notices.open_notice(ctx, ORG, body().model_copy(update={"starts_at": sh(2025, 10, 13, 9)}))
        c = await notices.correct_dates(ctx, ORG, n["_id"], CorrectionIn(starts_at=sh(2025, 10, 14, 9),
                                                                         reason="发布日期调整"))
        assert c["days"][0] == "2025-10-14" and c["version"] == 2

    async def test_refusals_change_nothing(self, world):
        ctx, store, _, clock = world
        n = await self.opened(world)
        nid = n["_id"]
        await refused(world, notices.correct_dates(ctx, ORG, "nope", CorrectionIn(working_days=6, reason="调整")),
                      NotFound, "notice_id")
        await refused(world, notices.correct_dates(ctx, ORG, nid, CorrectionIn(reason="调整")), Invalid, "starts_at",
                      "give a new starts_at or working_days")
        clock.t = sh(2025, 9, 29, 10)
        await refused(world, notices.correct_dates(ctx, ORG, nid, CorrectionIn(starts_at=sh(2025, 9, 30, 9),
                                                                               reason="调整")),
                      Conflict, "starts_at", "can no longer move")
        clock.t = sh(2025, 10, 9, 10)
        await refused(world, notices.correct_dates(ctx, ORG, nid, CorrectionIn(working_days=2, reason="缩短")),
                      Invalid, "working_days", "before now")
        clock.t = sh(2025, 10, 9, 17, 30)
        await closing.close_due(ctx)
        await refused(world, notices.correct_dates(ctx, ORG, nid, CorrectionIn(working_days=7, reason="调整")),
                      Conflict, "notice_id", "closed")

    async def test_a_new_start_in_the_past_is_refused(self, world):
        ctx, _, _, clock = world
        n = await notices.open_notice(ctx, ORG, body().model_copy(update={"starts_at": sh(2025, 10, 13, 9)}))
        clock.t = sh(2025, 10, 10, 9)
        await refused(world, notices.correct_dates(ctx, ORG, n["_id"], CorrectionIn(starts_at=sh(2025, 10, 9, 9),
                                                                                    reason="调整")),
                      Invalid, "starts_at", "backdated")


class TestVeto:
    async def test_a_veto_during_the_notice_removes_the_nominee_with_a_replacement_proposal(self, world):
        ctx, store, uow, _ = world
        n = await notices.open_notice(ctx, ORG, body())
        uow.events.clear()
        await veto(world, "nom-b")
        [removed] = uow.of_type(NomineeRemoved)
        assert removed.nomination_id == "nom-b" and removed.reason == "一票否决: 违反廉洁纪律"
        assert uow.events[0].key == n["_id"]
        stored = store.notice_docs[n["_id"]]
        assert [e["status"] for e in stored["entries"]] == ["in_publicity", "removed", "in_publicity"]
        [record] = stored["record"]
        assert record["source"] == "veto" and record["replacement_proposed"] == "nom-d"
        assert store.veto_docs[f"{PID}/nominee-x"]["state"] == "set"
        r = await notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn())
        assert [e["nomination_id"] for e in r["entries"]] == ["nom-d"]

    async def test_a_redelivered_veto_removes_once(self, world):
        ctx, _, uow, _ = world
        await notices.open_notice(ctx, ORG, body())
        uow.events.clear()
        await veto(world, "nom-b")
        await veto(world, "nom-b")
        assert uow.types() == ["NomineeRemoved"]

    async def test_a_veto_after_confirmation_revokes_the_honour(self, world):
        ctx, store, uow, clock = world
        n = await notices.open_notice(ctx, ORG, body())
        clock.t = sh(2025, 10, 9, 17, 30)
        await closing.close_due(ctx)
        uow.events.clear()
        await veto(world, "nom-a", reason="受到党纪处分")
        [revoked] = uow.of_type(HonourRevoked)
        assert revoked.nomination_id == "nom-a" and revoked.reason == "一票否决: 受到党纪处分"
        assert uow.types() == ["HonourRevoked"]
        assert store.honour_docs["h-nom-a"]["status"] == "revoked"
        assert store.notice_docs[n["_id"]]["record"][-1]["change"] == "revoked"

    async def test_a_vetoed_nomination_is_not_put_on_a_notice(self, world):
        ctx, _, uow, _ = world
        await veto(world, "nom-b")
        uow.events.clear()
        await refused(world, notices.open_notice(ctx, ORG, body(nomination_ids=["nom-b"])), Conflict,
                      "nomination_ids", "under a veto")
        n = await notices.open_notice(ctx, ORG, body())
        assert [e["nomination_id"] for e in n["entries"]] == ["nom-a", "nom-c", "nom-d"]

    async def test_lifting_is_recorded_and_the_nomination_can_be_listed_again(self, world):
        ctx, store, uow, _ = world
        await veto(world, "nom-b")
        await uow.deliver(vetoes.veto_lifted, VetoLifted(nominee_id="nominee-x", reason="复核后撤销",
                                                         nomination_ids=["nom-b"]), programme_id=PID, key="x")
        doc = store.veto_docs[f"{PID}/nominee-x"]
        assert doc["state"] == "lifted" and [h["change"] for h in doc["history"]] == ["set", "lifted"]
        assert doc["lifted_reason"] == "复核后撤销"
        assert (await views.vetoes(store, PID))["vetoes"][0]["state"] == "lifted"
        n = await notices.open_notice(ctx, ORG, body(nomination_ids=["nom-b"]))
        assert n["entries"][0]["nomination_id"] == "nom-b"

    async def test_a_veto_in_another_programme_touches_nothing_here(self, world):
        ctx, store, uow, _ = world
        await notices.open_notice(ctx, ORG, body())
        uow.events.clear()
        await uow.deliver(vetoes.veto_set, VetoSet(nominee_id="nominee-x", reason="x", nomination_ids=["nom-b"]),
                          programme_id="other", key="x")
        assert uow.events == []


class TestProgrammeScope:
    async def test_a_nomination_of_another_programme_is_not_listed(self, world):
        ctx, store, _, _ = world
        store.nominations["nom-b"]["programme_id"] = "p2024"  # the same category id in last year's programme
        await refused(world, notices.open_notice(ctx, ORG, body(nomination_ids=["nom-b"])), NotFound,
                      "nomination_ids", "is not a known nomination")
