"""The read side of the audit trail (审计日志) for organisers: filtered pages and the .xlsx export."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_EXPORT = 50_000  # records in one .xlsx (a year-long programme has some thousands)
HEADER = ("时间 Time (UTC+8)", "事件 Event", "操作人 Actor", "角色 Role", "对象 Nominee", "原因 Reason", "摘要 Summary",
          "编号 Ids", "事件号 Event id")
FIELDS = {"_id": 1, "type": 1, "at": 1, "programme_id": 1, "actor": 1, "actor_label": 1, "ids": 1,
          "nomination_ids": 1, "nominee_ids": 1, "nominee_names": 1, "names": 1, "reason": 1, "summary": 1}


@dataclass(frozen=True)
class AuditFilter:
    programme_id: str | None = None
    nominee: str | None = None  # a nominee's name (a part of it) or id, or a nomination id
    actor: str | None = None  # a role, a subject, a unit or judge id, or (a part of) the actor's name
    type: str | None = None  # an event type

    def query(self) -> dict[str, Any]:
        q: dict[str, Any] = {}
        if self.programme_id:
            q["programme_id"] = self.programme_id
        if self.type:
            q["type"] = self.type
        ands = []
        if self.nominee:
            text = self.nominee.strip()
            ands.append({"$or": [{"nominee_names": {"$regex": re.escape(text)}}, {"nominee_ids": text},
                                 {"nomination_ids": text}]})
        if self.actor:
            text = self.actor.strip()
            ands.append({"$or": [{"actor.role": text}, {"actor.subject": text}, {"actor.unit_id": text},
                                 {"actor.judge_id": text}, {"actor.name": {"$regex": re.escape(text)}}]})
        if ands:
            q["$and"] = ands
        return q


async def audit_page(db: AsyncDatabase, f: AuditFilter, page: int, page_size: int) -> dict[str, Any]:
    """The newest records first, a page at a time, with the total that matched and the actors seen."""
    q = f.query()
    total = await db.audit.count_documents(q)
    docs = await db.audit.find(q, FIELDS).sort([("at", -1), ("_id", 1)]).skip((page - 1) * page_size) \
        .limit(page_size).to_list()
    return {"total": total, "page": page, "page_size": page_size, "records": [_shown(d) for d in docs]}


async def actors(db: AsyncDatabase, programme_id: str | None) -> list[dict[str, Any]]:
    """The distinct actors of a programme's records (for a filter's choices)."""
    q = {"programme_id": programme_id} if programme_id else {}
    cursor = await db.audit.aggregate([{"$match": {**q, "actor": {"$ne": None}}},
                                       {"$group": {"_id": "$actor_label", "actor": {"$first": "$actor"}}},
                                       {"$sort": {"_id": 1}}, {"$limit": 500}])
    seen = await cursor.to_list()
    return [{"label": d["_id"], **(d.get("actor") or {})} for d in seen]


async def audit_xlsx(db: AsyncDatabase, f: AuditFilter) -> bytes:
    import openpyxl

    docs = await db.audit.find(f.query(), FIELDS).sort([("at", 1), ("_id", 1)]).limit(MAX_EXPORT).to_list()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "审计日志"
    ws.append(HEADER)
    for d in docs:
        ws.append(row(d))
    for col, width in zip("ABCDEFGHI", (20, 24, 24, 10, 30, 30, 50, 40, 34)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(d: dict[str, Any]) -> list[Any]:
    actor = d.get("actor") or {}
    return [_local(d.get("at")), d.get("type", ""), actor.get("name") or actor.get("subject") or "",
            actor.get("role", ""), "、".join(d.get("nominee_names") or d.get("names") or []), d.get("reason", ""),
            d.get("summary", ""), ", ".join(f"{k}={v}" for k, v in (d.get("ids") or {}).items()), d.get("_id", "")]


def _local(at: Any) -> str:
    if not isinstance(at, datetime):
        return str(at or "")
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(SHANGHAI).strftime(
        "%Y-%m-%d %H:%M:%S")


def _shown(d: dict[str, Any]) -> dict[str, Any]:
    at = d.get("at")
    return {**{k: v for k, v in d.items() if k != "_id"}, "event_id": d["_id"],
            "at": at.isoformat() if isinstance(at, datetime) else at}
