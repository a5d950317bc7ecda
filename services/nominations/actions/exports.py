"""Export the (filtered) nomination list to XLSX, as the organiser or a unit (its subtree) sees it."""
from __future__ import annotations

import io

from shared.auth import Principal

from .. import domain as d
from ..lookups import nomination_filter
from ..store import Store
from . import roles

HEADER = ["序号", "申报编号", "类别", "被推荐对象", "对象类型", "推荐单位", "状态", "自评分", "附件数",
          "申报时间(北京时间)"]


@roles("organiser", "unit")
async def export_xlsx(store: Store, pid: str, who: Principal, category_id: str | None = None,
                      status: str | None = None, unit_id: str | None = None) -> bytes:
    """A read: it takes the store, not a unit of work. Refused as the list is (unknown status, a unit outside the
    caller's subtree)."""
    import openpyxl

    f = await nomination_filter(store, pid, who, category_id, status, unit_id, None)
    docs = await store.find_nominations(f, [("category_id", 1), ("submitted_at", 1)])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报名单"
    ws.append(HEADER)
    for i, x in enumerate(docs, 1):
        ws.append([i, x["_id"], x.get("category_name", x["category_id"]), x["nominee_name"], x["nominee_kind"],
                   x["unit_name"], d.STATUS_LABELS.get(x["status"], x["status"]),
                   sum(x.get("self_assessment", {}).values()), len(x.get("attachments", [])),
                   x["submitted_at"].astimezone(d.SHANGHAI).strftime("%Y-%m-%d %H:%M")])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
