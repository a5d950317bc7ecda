"""Read-side queries of the nominations service and the public shape of its documents."""
from __future__ import annotations

from typing import Any

from shared import stages as shared_stages
from shared.auth import Principal
from shared.errors import Forbidden

from . import domain as d
from .lookups import get_nomination, get_programme, nomination_filter, scope
from .store import Store


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


async def list_programmes(store: Store) -> list[dict]:
    return [public_programme(x) for x in await store.list_programmes()]


async def programme_detail(store: Store, pid: str) -> dict:
    return public_programme(await get_programme(store, pid))


async def programme_versions(store: Store, pid: str) -> dict:
    await get_programme(store, pid)
    versions, changes = await store.programme_history(pid)
    return {"versions": [{k: v for k, v in x.items() if k != "_id"} for x in versions],
            "changes": [{k: v for k, v in x.items() if k != "_id"} for x in changes]}


async def stages(store: Store, pid: str) -> list[dict]:
    """Each stage with its state now and its window: what every service's stage gate decides on."""
    return shared_stages.overview(await get_programme(store, pid))


async def quota(store: Store, pid: str) -> dict:
    prog = await get_programme(store, pid)
    counts = await store.approved_counts(pid)
    return {"categories": [{"category_id": c["category_id"], "name": c["name"], "quota": c["quota"],
                            "needed": d.needed_candidates(c), "approved": counts.get(c["category_id"], 0)}
                           for c in prog["categories"]],
            "warnings": d.quota_shortfalls(prog["categories"], counts)}


async def units_tree(store: Store, pid: str, flat: bool) -> list[dict]:
    await get_programme(store, pid)
    units = await store.list_units(pid)
    return units if flat else d.build_tree(units)


async def members_page(store: Store, pid: str, who: Principal, unit_id: str | None, page: int,
                       page_size: int, q: str | None = None) -> dict[str, Any]:
    """A page of the roll within the caller's subtree; q finds members whose name contains it."""
    await get_programme(store, pid)
    allowed = await scope(store, pid, who)
    if unit_id and allowed is not None and unit_id not in allowed:
        raise Forbidden(f"unit {unit_id} is outside your unit's subtree", field="unit_id")
    total, items = await store.members_page(pid, unit_id or None, None if allowed is None else frozenset(allowed),
                                            (page - 1) * page_size, page_size, (q or "").strip() or None)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


async def list_vetoes(store: Store, pid: str) -> list[dict]:
    return await store.list_vetoes(pid)


async def list_nominations(store: Store, pid: str, who: Principal, category_id: str | None, status: str | None,
                           unit_id: str | None, q: str | None, page: int, page_size: int) -> dict[str, Any]:
    f = await nomination_filter(store, pid, who, category_id, status, unit_id, q)
    total = await store.count_nominations(f)
    docs = await store.find_nominations(f, [("submitted_at", 1)], (page - 1) * page_size, page_size)
    return {"items": [public_nomination(x) for x in docs], "total": total, "page": page, "page_size": page_size}


JUDGE_FIELDS = ("programme_id", "category_id", "category_name", "nominee_id", "nominee_name", "nominee_kind",
                "unit_id", "unit_name", "status", "materials", "self_assessment", "attachments")


def judging_nomination(doc: dict) -> dict:
    """What a judge reads of a nominee: its materials, self-assessment and attachments, not its review history."""
    return {"nomination_id": doc["_id"]} | {k: doc.get(k) for k in JUDGE_FIELDS}


async def nomination_detail(store: Store, pid: str, nid: str, who: Principal) -> dict:
    doc = await get_nomination(store, pid, nid, who)
    return judging_nomination(doc) if who.role == "judge" else public_nomination(doc)


async def unit_nominations(store: Store, pid: str, unit_id: str) -> list[dict]:
    await get_programme(store, pid)
    return [public_nomination(x) for x in await store.public_unit_nominations(pid, unit_id)]
