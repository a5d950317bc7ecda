"""What the scoring actions share: the clock, lookups that refuse with the shared errors, and the dirty mark."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound
from shared.uow import Transaction

from .. import domain as d
from ..models import ScoringConfigIn
from ..store import Doc, ScoringStore

F = TypeVar("F", bound=Callable[..., Any])
Tx = Transaction[ScoringStore]


def allowed(*roles: str) -> Callable[[F], F]:
    """States the roles that may call an action, beside it; http.py requires exactly these."""

    def mark(fn: F) -> F:
        fn.roles = roles  # type: ignore[attr-defined]
        return fn

    return mark


def now() -> datetime:
    return datetime.now(UTC)


def clean(doc: Doc | None) -> Doc | None:
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k != "_id"}


def scorer(who: Principal) -> str:
    if not who.judge_id:
        raise Forbidden("this judge token carries no judge_id claim", field="judge_id")
    return who.judge_id


async def mark_dirty(store: ScoringStore, programme_id: str, category_id: str) -> None:
    """The category's standings are to be recomputed (recompute.py picks the mark up, debounced)."""
    await store.mark_dirty(programme_id, category_id, time.time())


async def get_programme(store: ScoringStore, programme_id: str) -> Doc:
    prog = await store.programme(programme_id)
    if prog is None:
        raise NotFound(f"programme {programme_id} is not known to the scoring service (yet)", field="programme_id")
    return prog


def get_category(prog: Doc, category_id: str, field: str = "category_id") -> Doc:
    cat = next((c for c in prog.get("categories", []) if c["category_id"] == category_id), None)
    if cat is None:
        raise NotFound(f"category {category_id} does not exist in programme {prog['_id']}", field=field)
    return cat


async def get_config(store: ScoringStore, programme_id: str) -> ScoringConfigIn:
    doc = await store.config(programme_id)
    return ScoringConfigIn.model_validate(clean(doc)) if doc else ScoringConfigIn()


async def get_nomination(store: ScoringStore, programme_id: str, nomination_id: str, *,
                         approved: bool = True) -> Doc:
    nom = await store.nomination(nomination_id, programme_id)
    if nom is None:
        raise NotFound(f"nomination {nomination_id} is not known in programme {programme_id}",
                       field="nomination_id")
    if approved and nom.get("status") != "approved":
        raise Conflict(f"nomination {nomination_id} is {nom.get('status', 'unknown')}, not approved; "
                       "only approved nominations are judged", field="nomination_id", code="not_approved")
    return nom


async def get_judge(store: ScoringStore, programme_id: str, judge_id: str, field: str = "judge_id") -> Doc:
    j = await store.judge(programme_id, judge_id)
    if j is None:
        raise NotFound(f"judge {judge_id} is not registered in programme {programme_id}", field=field)
    return j


async def get_panel(store: ScoringStore, programme_id: str, panel_id: str) -> Doc:
    p = await store.panel(programme_id, panel_id)
    if p is None:
        raise NotFound(f"panel {panel_id} does not exist in programme {programme_id}", field="panel_id")
    return p


def judge_facts(j: Doc) -> d.JudgeFacts:
    return d.JudgeFacts(j["judge_id"], j["unit_id"], j.get("member_id"), j.get("branch_id"))


async def nominee_facts(store: ScoringStore, nom: Doc) -> d.NomineeFacts:
    """The nominee as recusal sees it, in the nomination's own programme's tree and roll."""
    kind = nom.get("nominee_kind", "organ")
    unit = nom.get("unit_id") or ""
    programme_id = nom["programme_id"]
    if kind == "member":
        m = await store.member(programme_id, nom["nominee_id"])
        if m:
            unit = m["unit_id"]
    elif await store.unit_exists(programme_id, nom["nominee_id"]):
        unit = nom["nominee_id"]
    return d.NomineeFacts(nom["_id"], kind, nom["nominee_id"], unit, nom.get("unit_id"))


async def loads_of(store: ScoringStore, programme_id: str, category_id: str) -> dict[str, int]:
    loads: dict[str, int] = {}
    for a in await store.active_assignments(programme_id, category_id):
        loads[a["judge_id"]] = loads.get(a["judge_id"], 0) + 1
    return loads
