"""The notice actions on the fakes, no server: open a notice over working days, upload a calendar, a replacement."""
from __future__ import annotations

import copy
from datetime import datetime

import pytest

from services.publicity.actions import calendars, notices
from services.publicity.commands import NoticeIn, ReplacementIn
from services.publicity.domain import SHANGHAI
from shared.auth import Principal
from shared.contracts.publicity import CalendarUploaded, PublicityOpened
from shared.errors import Conflict, Invalid, NotFound
from tests.publicity.fakes import Clock, learned, make_context
from tests.publicity.helpers import CAT, PID

ORG = Principal(subject="org-1", role="organiser", name="组织部")


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
async def world():
    clock = Clock(sh(2025, 9, 26, 8))
    ctx, store, uow = make_context(clock)
    await learned(ctx, uow)
    return ctx, store, uow, clock


def body(**kw) -> NoticeIn:
    return NoticeIn(programme_id=PID, category_id=CAT, working_days=5, starts_at=sh(2025, 9, 26, 9), **kw)


async def refused(world, call, error: type, field: str | None = None, text: str = ""):
    """Run a call that must be refused: the error, its field, and nothing stored or emitted."""
    _, store, uow, _ = world
    before, events = copy.deepcopy(store.__dict__), list(uow.events)
    with pytest.raises(error) as caught:
        await call
    assert store.__dict__ == before and uow.events == events
    if field:
        assert caught.value.field == field
    assert text in str(caught.value)
    return caught.value


class TestOpenNotice:
    async def test_the_top_of_the_ranking_over_five_working_days(self, world):
        ctx, store, uow, _ = world
        n = await notices.open_notice(ctx, ORG, body(contact_phone="0571-87654321"))
        assert [e["nomination_id"] for e in n["entries"]] == ["nom-a", "nom-b", "nom-c"]
        assert n["days"] == ["2025-09-26", "2025-09-28", "2025-09-29", "2025-09-30", "2025-10-09"]
        assert n["ends_at"] == sh(2025, 10, 9, 17, 30)
        assert "关于2025年度“模范机关”评选结果的公示" == n["title"] and "0571-87654321" in n["text"]
        assert store.notice_docs[n["_id"]]["state"] == "open"
        [opened] = uow.events
        assert isinstance(opened.event, PublicityOpened) and opened.key == n["_id"] and opened.programme_id == PID
        assert opened.event.nomination_ids == ["nom-a", "nom-b", "nom-c"] and opened.event.replaces == []

    async def test_listed_nominations_in_the_organisers_order(self, world):
        ctx, _, uow, _ = world
        n = await notices.open_notice(ctx, ORG, body(nomination_ids=["nom-d", "nom-b"]))
        assert [e["nomination_id"] for e in n["entries"]] == ["nom-d", "nom-b"]
        assert uow.types() == ["PublicityOpened"]

    async def test_refusals_change_nothing(self, world):
        ctx = world[0]
        await refused(world, notices.open_notice(ctx, ORG, body().model_copy(update={"programme_id": "nope"})),
                      NotFound, "programme_id")
        await refused(world, notices.open_notice(ctx, ORG, body().model_copy(update={"category_id": "nope"})),
                      NotFound, "category_id")
        err = await refused(world, notices.open_notice(ctx, ORG, body(nomination_ids=[])), Invalid, "nomination_ids")
        assert err.code == "no_nominee_listed"
        await refused(world, notices.open_notice(ctx, ORG, body(nomination_ids=["ghost"])), NotFound,
                      "nomination_ids")
        err = await refused(world, notices.open_notice(ctx, ORG, body().model_copy(
            update={"starts_at": sh(2025, 7, 1)})), Invalid, "starts_at", "backdated")
        assert err.code == "starts_in_past"
        err = await refused(world, notices.open_notice(ctx, ORG, body().model_copy(
            update={"starts_at": sh(2026, 1, 1)})), Invalid, "starts_at", "90 days")
        assert err.code == "starts_too_far" and err.params == {"days": 90}

    async def test_no_ranking_yet(self, world):
        ctx, store, _, _ = world
        store.boards.clear()
        await refused(world, notices.open_notice(ctx, ORG, body()), Conflict, "category_id", "no ranked shortlist")

    async def test_a_ranked_nomination_whose_details_have_not_arrived(self, world):
        ctx, store, _, _ = world
        del store.nominations["nom-b"]
        await refused(world, notices.open_notice(ctx, ORG, body()), Conflict, "category_id", "try again shortly")

    async def test_a_category_with_a_notice_already(self, world):
        ctx = world[0]
        await notices.open_notice(ctx, ORG, body())
        await refused(world, notices.open_notice(ctx, ORG, body()), Conflict, "category_id", "already has")
        await refused(world, notices.open_notice(ctx, ORG, body(nomination_ids=["nom-a"])), Conflict,
                      "nomination_ids", "already in a notice")

    async def test_an_unknown_year_unless_weekends_only(self, world):
        ctx, _, uow, clock = world
        clock.t = sh(2026, 12, 24, 8)
        late = body(nomination_ids=["nom-a"]).model_copy(update={"starts_at": sh(2026, 12, 28)})
        await refused(world, notices.open_notice(ctx, ORG, late), Invalid, "starts_at", "2027")
        n = await notices.open_notice(ctx, ORG, late.model_copy(update={"fallback_weekends_only": True}))
        assert n["days"][-1] == "2027-01-01" and "2027年节假日安排尚未公布" in n["calendar_warning"]
        assert uow.types() == ["PublicityOpened"]


