"""Issue 15 through the real publicity service (Kafka, MongoDB): the stage gate, no backdating, an unknown year,
two programmes with overlapping ids, a frozen list that survives a new board, a veto during the notice and after
confirmation, and a 422 per filter parameter. Other services' events are published as envelopes."""
from __future__ import annotations

from datetime import datetime

from services.publicity.app import create_service
from services.publicity.domain import SHANGHAI
from shared.contracts import Envelope, topics
from shared.contracts.nominations import (
    CategoryInfo,
    CriterionInfo,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    VetoLifted,
    VetoSet,
)
from shared.contracts.scoring import ComponentExplanation, Standing, StandingsUpdated
from tests.support import auth, eventually, publish_envelopes, read_topic, running

CAT = "model-organ"  # the same category id in both programmes (next year's programme re-uses the plan)
A, B = "pa-2025", "pb-2026"


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def programme(pid: str, year: int, prefix: str) -> list[Envelope]:
    category = CategoryInfo(category_id=CAT, name="模范机关", nominee_kind="organ", board="model_organ", quota=2,
                            criteria=[CriterionInfo(criterion_id="c1", name="政治建设强", max_points=20)],
                            weights={"basic": 0.5, "peer_vote": 0.5})
    envs = [Envelope.wrap(ProgrammeDefined(programme_id=pid, version=1, name=f"{year}年度创先争优评选", year=year,
                                           categories=[category], stages=[]), programme_id=pid, key=pid)]
    ids = [f"{prefix}-{i}" for i in range(4)]
    for i, nid in enumerate(ids):
        envs.append(Envelope.wrap(NominationSubmitted(
            nomination_id=nid, category_id=CAT, nominee_id=f"nominee-{prefix}-{i}", nominee_name=f"{prefix}单位{i}机关",
            nominee_kind="organ", unit_id=f"u{i}", unit_name=f"{prefix}单位{i}"), programme_id=pid, key=nid))
    envs.append(board(pid, ids, sequence=2))
    return envs


def board(pid: str, ranked: list[str], sequence: int, detail: str = "round r1") -> Envelope:
    comps = [ComponentExplanation(component="peer_vote", raw=10.0, normalised=100.0, weight=0.5, contribution=50.0,
                                  detail=detail)]
    return Envelope.wrap(StandingsUpdated(category_id=CAT, programme_version=1, sequence=sequence, standings=[
        Standing(nomination_id=nid, rank=i + 1, composite=95.0 - 3 * i, components=comps)
        for i, nid in enumerate(ranked)]), programme_id=pid, key=CAT)


def stage(pid: str, state: str) -> Envelope:
    return Envelope.wrap(StageChanged(programme_id=pid, stage="publicity", state=state), programme_id=pid, key=pid)


async def learned(svc, pid: str, prefix: str) -> None:
    async def known():
        return (await svc.store.board(f"{pid}:{CAT}") and await svc.store.programme(pid)
                and len(await svc.store.nominations_of([f"{prefix}-{i}" for i in range(4)])) == 4)

    await eventually(known, timeout=30)


async def stage_is(svc, pid: str, state: str) -> None:
    async def seen():
        return ((await svc.store.programme(pid)) or {}).get("stage_state", {}).get("publicity") == state

    await eventually(seen, timeout=30)


async def published(settings, name: str, min_count: int) -> list:
    raw = await read_topic(settings, topics.PUBLICITY, min_count=min_count, timeout=15)
    return [e for e in (Envelope.model_validate_json(r) for r in raw) if e.type == name]


