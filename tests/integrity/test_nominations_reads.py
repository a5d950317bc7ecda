"""Issue 15 items 1 and 7 through the real nominations service: a malformed id, status or search text in a read
is a 422 naming the parameter, and two programmes with overlapping unit and member ids stay apart."""
from __future__ import annotations

import copy

import pytest

from services.nominations.app import create_service
from tests.nominations.helpers import PID, PROGRAMME, events, setup_programme
from tests.support import auth, running

MALFORMED = ['{"$gt": ""}', "[$ne]", ".*", "$where", "a b", "x" * 65]
LIST = f"/programmes/{PID}/nominations"


@pytest.mark.parametrize("path, param", [
    (LIST, "category_id"), (LIST, "unit_id"), (LIST, "status"),
    (f"{LIST}/export.xlsx", "category_id"), (f"{LIST}/export.xlsx", "unit_id"), (f"{LIST}/export.xlsx", "status"),
    (f"/programmes/{PID}/members", "unit_id"),
])
async def test_a_malformed_filter_parameter_is_422_naming_it(settings, path, param):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings)
        r = await http.post(LIST, json={"category_id": "model-organ", "nominee_id": "u-czj"},
                            headers=auth(settings, "unit", unit_id="u-czj"))
        assert r.status_code == 201
        for raw in MALFORMED:
            r = await http.get(path, params={param: raw}, headers=org)
            assert r.status_code == 422, (raw, r.text)
            assert r.json()["error"]["field"] == param and r.json()["error"]["code"] == "invalid", (raw, r.text)
        good = {"category_id": "model-organ", "unit_id": "u-czj", "status": "submitted"}[param]
        r = await http.get(path, params={param: good}, headers=org)
        assert r.status_code == 200, r.text


async def test_q_is_searched_as_text_and_bounded(settings):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings)
        r = await http.post(LIST, json={"category_id": "model-organ", "nominee_id": "u-czj"},
                            headers=auth(settings, "unit", unit_id="u-czj"))
        assert r.status_code == 201
        for raw in ['{"$gt": ""}', ".*", "$where", "财政(", "[a-z]+"]:
            r = await http.get(LIST, params={"q": raw}, headers=org)
            assert r.status_code == 200 and r.json()["total"] == 0, (raw, r.text)  # text, never an operator
        assert (await http.get(LIST, params={"q": "财政"}, headers=org)).json()["total"] == 1
        r = await http.get(LIST, params={"q": "财" * 101}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "q", r.text


@pytest.mark.parametrize("path, field", [
    ("/programmes/{bad}", "programme_id"), ("/programmes/{bad}/stages", "programme_id"),
    ("/programmes/{bad}/units", "programme_id"), ("/programmes/{bad}/nominations", "programme_id"),
    (f"/programmes/{PID}/units/{{bad}}/nominations", "unit_id"),
    (f"{LIST}/{{bad}}", "nomination_id"), (f"/programmes/{PID}/vetoes/{{bad}}", "subject_id"),
    (f"{LIST}/n1/attachments/{{bad}}", "file_id"),
])
async def test_a_malformed_id_in_a_path_is_422_naming_it(settings, path, field):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings)
        method = "PUT" if field == "subject_id" else "GET"
        for raw in ("[$ne]", ".x", "a b", "$where"):
            r = await http.request(method, path.format(bad=raw), headers=org, json={"reason": "违纪"})
            assert r.status_code == 422 and r.json()["error"]["field"] == field, (raw, r.text)


TWIN_UNITS = """unit_id,name,parent_id,kind
u-czj,市财政局（乙）,,organ
u-czj-b1,市财政局机关第一党支部（乙）,u-czj,branch
u-other,市统计局,,organ
"""
TWIN_MEMBERS = "member_id,name,unit_id\nm1,王伟（乙）,u-other\n"


async def test_two_programmes_with_overlapping_ids_stay_apart(settings):
    async with running(create_service, settings) as (_, http):
        org = await setup_programme(http, settings)
        twin = copy.deepcopy(PROGRAMME) | {"programme_id": "p-twin", "year": 2027}
        assert (await http.post("/programmes", json=twin, headers=org)).status_code == 201
        for kind, data in (("units", TWIN_UNITS), ("members", TWIN_MEMBERS)):
            r = await http.post(f"/programmes/p-twin/{kind}/import", files={"file": ("x.csv", data.encode())},
                                headers=org)
            assert r.status_code == 200 and r.json()["imported"] >= 1, r.text
        czj = auth(settings, "unit", unit_id="u-czj")
        mine = {"category_id": "model-organ", "nominee_id": "u-czj"}

        # the tree, the roll and the names are each programme's own
        tree = {u["unit_id"]: u["name"] for u in (await http.get("/programmes/p-twin/units?flat=true")).json()}
        assert tree == {"u-czj": "市财政局（乙）", "u-czj-b1": "市财政局机关第一党支部（乙）", "u-other": "市统计局"}
        assert len((await http.get(f"/programmes/{PID}/units?flat=true")).json()) == 6
        roll = (await http.get("/programmes/p-twin/members", headers=org)).json()
        assert roll["total"] == 1 and roll["items"][0]["unit_id"] == "u-other"

        # a stage open in one programme does not open the other; a nomination lands in its programme only
        r = await http.post("/programmes/p-twin/nominations", json=mine, headers=czj)
        assert r.status_code == 409 and r.json()["error"]["field"] == "stage", r.text
        a = (await http.post(LIST, json=mine, headers=czj)).json()
        assert a["nominee_name"] == "市财政局"
        assert (await http.post("/programmes/p-twin/stages/nomination/open", headers=org)).status_code == 200
        r = await http.post("/programmes/p-twin/nominations", json=mine, headers=czj)
        assert r.status_code == 201 and r.json()["nominee_name"] == "市财政局（乙）", r.text
        b = r.json()
        # the same unit's subtree differs per programme: u-czj-b2 is in the first only
        r = await http.post("/programmes/p-twin/nominations", headers=czj,
                            json={"category_id": "red-flag-branch", "nominee_id": "u-czj-b2"})
        assert r.status_code == 404 and r.json()["error"]["field"] == "nominee_id", r.text

        for pid, nid in ((PID, a["nomination_id"]), ("p-twin", b["nomination_id"])):
            listed = (await http.get(f"/programmes/{pid}/nominations", headers=org)).json()
            assert [n["nomination_id"] for n in listed["items"]] == [nid]
            public = (await http.get(f"/programmes/{pid}/units/u-czj/nominations")).json()
            assert [n["nomination_id"] for n in public] == [nid]
        other = a["nomination_id"]
        assert (await http.get(f"/programmes/p-twin/nominations/{other}", headers=org)).status_code == 404

        # a veto in one programme leaves the same id in the other
        r = await http.put("/programmes/p-twin/vetoes/u-czj", json={"reason": "违纪"}, headers=org)
        assert r.status_code == 200 and r.json()["nomination_ids"] == [b["nomination_id"]]
        assert (await http.get(f"{LIST}/{a['nomination_id']}", headers=org)).json()["status"] == "submitted"
        assert (await http.get(f"/programmes/{PID}/vetoes", headers=org)).json() == []

        evs = await events(settings, min_count=12)
        imported = [(e["programme_id"], len(e["payload"]["units"])) for e in evs if e["type"] == "UnitsImported"]
        assert sorted(imported) == [(PID, 6), ("p-twin", 3)]
