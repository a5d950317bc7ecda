"""The HTTP API of the nominations service: each route parses, checks the role, calls an action or a view, and
shapes the answer."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from shared.auth import Principal, require
from shared.ids import IdPath, IdQuery, SearchQuery
from shared.service import Service

from . import domain as d
from . import views
from .actions import Work, attachments, exports, imports, programmes, review, signin, stages, submission, vetoes
from .store import Store


@dataclass(frozen=True)
class Context:
    """What the routes work with; the composition root puts it on app.state.nominations."""

    service: Service
    uow: Work
    templates: dict[str, dict]

    @property
    def store(self) -> Store:
        return self.uow.store


def ctx(request: Request) -> Context:
    return request.app.state.nominations


router = APIRouter()


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
    reason: str = Field(min_length=1, max_length=d.MAX_VETO_REASON_CHARS, description="e.g. 受到党纪处分")


class LinkIn(BaseModel):
    role: str = Field(description="unit, judge or member (the first organiser's link comes from the CLI)")
    unit_id: str | None = Field(None, max_length=64)
    judge_id: str | None = Field(None, max_length=64)
    member_id: str | None = Field(None, max_length=64)
    name: str = Field("", max_length=100, description="shown when signed in; defaults to the unit's or member's name")

    def request(self) -> signin.LinkRequest:
        subject = {"unit": self.unit_id, "judge": self.judge_id, "member": self.member_id}.get(self.role)
        return signin.LinkRequest(self.role, (subject or "").strip() or None, self.name)


class LinksIn(BaseModel):
    links: list[LinkIn] = Field(min_length=1, max_length=d.MAX_LINKS_PER_REQUEST)
    hours: float = Field(72, gt=0, le=24 * 30, description="how long the links stay valid")


class RedeemIn(BaseModel):
    token: str = Field(min_length=1, max_length=4000, description="the link's token (?signin=... of its URL)")


def reason_of(body: VetoIn | None) -> str | None:
    # No body at all is refused by the action, naming the field "reason" as a body without one is.
    return body.reason if body else None


# ---- programmes -----------------------------------------------------------------------------------------
@router.post("/programmes", status_code=201, tags=["programmes"], summary="Define a programme (JSON body)")
async def define_programme(body: dict[str, Any], _: Principal = Depends(require(*programmes.define_programme.roles)),
                           c: Context = Depends(ctx)):
    return views.public_programme(await programmes.define_programme(c.uow, body, c.templates))


@router.post("/programmes/upload", status_code=201, tags=["programmes"],
             summary="Define a programme from an uploaded YAML or JSON file")
async def upload_programme(file: UploadFile = File(...),
                           _: Principal = Depends(require(*programmes.define_programme.roles)),
                           c: Context = Depends(ctx)):
    raw = programmes.parse_definition(file.filename or "", await file.read())
    return views.public_programme(await programmes.define_programme(c.uow, raw, c.templates))


@router.put("/programmes/{programme_id}", tags=["programmes"],
            summary="Change a programme: a new version, or refused for criteria/weights once voting started")
async def change_programme(programme_id: IdPath, body: dict[str, Any],
                           who: Principal = Depends(require(*programmes.change_programme.roles)),
                           c: Context = Depends(ctx)):
    doc = await programmes.change_programme(c.uow, programme_id, body, who.subject, c.templates)
    return views.public_programme(doc)


@router.get("/programmes", tags=["programmes"], summary="List programmes")
async def list_programmes(request: Request, c: Context = Depends(ctx)):
    c.service.check_public_rate(request)
    return await views.list_programmes(c.store)


@router.get("/programmes/{programme_id}", tags=["programmes"], summary="Programme detail (public)")
async def programme_detail(programme_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.service.check_public_rate(request)
    return await views.programme_detail(c.store, programme_id)


@router.get("/programmes/{programme_id}/versions", tags=["programmes"], summary="Every recorded version")
async def programme_versions(programme_id: IdPath, _: Principal = Depends(require("organiser")),
                             c: Context = Depends(ctx)):
    return await views.programme_versions(c.store, programme_id)


@router.get("/criteria-templates", tags=["programmes"], summary="Shipped criteria sets (五强五带头, 四强, 四好)")
async def criteria_templates(c: Context = Depends(ctx)):
    return list(c.templates.values())


# ---- stages ---------------------------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/stages/{stage}/{action}", tags=["stages"],
             summary="Open or close a stage (申报, 资格审查, 民主测评, ...); closing review warns of quota shortfalls")
async def change_stage(programme_id: IdPath, stage: str, action: str,
                       _: Principal = Depends(require(*stages.change_stage.roles)), c: Context = Depends(ctx)):
    return await stages.change_stage(c.uow, programme_id, stage, action)


@router.get("/programmes/{programme_id}/stages", tags=["stages"],
            summary="Each stage's state and window, as every service gates on it (public)")
async def stage_overview(programme_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.service.check_public_rate(request)
    return await views.stages(c.store, programme_id)


@router.get("/programmes/{programme_id}/quota", tags=["stages"], summary="Approved candidates against quota")
async def quota(programme_id: IdPath, _: Principal = Depends(require("organiser")), c: Context = Depends(ctx)):
    return await views.quota(c.store, programme_id)


# ---- organisation tree and roll -------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/units/import", tags=["organisation"],
             summary="Import organs, departments and branches from CSV or XLSX (unit_id, name, parent_id, kind)")
async def import_units(programme_id: IdPath, file: UploadFile = File(...),
                       _: Principal = Depends(require(*imports.import_units.roles)), c: Context = Depends(ctx)):
    data = await file.read(imports.MAX_IMPORT_BYTES + 1)
    return await imports.import_units(c.uow, programme_id, file.filename or "", data)


@router.post("/programmes/{programme_id}/members/import", tags=["organisation"],
             summary="Import the roll of members from CSV or XLSX (member_id, name, unit_id)")
async def import_members(programme_id: IdPath, file: UploadFile = File(...),
                         _: Principal = Depends(require(*imports.import_members.roles)), c: Context = Depends(ctx)):
    data = await file.read(imports.MAX_IMPORT_BYTES + 1)
    return await imports.import_members(c.uow, programme_id, file.filename or "", data)


@router.get("/programmes/{programme_id}/units", tags=["organisation"],
            summary="The organisation tree (nested), or a flat list with ?flat=true")
async def units_tree(programme_id: IdPath, request: Request, flat: bool = False, c: Context = Depends(ctx)):
    c.service.check_public_rate(request)
    return await views.units_tree(c.store, programme_id, flat)


@router.get("/programmes/{programme_id}/members", tags=["organisation"],
            summary="The roll, by page (a unit sees its subtree); q finds members by name")
async def list_members(programme_id: IdPath, unit_id: IdQuery = None, q: SearchQuery = None,
                       page: int = Query(1, ge=1), page_size: int = Query(100, ge=1, le=1000),
                       who: Principal = Depends(require("organiser", "unit")), c: Context = Depends(ctx)):
    return await views.members_page(c.store, programme_id, who, unit_id, page, page_size, q)


# ---- veto flags (一票否决) ------------------------------------------------------------------------------
@router.put("/programmes/{programme_id}/vetoes/{subject_id}", tags=["organisation"],
            summary="Flag a unit or member with a veto (一票否决), e.g. a disciplinary record")
async def set_veto(programme_id: IdPath, subject_id: IdPath, body: VetoIn | None = None,
                   who: Principal = Depends(require(*vetoes.set_veto.roles)), c: Context = Depends(ctx)):
    return await vetoes.set_veto(c.uow, programme_id, subject_id, reason_of(body), who.subject)


@router.delete("/programmes/{programme_id}/vetoes/{subject_id}", status_code=204, tags=["organisation"],
               summary="Lift a veto, with a reason (JSON body {reason}); it stays on record with its history")
async def lift_veto(programme_id: IdPath, subject_id: IdPath, body: VetoIn | None = None,
                    who: Principal = Depends(require(*vetoes.lift_veto.roles)), c: Context = Depends(ctx)):
    await vetoes.lift_veto(c.uow, programme_id, subject_id, reason_of(body), who.subject)
    return Response(status_code=204)


@router.get("/programmes/{programme_id}/vetoes", tags=["organisation"])
async def list_vetoes(programme_id: IdPath, _: Principal = Depends(require("organiser")), c: Context = Depends(ctx)):
    return await views.list_vetoes(c.store, programme_id)


# ---- nominations ----------------------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/nominations", status_code=201, tags=["nominations"],
             summary="A unit nominates itself, a unit of its subtree or one of its members")
async def submit(programme_id: IdPath, body: NominationIn, who: Principal = Depends(require(*submission.submit.roles)),
                 c: Context = Depends(ctx)):
    inp = submission.NominationInput(body.category_id, body.nominee_id, body.unit_id, body.materials,
                                     body.self_assessment)
    return views.public_nomination(await submission.submit(c.uow, programme_id, who, inp))


@router.post("/programmes/{programme_id}/nominations/{nomination_id}/approve", tags=["review"])
async def approve(programme_id: IdPath, nomination_id: IdPath, body: CommentIn | None = None,
                  who: Principal = Depends(require(*review.approve.roles)), c: Context = Depends(ctx)):
    doc = await review.approve(c.uow, programme_id, nomination_id, who, body.comment if body else "")
    return views.public_nomination(doc)


@router.post("/programmes/{programme_id}/nominations/{nomination_id}/return", tags=["review"],
             summary="Return for revision with comments; the unit resubmits")
async def return_(programme_id: IdPath, nomination_id: IdPath, body: ReturnIn,
                  who: Principal = Depends(require(*review.return_for_revision.roles)), c: Context = Depends(ctx)):
    doc = await review.return_for_revision(c.uow, programme_id, nomination_id, who, body.comments)
    return views.public_nomination(doc)


@router.post("/programmes/{programme_id}/nominations/{nomination_id}/reject", tags=["review"])
async def reject(programme_id: IdPath, nomination_id: IdPath, body: RejectIn,
                 who: Principal = Depends(require(*review.reject.roles)), c: Context = Depends(ctx)):
    return views.public_nomination(await review.reject(c.uow, programme_id, nomination_id, who, body.reason))


@router.post("/programmes/{programme_id}/nominations/{nomination_id}/withdraw", tags=["nominations"],
             summary="The unit withdraws its nomination before review")
async def withdraw(programme_id: IdPath, nomination_id: IdPath,
                   who: Principal = Depends(require(*submission.withdraw.roles)), c: Context = Depends(ctx)):
    return views.public_nomination(await submission.withdraw(c.uow, programme_id, nomination_id, who))


@router.put("/programmes/{programme_id}/nominations/{nomination_id}", tags=["nominations"],
            summary="Resubmit a returned nomination with revised materials or self-assessment")
async def resubmit(programme_id: IdPath, nomination_id: IdPath, body: ResubmitIn,
                   who: Principal = Depends(require(*submission.resubmit.roles)), c: Context = Depends(ctx)):
    doc = await submission.resubmit(c.uow, programme_id, nomination_id, who, body.materials, body.self_assessment)
    return views.public_nomination(doc)


# ---- attachments (GridFS) -------------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/nominations/{nomination_id}/attachments", status_code=201,
             tags=["nominations"], summary="Attach a file (pdf, doc, docx, xlsx, jpg, png; at most 10 MB)")
async def attach(programme_id: IdPath, nomination_id: IdPath, file: UploadFile = File(...),
                 who: Principal = Depends(require(*attachments.attach.roles)), c: Context = Depends(ctx)):
    data = await file.read(d.MAX_ATTACHMENT_BYTES + 1)
    return await attachments.attach(c.uow, programme_id, nomination_id, who, file.filename or "", data)


@router.get("/programmes/{programme_id}/nominations/{nomination_id}/attachments/{file_id}",
            tags=["nominations"], summary="Download an attachment")
async def download(programme_id: IdPath, nomination_id: IdPath, file_id: IdPath,
                   who: Principal = Depends(require(*attachments.download.roles)), c: Context = Depends(ctx)):
    info, data = await attachments.download(c.uow, programme_id, nomination_id, who, file_id)
    return Response(data, media_type=info["content_type"],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(info['filename'])}"})


# ---- reading --------------------------------------------------------------------------------------------
@router.get("/programmes/{programme_id}/nominations", tags=["nominations"],
            summary="List nominations with filters and pagination (a unit sees its subtree)")
async def list_nominations(programme_id: IdPath, category_id: IdQuery = None, status: d.Status | None = None,
                           unit_id: IdQuery = None, q: SearchQuery = None,
                           page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=500),
                           who: Principal = Depends(require("organiser", "unit")), c: Context = Depends(ctx)):
    return await views.list_nominations(c.store, programme_id, who, category_id, status, unit_id, q, page, page_size)


@router.get("/programmes/{programme_id}/nominations/export.xlsx", tags=["nominations"],
            summary="Export the (filtered) nomination list to XLSX")
async def export(programme_id: IdPath, category_id: IdQuery = None, status: d.Status | None = None,
                 unit_id: IdQuery = None, who: Principal = Depends(require(*exports.export_xlsx.roles)),
                 c: Context = Depends(ctx)):
    data = await exports.export_xlsx(c.store, programme_id, who, category_id, status, unit_id)
    return StreamingResponse(
        io.BytesIO(data), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=nominations-{programme_id}.xlsx"})


@router.get("/programmes/{programme_id}/nominations/{nomination_id}", tags=["nominations"],
            summary="Nomination detail with materials, self-assessment, attachments and review history "
                    "(a judge: an assigned nominee's materials, self-assessment and attachments)")
async def nomination_detail(programme_id: IdPath, nomination_id: IdPath,
                            who: Principal = Depends(require("organiser", "unit", "judge")),
                            c: Context = Depends(ctx)):
    return await views.nomination_detail(c.store, programme_id, nomination_id, who)


@router.get("/programmes/{programme_id}/units/{unit_id}/nominations", tags=["nominations"],
            summary="The nominations a unit submitted (public: no materials)")
async def unit_nominations(programme_id: IdPath, unit_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.service.check_public_rate(request)
    return await views.unit_nominations(c.store, programme_id, unit_id)


# ---- sign-in links --------------------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/signin-links", status_code=201, tags=["sign-in"],
             summary="Issue single-use, expiring sign-in links for units, judges and members")
async def issue_links(programme_id: IdPath, body: LinksIn,
                      who: Principal = Depends(require(*signin.issue_links.roles)), c: Context = Depends(ctx)):
    return await signin.issue_links(c.uow, c.service.settings, programme_id, [x.request() for x in body.links],
                                    who.subject, body.hours)


@router.get("/programmes/{programme_id}/signin-links", tags=["sign-in"],
            summary="The programme's issued sign-in links and their state (open, used, expired, revoked)")
async def list_links(programme_id: IdPath, _: Principal = Depends(require(*signin.list_links.roles)),
                     c: Context = Depends(ctx)):
    return await signin.list_links(c.store, programme_id)


@router.post("/programmes/{programme_id}/signin-links/{link_id}/revoke", tags=["sign-in"],
             summary="Revoke an unused sign-in link")
async def revoke_link(programme_id: IdPath, link_id: IdPath,
                      who: Principal = Depends(require(*signin.revoke_link.roles)), c: Context = Depends(ctx)):
    return await signin.revoke_link(c.uow, programme_id, link_id, who.subject)


@router.post("/signin/redeem", tags=["sign-in"],
             summary="Exchange a sign-in link, once, for a role session token (public, rate-limited)")
async def redeem(body: RedeemIn, request: Request, c: Context = Depends(ctx)):
    c.service.check_public_rate(request)
    return await signin.redeem(c.uow, c.service.settings, body.token)
