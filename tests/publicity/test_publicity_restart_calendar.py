"""A restart in the middle of a period, the leaderboard's honours wall, uploaded calendars and rate limits."""
from __future__ import annotations

from datetime import datetime

from services.leaderboard.app import create_service as create_leaderboard
from services.publicity.app import create_service
from services.publicity.domain import SHANGHAI
from shared.contracts import Envelope, topics
from tests.publicity.helpers import CAT, PID, Clock, closed_notice, feed, objection_form
from tests.support import auth, eventually, read_topic, running


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


async def test_a_restart_mid_period_still_closes_the_notice_once(settings):
    org = auth(settings, "organiser")
    clock = Clock(sh(2026, 2, 12, 8))  # Spring Festival 2026: 2/12, 2/13, 2/14 (调休), 2/24, 2/25
    async with running(lambda s: create_service(s, clock=clock, tick_seconds=0.2), settings) as (svc, http):
        await feed(settings, svc)
        r = await http.post("/notices", json={"programme_id": PID, "category_id": CAT, "working_days": 5}, headers=org)
        assert r.status_code == 201, r.text
        notice = r.json()
        assert notice["days"] == ["2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25"]
        clock.t = sh(2026, 2, 24, 11)
        r = await http.post(f"/notices/{notice['notice_id']}/objections", data=objection_form("nom-b"))
        assert r.status_code == 201
        await svc.close_due_notices()
        assert (await svc.store.notice(notice["notice_id"]))["state"] == "open"

    # a new instance on the same settings, after the end (17:30 on 2/25): its scheduler closes the notice
    later = Clock(sh(2026, 2, 25, 17, 31))
    async with running(lambda s: create_service(s, clock=later, tick_seconds=0.2), settings) as (svc, http), \
            running(create_leaderboard, settings) as (board, _):
        closed = await eventually(lambda: closed_notice(svc, notice["notice_id"]))
        assert {e["nomination_id"]: e["status"] for e in closed["entries"]} == {
            "nom-a": "confirmed", "nom-b": "blocked", "nom-c": "confirmed"}
        assert await svc.close_due_notices() == 0

        # the leaderboard's honours wall shows confirmed and revoked honours
        honours = {h["nomination_id"]: h for h in (await http.get("/honours")).json()["honours"]}
        r = await http.post(f"/honours/{honours['nom-c']['honour_id']}/revoke", json={"reason": "复查发现弄虚作假"},
                            headers=org)
        assert r.status_code == 200

        async def wall():
            docs = await board.db.honours.find({}).to_list()
            return len(docs) == 2 and {d["nomination_id"]: d["status"] for d in docs} == {
                "nom-a": "confirmed", "nom-c": "revoked"} and docs
        docs = {d["nomination_id"]: d for d in await eventually(wall, timeout=20)}
        assert docs["nom-c"]["revoked_reason"] == "复查发现弄虚作假"
        assert docs["nom-a"]["nominee_name"] == "市发展和改革委员会机关"
        assert docs["nom-a"]["title"] == "2025年度模范机关"
        assert [h["status"] for h in docs["nom-c"]["history"]] == ["confirmed", "revoked"]
        shown = await eventually(lambda: board.db.notices.find_one({"_id": notice["notice_id"], "state": "closed"}))
        assert shown["blocked"] == ["nom-b"] and sorted(shown["confirmed"]) == ["nom-a", "nom-c"]

        # a sustained objection after the end removes the blocked nominee; a review reaches the honours wall
        ob = (await http.get("/objections", headers=org)).json()["objections"][0]["objection_id"]
        r = await http.post(f"/objections/{ob}/resolve", json={"outcome": "sustained", "reason": "反映问题属实"},
                            headers=org)
        assert r.status_code == 200
        entries = {e["nomination_id"]: e["status"] for e in (await http.get(f"/notices/{notice['notice_id']}")).json()
                   ["entries"]}
        assert entries["nom-b"] == "removed"
        assert "nom-b" not in {h["nomination_id"] for h in (await http.get("/honours")).json()["honours"]}
        r = await http.post(f"/honours/{honours['nom-a']['honour_id']}/reviews", json={"due_date": "2027-02-25"},
                            headers=org)
        assert r.status_code == 201
        review_id = r.json()["review_id"]
        await eventually(lambda: board.db.honours.find_one({"_id": honours["nom-a"]["honour_id"],
                                                            f"reviews.{review_id}.due_date": "2027-02-25"}))

    raw = await read_topic(settings, topics.PUBLICITY, min_count=9, timeout=10)
    types = [Envelope.model_validate_json(r).type for r in raw]
    assert types.count("HonourConfirmed") == 2 and types.count("PublicityClosed") == 1
    assert types.count("NomineeRemoved") == 1 and types.count("HonourReviewScheduled") == 1


