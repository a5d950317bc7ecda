"""The nominations service over HTTP on the real local Kafka and MongoDB: programmes, imports, nominations, review."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import yaml

from services.nominations.app import create_service
from services.nominations.store import NominationFilter
from tests.nominations.helpers import PID, PROGRAMME, W, events, setup_programme, store_of
from tests.support import auth, running

pytestmark = pytest.mark.conformance
DEMO_YAML = Path(__file__).parents[2] / "devtools" / "demo" / "programme.yaml"


async def test_programme_definition_validation_upload_and_versions(settings):
    async with running(create_service, settings) as (_, http):
        org = auth(settings, "organiser")
        bad = PROGRAMME | {"categories": [PROGRAMME["categories"][0] | {"weights": W | {"basic": 0.1}, "quota": 0}]}
        r = await http.post("/programmes", json=bad, headers=org)
        assert r.status_code == 422
        err = r.json()["error"]
        assert {p["field"] for p in err["problems"]} == {"categories[0].quota", "categories[0].weights"}
        assert "must sum to 1" in r.text and "positive" in r.text
        assert (await http.get(f"/programmes/{PID}")).status_code == 404  # nothing written

        r = await http.post("/programmes/upload", files={"file": ("p.yaml", DEMO_YAML.read_bytes())}, headers=org)
        assert r.status_code == 201, r.text
        demo = r.json()
        assert demo["name"] == "2026年度市直机关创先争优评选" and demo["version"] == 1
        assert [c["name"] for c in demo["categories"]] == ["模范机关", "先锋红旗党支部"]
        assert len(demo["categories"][0]["criteria"]) == 5  # 五强五带头
        assert demo["stages"][0]["opens_at_local"] == "2026-03-02 09:00" and demo["stages"][0]["label"] == "申报"
        r = await http.post("/programmes/upload", files={"file": ("p.yaml", DEMO_YAML.read_bytes())}, headers=org)
        assert r.status_code == 409 and r.json()["error"]["field"] == "programme_id"
        r = await http.post("/programmes/upload", files={"file": ("p.json", b"{not json")}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "file"
        r = await http.post("/programmes/upload", files={"file": ("p.yaml", b"name: x\nyear: 2026\n")}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "categories"
        assert (await http.post("/programmes", json=PROGRAMME, headers=auth(settings, "unit", unit_id="u"))
                ).status_code == 403

        pid = demo["programme_id"]
        raw = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
        raw["categories"][0]["quota"] = 12
        r = await http.put(f"/programmes/{pid}", json=raw, headers=org)
        assert r.status_code == 200 and r.json()["version"] == 2
        assert (await http.put(f"/programmes/{pid}", json=raw, headers=org)).json()["version"] == 2  # unchanged
        assert (await http.post(f"/programmes/{pid}/stages/voting/open", headers=org)).status_code == 200
        raw["categories"][0]["weights"] = {"basic": 0.5, "peer_vote": 0.5}
        r = await http.put(f"/programmes/{pid}", json=raw, headers=org)
        assert r.status_code == 409 and "after voting has started" in r.json()["error"]["message"]
        assert r.json()["error"]["field"] == "categories.model-organ"
        raw["categories"][0]["weights"] = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))["categories"][0][
            "weights"]
        raw["categories"][0]["quota"] = 11
        r = await http.put(f"/programmes/{pid}", json=raw, headers=org)
        assert r.status_code == 200 and r.json()["version"] == 3  # quotas may still change: a new version
        hist = (await http.get(f"/programmes/{pid}/versions", headers=org)).json()
        assert [v["version"] for v in hist["versions"]] == [1, 2, 3]
        assert [c["outcome"] for c in hist["changes"]] == ["new_version", "refused", "new_version"]

        evs = await events(settings, min_count=4)
        defined = [e for e in evs if e["type"] == "ProgrammeDefined"]
        assert [e["payload"]["version"] for e in defined] == [1, 2, 3]
        assert defined[0]["payload"]["stages"][0]["opens_at"].startswith("2026-03-02T01:00")  # 09:00 in Shanghai
        assert any(e["type"] == "StageChanged" and e["payload"]["state"] == "open" for e in evs)


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_imports_report_bad_rows_and_are_idempotent(settings):
    async with running(create_service, settings) as (_, http):
        org = auth(settings, "organiser")
        assert (await http.post("/programmes", json=PROGRAMME, headers=org)).status_code == 201
        units = ("单位编号,单位名称,上级单位编号,单位类型\nu-a,市审计局,,机关\n"
                 "u-a-b1,市审计局机关第一党支部,u-a,党支部\n"
                 "u-x,孤儿支部,u-none,branch\n,无编号,,organ\n")
        r = await http.post(f"/programmes/{PID}/units/import", files={"file": ("u.csv", units.encode())}, headers=org)
        body = r.json()
        assert r.status_code == 200 and body["imported"] == 2, body
        assert [(b["line"], b["reason"].split(" ")[0]) for b in body["bad_rows"]] == [(4, "parent_id"), (5, "unit_id")]
        r = await http.post(f"/programmes/{PID}/units/import", files={"file": ("u.csv", units.encode())}, headers=org)
        assert r.json()["imported"] == 0 and r.json()["unchanged"] == 2 and r.json()["events"] == 0

        members = xlsx([["党员编号", "姓名", "所在单位编号"], ["m1", "王伟", "u-a-b1"], ["m2", "李娜", "u-zz"],
                        ["m3", "", "u-a-b1"], ["m4", "赵敏", "u-a"]])
        r = await http.post(f"/programmes/{PID}/members/import", files={"file": ("m.xlsx", members)}, headers=org)
        body = r.json()
        assert body["imported"] == 2 and [b["line"] for b in body["bad_rows"]] == [3, 4], body
        r = await http.post(f"/programmes/{PID}/members/import", files={"file": ("m.xlsx", members)}, headers=org)
        assert r.json()["imported"] == 0
        renamed = xlsx([["member_id", "name", "unit_id"], ["m1", "王伟伟", "u-a-b1"]])
        r = await http.post(f"/programmes/{PID}/members/import", files={"file": ("m.xlsx", renamed)}, headers=org)
        assert r.json()["imported"] == 1 and r.json()["events"] == 1

        for name, data, words, code in [("m.txt", b"x", ".csv or .xlsx", "table_type"),
                                        ("m.xlsx", b"not a zip", "XLSX", "file_unreadable"),
                                        ("m.csv", b"name,unit_id\nx,y\n", "missing column", "missing_columns")]:
            r = await http.post(f"/programmes/{PID}/members/import", files={"file": (name, data)}, headers=org)
            assert r.status_code == 422 and words in r.json()["error"]["message"]
            assert r.json()["error"]["field"] == "file" and r.json()["error"]["code"] == code
        assert r.json()["error"]["params"] == {"columns": "member_id"}
        page = (await http.get(f"/programmes/{PID}/members?page_size=1", headers=org)).json()
        assert page["total"] == 2 and len(page["items"]) == 1
        tree = (await http.get(f"/programmes/{PID}/units")).json()
        assert tree[0]["unit_id"] == "u-a" and tree[0]["children"][0]["name"] == "市审计局机关第一党支部"

        evs = await events(settings, min_count=3)
        kinds = [e["type"] for e in evs]
        assert kinds.count("UnitsImported") == 1 and kinds.count("MembersImported") == 2
        last = [e for e in evs if e["type"] == "MembersImported"][-1]["payload"]["members"]
        assert last == [{"member_id": "m1", "name": "王伟伟", "unit_id": "u-a-b1"}]


async def test_nominations_eligibility_attachments_review_and_reads(settings):
    async with running(create_service, settings) as (svc, http):
        org = await setup_programme(http, settings, open_stage=False)
        czj = auth(settings, "unit", unit_id="u-czj")
        fgw = auth(settings, "unit", unit_id="u-fgw")
        base = f"/programmes/{PID}/nominations"

        async def nominate(headers, **body):
            return await http.post(base, json={"category_id": "model-organ", "nominee_id": "u-czj"} | body,
                                   headers=headers)

        async def refused(r, status, field, words):
            assert r.status_code == status, r.text
            assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"], r.text

        await refused(await nominate(czj), 409, "stage", "not open")
        assert (await http.post(f"/programmes/{PID}/stages/nomination/open", headers=org)).status_code == 200
        await refused(await nominate(czj, category_id="nope"), 404, "category_id", "does not exist")
        await refused(await nominate(czj, nominee_id="u-czj-b1"), 422, "nominee_id", "kind organ, not branch")
        await refused(await nominate(czj, nominee_id="u-fgw"), 403, "nominee_id", "outside")
        await refused(await nominate(czj, unit_id="u-fgw"), 403, "unit_id", "outside")
        await refused(await nominate(czj, nominee_id="ghost"), 404, "nominee_id", "not in the organisation tree")
        await refused(await nominate(czj, self_assessment={"bogus": 3}), 422, "self_assessment.bogus", "unknown")
        await refused(await nominate(czj, self_assessment={"political": 30}), 422, "self_assessment.political",
                      "from 0 to 20")
        await refused(await nominate(auth(settings, "unit")), 403, "unit_id", "no unit_id")
        assert (await nominate(auth(settings, "judge"))).status_code == 403
        assert await store_of(svc).count_nominations(NominationFilter(PID)) == 0  # no refusal changed anything

        r = await nominate(czj, materials="坚持党建引领", self_assessment={"political": 18.5, "theory": 19})
        assert r.status_code == 201, r.text
        organ = r.json()
        assert organ["nominee_name"] == "市财政局" and organ["status"] == "submitted"
        await refused(await nominate(czj), 409, "nominee_id", "already nominated")
        r = await http.put(f"/programmes/{PID}/vetoes/u-fgw", json={"reason": "受到党纪处分"}, headers=org)
        assert r.status_code == 200
        await refused(await nominate(fgw, nominee_id="u-fgw"), 409, "nominee_id", "一票否决")
        assert (await http.request("DELETE", f"/programmes/{PID}/vetoes/u-fgw", json={"reason": "处分已撤销"},
                                   headers=org)).status_code == 204  # issue 15: lifting needs a reason
        fgw_nom = (await nominate(fgw, nominee_id="u-fgw")).json()
        assert fgw_nom["status"] == "submitted"

        branch = lambda nominee: {"category_id": "red-flag-branch", "nominee_id": nominee}  # noqa: E731
        b1 = (await http.post(base, json=branch("u-czj-b1"), headers=czj)).json()
        b2 = (await http.post(base, json=branch("u-czj-b2"), headers=czj)).json()
        assert b2["unit_name"] == "市财政局"
        sub = auth(settings, "unit", unit_id="u-czj-b1")
        await refused(await http.post(base, json=branch("u-czj-b2"), headers=sub), 403, "nominee_id", "outside")
        r = await http.post(base, json={"category_id": "good-member", "nominee_id": "m1",
                                        "self_assessment": {"conduct": 24}}, headers=sub)
        assert r.status_code == 201 and r.json()["nominee_kind"] == "member" and r.json()["nominee_name"] == "王伟"
        member_nom = r.json()
        await refused(await http.post(base, json={"category_id": "good-member", "nominee_id": "m3"}, headers=sub),
                      403, "nominee_id", "outside")
        # the unit limit (2 per unit for branches): withdraw one, then nominate again
        fgw_b = await http.post(base, json=branch("u-fgw-b1"), headers=fgw)
        assert fgw_b.status_code == 201
        await refused(await http.post(f"{base}/{b1['nomination_id']}/withdraw", headers=fgw), 403, "nomination_id",
                      "outside")
        r = await http.post(f"{base}/{b1['nomination_id']}/withdraw", headers=czj)
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        b1 = (await http.post(base, json=branch("u-czj-b1"), headers=czj)).json()
        assert b1["status"] == "submitted"

        # attachments in GridFS
        att = f"{base}/{organ['nomination_id']}/attachments"
        r = await http.post(att, files={"file": ("事迹材料.pdf", b"%PDF-1.4 demo", "application/pdf")}, headers=czj)
        assert r.status_code == 201, r.text
        file_id = r.json()["file_id"]
        await refused(await http.post(att, files={"file": ("x.exe", b"MZ")}, headers=czj), 422, "file", "not allowed")
        await refused(await http.post(att, files={"file": ("big.pdf", b"0" * (10 * 1024 * 1024 + 1))}, headers=czj),
                      422, "file", "larger than 10 MB")
        r = await http.get(f"{att}/{file_id}", headers=org)
        assert r.status_code == 200 and r.content == b"%PDF-1.4 demo" and r.headers["content-type"] == "application/pdf"

        # review
        assert (await http.post(f"{base}/{organ['nomination_id']}/approve", headers=czj)).status_code == 403
        r = await http.post(f"{base}/{organ['nomination_id']}/return", json={"comments": "请补充重点任务材料"},
                            headers=org)
        assert r.status_code == 200 and r.json()["status"] == "returned"
        await refused(await http.post(f"{base}/{organ['nomination_id']}/approve", json={}, headers=org), 409, "status",
                      "returned")
        r = await http.post(f"{base}/{organ['nomination_id']}/return", json={"comments": ""}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "comments"
        r = await http.put(f"{base}/{organ['nomination_id']}", json={"materials": "已补充"}, headers=czj)
        assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["materials"] == "已补充"
        assert (await http.post(f"{base}/{organ['nomination_id']}/approve", json={"comment": "通过"},
                                headers=org)).json()["status"] == "approved"
        await refused(await http.post(f"{base}/{organ['nomination_id']}/withdraw", headers=czj), 409, "status",
                      "approved")
        r = await http.post(f"{base}/{fgw_nom['nomination_id']}/reject", json={"reason": "材料不实"}, headers=org)
        assert r.json()["status"] == "rejected"
        r = await http.post(f"{base}/{fgw_nom['nomination_id']}/reject", json={}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
        for n in (b1, b2, member_nom):
            assert (await http.post(f"{base}/{n['nomination_id']}/approve", headers=org)).status_code == 200
        assert (await http.post(f"/programmes/{PID}/stages/review/open", headers=org)).status_code == 200
        r = await http.post(f"/programmes/{PID}/stages/review/close", headers=org)
        warnings = r.json()["warnings"]
        assert [w["category_id"] for w in warnings] == ["model-organ", "good-member"]
        assert warnings[0]["approved"] == 1 and warnings[0]["needed"] == 3

        # reads
        detail = (await http.get(f"{base}/{organ['nomination_id']}", headers=czj)).json()
        assert [h["action"] for h in detail["history"]] == ["submit", "return", "resubmit", "approve"]
        assert detail["attachments"][0]["filename"] == "事迹材料.pdf"
        assert (await http.get(f"{base}/{organ['nomination_id']}", headers=fgw)).status_code == 403
        page = (await http.get(f"{base}?status=approved&page_size=2", headers=org)).json()
        assert page["total"] == 4 and len(page["items"]) == 2 and "materials" not in page["items"][0]
        assert (await http.get(f"{base}?status=approved&page=2&page_size=2", headers=org)).json()["items"]
        mine = (await http.get(base, headers=fgw)).json()
        assert {n["unit_id"] for n in mine["items"]} == {"u-fgw"} and mine["total"] == 2
        assert (await http.get(f"{base}?category_id=red-flag-branch&q=第二", headers=org)).json()["total"] == 1
        r = await http.get(f"{base}?status=maybe", headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "status"
        r = await http.get(f"{base}/export.xlsx", headers=org)
        assert r.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0][:4] == ("序号", "申报编号", "类别", "被推荐对象") and len(rows) == 1 + 7
        public = (await http.get(f"/programmes/{PID}/units/u-czj/nominations")).json()
        assert len(public) == 3 and "materials" not in public[0]  # the member was nominated by a branch
        assert (await http.get("/openapi.json")).json()["paths"]["/programmes/{programme_id}/nominations"]

        evs = await events(settings, min_count=20)
        kinds = [e["type"] for e in evs]
        for t in ("NominationSubmitted", "NominationApproved", "NominationReturned", "NominationRejected",
                  "NominationWithdrawn", "StageChanged"):
            assert t in kinds, t
        resub = [e for e in evs if e["type"] == "NominationSubmitted" and e["key"] == organ["nomination_id"]]
        assert [e["payload"]["resubmission"] for e in resub] == [False, True]


async def test_concurrent_submissions_respect_the_unit_limit(settings):
    import asyncio

    async with running(create_service, settings) as (svc, http):
        await setup_programme(http, settings)
        czj = auth(settings, "unit", unit_id="u-czj")
        base = f"/programmes/{PID}/nominations"
        # red-flag-branch allows 2 per unit; three different branches at once: exactly two pass
        await http.post("/programmes/%s/units/import" % PID, headers=auth(settings, "organiser"), files={
            "file": ("u.csv",
                     b"unit_id,name,parent_id,kind\nu-czj-b3,\xe7\xac\xac\xe4\xb8\x89\xe6\x94\xaf\xe9\x83\xa8,u-czj,branch\n")})
        results = await asyncio.gather(*[http.post(base, json={"category_id": "red-flag-branch", "nominee_id": b},
                                                   headers=czj) for b in ("u-czj-b1", "u-czj-b2", "u-czj-b3")])
        assert sorted(r.status_code for r in results) == [201, 201, 409], [r.text for r in results]
        assert "limit of 2" in next(r for r in results if r.status_code == 409).json()["error"]["message"]
        assert await store_of(svc).count_nominations(NominationFilter(PID, unit_id="u-czj")) == 2
