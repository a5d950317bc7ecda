"""Reads that actions and views start with: a programme, the caller's scope, a nomination the caller may see."""
from __future__ import annotations

from datetime import UTC, datetime

from shared.auth import Principal
from shared.errors import Forbidden, Invalid, NotFound

from . import domain as d
from .store import NominationFilter, Store


def now() -> datetime:
    return datetime.now(UTC)


async def get_programme(store: Store, pid: str) -> dict:
    doc = await store.get_programme(pid)
    if doc is None:
        raise NotFound(f"programme {pid} does not exist", field="programme_id")
    return doc


async def scope(store: Store, pid: str, who: Principal) -> set[str] | None:
    """Units the caller may see or act for; None means everything (organiser)."""
    if who.role == "organiser":
        return None
    return d.scope_of(who.role, who.unit_id, await store.unit_parents(pid))


async def get_nomination(store: Store, pid: str, nid: str, who: Principal | None = None) -> dict:
    doc = await store.get_nomination(nid, pid)
    if doc is None:
        raise NotFound(f"nomination {nid} does not exist in programme {pid}", field="nomination_id")
    if who is not None and who.role == "judge":
        await ensure_judge_may_read(store, pid, nid, who)
    elif who is not None:
        d.ensure_visible(doc, await scope(store, pid, who))
    return doc


async def ensure_judge_may_read(store: Store, pid: str, nid: str, who: Principal) -> None:
    """A judge reads only the nominees assigned to them and not recused (learned from the scoring service)."""
    if not who.judge_id:
        raise Forbidden("this judge token carries no judge_id claim", field="judge_id")
    if not await store.judge_may_read(pid, nid, who.judge_id):
        raise Forbidden(f"nomination {nid} is not assigned to you for judging (or you are recused from it)",
                        field="nomination_id", code="not_assigned")


async def nomination_filter(store: Store, pid: str, who: Principal, category_id: str | None, status: str | None,
                            unit_id: str | None, q: str | None) -> NominationFilter:
    """The nominations a list or export shows: the asked filters, within the caller's subtree."""
    await get_programme(store, pid)
    allowed = await scope(store, pid, who)
    if status and status not in d.STATUS_LABELS:
        raise Invalid(f"status must be one of {', '.join(d.STATUS_LABELS)}", field="status", code="unknown_status")
    if unit_id and allowed is not None and unit_id not in allowed:
        raise Forbidden(f"unit {unit_id} is outside your unit's subtree", field="unit_id")
    return NominationFilter(pid, category_id or None, status or None, unit_id or None,
                            None if unit_id or allowed is None else frozenset(allowed), q or None)
