"""Issue 15 item 2 through the real nominations service: stages by the organiser or by their dates, the gate of
submit / resubmit / withdraw, and the public stages endpoint in both modes."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from services.nominations.app import create_service
from tests.nominations.helpers import MEMBERS_CSV, PID, PROGRAMME, UNITS_CSV, events, setup_programme
from tests.support import auth, running


def iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def by_dates(pid: str, nomination: tuple[float, float]) -> dict:
    return copy.deepcopy(PROGRAMME) | {"programme_id": pid, "stage_control": "dates", "stages": [
        {"stage": "nomination", "opens_at": iso(nomination[0]), "closes_at": iso(nomination[1])},
        {"stage": "voting", "opens_at": iso(10), "closes_at": iso(11)}]}


async def define_with_tree(http, org, raw: dict) -> None:
    r = await http.post("/programmes", json=raw, headers=org)
    assert r.status_code == 201, r.text
    pid = raw["programme_id"]
    for kind, data in (("units", UNITS_CSV), ("members", MEMBERS_CSV)):
        r = await http.post(f"/programmes/{pid}/{kind}/import", files={"file": ("x.csv", data.encode())}, headers=org)
        assert r.status_code == 200, r.text


def states(body: list[dict]) -> dict[str, str]:
    return {s["stage"]: s["state"] for s in body}


async def test_by_the_organiser_the_gate_follows_open_and_close_and_everyone_reads_it(settings):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings, open_stage=False)
        czj = auth(settings, "unit", unit_id="u-czj")
        fgw = auth(settings, "unit", unit_id="u-fgw")
        base = f"/programmes/{PID}/nominations"
        r = await http.get(f"/programmes/{PID}/stages")  # no token
        assert r.status_code == 200 and set(states(r.json()).values()) == {"closed"}
        assert r.json()[0] == {"stage": "nomination", "label": "申报", "state": "closed",
                               "opens_at": "2026-03-02T01:00:00+00:00", "closes_at": "2026-03-31T09:30:00+00:00"}
        r = await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-czj"}, headers=czj)
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert (err["field"], err["code"]) == ("stage", "stage_closed")
        assert err["message"].startswith("the nomination stage (申报) is not open")

        assert (await http.post(f"/programmes/{PID}/stages/nomination/open", headers=org)).status_code == 200
        assert states((await http.get(f"/programmes/{PID}/stages")).json())["nomination"] == "open"
        a = (await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-czj"}, headers=czj)).json()
        b = (await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-fgw"}, headers=fgw)).json()
        r = await http.post(f"{base}/{b['nomination_id']}/return", json={"comments": "请补充"}, headers=org)
        assert r.status_code == 200
        assert (await http.post(f"/programmes/{PID}/stages/nomination/close", headers=org)).status_code == 200

        r = await http.post(f"{base}/{a['nomination_id']}/withdraw", headers=czj)
        assert r.status_code == 409 and r.json()["error"]["field"] == "stage", r.text
        assert "a nomination cannot be withdrawn" in r.json()["error"]["message"]
        r = await http.put(f"{base}/{b['nomination_id']}", json={"materials": "已补充"}, headers=fgw)
        assert r.status_code == 409 and r.json()["error"]["code"] == "stage_closed", r.text
        statuses = {n["nomination_id"]: n["status"] for n in (await http.get(base, headers=org)).json()["items"]}
        assert statuses == {a["nomination_id"]: "submitted", b["nomination_id"]: "returned"}  # nothing changed


async def test_by_dates_the_windows_decide_and_the_organiser_cannot_override(settings):
    async with running(create_service, settings) as (_, http):
        org = auth(settings, "organiser")
        czj = auth(settings, "unit", unit_id="u-czj")
        await define_with_tree(http, org, by_dates("p-now", (-1, 1)))
        await define_with_tree(http, org, by_dates("p-later", (2, 3)))
        overview = (await http.get("/programmes/p-now/stages")).json()
        assert states(overview) == {"nomination": "open", "review": "closed", "voting": "closed",
                                    "judging": "closed", "publicity": "closed"}
        assert overview[2]["opens_at"] is not None and overview[1]["opens_at"] is None
        assert states((await http.get("/programmes/p-later/stages")).json())["nomination"] == "closed"

        for pid, stage, action in (("p-now", "nomination", "close"), ("p-later", "nomination", "open")):
            r = await http.post(f"/programmes/{pid}/stages/{stage}/{action}", headers=org)
            assert r.status_code == 409, r.text
            assert (r.json()["error"]["field"], r.json()["error"]["code"]) == ("stage", "stage_control")
            assert "open and close by their dates" in r.json()["error"]["message"]
        assert states((await http.get("/programmes/p-now/stages")).json())["nomination"] == "open"

        nominate = {"category_id": "model-organ", "nominee_id": "u-czj"}
        r = await http.post("/programmes/p-now/nominations", json=nominate, headers=czj)
        assert r.status_code == 201, r.text
        r = await http.post("/programmes/p-later/nominations", json=nominate, headers=czj)
        assert r.status_code == 409 and r.json()["error"]["code"] == "stage_closed", r.text
        assert r.json()["error"]["message"].startswith("the nomination stage (申报) is not open")

        evs = await events(settings, min_count=7)  # 2 programmes, 2 x units and members, 1 submission
        defined = [e for e in evs if e["type"] == "ProgrammeDefined"]
        assert {e["payload"]["programme_id"]: e["payload"]["stage_control"] for e in defined} == {
            "p-now": "dates", "p-later": "dates"}
        assert not [e for e in evs if e["type"] == "StageChanged"]  # the refused open and close emitted nothing


async def test_an_unknown_stage_control_is_refused(settings):
    async with running(create_service, settings) as (_, http):
        org = auth(settings, "organiser")
        r = await http.post("/programmes", json=by_dates("p-x", (-1, 1)) | {"stage_control": "weekly"}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "stage_control", r.text
        assert (await http.get("/programmes/p-x")).status_code == 404
        assert (await http.get("/programmes/p-x/stages")).status_code == 404
