"""The publicity service against real Kafka and MongoDB: notice, downloads, objections, closing, honours."""
from __future__ import annotations

import io
import json
from datetime import datetime

import docx
import openpyxl

from services.publicity.app import create_service
from services.publicity.domain import SHANGHAI
from shared.contracts import Envelope, topics
from tests.publicity.helpers import CAT, PID, Clock, closed_notice, feed, objection_form
from tests.support import auth, eventually, read_topic, running


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


async def events_of(settings, min_count: int) -> list[Envelope]:
    raw = await read_topic(settings, topics.PUBLICITY, min_count=min_count, timeout=10)
    return [Envelope.model_validate_json(r) for r in raw]


async def test_notice_objections_closing_and_honours(settings):
    clock = Clock(sh(2025, 9, 26, 8, 0))  # National Day 2025 period: 9/26, 9/28 (调休), 9/29, 9/30, 10/9
    org = auth(settings, "organiser")
    service = lambda s: create_service(s, clock=clock, tick_seconds=0.2, objection_rate=(600, 100))  # noqa: E731
    async with running(service, settings) as (svc, http):
        await feed(settings, svc)

        # nobody but the organiser opens a notice; unknown categories are named
        body = {"programme_id": PID, "category_id": CAT, "working_days": 5, "starts_at": sh(2025, 9, 26, 9).isoformat(),
                "contact_phone": "0571-87654321"}
        assert (await http.post("/notices", json=body, headers=auth(settings, "unit"))).status_code == 403
        r = await http.post("/notices", json=body | {"category_id": "nope"}, headers=org)
        assert r.status_code == 404 and r.json()["error"]["field"] == "category_id"

        r = await http.post("/notices", json=body, headers=org)
        assert r.status_code == 201, r.text
        notice = r.json()
        nid = notice["notice_id"]
        assert [e["nomination_id"] for e in notice["entries"]] == ["nom-a", "nom-b", "nom-c"]  # top quota=3 by rank
        assert notice["days"] == ["2025-09-26", "2025-09-28", "2025-09-29", "2025-09-30", "2025-10-09"]
        assert datetime.fromisoformat(notice["ends_at"]) == sh(2025, 10, 9, 17, 30)
        assert notice["title"] == "关于2025年度“模范机关”评选结果的公示"

        # a nominee can be in one notice only; a second top-of-ranking notice is refused
        r = await http.post("/notices", json=body, headers=org)
        assert r.status_code == 409 and "already has a publicity notice" in r.json()["error"]["message"]
        assert r.json()["error"]["code"] == "notice_exists"
        r = await http.post("/notices", json=body | {"nomination_ids": ["nom-a"]}, headers=org)
        assert r.status_code == 409 and r.json()["error"]["field"] == "nomination_ids"

        # downloads open with python-docx / openpyxl and carry names and dates; PDF embeds its CJK font
        r = await http.get(f"/notices/{nid}/download/docx")
        assert r.status_code == 200
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
        table = docx.Document(io.BytesIO(r.content)).tables[0]
        cells = [c.text for row in table.rows for c in row.cells]
        assert "关于2025年度“模范机关”评选结果的公示" in text
        assert "市发展和改革委员会机关" in cells and "市财政局" in cells and "市教育局机关" in cells
        assert "2025年9月26日至2025年10月9日" in text and "17:30" in text
        r = await http.get(f"/notices/{nid}/download/xlsx")
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        values = [c for row in ws.iter_rows(values_only=True) for c in row if c]
        assert "市财政局机关" in values and "市教育局" in values
        assert "2025年9月26日09:00" in values and "2025年10月9日17:30" in values
        r = await http.get(f"/notices/{nid}/download/pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF-")
        assert (await http.get(f"/notices/{nid}/download/odt")).status_code == 404

        # before the start: a clear refusal with the period's dates
        form = objection_form("nom-b")
        r = await http.post(f"/notices/{nid}/objections", data=form)
        assert r.status_code == 409
        assert "has not started" in r.json()["error"]["message"]
        assert "2025年10月9日17:30" in r.json()["error"]["message"]

        clock.t = sh(2025, 9, 29, 10)
        # invalid contact details: named field, no state change
        for bad, field in ((form | {"phone": "12345"}, "phone"), (form | {"phone": "", "email": ""}, "phone"),
                           (form | {"name": ""}, "name"), (form | {"email": "x@", "phone": ""}, "email")):
            r = await http.post(f"/notices/{nid}/objections", data=bad)
            assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
        r = await http.post(f"/notices/{nid}/objections", data=form,
                            files={"attachments": ("evil.exe", b"MZ....", "application/octet-stream")})
        assert r.status_code == 422 and r.json()["error"]["field"] == "attachments"
        r = await http.post(f"/notices/{nid}/objections", data=form,
                            files={"attachments": ("fake.pdf", b"not a pdf", "application/pdf")})
        assert r.status_code == 422
        assert await svc.store.count_objections() == 0

        # a real-name objection against nom-b, with an attachment
        r = await http.post(f"/notices/{nid}/objections", data=form,
                            files={"attachments": ("evidence.pdf", b"%PDF-1.4 evidence", "application/pdf")})
        assert r.status_code == 201, r.text
        tracking_b = r.json()["tracking_no"]
        r = await http.get(f"/objections/status/{tracking_b}")
        assert r.json() == {"tracking_no": tracking_b, "state": "filed", "state_label": "已受理"}
        assert (await http.get("/objections/status/YY2025-NOTHING")).status_code == 404

        # and one against nom-c, by e-mail only
        r = await http.post(f"/notices/{nid}/objections",
                            data=objection_form("nom-c", name="李四", phone="", email="lisi@example.cn"))
        assert r.status_code == 201
        tracking_c = r.json()["tracking_no"]

        # the contact never reaches a public page, the stored objection or an event
        stored = await svc.store.objections()
        dumped = json.dumps([{k: str(v) for k, v in o.items()} for o in stored], ensure_ascii=False)
        assert "13800138000" not in dumped and "lisi@example.cn" not in dumped and "张三" not in dumped
        sealed = json.dumps([str(c) for c in await svc.store.sealed_contacts()], ensure_ascii=False)
        assert "13800138000" not in sealed and "张三" not in sealed
        public = (await http.get(f"/notices/{nid}")).text + (await http.get("/notices")).text
        assert "13800138000" not in public and "张三" not in public
        objections = (await http.get("/objections", params={"notice_id": nid}, headers=org)).json()["objections"]
        by_nom = {o["nomination_id"]: o for o in objections}
        assert len(by_nom) == 2 and "phone" not in json.dumps(objections)
        contact = (await http.get(f"/objections/{by_nom['nom-b']['objection_id']}/contact", headers=org)).json()
        assert contact["phone"] == "13800138000" and contact["name"] == "张三"
        assert (await http.get(f"/objections/{by_nom['nom-b']['objection_id']}/contact")).status_code == 401
        att = by_nom["nom-b"]["attachments"][0]
        r = await http.get(f"/objections/{by_nom['nom-b']['objection_id']}/attachments/{att['file_id']}", headers=org)
        assert r.content == b"%PDF-1.4 evidence"

        # investigation of nom-c: assign, findings, sustained -> removed at once
        oc = by_nom["nom-c"]["objection_id"]
        r = await http.post(f"/objections/{oc}/findings", json={"findings": "尚未分派就记录核查情况"}, headers=org)
        assert r.status_code == 409
        assert (await http.post(f"/objections/{oc}/assign", json={"investigator": "王核查"},
                                headers=org)).status_code == 200
        r = await http.post(f"/objections/{oc}/findings", json={"findings": "经调阅材料，反映情况属实。"}, headers=org)
        assert r.json()["state"] == "investigating"
        r = await http.post(f"/objections/{oc}/resolve", json={"outcome": "sustained", "reason": "材料存在不实情况"},
                            headers=org)
        assert r.status_code == 200 and r.json()["state"] == "sustained"
        assert (await http.get(f"/objections/status/{tracking_c}")).json()["state"] == "sustained"
        r = await http.post(f"/objections/{oc}/resolve", json={"outcome": "dismissed", "reason": "再次处理该异议"},
                            headers=org)
        assert r.status_code == 409
        entries = {e["nomination_id"]: e["status"] for e in (await http.get(f"/notices/{nid}")).json()["entries"]}
        assert entries == {"nom-a": "in_publicity", "nom-b": "in_publicity", "nom-c": "removed"}

        # the period ends: nom-a confirmed; nom-b blocked by its open objection; filing is refused with the dates
        clock.t = sh(2025, 10, 9, 17, 30)
        await eventually(lambda: closed_notice(svc, nid), timeout=10)
        entries = {e["nomination_id"]: e["status"] for e in (await http.get(f"/notices/{nid}")).json()["entries"]}
        assert entries == {"nom-a": "confirmed", "nom-b": "blocked", "nom-c": "removed"}
        r = await http.post(f"/notices/{nid}/objections", data=objection_form("nom-a", phone="13900139000"))
        assert r.status_code == 409 and "has ended" in r.json()["error"]["message"]
        assert "2025年9月26日" in r.json()["error"]["message"]
        assert await svc.close_due_notices() == 0  # idempotent

        # the dismissal of nom-b's objection confirms it now that the period has ended
        ob = by_nom["nom-b"]["objection_id"]
        r = await http.post(f"/objections/{ob}/resolve", json={"outcome": "dismissed", "reason": "经核查反映不属实"},
                            headers=org)
        assert r.status_code == 200
        honours = {h["nomination_id"]: h for h in (await http.get("/honours")).json()["honours"]}
        assert set(honours) == {"nom-a", "nom-b"}
        assert honours["nom-a"]["title"] == "2025年度模范机关" and honours["nom-a"]["status"] == "confirmed"

        # the next-ranked candidate replaces the removed one with a fresh notice
        r = await http.post(f"/notices/{nid}/replacements", json={}, headers=org)
        assert r.status_code == 201, r.text
        fresh = r.json()
        assert [e["nomination_id"] for e in fresh["entries"]] == ["nom-d"] and fresh["supplementary"]
        assert "补充公示" in fresh["title"]
        assert (await http.post(f"/notices/{nid}/replacements", json={}, headers=org)).status_code == 409

        # dynamic management: a review, then a revocation with the reason; history kept
        ha = honours["nom-a"]["honour_id"]
        r = await http.post(f"/honours/{ha}/reviews", json={"due_date": "2026-10-09"}, headers=org)
        assert r.status_code == 201
        rid = r.json()["review_id"]
        r = await http.post(f"/honours/{ha}/reviews/{rid}/outcome", json={"outcome": "revoke"}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "note"
        r = await http.post(f"/honours/{ha}/reviews/{rid}/outcome",
                            json={"outcome": "maintained", "note": "复查合格"}, headers=org)
        assert r.json()["outcome"] == "maintained"
        hb = honours["nom-b"]["honour_id"]
        r = await http.post(f"/honours/{hb}/revoke", json={"reason": "后发现存在违纪问题"}, headers=org)
        assert r.status_code == 200 and r.json()["status"] == "revoked"
        assert (await http.post(f"/honours/{hb}/revoke", json={"reason": "再次撤销"}, headers=org)).status_code == 409
        detail = (await http.get(f"/honours/{hb}")).json()
        assert [h["status"] for h in detail["history"]] == ["confirmed", "revoked"]
        assert detail["revoked_reason"] == "后发现存在违纪问题"
        # the honours list downloads with the revoked one and its reason (public; the route is not an honour id)
        r = await http.get("/honours/download/xlsx", params={"programme_id": PID})
        assert r.status_code == 200 and r.headers["content-disposition"].endswith(f'honours-{PID}.xlsx"')
        rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        assert ("已撤销", "后发现存在违纪问题") in [(row[4], row[6]) for row in rows[3:]]
        assert (await http.get("/honours/download/odt")).status_code == 404

        # every step is an event; no event carries the objectors' contact details
        envs = await events_of(settings, 15)
        types = [e.type for e in envs]
        for t in ("PublicityOpened", "ObjectionFiled", "ObjectionAssigned", "ObjectionFindingsRecorded",
                  "ObjectionResolved", "NomineeRemoved", "PublicityClosed", "HonourConfirmed", "HonourReviewScheduled",
                  "HonourReviewed", "HonourRevoked"):
            assert t in types, t
        assert types.count("HonourConfirmed") == 2
        raw = json.dumps([e.model_dump(mode="json") for e in envs], ensure_ascii=False)
        assert "13800138000" not in raw and "lisi@example.cn" not in raw and "张三" not in raw
        assert {e.key for e in envs if e.type != "PublicityOpened" or e.payload["notice_id"] == nid} >= {nid}
