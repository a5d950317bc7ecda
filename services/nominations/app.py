"""Nominations service (申报与资格审查): programmes, the organisation tree and roll, nominations and their review."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import yaml
from fastapi import Depends, File, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pydantic import BaseModel, Field
from pymongo import ReplaceOne
from pymongo.errors import DuplicateKeyError

from shared.auth import Principal, require
from shared.contracts.nominations import (
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationSubmitted,
    NominationWithdrawn,
    ProgrammeDefined,
    StageChanged,
    UnitInfo,
    UnitsImported,
)
from shared.errors import Closed, Conflict, DomainError, Forbidden, Invalid, NotFound
from shared.service import Service
from shared.settings import Settings

from . import domain as d

TEMPLATE_DIR = Path(__file__).parent / "templates"
EVENT_CHUNK = 1000
MAX_IMPORT_BYTES = 12 * 1024 * 1024
ERRORS = {"invalid": Invalid, "closed": Closed, "conflict": Conflict, "forbidden": Forbidden, "not_found": NotFound}


def load_templates() -> dict[str, dict]:
    out = {}
    for path in sorted(TEMPLATE_DIR.glob("*.yaml")):
        t = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[t["template_id"]] = t
    return out


class ProgrammeInvalid(Invalid):
    """A programme definition with one or more problems; all of them are listed."""

    def __init__(self, problems: list[d.Problem]) -> None:
        super().__init__(problems[0].text(), field=problems[0].field)
        self.problems = problems

    def body(self) -> dict:
        b = super().body()
        b["error"]["problems"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return b


def refuse(r: d.Refusal) -> DomainError:
    return ERRORS[r.kind](r.message, field=r.field)


def in_programme(pid: str) -> dict:
    """The rows of one programme in the units and members collections: a range of the _id index."""
    return {"_id": {"$gte": f"{pid}:", "$lt": f"{pid};"}}


def now() -> datetime:
    return datetime.now(UTC)


# ---- request bodies ------------------------------------------------------------------------------------
class NominationIn(BaseModel):
    category_id: str = Field(min_length=1, max_length=64)
    nominee_id: str = Field(min_length=1, max_length=64)
    unit_id: str | None = Field(None, description="the nominating unit; defaults to the token's unit")
    materials: str = Field("", description="事迹材料 (text)")
    self_assessment: dict[str, float] = Field(default_factory=dict, description="自评分: criterion_id -> points")
    nominee_name: str | None = Field(None, description="ignored: the name comes from the organisation tree or roll")
    unit_name: str | None = Field(None, description="ignored: the name comes from the organisation tree")


class ResubmitIn(BaseModel):
    materials: str | None = None
    self_assessment: dict[str, float] | None = None


class CommentIn(BaseModel):
    comment: str = Field("", max_length=2000)


class ReturnIn(BaseModel):
    comments: str = Field(min_length=1, max_length=2000, description="what the unit must revise")


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class VetoIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="e.g. 受到党纪处分")


def public_nomination(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k not in ("_id", "active_key")}
    out["nomination_id"] = doc["_id"]
    out["status_label"] = d.STATUS_LABELS.get(doc["status"], doc["status"])
    return out


def public_programme(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k != "_id"}
    out["programme_id"] = doc["_id"]
    for st in out.get("stages", []):  # stored in UTC, shown in Asia/Shanghai
        st["opens_at_local"] = st["opens_at"].astimezone(d.SHANGHAI).strftime("%Y-%m-%d %H:%M")
        st["closes_at_local"] = st["closes_at"].astimezone(d.SHANGHAI).strftime("%Y-%m-%d %H:%M")
        st["label"] = d.STAGE_LABELS[st["stage"]]
    return out


def create_service(settings: Settings | None = None) -> Service:
    svc = Service("nominations", settings, title="Nominations service (申报与资格审查)",
                  description="Programmes, the organisation tree and the roll, nominations with eligibility checks "
                              "and quotas, and their review.")
    api = svc.api
    templates = load_templates()

    @svc.on_startup
    async def indexes() -> None:
        await svc.db.nominations.create_index("active_key", unique=True)
        await svc.db.nominations.create_index([("programme_id", 1), ("unit_id", 1)])
        await svc.db.nominations.create_index([("programme_id", 1), ("category_id", 1), ("status", 1)])
        # units and members have no secondary index: their _id is "<programme_id>:<id>", so a programme's rows
        # are an _id range (see in_programme); a secondary index triples the time of a 10,000-row import.

    # ---- helpers --------------------------------------------------------------------------------------
    async def get_programme(pid: str, s=None) -> dict:
        doc = await svc.db.programmes.find_one({"_id": pid}, session=s)
        if doc is None:
            raise NotFound(f"programme {pid} does not exist", field="programme_id")
        return doc

    async def parents_of(pid: str) -> dict[str, str | None]:
        docs = await svc.db.units.find(in_programme(pid), {"unit_id": 1, "parent_id": 1}).to_list()
        return {u["unit_id"]: u.get("parent_id") for u in docs}

    async def scope(pid: str, who: Principal) -> set[str] | None:
        """Units the caller may see or act for; None means everything (organiser)."""
        if who.role == "organiser":
            return None
        if not who.unit_id:
            raise Forbidden("the token carries no unit_id", field="unit_id")
        return d.subtree(await parents_of(pid), who.unit_id)

    async def get_nomination(pid: str, nid: str, who: Principal | None = None) -> dict:
        doc = await svc.db.nominations.find_one({"_id": nid, "programme_id": pid})
        if doc is None:
            raise NotFound(f"nomination {nid} does not exist in programme {pid}", field="nomination_id")
        if who is not None:
            allowed = await scope(pid, who)
            if allowed is not None and doc["unit_id"] not in allowed:
                raise Forbidden("this nomination belongs to a unit outside your subtree", field="nomination_id")
        return doc

    def programme_event(doc: dict) -> ProgrammeDefined:
        return ProgrammeDefined(
            programme_id=doc["_id"], version=doc["version"], name=doc["name"], year=doc["year"],
            categories=[{k: c[k] for k in ("category_id", "name", "name_en", "nominee_kind", "board", "quota",
                                           "competitive_ratio", "unit_limit", "criteria", "weights")}
                        for c in doc["categories"]],
            stages=[{"stage": s["stage"], "opens_at": s["opens_at"], "closes_at": s["closes_at"]}
                    for s in doc["stages"]])

    async def define(raw: Any) -> dict:
        prog, problems = d.normalise_programme(raw, templates)
        if problems:
            raise ProgrammeInvalid(problems)
        pid = prog.pop("programme_id") or uuid4().hex[:12]

        async def txn(s):
            if await svc.db.programmes.find_one({"_id": pid}, {"_id": 1}, session=s):
                raise Conflict(f"programme {pid} already exists; change it with PUT /programmes/{pid}",
                               field="programme_id")
            doc = prog | {"_id": pid, "version": 1, "stage_state": {}, "voting_started": False,
                          "created_at": now(), "updated_at": now()}
            await svc.db.programmes.insert_one(doc, session=s)
            await svc.db.programme_versions.insert_one(
                {"_id": f"{pid}:1", "programme_id": pid, "version": 1, "recorded_at": now(),
                 "change": "defined"} | d.definition_of(prog), session=s)
            await svc.emit(s, programme_event(doc), programme_id=pid, key=pid)
            return doc

        return public_programme(await svc.transact(txn))

    async def parse_upload(file: UploadFile) -> Any:
        data = await file.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("the file must be UTF-8 text (YAML or JSON)", field="file") from None
        try:
            if (file.filename or "").lower().endswith(".json"):
                return json.loads(text)
            return yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise Invalid(f"the file is not valid YAML or JSON: {str(exc).splitlines()[0]}", field="file") from None

    # ---- programmes -----------------------------------------------------------------------------------
    @api.post("/programmes", status_code=201, tags=["programmes"], summary="Define a programme (JSON body)")
    async def define_programme(body: dict[str, Any], _: Principal = Depends(require("organiser"))):
        return await define(body)

    @api.post("/programmes/upload", status_code=201, tags=["programmes"],
              summary="Define a programme from an uploaded YAML or JSON file")
    async def upload_programme(file: UploadFile = File(...), _: Principal = Depends(require("organiser"))):
        return await define(await parse_upload(file))

    @api.put("/programmes/{programme_id}", tags=["programmes"],
             summary="Change a programme: a new version, or refused for criteria/weights once voting started")
    async def change_programme(programme_id: str, body: dict[str, Any],
                               who: Principal = Depends(require("organiser"))):
        new, problems = d.normalise_programme(body | {"programme_id": programme_id}, templates)
        if problems:
            raise ProgrammeInvalid(problems)

        async def txn(s):
            old = await get_programme(programme_id, s)
            decision = d.change_decision(old, new, old.get("voting_started", False))
            if isinstance(decision, d.Refusal):
                await svc.db.programme_changes.insert_one(
                    {"_id": uuid4().hex, "programme_id": programme_id, "at": now(), "by": who.subject,
                     "outcome": "refused", "reason": decision.message, "attempted": d.definition_of(new)}, session=s)
                return decision
            if decision == "unchanged":
                return old
            version = old["version"] + 1
            doc = old | d.definition_of(new) | {"version": version, "updated_at": now()}
            await svc.db.programmes.replace_one({"_id": programme_id}, doc, session=s)
            await svc.db.programme_versions.insert_one(
                {"_id": f"{programme_id}:{version}", "programme_id": programme_id, "version": version,
                 "recorded_at": now(), "change": "changed", "by": who.subject} | d.definition_of(new), session=s)
            await svc.db.programme_changes.insert_one(
                {"_id": uuid4().hex, "programme_id": programme_id, "at": now(), "by": who.subject,
                 "outcome": "new_version", "version": version}, session=s)
            await svc.emit(s, programme_event(doc), programme_id=programme_id, key=programme_id)
            return doc

        result = await svc.transact(txn)
        if isinstance(result, d.Refusal):
            raise refuse(result)  # the refusal itself was recorded in programme_changes
        return public_programme(result)

    @api.get("/programmes", tags=["programmes"], summary="List programmes")
    async def list_programmes(request: Request):
        svc.check_public_rate(request)
        docs = await svc.db.programmes.find({}, {"name": 1, "year": 1, "version": 1}).sort("year", -1).to_list()
        return [public_programme(x) for x in docs]

    @api.get("/programmes/{programme_id}", tags=["programmes"], summary="Programme detail (public)")
    async def programme_detail(programme_id: str, request: Request):
        svc.check_public_rate(request)
        return public_programme(await get_programme(programme_id))

    @api.get("/programmes/{programme_id}/versions", tags=["programmes"], summary="Every recorded version")
    async def programme_versions(programme_id: str, _: Principal = Depends(require("organiser"))):
        await get_programme(programme_id)
        versions = await svc.db.programme_versions.find({"programme_id": programme_id}).sort("version", 1).to_list()
        changes = await svc.db.programme_changes.find({"programme_id": programme_id}).sort("at", 1).to_list()
        return {"versions": [{k: v for k, v in x.items() if k != "_id"} for x in versions],
                "changes": [{k: v for k, v in x.items() if k != "_id"} for x in changes]}

    @api.get("/criteria-templates", tags=["programmes"], summary="Shipped criteria sets (五强五带头, 四强, 四好)")
    async def criteria_templates():
        return list(templates.values())

    # ---- stages ---------------------------------------------------------------------------------------
    @api.post("/programmes/{programme_id}/stages/{stage}/{action}", tags=["stages"],
              summary="Open or close a stage (申报, 资格审查, 民主测评, ...); closing review warns of quota shortfalls")
    async def change_stage(programme_id: str, stage: str, action: str,
                           _: Principal = Depends(require("organiser"))):
        if stage not in d.STAGES:
            raise NotFound(f"unknown stage {stage}; stages are {', '.join(d.STAGES)}", field="stage")
        if action not in ("open", "close"):
            raise NotFound("the action must be open or close", field="action")
        state = "open" if action == "open" else "closed"

        async def txn(s):
            prog = await get_programme(programme_id, s)
            current = prog.get("stage_state", {}).get(stage, "closed")
            if current == state:
                raise Conflict(f"the {stage} stage is already {state}", field="stage")
            update = {f"stage_state.{stage}": state, "updated_at": now()}
            if stage == "voting" and state == "open":
                update["voting_started"] = True
            await svc.db.programmes.update_one({"_id": programme_id}, {"$set": update}, session=s)
            await svc.emit(s, StageChanged(programme_id=programme_id, stage=stage, state=state),
                           programme_id=programme_id, key=programme_id)
            return prog

        prog = await svc.transact(txn)
        out: dict[str, Any] = {"programme_id": programme_id, "stage": stage, "state": state, "warnings": []}
        if stage == "review" and state == "closed":
            out["warnings"] = d.quota_shortfalls(prog["categories"], await approved_counts(programme_id))
        return out

    async def approved_counts(pid: str) -> dict[str, int]:
        rows = await (await svc.db.nominations.aggregate([
            {"$match": {"programme_id": pid, "status": "approved"}},
            {"$group": {"_id": "$category_id", "n": {"$sum": 1}}}])).to_list()
        return {r["_id"]: r["n"] for r in rows}

    @api.get("/programmes/{programme_id}/quota", tags=["stages"], summary="Approved candidates against quota")
    async def quota(programme_id: str, _: Principal = Depends(require("organiser"))):
        prog = await get_programme(programme_id)
        counts = await approved_counts(programme_id)
        return {"categories": [{"category_id": c["category_id"], "name": c["name"], "quota": c["quota"],
                                "needed": d.needed_candidates(c), "approved": counts.get(c["category_id"], 0)}
                               for c in prog["categories"]],
                "warnings": d.quota_shortfalls(prog["categories"], counts)}

    # ---- organisation tree and roll -------------------------------------------------------------------
    async def read_table(file: UploadFile) -> list[list[Any]]:
        data = await file.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise Invalid("the file is larger than 12 MB", field="file")
        name = (file.filename or "").lower()
        if name.endswith(".xlsx"):
            import openpyxl

            try:
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            except Exception:
                raise Invalid("the file is not a readable XLSX workbook", field="file") from None
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
            wb.close()
            return rows
        if name.endswith(".csv"):
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    return list(csv.reader(io.StringIO(data.decode(enc))))
                except UnicodeDecodeError:
                    continue
            raise Invalid("the CSV file must be UTF-8 or GB18030 text", field="file")
        raise Invalid("the file must be .csv or .xlsx", field="file")

    async def read_table_with_headers(file: UploadFile, headers) -> tuple[list, dict]:
        """The rows of an uploaded table and where each known column is, from its header row."""
        rows = await read_table(file)
        if not rows:
            raise Invalid("the file is empty", field="file")
        pos, problem = d.map_headers(rows[0], headers)
        if problem:
            raise Invalid(problem.message, field=problem.field)
        return rows, pos

    @api.post("/programmes/{programme_id}/units/import", tags=["organisation"],
              summary="Import organs, departments and branches from CSV or XLSX (unit_id, name, parent_id, kind)")
    async def import_units(programme_id: str, file: UploadFile = File(...),
                           _: Principal = Depends(require("organiser"))):
        await get_programme(programme_id)
        rows, pos = await read_table_with_headers(file, d.UNIT_HEADERS)
        stored = await svc.db.units.find(in_programme(programme_id),
                                         {"_id": 0, "unit_id": 1, "name": 1, "parent_id": 1, "kind": 1}).to_list()
        known = {u["unit_id"]: u for u in stored}
        units, bad = d.parse_units(rows[1:], pos, known)
        changed = d.changed_rows(known, units, "unit_id")
        events = await write_rows(programme_id, "units", "unit_id", changed, known,
                                  lambda part: UnitsImported(units=[UnitInfo(**u) for u in part]), "units")
        return {"rows": len(units) + len(bad), "imported": len(changed), "unchanged": len(units) - len(changed),
                "bad_rows": bad, "events": events}

    @api.post("/programmes/{programme_id}/members/import", tags=["organisation"],
              summary="Import the roll of members from CSV or XLSX (member_id, name, unit_id)")
    async def import_members(programme_id: str, file: UploadFile = File(...),
                             _: Principal = Depends(require("organiser"))):
        await get_programme(programme_id)
        rows, pos = await read_table_with_headers(file, d.MEMBER_HEADERS)
        unit_ids = set(await parents_of(programme_id))
        stored = await svc.db.members.find(in_programme(programme_id),
                                           {"_id": 0, "member_id": 1, "name": 1, "unit_id": 1}).to_list()
        known = {m["member_id"]: m for m in stored}
        members, bad = d.parse_members(rows[1:], pos, unit_ids)
        changed = d.changed_rows(known, members, "member_id")
        events = await write_rows(programme_id, "members", "member_id", changed, known,
                                  lambda part: MembersImported(members=[MemberInfo(**m) for m in part]), "members")
        return {"rows": len(members) + len(bad), "imported": len(changed), "unchanged": len(members) - len(changed),
                "bad_rows": bad, "events": events}

    async def write_rows(pid: str, coll: str, key: str, rows: list[dict], known: dict, make_event, event_key: str):
        """All good rows and their events in one transaction: nothing is half-written."""
        if not rows:
            return 0
        new = [r for r in rows if r[key] not in known]
        updated = [r for r in rows if r[key] in known]

        async def txn(s):
            if new:
                await svc.db[coll].insert_many([r | {"_id": f"{pid}:{r[key]}", "programme_id": pid} for r in new],
                                               ordered=False, session=s)
            if updated:
                await svc.db[coll].bulk_write(
                    [ReplaceOne({"_id": f"{pid}:{r[key]}"}, r | {"programme_id": pid}) for r in updated],
                    ordered=False, session=s)
            parts = d.chunks(rows, EVENT_CHUNK)
            await svc.emit_many(s, [(make_event(p), pid, event_key) for p in parts])
            return len(parts)

        return await svc.transact(txn)

    @api.get("/programmes/{programme_id}/units", tags=["organisation"],
             summary="The organisation tree (nested), or a flat list with ?flat=true")
    async def units_tree(programme_id: str, request: Request, flat: bool = False):
        svc.check_public_rate(request)
        await get_programme(programme_id)
        units = await svc.db.units.find(in_programme(programme_id),
                                        {"_id": 0, "programme_id": 0}).sort("unit_id", 1).to_list()
        return units if flat else d.build_tree(units)

    @api.get("/programmes/{programme_id}/members", tags=["organisation"], summary="The roll, by page")
    async def list_members(programme_id: str, unit_id: str | None = None, page: int = Query(1, ge=1),
                           page_size: int = Query(100, ge=1, le=1000),
                           who: Principal = Depends(require("organiser", "unit"))):
        await get_programme(programme_id)
        allowed = await scope(programme_id, who)
        q: dict[str, Any] = in_programme(programme_id)
        if unit_id:
            if allowed is not None and unit_id not in allowed:
                raise Forbidden(f"unit {unit_id} is outside your unit's subtree", field="unit_id")
            q["unit_id"] = unit_id
        elif allowed is not None:
            q["unit_id"] = {"$in": sorted(allowed)}
        total = await svc.db.members.count_documents(q)
        items = await svc.db.members.find(q, {"_id": 0, "programme_id": 0}).sort("member_id", 1) \
            .skip((page - 1) * page_size).limit(page_size).to_list()
        return {"items": items, "total": total, "page": page, "page_size": page_size}

    # ---- veto flags (一票否决) -------------------------------------------------------------------------
    @api.put("/programmes/{programme_id}/vetoes/{subject_id}", tags=["organisation"],
             summary="Flag a unit or member with a veto (一票否决), e.g. a disciplinary record")
    async def set_veto(programme_id: str, subject_id: str, body: VetoIn,
                       who: Principal = Depends(require("organiser"))):
        await get_programme(programme_id)
        doc = {"_id": f"{programme_id}:{subject_id}", "programme_id": programme_id, "subject_id": subject_id,
               "reason": body.reason, "by": who.subject, "at": now()}
        await svc.db.vetoes.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        return {k: v for k, v in doc.items() if k != "_id"}

    @api.delete("/programmes/{programme_id}/vetoes/{subject_id}", status_code=204, tags=["organisation"])
    async def lift_veto(programme_id: str, subject_id: str, _: Principal = Depends(require("organiser"))):
        r = await svc.db.vetoes.delete_one({"_id": f"{programme_id}:{subject_id}"})
        if not r.deleted_count:
            raise NotFound(f"no veto on {subject_id}", field="subject_id")
        return Response(status_code=204)

    @api.get("/programmes/{programme_id}/vetoes", tags=["organisation"])
    async def list_vetoes(programme_id: str, _: Principal = Depends(require("organiser"))):
        return await svc.db.vetoes.find({"programme_id": programme_id}, {"_id": 0}).to_list()

    # ---- nominations ----------------------------------------------------------------------------------
    async def nominee_of(pid: str, nominee_id: str) -> tuple[str | None, str | None, str]:
        """(kind, unit, name) of a nominee: a unit of the tree or a member of the roll."""
        u = await svc.db.units.find_one({"_id": f"{pid}:{nominee_id}"})
        if u is not None:
            return u["kind"], u["unit_id"], u["name"]
        m = await svc.db.members.find_one({"_id": f"{pid}:{nominee_id}"})
        if m is not None:
            return "member", m["unit_id"], m["name"]
        return None, None, ""

    @api.post("/programmes/{programme_id}/nominations", status_code=201, tags=["nominations"],
              summary="A unit nominates itself, a unit of its subtree or one of its members")
    async def submit(programme_id: str, body: NominationIn, who: Principal = Depends(require("unit"))):
        prog = await get_programme(programme_id)
        category = next((c for c in prog["categories"] if c["category_id"] == body.category_id), None)
        submitting = body.unit_id or who.unit_id or ""
        parents = await parents_of(programme_id)
        acting = frozenset(d.subtree(parents, who.unit_id)) if who.unit_id else frozenset()
        kind, nominee_unit, nominee_name = await nominee_of(programme_id, body.nominee_id)
        veto = await svc.db.vetoes.find_one({"_id": f"{programme_id}:{body.nominee_id}"})
        active_key = f"{programme_id}|{body.category_id}|{body.nominee_id}"
        sub = d.Submission(
            stage_open=prog.get("stage_state", {}).get("nomination") == "open",
            acting_unit=who.unit_id, acting_subtree=acting, submitting_unit=submitting, category=category,
            nominee_id=body.nominee_id, nominee_kind=kind, nominee_unit=nominee_unit,
            unit_active_in_category=await svc.db.nominations.count_documents(
                {"programme_id": programme_id, "category_id": body.category_id, "unit_id": submitting,
                 "status": {"$in": list(d.ACTIVE)}}),
            nominee_already_active=await svc.db.nominations.find_one({"active_key": active_key}) is not None,
            veto=veto["reason"] if veto else None)
        for r in (d.check_submission(sub), d.check_self_assessment(body.self_assessment, category["criteria"])
                  if category else None, d.check_materials(body.materials)):
            if r is not None:
                raise refuse(r)
        unit_doc = await svc.db.units.find_one({"_id": f"{programme_id}:{submitting}"})
        nid = uuid4().hex[:16]
        doc = {"_id": nid, "programme_id": programme_id, "category_id": body.category_id,
               "category_name": category["name"], "nominee_id": body.nominee_id, "nominee_name": nominee_name,
               "nominee_kind": kind, "unit_id": submitting, "unit_name": unit_doc["name"], "status": "submitted",
               "active_key": active_key, "materials": body.materials, "self_assessment": body.self_assessment,
               "attachments": [], "submitted_at": now(), "updated_at": now(),
               "history": [{"at": now(), "action": "submit", "by": who.subject, "comment": ""}]}

        async def txn(s):
            # Serialise submissions of one unit in one category (two at once must not both pass the unit limit):
            # both transactions write this document, so one of them conflicts and is retried, then recounts.
            await svc.db.unit_slots.update_one({"_id": f"{programme_id}|{body.category_id}|{submitting}"},
                                               {"$inc": {"writes": 1}}, upsert=True, session=s)
            limit = category.get("unit_limit")
            if limit is not None and await svc.db.nominations.count_documents(
                    {"programme_id": programme_id, "category_id": body.category_id, "unit_id": submitting,
                     "status": {"$in": list(d.ACTIVE)}}, session=s) >= limit:
                raise Conflict(f"unit {submitting} has reached its limit of {limit} nomination(s) in this category",
                               field="unit_id")
            try:
                await svc.db.nominations.insert_one(doc, session=s)
            except DuplicateKeyError:
                raise Conflict("this nominee is already nominated in this category", field="nominee_id") from None
            await svc.emit(s, NominationSubmitted(
                nomination_id=nid, category_id=body.category_id, nominee_id=body.nominee_id,
                nominee_name=nominee_name, nominee_kind=kind, unit_id=submitting, unit_name=unit_doc["name"]),
                programme_id=programme_id, key=nid)

        await svc.transact(txn)
        return public_nomination(doc)

    async def move(pid: str, nid: str, action: str, who: Principal, comment: str, event_fn, changes=None):
        doc = await get_nomination(pid, nid, who if who.role == "unit" else None)

        async def txn(s):
            current = await svc.db.nominations.find_one({"_id": nid}, session=s)
            result = d.transition(current["status"], action)
            if isinstance(result, d.Refusal):
                raise refuse(result)
            update: dict[str, Any] = {"status": result, "updated_at": now()} | (changes or {})
            if result == "withdrawn":
                update["active_key"] = f"released:{nid}"
            await svc.db.nominations.update_one(
                {"_id": nid, "status": current["status"]},
                {"$set": update, "$push": {"history": {"at": now(), "action": action, "by": who.subject,
                                                       "comment": comment}}}, session=s)
            await svc.emit(s, event_fn(current), programme_id=pid, key=nid)
            return await svc.db.nominations.find_one({"_id": nid}, session=s)

        del doc
        return public_nomination(await svc.transact(txn))

    @api.post("/programmes/{programme_id}/nominations/{nomination_id}/approve", tags=["review"])
    async def approve(programme_id: str, nomination_id: str, body: CommentIn | None = None,
                      who: Principal = Depends(require("organiser"))):
        comment = body.comment if body else ""
        return await move(programme_id, nomination_id, "approve", who, comment, lambda n: NominationApproved(
            nomination_id=nomination_id, category_id=n["category_id"], comment=comment))

    @api.post("/programmes/{programme_id}/nominations/{nomination_id}/return", tags=["review"],
              summary="Return for revision with comments; the unit resubmits")
    async def return_(programme_id: str, nomination_id: str, body: ReturnIn,
                      who: Principal = Depends(require("organiser"))):
        return await move(programme_id, nomination_id, "return", who, body.comments, lambda n: NominationReturned(
            nomination_id=nomination_id, category_id=n["category_id"], comments=body.comments),
            {"review_comments": body.comments})

    @api.post("/programmes/{programme_id}/nominations/{nomination_id}/reject", tags=["review"])
    async def reject(programme_id: str, nomination_id: str, body: RejectIn,
                     who: Principal = Depends(require("organiser"))):
        return await move(programme_id, nomination_id, "reject", who, body.reason, lambda n: NominationRejected(
            nomination_id=nomination_id, category_id=n["category_id"], reason=body.reason),
            {"reject_reason": body.reason})

    @api.post("/programmes/{programme_id}/nominations/{nomination_id}/withdraw", tags=["nominations"],
              summary="The unit withdraws its nomination before review")
    async def withdraw(programme_id: str, nomination_id: str, who: Principal = Depends(require("unit"))):
        return await move(programme_id, nomination_id, "withdraw", who, "", lambda n: NominationWithdrawn(
            nomination_id=nomination_id, category_id=n["category_id"]))

    @api.put("/programmes/{programme_id}/nominations/{nomination_id}", tags=["nominations"],
             summary="Resubmit a returned nomination with revised materials or self-assessment")
    async def resubmit(programme_id: str, nomination_id: str, body: ResubmitIn,
                       who: Principal = Depends(require("unit"))):
        doc = await get_nomination(programme_id, nomination_id, who)
        prog = await get_programme(programme_id)
        if prog.get("stage_state", {}).get("nomination") != "open":
            raise Closed("the nomination stage (申报) is not open", field="stage")
        category = next(c for c in prog["categories"] if c["category_id"] == doc["category_id"])
        changes: dict[str, Any] = {}
        if body.self_assessment is not None:
            r = d.check_self_assessment(body.self_assessment, category["criteria"])
            if r:
                raise refuse(r)
            changes["self_assessment"] = body.self_assessment
        if body.materials is not None:
            r = d.check_materials(body.materials)
            if r:
                raise refuse(r)
            changes["materials"] = body.materials
        return await move(programme_id, nomination_id, "resubmit", who, "", lambda n: NominationSubmitted(
            nomination_id=nomination_id, category_id=n["category_id"], nominee_id=n["nominee_id"],
            nominee_name=n["nominee_name"], nominee_kind=n["nominee_kind"], unit_id=n["unit_id"],
            unit_name=n["unit_name"], resubmission=True), changes)

    # ---- attachments (GridFS) -------------------------------------------------------------------------
    @api.post("/programmes/{programme_id}/nominations/{nomination_id}/attachments", status_code=201,
              tags=["nominations"], summary="Attach a file (pdf, doc, docx, xlsx, jpg, png; at most 10 MB)")
    async def attach(programme_id: str, nomination_id: str, file: UploadFile = File(...),
                     who: Principal = Depends(require("unit"))):
        doc = await get_nomination(programme_id, nomination_id, who)
        if doc["status"] not in ("submitted", "returned"):
            raise Conflict(f"cannot attach files to a nomination that is {doc['status']}", field="status")
        data = await file.read(d.MAX_ATTACHMENT_BYTES + 1)
        filename = Path(file.filename or "").name
        r = d.check_attachment(filename, len(data), len(doc.get("attachments", [])))
        if r:
            raise refuse(r)
        ext = "." + filename.rsplit(".", 1)[-1].lower()
        bucket = AsyncGridFSBucket(svc.db, bucket_name="attachments")
        file_id = await bucket.upload_from_stream(filename, data, metadata={
            "programme_id": programme_id, "nomination_id": nomination_id, "content_type": d.ATTACHMENT_TYPES[ext]})
        info = {"file_id": str(file_id), "filename": filename, "size": len(data),
                "content_type": d.ATTACHMENT_TYPES[ext], "uploaded_at": now()}
        res = await svc.db.nominations.update_one(
            {"_id": nomination_id, "status": {"$in": ["submitted", "returned"]}}, {"$push": {"attachments": info}})
        if not res.modified_count:
            await bucket.delete(file_id)
            raise Conflict("the nomination changed while the file was uploading; try again", field="status")
        return info

    @api.get("/programmes/{programme_id}/nominations/{nomination_id}/attachments/{file_id}",
             tags=["nominations"], summary="Download an attachment")
    async def download(programme_id: str, nomination_id: str, file_id: str,
                       who: Principal = Depends(require("organiser", "unit"))):
        doc = await get_nomination(programme_id, nomination_id, who)
        info = next((a for a in doc.get("attachments", []) if a["file_id"] == file_id), None)
        if info is None:
            raise NotFound(f"attachment {file_id} does not exist on this nomination", field="file_id")
        from bson import ObjectId

        bucket = AsyncGridFSBucket(svc.db, bucket_name="attachments")
        try:
            stream = await bucket.open_download_stream(ObjectId(file_id))
        except NoFile:
            raise NotFound(f"attachment {file_id} is missing from storage", field="file_id") from None
        data = await stream.read()
        return Response(data, media_type=info["content_type"],
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(info['filename'])}"})

    # ---- reading --------------------------------------------------------------------------------------
    async def nomination_query(pid: str, who: Principal, category_id, status, unit_id, q) -> dict:
        await get_programme(pid)
        allowed = await scope(pid, who)
        query: dict[str, Any] = {"programme_id": pid}
        if category_id:
            query["category_id"] = category_id
        if status:
            if status not in d.STATUS_LABELS:
                raise Invalid(f"status must be one of {', '.join(d.STATUS_LABELS)}", field="status")
            query["status"] = status
        if unit_id:
            if allowed is not None and unit_id not in allowed:
                raise Forbidden(f"unit {unit_id} is outside your unit's subtree", field="unit_id")
            query["unit_id"] = unit_id
        elif allowed is not None:
            query["unit_id"] = {"$in": sorted(allowed)}
        if q:
            query["$or"] = [{"nominee_name": {"$regex": _escape(q)}}, {"unit_name": {"$regex": _escape(q)}}]
        return query

    @api.get("/programmes/{programme_id}/nominations", tags=["nominations"],
             summary="List nominations with filters and pagination (a unit sees its subtree)")
    async def list_nominations(programme_id: str, category_id: str | None = None, status: str | None = None,
                               unit_id: str | None = None, q: str | None = Query(None, max_length=50),
                               page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=500),
                               who: Principal = Depends(require("organiser", "unit"))):
        query = await nomination_query(programme_id, who, category_id, status, unit_id, q)
        total = await svc.db.nominations.count_documents(query)
        docs = await svc.db.nominations.find(query, {"materials": 0, "history": 0}).sort("submitted_at", 1) \
            .skip((page - 1) * page_size).limit(page_size).to_list()
        return {"items": [public_nomination(x) for x in docs], "total": total, "page": page, "page_size": page_size}

    @api.get("/programmes/{programme_id}/nominations/export.xlsx", tags=["nominations"],
             summary="Export the (filtered) nomination list to XLSX")
    async def export(programme_id: str, category_id: str | None = None, status: str | None = None,
                     unit_id: str | None = None, who: Principal = Depends(require("organiser", "unit"))):
        import openpyxl

        query = await nomination_query(programme_id, who, category_id, status, unit_id, None)
        docs = await svc.db.nominations.find(query, {"materials": 0, "history": 0}).sort(
            [("category_id", 1), ("submitted_at", 1)]).to_list()
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "申报名单"
        ws.append(["序号", "申报编号", "类别", "被推荐对象", "对象类型", "推荐单位", "状态", "自评分", "附件数",
                   "申报时间(北京时间)"])
        for i, x in enumerate(docs, 1):
            ws.append([i, x["_id"], x.get("category_name", x["category_id"]), x["nominee_name"], x["nominee_kind"],
                       x["unit_name"], d.STATUS_LABELS.get(x["status"], x["status"]),
                       sum(x.get("self_assessment", {}).values()), len(x.get("attachments", [])),
                       x["submitted_at"].astimezone(d.SHANGHAI).strftime("%Y-%m-%d %H:%M")])
        buf = io.BytesIO()
        wb.save(buf)
        return StreamingResponse(
            io.BytesIO(buf.getvalue()),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename=nominations-{programme_id}.xlsx"})

    @api.get("/programmes/{programme_id}/nominations/{nomination_id}", tags=["nominations"],
             summary="Nomination detail with materials, self-assessment, attachments and review history")
    async def nomination_detail(programme_id: str, nomination_id: str,
                                who: Principal = Depends(require("organiser", "unit"))):
        return public_nomination(await get_nomination(programme_id, nomination_id, who))

    @api.get("/programmes/{programme_id}/units/{unit_id}/nominations", tags=["nominations"],
             summary="The nominations a unit submitted (public: no materials)")
    async def unit_nominations(programme_id: str, unit_id: str, request: Request):
        svc.check_public_rate(request)
        await get_programme(programme_id)
        docs = await svc.db.nominations.find(
            {"programme_id": programme_id, "unit_id": unit_id, "status": {"$ne": "withdrawn"}},
            {"materials": 0, "history": 0, "self_assessment": 0, "attachments": 0, "review_comments": 0,
             "reject_reason": 0}).sort("submitted_at", 1).to_list()
        return [public_nomination(x) for x in docs]

    return svc


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