async def test_stage_gate_backdating_unknown_year_and_two_programmes(settings):
    clock = Clock(sh(2025, 9, 26, 8))
    org = auth(settings, "organiser")
    async with running(lambda s: create_service(s, clock=clock, tick_seconds=0.2), settings) as (svc, http):
        await publish_envelopes(settings, programme(A, 2025, "a") + programme(B, 2026, "b"))
        await learned(svc, A, "a")
        await learned(svc, B, "b")
        body = {"programme_id": A, "category_id": CAT, "working_days": 5}

        # outside the publicity stage: 409 naming the stage, nothing stored
        r = await http.post("/notices", json=body, headers=org)
        assert r.status_code == 409, r.text
        assert r.json()["error"] == {"code": "stage_closed", "field": "stage", "message": (
            "the publicity stage (公示) is not open: opening a 公示 notice is refused (a 递补 replacement notice, "
            "objections, resolution and confirmation stay allowed)")}
        await publish_envelopes(settings, [stage(A, "open")])
        await stage_is(svc, A, "open")

        # no backdating: a start in the past is a 422 naming starts_at
        r = await http.post("/notices", json=body | {"starts_at": sh(2025, 9, 25, 9).isoformat()}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "starts_at"
        assert "cannot be backdated" in r.json()["error"]["message"]
        assert await svc.store.notices() == []

        # programme A's notice lists A's ranking only; B (same category id, stage closed) stays apart
        r = await http.post("/notices", json=body, headers=org)
        assert r.status_code == 201, r.text
        a = r.json()
        assert [e["nomination_id"] for e in a["entries"]] == ["a-0", "a-1"]
        assert datetime.fromisoformat(a["starts_at"]) == clock()  # it starts when it is published
        r = await http.post("/notices", json=body | {"programme_id": B}, headers=org)
        assert r.status_code == 409 and r.json()["error"]["field"] == "stage"
        await publish_envelopes(settings, [stage(B, "open")])
        await stage_is(svc, B, "open")
        r = await http.post("/notices", json=body | {"programme_id": B, "nomination_ids": ["a-2"]}, headers=org)
        assert r.status_code == 404 and r.json()["error"]["field"] == "nomination_ids"

        # a notice that runs into a year whose arrangement is not loaded: 422 naming the year and how to load it
        clock.t = sh(2026, 12, 24, 8)
        r = await http.post("/notices", json=body | {"programme_id": B, "starts_at": sh(2026, 12, 28).isoformat()},
                            headers=org)
        assert r.status_code == 422 and "2027" in r.json()["error"]["message"]
        assert "POST /calendars" in r.json()["error"]["message"]
        r = await http.post("/notices", json=body | {"programme_id": B}, headers=org)
        assert r.status_code == 201 and [e["nomination_id"] for e in r.json()["entries"]] == ["b-0", "b-1"]
        listed = (await http.get("/notices", params={"programme_id": A})).json()["notices"]
        assert [n["notice_id"] for n in listed] == [a["notice_id"]]

        # a filter that is not an id or not a state: 422 naming it, never an empty list
        for path, params in (("/notices", {"programme_id": '{"$gt": ""}'}), ("/notices", {"state": "x"}),
                             ("/honours", {"programme_id": '{"$gt": ""}'}), ("/honours", {"status": "x"})):
            r = await http.get(path, params=params)
            assert r.status_code == 422 and r.json()["error"]["field"] == next(iter(params))
        for params in ({"notice_id": '{"$gt": ""}'}, {"state": "x"}):
            r = await http.get("/objections", params=params, headers=org)
            assert r.status_code == 422 and r.json()["error"]["field"] == next(iter(params))


async def test_frozen_listing_and_vetoes_during_the_notice_and_after_confirmation(settings):
    clock = Clock(sh(2025, 9, 26, 8))
    org = auth(settings, "organiser")
    async with running(lambda s: create_service(s, clock=clock, tick_seconds=0.2), settings) as (svc, http):
        await publish_envelopes(settings, programme(A, 2025, "a") + [stage(A, "open")])
        await learned(svc, A, "a")
        await stage_is(svc, A, "open")
        r = await http.post("/notices", json={"programme_id": A, "category_id": CAT, "working_days": 5}, headers=org)
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        frozen = r.json()["listing"]
        assert [x["nomination_id"] for x in frozen] == ["a-0", "a-1"] and r.json()["standings_sequence"] == 2
        assert frozen[0]["components"][0]["detail"] == "round r1" and frozen[0]["unit_name"] == "a单位0"
        [opened] = await published(settings, "PublicityOpened", 1)
        assert [x.nomination_id for x in opened.event().listing] == ["a-0", "a-1"]

        # a new board (a new round, a revised score) reaches publicity: the published list does not move
        await publish_envelopes(settings, [board(A, ["a-3", "a-2", "a-1", "a-0"], sequence=3, detail="round r2")])
        await eventually(lambda: _sequence(svc, A, 3), timeout=30)
        shown = (await http.get(f"/notices/{nid}")).json()
        assert shown["listing"] == frozen and shown["standings_sequence"] == 2
        assert [e["nomination_id"] for e in shown["entries"]] == ["a-0", "a-1"]

        # a veto during the notice: removed with a reason, a 递补 proposal on the record; a-3 now ranks first
        await publish_envelopes(settings, [Envelope.wrap(VetoSet(
            nominee_id="nominee-a-1", reason="违反廉洁纪律", nomination_ids=["a-1"], stage="publicity"),
            programme_id=A, key="nominee-a-1")])
        [removed] = await eventually(lambda: published(settings, "NomineeRemoved", 2), timeout=30)
        assert removed.event().nomination_id == "a-1" and removed.event().reason == "一票否决: 违反廉洁纪律"
        shown = (await http.get(f"/notices/{nid}")).json()
        assert [e["status"] for e in shown["entries"]] == ["in_publicity", "removed"]
        [record] = shown["record"]
        assert record["source"] == "veto" and record["replacement_proposed"] == "a-3"
        r = await http.post(f"/notices/{nid}/replacements", json={}, headers=org)
        assert r.status_code == 201 and [e["nomination_id"] for e in r.json()["entries"]] == ["a-3"]

        # after the period the honour is confirmed; a veto then revokes it, and lifting it is recorded
        clock.t = sh(2025, 10, 9, 17, 30)
        await svc.close_due_notices()
        honour = await eventually(lambda: svc.store.honour("h-a-0"), timeout=15)
        assert honour["status"] == "confirmed"
        await publish_envelopes(settings, [Envelope.wrap(VetoSet(
            nominee_id="nominee-a-0", reason="受到党纪处分", nomination_ids=["a-0"], stage="confirmed"),
            programme_id=A, key="nominee-a-0")])
        [revoked] = await eventually(lambda: published(settings, "HonourRevoked", 5), timeout=30)
        assert revoked.event().nomination_id == "a-0" and revoked.event().reason == "一票否决: 受到党纪处分"
        assert (await http.get("/honours/h-a-0")).json()["status"] == "revoked"
        await publish_envelopes(settings, [Envelope.wrap(VetoLifted(
            nominee_id="nominee-a-0", reason="复核后撤销否决", nomination_ids=["a-0"]), programme_id=A,
            key="nominee-a-0")])

        async def lifted():
            body = (await http.get("/vetoes", params={"programme_id": A}, headers=org)).json()["vetoes"]
            return [v for v in body if v["nominee_id"] == "nominee-a-0" and v["state"] == "lifted"]

        [veto] = await eventually(lifted, timeout=30)
        assert [h["change"] for h in veto["history"]] == ["set", "lifted"]


async def _sequence(svc, pid: str, sequence: int) -> bool:
    b = await svc.store.board(f"{pid}:{CAT}")
    return bool(b and b["sequence"] == sequence)