class TestUploadCalendar:
    CAL = b"year: 2027\nholidays: [2027-01-01..2027-01-03]\nworkdays: [2027-01-09]\n"

    async def test_an_uploaded_year_is_used_for_periods(self, world):
        ctx, store, uow, _ = world
        r = await calendars.upload_calendar(ctx, ORG, self.CAL, "2027.yaml")
        assert r == {"year": 2027, "holidays": 3, "workdays": 1, "source": "upload", "replaces_package_data": True}
        assert store.calendar_docs[2027]["uploaded_by"] == "org-1"
        [uploaded] = uow.of_type(CalendarUploaded)
        assert (uploaded.year, uploaded.holidays, uploaded.workdays, uploaded.filename) == (2027, 3, 1, "2027.yaml")
        period = await calendars.period(ctx, sh(2027, 1, 7), 3, False)
        assert [d.isoformat() for d in period.days] == ["2027-01-07", "2027-01-08", "2027-01-09"]

    async def test_refusals(self, world):
        ctx = world[0]
        await refused(world, calendars.upload_calendar(ctx, ORG, b"x" * (256 * 1024 + 1), "a.yaml"), Invalid, "file")
        await refused(world, calendars.upload_calendar(
            ctx, ORG, b"year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-05]\n", "a.yaml"), Invalid, "workdays")
        await refused(world, calendars.upload_calendar(ctx, ORG, b"{not json", "a.json"), Invalid, "file")

    async def test_a_period_of_a_bad_length(self, world):
        with pytest.raises(Invalid) as caught:
            await calendars.period(world[0], sh(2025, 11, 10), 31, False)
        assert caught.value.field == "working_days"


class TestOpenReplacement:
    async def removed(self, world) -> dict:
        ctx, store, _, _ = world
        n = await notices.open_notice(ctx, ORG, body())
        await store.set_entry_status(n["_id"], "nom-b", "removed")
        return n

    async def test_the_next_ranked_in_a_supplementary_notice(self, world):
        ctx, _, uow, _ = world
        n = await self.removed(world)
        uow.events.clear()
        r = await notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn(working_days=3))
        assert [e["nomination_id"] for e in r["entries"]] == ["nom-d"] and r["replaces"] == ["nom-b"]
        assert r["title"].endswith("补充公示") and len(r["days"]) == 3
        [opened] = uow.of_type(PublicityOpened)
        assert opened.replaces == ["nom-b"] and opened.nomination_ids == ["nom-d"]

    async def test_refusals(self, world):
        ctx, store, _, _ = world
        n = await notices.open_notice(ctx, ORG, body())
        await refused(world, notices.open_replacement(ctx, ORG, "nope", ReplacementIn()), NotFound, "notice_id")
        await refused(world, notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn()), Conflict, "notice_id",
                      "no nominee of this notice was removed")
        await store.set_entry_status(n["_id"], "nom-b", "removed")
        await notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn())
        await refused(world, notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn()), Conflict, "notice_id",
                      "already has a replacement")

    async def test_nobody_left_to_move_up(self, world):
        ctx, store, _, _ = world
        n = await notices.open_notice(ctx, ORG, body())
        await notices.open_notice(ctx, ORG, body(nomination_ids=["nom-d"]))
        await store.set_entry_status(n["_id"], "nom-a", "removed")
        err = await refused(world, notices.open_replacement(ctx, ORG, n["_id"], ReplacementIn()), Conflict,
                            "nomination_id", "no further ranked candidate")
        assert err.code == "no_further_candidate"
