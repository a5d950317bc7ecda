"""The leaderboard's HTTP API: the organisers' audit trail (审计日志), listed and exported; no commands."""
from __future__ import annotations

import io

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from shared.auth import Principal, require
from shared.ids import IdQuery, SearchQuery
from shared.service import Service

from . import views

router = APIRouter()
ORGANISER = require("organiser")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EventType = Query(None, pattern=r"^[A-Za-z]{1,64}$", description="an event type, e.g. VetoSet")


def install(svc: Service) -> None:
    svc.api.include_router(router)


def _db(request: Request):
    return request.app.state.service.db


def _filter(programme_id: str | None, nominee: str | None, actor: str | None, type: str | None) -> views.AuditFilter:
    return views.AuditFilter(programme_id=programme_id, nominee=nominee or None, actor=actor or None,
                             type=type or None)


@router.get("/audit", tags=["audit"], summary="The audit trail: every change, newest first, filtered and paged")
async def audit(request: Request, programme_id: IdQuery = None, nominee: SearchQuery = None,
                actor: SearchQuery = None, type: str | None = EventType, page: int = Query(1, ge=1),
                page_size: int = Query(50, ge=1, le=500), _: Principal = Depends(ORGANISER)):
    return await views.audit_page(_db(request), _filter(programme_id, nominee, actor, type), page, page_size)


@router.get("/audit/actors", tags=["audit"], summary="The actors of a programme's audit trail")
async def audit_actors(request: Request, programme_id: IdQuery = None, _: Principal = Depends(ORGANISER)):
    return {"actors": await views.actors(_db(request), programme_id)}


@router.get("/audit.xlsx", tags=["audit"], summary="The (filtered) audit trail as an .xlsx workbook")
async def audit_xlsx(request: Request, programme_id: IdQuery = None, nominee: SearchQuery = None,
                     actor: SearchQuery = None, type: str | None = EventType, _: Principal = Depends(ORGANISER)):
    data = await views.audit_xlsx(_db(request), _filter(programme_id, nominee, actor, type))
    name = f"audit-{programme_id or 'all'}.xlsx"
    return StreamingResponse(io.BytesIO(data), media_type=XLSX,
                             headers={"Content-Disposition": f"attachment; filename={name}"})
