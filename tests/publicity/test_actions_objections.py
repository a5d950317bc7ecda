"""The objection actions on the fakes, no server: file a real-name objection, look up its state, investigate and
resolve it (dismiss; sustain -> removal), and the organiser's downloads."""
from __future__ import annotations

from datetime import datetime

import pytest

from services.publicity.actions import documents, investigation, notices, objections
from services.publicity.commands import AssignIn, FindingsIn, NoticeIn, ObjectionIn, ResolveIn
from services.publicity.domain import SHANGHAI
from shared.auth import Principal
from shared.contracts.publicity import HonourConfirmed, NomineeRemoved, ObjectionFiled, ObjectionResolved
from shared.errors import Closed, Conflict, Invalid, NotFound, TooManyRequests
from tests.publicity.fakes import Clock, learned, make_context
from tests.publicity.test_actions_notices import refused
from tests.publicity.helpers import CAT, PID

ORG = Principal(subject="org-1", role="organiser", name="组织部")
PDF = ("evidence.pdf", b"%PDF-1.4 evidence")


def sh(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def form(nomination_id: str = "nom-b", **kw) -> ObjectionIn:
    fields = {"name": "张三", "phone": "13800138000", "email": "",
              "reason": "该单位在年度考核中存在材料不实的问题，具体情况见附件。"} | kw
    return ObjectionIn(nomination_id=nomination_id, **fields)


async def open_world(**rates):
    clock = Clock(sh(2025, 9, 26, 8))
    ctx, store, uow = make_context(clock, **rates)
    await learned(ctx, uow)
    n = await notices.open_notice(ctx, ORG, NoticeIn(programme_id=PID, category_id=CAT, working_days=5,
                                                     starts_at=sh(2025, 9, 26, 9)))
    uow.events.clear()
    clock.t = sh(2025, 9, 29, 10)
    return (ctx, store, uow, clock), n["_id"]


@pytest.fixture
async def world():
    return (await open_world())[0]


async def file(world, nomination_id="nom-b", files=(), **kw) -> str:
    ctx, store, _, _ = world
    notice_id = next(iter(store.notice_docs))
    r = await objections.file_objection(ctx, notice_id, form(nomination_id, **kw), list(files), client="10.0.0.1")
    return next(o["_id"] for o in store.objection_docs.values() if o["tracking_no"] == r["tracking_no"])


class TestFileObjection:
    async def test_a_real_name_objection_with_an_attachment(self, world):
        ctx, store, uow, _ = world
        nid = next(iter(store.notice_docs))
        r = await objections.file_objection(ctx, nid, form(), [PDF], client="10.0.0.1")
        assert r["state"] == "filed" and r["state_label"] == "已受理" and r["tracking_no"].startswith("YY2025-")
        [o] = store.objection_docs.values()
        assert o["nominee_name"] == "市财政局机关" and o["attachments"][0]["filename"] == "evidence.pdf"
        assert "13800138000" not in str(o) and "张三" not in str(o)
        assert "13800138000" not in str(store.contacts) and "张三" not in str(store.contacts)
        assert ctx.attachments.files[o["attachments"][0]["file_id"]][1] == b"%PDF-1.4 evidence"
        [filed] = uow.events
        assert isinstance(filed.event, ObjectionFiled) and filed.key == nid
        assert filed.event.tracking_no == r["tracking_no"] and filed.event.nomination_id == "nom-b"
        assert await documents.contact(ctx, o["_id"]) == {"objection_id": o["_id"], "name": "张三",
                                                          "phone": "13800138000", "email": ""}
        assert not [h for h in o["history"] if h["step"] == "contact_viewed"]  # read without a person: no record
        await documents.contact(ctx, o["_id"], ORG)
        [viewed] = [h for h in store.objection_docs[o["_id"]]["history"] if h["step"] == "contact_viewed"]
        assert viewed["by"] == "org-1"
        assert (await documents.attachment(ctx, o["_id"], o["attachments"][0]["file_id"])).content == PDF[1]
        status = await objections.objection_status(ctx, r["tracking_no"].lower(), client="10.0.0.2")
        assert status == {"tracking_no": r["tracking_no"], "state": "filed", "state_label": "已受理"}

    @pytest.mark.parametrize("kw, field", [
        ({"name": "x"}, "name"), ({"phone": "", "email": ""}, "phone"), ({"phone": "12345"}, "phone"),
        ({"phone": "", "email": "not-mail"}, "email")])
    async def test_an_objector_without_a_real_name_or_contact(self, world, kw, field):
        ctx, store, _, _ = world
        await refused(world, objections.file_objection(ctx, next(iter(store.notice_docs)), form(**kw), [],
                                                       client="c"), Invalid, field)

    @pytest.mark.parametrize("files, text, code", [
        ([("a.exe", b"MZ")], "not an accepted type", "file_type"),
        ([("a.pdf", b"not a pdf")], "does not look like", "file_content_mismatch"),
        ([("a.pdf", b"")], "is empty", "file_empty"), ([PDF] * 4, "at most 3", "too_many_files"),
        ([("big.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024))], "larger than 5 MB", "file_too_large")])
    async def test_attachments_of_a_wrong_kind(self, world, files, text, code):
        ctx, store, _, _ = world
        err = await refused(world, objections.file_objection(ctx, next(iter(store.notice_docs)), form(), files,
                                                             client="c"), Invalid, "attachments", text)
        assert err.code == code
        assert ctx.attachments.files == {}

    async def test_outside_the_period_or_the_notice(self, world):
        ctx, store, _, clock = world
        nid = next(iter(store.notice_docs))
        await refused(world, objections.file_objection(ctx, "nope", form(), [], client="c"), NotFound, "notice_id")
        await refused(world, objections.file_objection(ctx, nid, form("ghost"), [], client="c"), NotFound,
                      "nomination_id")
        clock.t = sh(2025, 9, 26, 8, 59)
        await refused(world, objections.file_objection(ctx, nid, form(), [], client="c"), Closed, "notice_id",
                      "has not started")
        clock.t = sh(2025, 10, 9, 17, 30)
        e = await refused(world, objections.file_objection(ctx, nid, form(), [], client="c"), Closed, "notice_id",
                          "has ended")
        assert "2025年9月26日" in str(e) and "2025年10月9日17:30" in str(e)

    async def test_a_removed_nominee(self, world):
        ctx, store, _, _ = world
        nid = next(iter(store.notice_docs))
        await store.set_entry_status(nid, "nom-b", "removed")
        await refused(world, objections.file_objection(ctx, nid, form(), [], client="c"), Conflict,
                      "nomination_id", "no longer in publicity")

    async def test_rate_limits_per_address_and_per_contact(self):
        world, nid = await open_world(objection_rate=(1, 2), contact_rate=(1, 1))
        ctx, store, uow, _ = world
        await objections.file_objection(ctx, nid, form(), [], client="a")
        await refused(world, objections.file_objection(ctx, nid, form(phone="13800138000"), [], client="b"),
                      TooManyRequests, text="this contact")
        await objections.file_objection(ctx, nid, form(phone="13900139000"), [], client="a")
        await refused(world, objections.file_objection(ctx, nid, form(phone="13700137000"), [], client="a"),
                      TooManyRequests, text="this address")
        assert len(store.objection_docs) == 2 and uow.types() == ["ObjectionFiled", "ObjectionFiled"]

    async def test_the_attachments_go_when_the_objection_is_not_stored(self, world):
        ctx, store, uow, _ = world

        async def broken(doc, sealed):
            raise RuntimeError("the transaction failed")

        store.insert_objection = broken
        with pytest.raises(RuntimeError):
            await objections.file_objection(ctx, next(iter(store.notice_docs)), form(), [PDF], client="c")
        assert ctx.attachments.files == {} and len(ctx.attachments.deleted) == 1 and uow.events == []

    async def test_status_of_an_unknown_number_and_too_many_lookups(self):
        world, _ = await open_world(objection_rate=(1, 1))
        ctx = world[0]
        with pytest.raises(NotFound):
            await objections.objection_status(ctx, "YY2025-NOTHING", client="a")
        with pytest.raises(TooManyRequests):
            await objections.objection_status(ctx, "YY2025-NOTHING", client="a")


class TestAssign:
    async def test_assigned_then_reassigned(self, world):
        ctx, store, uow, _ = world
        oid = await file(world)
        uow.events.clear()
        o = await investigation.assign(ctx, ORG, oid, AssignIn(investigator="王核查"))
        assert o["state"] == "assigned" and o["investigator"] == "王核查" and o["history"][-1]["step"] == "assigned"
        await investigation.record_findings(ctx, ORG, oid, FindingsIn(findings="调阅材料"))
        o = await investigation.assign(ctx, ORG, oid, AssignIn(investigator="李核查"))
        assert o["state"] == "investigating" and o["investigator"] == "李核查"
        assert uow.types() == ["ObjectionAssigned", "ObjectionFindingsRecorded", "ObjectionAssigned"]
        assert [e.key for e in uow.events] == [o["notice_id"]] * 3

    async def test_refusals(self, world):
        ctx, store, _, _ = world
        await refused(world, investigation.assign(ctx, ORG, "nope", AssignIn(investigator="王")), NotFound,
                      "objection_id")
        oid = await file(world)
        await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="dismissed", reason="不属实"))
        await refused(world, investigation.assign(ctx, ORG, oid, AssignIn(investigator="王")), Conflict, "state")


class TestRecordFindings:
    async def test_findings_count_and_investigator(self, world):
        ctx, _, uow, _ = world
        oid = await file(world)
        await investigation.assign(ctx, ORG, oid, AssignIn(investigator="王核查"))
        uow.events.clear()
        await investigation.record_findings(ctx, ORG, oid, FindingsIn(findings="第一次"))
        o = await investigation.record_findings(ctx, ORG, oid, FindingsIn(findings="第二次"))
        assert o["state"] == "investigating" and [f["text"] for f in o["findings"]] == ["第一次", "第二次"]
        assert [(e.event.investigator, e.event.findings_count) for e in uow.events] == [("王核查", 1), ("王核查", 2)]

    async def test_before_assignment(self, world):
        ctx = world[0]
        oid = await file(world)
        await refused(world, investigation.record_findings(ctx, ORG, oid, FindingsIn(findings="尚未分派")), Conflict,
                      "state", "cannot be findings now")


class TestResolve:
    async def test_sustained_removes_the_nominee_at_once(self, world):
        ctx, store, uow, _ = world
        oid = await file(world)
        uow.events.clear()
        o = await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="sustained", reason="材料存在不实情况"))
        assert o["state"] == "sustained" and o["resolution_reason"] == "材料存在不实情况"
        n = store.notice_docs[o["notice_id"]]
        assert {e["nomination_id"]: e["status"] for e in n["entries"]}["nom-b"] == "removed"
        assert uow.types() == ["ObjectionResolved", "NomineeRemoved"]
        assert uow.of_type(NomineeRemoved)[0].reason == "材料存在不实情况"

    async def test_dismissed_during_the_period_changes_no_entry(self, world):
        ctx, store, uow, _ = world
        oid = await file(world)
        uow.events.clear()
        o = await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="dismissed", reason="不属实"))
        assert {e["status"] for e in store.notice_docs[o["notice_id"]]["entries"]} == {"in_publicity"}
        assert uow.types() == ["ObjectionResolved"] and uow.of_type(ObjectionResolved)[0].outcome == "dismissed"

    async def test_dismissed_after_the_closing_confirms_the_blocked_nominee(self, world):
        from services.publicity.actions import closing

        ctx, store, uow, clock = world
        oid = await file(world)
        clock.t = sh(2025, 10, 9, 17, 30)
        assert await closing.close_due(ctx) == 1
        uow.events.clear()
        await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="dismissed", reason="经核查反映不属实"))
        assert uow.types() == ["ObjectionResolved", "HonourConfirmed"]
        assert uow.of_type(HonourConfirmed)[0].nomination_id == "nom-b"
        assert store.honour_docs["h-nom-b"]["status"] == "confirmed"

    async def test_resolved_twice(self, world):
        ctx = world[0]
        oid = await file(world)
        await investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="sustained", reason="属实"))
        await refused(world, investigation.resolve(ctx, ORG, oid, ResolveIn(outcome="dismissed", reason="再次")),
                      Conflict, "state")
        await refused(world, investigation.resolve(ctx, ORG, "nope", ResolveIn(outcome="dismissed", reason="无此异议")),
                      NotFound, "objection_id")


class TestDownloads:
    async def test_docx_xlsx_pdf_and_unknown(self, world):
        ctx, store, _, _ = world
        nid = next(iter(store.notice_docs))
        docx = await documents.notice_document(ctx, nid, "docx")
        assert docx.content.startswith(b"PK") and docx.filename == f"publicity-{nid}.docx"
        xlsx = await documents.notice_document(ctx, nid, "xlsx")
        assert xlsx.media_type.endswith("spreadsheetml.sheet")
        pdf = await documents.notice_document(ctx, nid, "pdf")
        assert pdf.content.startswith(b"%PDF-") and pdf.media_type == "application/pdf"
        with pytest.raises(NotFound) as caught:
            await documents.notice_document(ctx, nid, "odt")
        assert caught.value.field == "fmt"
        with pytest.raises(NotFound):
            await documents.notice_document(ctx, "nope", "docx")

    async def test_organiser_downloads_of_unknown_things(self, world):
        ctx = world[0]
        oid = await file(world)
        with pytest.raises(NotFound) as caught:
            await documents.attachment(ctx, oid, "f9999")
        assert caught.value.field == "file_id"
        with pytest.raises(NotFound):
            await documents.contact(ctx, "nope")
