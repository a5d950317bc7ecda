"""The read side on the fakes: calendars, public notices and honours, the organiser's objections and reviews."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from services.publicity import views
from services.publicity.actions import calendars, closing, honours, notices, objections
from services.publicity.commands import NoticeIn, ObjectionIn, ReviewIn
from services.publicity.domain import SHANGHAI
from shared.auth import Principal
from shared.errors import NotFound
from tests.publicity.fakes import Clock, learned, make_context
from tests.publicity.helpers import CAT, PID

ORG = Principal(subject="org-1", role="organiser")


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


async def test_calendars_uploaded_or_from_the_package():
    ctx, store, _ = make_context(Clock(sh(2025, 1, 1)))
    assert (await views.calendar(store, 2025))["workdays"] == [
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]
    with pytest.raises(NotFound) as caught:
        await views.calendar(store, 2099)
    assert caught.value.field == "year" and "2099" in str(caught.value)
    await calendars.upload_calendar(ctx, ORG, b"year: 2099\nholidays: [2099-01-01]\n", "2099.yaml")
    assert await views.calendar(store, 2099) == {"year": 2099, "source": "upload", "holidays": ["2099-01-01"],
                                                 "workdays": []}


async def test_a_notice_its_objection_and_honours_as_shown():
    clock = Clock(sh(2025, 9, 26, 8))
    ctx, store, uow = make_context(clock)
    await learned(ctx, uow)
    n = await notices.open_notice(ctx, ORG, NoticeIn(programme_id=PID, category_id=CAT,
                                                     starts_at=sh(2025, 9, 26, 9)))
    shown = await views.notice(store, clock(), n["_id"])
    assert shown["window"] == "before" and shown["supplementary"] is False
    assert [e["status_label"] for e in shown["entries"]] == ["公示中"] * 3
    assert (await views.notices(store, clock(), PID, "open"))["notices"][0]["notice_id"] == n["_id"]
    assert (await views.notices(store, clock(), "other", None))["notices"] == []
    clock.t = sh(2025, 9, 29, 10)
    await objections.file_objection(ctx, n["_id"], ObjectionIn(
        nomination_id="nom-b", name="张三", phone="13800138000", reason="材料不实，具体情况见附件。"), [], client="c")
    [o] = (await views.objections(store, n["_id"], None))["objections"]
    assert o["state"] == "filed" and "13800138000" not in str(o) and o["history"][0]["at"].endswith("+00:00")
    assert (await views.objection(store, o["objection_id"]))["objection_id"] == o["objection_id"]
    with pytest.raises(NotFound):
        await views.objection(store, "nope")
    clock.t = sh(2025, 10, 10)
    await closing.close_due(ctx)
    await honours.schedule_review(ctx, ORG, "h-nom-a", ReviewIn(due_date=date(2026, 10, 1)))
    assert {h["honour_id"] for h in (await views.honours(store, PID, "confirmed"))["honours"]} == {
        "h-nom-a", "h-nom-c"}
    h = await views.honour(store, "h-nom-a")
    assert h["confirmed_at"] == clock.t.isoformat() and h["reviews"][0]["due_date"] == "2026-10-01"
    assert len((await views.reviews(store, date(2026, 10, 1), True))["reviews"]) == 1
    assert (await views.reviews(store, date(2026, 9, 30), False))["reviews"] == []
    with pytest.raises(NotFound):
        await views.honour(store, "nope")
    with pytest.raises(NotFound):
        await views.notice(store, clock(), "nope")
