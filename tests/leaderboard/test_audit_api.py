"""The audit trail on the real servers: changes made over HTTP by an organiser and a unit reach the leaderboard's
audit collection through Kafka, each with its actor and reason; an organiser lists them by programme, nominee and
actor, a page at a time, and downloads them as .xlsx; nobody else can."""
from __future__ import annotations

import io

import openpyxl

from services.leaderboard.app import create_service as create_leaderboard
from services.nominations.app import create_service as create_nominations
from services.publicity.app import create_service as create_publicity
from tests.integration.test_walking_skeleton import PROGRAMME
from tests.support import auth, eventually, running

UNITS = "unit_id,name,parent_id,kind\nu-fgw,市发展和改革委员会机关,,organ\nu-czj,市财政局机关,,organ\n".encode()
CALENDAR = b"year: 2031\nholidays: [2031-01-01]\nworkdays: [2031-01-05]\n"


async def _changes(settings, nominations, publicity) -> None:
    org = auth(settings, "organiser", subject="org-zhang", name="张主任")
    assert (await nominations.post("/programmes", json=PROGRAMME, headers=org)).status_code == 201
    r = await nominations.post("/programmes/p2026/units/import", files={"file": ("units.csv", UNITS)}, headers=org)
    assert r.status_code == 200, r.text
    assert (await nominations.post("/programmes/p2026/stages/nomination/open", headers=org)).status_code == 200
    for unit_id, name in (("u-fgw", "市发展和改革委员会机关"), ("u-czj", "市财政局机关")):
        r = await nominations.post("/programmes/p2026/nominations", headers=auth(
            settings, "unit", unit_id=unit_id, subject=f"sub-{unit_id}", name=name[:-2]),
            json={"category_id": "model-organ", "nominee_id": unit_id, "nominee_name": name})
        assert r.status_code == 201, r.text
    r = await nominations.put("/programmes/p2026/vetoes/u-czj", json={"reason": "受到党纪处分"}, headers=org)
    assert r.status_code == 200, r.text
    r = await publicity.post("/calendars", files={"file": ("2031.yaml", CALENDAR)}, headers=org)
    assert r.status_code == 201, r.text


async def test_an_organiser_lists_filters_and_exports_every_change(settings):
    async with running(create_nominations, settings) as (_, nominations), \
            running(create_publicity, settings) as (_, publicity), \
            running(create_leaderboard, settings) as (_, board):
        await _changes(settings, nominations, publicity)
        org = auth(settings, "organiser")

        async def listed(**params):
            r = await board.get("/audit", params=params, headers=org)
            assert r.status_code == 200, r.text
            return r.json()

        everything = await eventually(lambda: _with(listed(programme_id="p2026"), "VetoSet"), timeout=30)
        kinds = [r["type"] for r in everything["records"]]
        assert {"ProgrammeDefined", "UnitsImported", "StageChanged", "NominationSubmitted", "VetoSet"} <= set(kinds)
        veto = next(r for r in everything["records"] if r["type"] == "VetoSet")
        assert veto["actor"] == {"role": "organiser", "subject": "org-zhang", "name": "张主任"}
        assert veto["reason"] == "受到党纪处分" and veto["nominee_names"] == ["市财政局机关"]
        assert "CalendarUploaded" not in kinds  # installation-wide, not the programme's
        assert (await _with(listed(), "CalendarUploaded"))["total"] > everything["total"]

        by_unit = await listed(programme_id="p2026", actor="unit")
        assert {r["type"] for r in by_unit["records"]} == {"NominationSubmitted"} and by_unit["total"] == 2
        assert [r["actor"]["unit_id"] for r in (await listed(programme_id="p2026", actor="u-fgw"))["records"]] == [
            "u-fgw"]
        about = await listed(programme_id="p2026", nominee="财政")
        # the veto rejects the nominee's nomination: the organiser's change too
        assert {r["type"] for r in about["records"]} == {"NominationSubmitted", "VetoSet", "NominationRejected"}
        rejected = next(r for r in about["records"] if r["type"] == "NominationRejected")
        assert rejected["actor"]["name"] == "张主任" and rejected["nominee_names"] == ["市财政局机关"]
        page2 = await listed(programme_id="p2026", page=2, page_size=2)
        assert page2["total"] == everything["total"] and len(page2["records"]) == 2
        assert page2["records"][0]["event_id"] == everything["records"][2]["event_id"]

        r = await board.get("/audit.xlsx", params={"programme_id": "p2026", "actor": "张主任"}, headers=org)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        assert rows[0][1].startswith("事件") and {row[2] for row in rows[1:]} == {"张主任"}
        assert any(row[1] == "VetoSet" and row[5] == "受到党纪处分" and row[4] == "市财政局机关" for row in rows[1:])

        r = await board.get("/audit/actors", params={"programme_id": "p2026"}, headers=org)
        assert r.status_code == 200, r.text
        assert {(a["role"], a.get("name"), a.get("unit_id")) for a in r.json()["actors"] if a["role"] != "system"} == {
            ("organiser", "张主任", None), ("unit", "市发展和改革委员会", "u-fgw"), ("unit", "市财政局", "u-czj")}
        assert (await board.get("/audit", headers=auth(settings, "unit", unit_id="u-fgw"))).status_code == 403
        assert (await board.get("/audit.xlsx")).status_code == 401
        bad = await board.get("/audit", params={"page_size": 0}, headers=org)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "page_size"


async def _with(listing, event_type: str):
    body = await listing
    return body if any(r["type"] == event_type for r in body["records"]) else None