async def test_uploaded_calendar_unknown_years_and_rate_limits(settings):
    org = auth(settings, "organiser")
    clock = Clock(sh(2026, 12, 24, 8))
    async with running(lambda s: create_service(s, clock=clock, tick_seconds=0.2), settings) as (svc, http):
        await feed(settings, svc)
        assert (await http.get("/calendars/2025")).json()["workdays"] == [
            "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]
        r = await http.get("/calendars/2027")
        assert r.status_code == 404 and "2027" in r.json()["error"]["message"]

        body = {"programme_id": PID, "category_id": CAT, "working_days": 5, "starts_at": sh(2026, 12, 28).isoformat()}
        r = await http.post("/notices", json=body | {"nomination_ids": ["nom-a"]}, headers=org)
        assert r.status_code == 422 and "2027" in r.json()["error"]["message"]
        assert await svc.store.notices() == []

        r = await http.post("/notices", json=body | {"nomination_ids": ["nom-a"], "fallback_weekends_only": True},
                            headers=org)
        assert r.status_code == 201
        fallback = r.json()
        assert fallback["days"][-1] == "2027-01-01" and "2027年节假日安排尚未公布" in fallback["calendar_warning"]
        assert "2027年节假日安排尚未公布" in fallback["text"]

        # the organiser uploads the 2027 schedule (here: Jan 1-3 off, Sun Jan 4 worked... as a test calendar)
        bad = b"year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-05]\n"
        r = await http.post("/calendars", files={"file": ("2027.yaml", bad, "application/yaml")}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "workdays"
        cal = b"year: 2027\nholidays: [2027-01-01..2027-01-03]\nworkdays: [2027-01-09]\n"
        r = await http.post("/calendars", files={"file": ("2027.yaml", cal, "application/yaml")},
                            headers=auth(settings, "judge"))
        assert r.status_code == 403
        r = await http.post("/calendars", files={"file": ("2027.yaml", cal, "application/yaml")}, headers=org)
        assert r.status_code == 201 and r.json()["year"] == 2027
        r = await http.post("/notices", json=body | {"nomination_ids": ["nom-b"]}, headers=org)
        assert r.status_code == 201
        assert r.json()["days"] == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-04"]
        assert r.json()["calendar_warning"] == ""
        r = await http.get("/working-days", params={"start": sh(2027, 1, 7).isoformat(), "working_days": 3})
        assert r.json()["days"] == ["2027-01-07", "2027-01-08", "2027-01-09"]

        # objections are rate-limited per contact, whatever the address
        clock.t = sh(2026, 12, 28, 10)
        statuses = []
        for i in range(4):
            r = await http.post(f"/notices/{fallback['notice_id']}/objections",
                                data=objection_form("nom-a", phone="13700137000",
                                                    reason=f"第{i + 1}次反映：材料与事实不符"))
            statuses.append(r.status_code)
        assert statuses == [201, 201, 201, 429]
        assert await svc.store.count_objections() == 3
