"""A unit's own actions on its nominations: submit (with every eligibility rule), withdraw before review, and
resubmit a returned nomination with revised materials or self-assessment."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from uuid import uuid4

from shared.auth import Principal
from shared.contracts import Event
from shared.contracts.nominations import NominationSubmitted, NominationWithdrawn
from shared.errors import Conflict
from shared.uow import Transaction

from .. import domain as d
from ..lookups import get_nomination, get_programme, now
from ..store import Store
from . import Work, roles
from .review import move


@dataclass(frozen=True)
class NominationInput:
    category_id: str
    nominee_id: str
    unit_id: str | None = None  # the nominating unit; defaults to the token's unit
    materials: str = ""
    self_assessment: dict[str, float] = field(default_factory=dict)


async def nominee_of(store: Store, pid: str, nominee_id: str) -> tuple[str | None, str | None, str]:
    """(kind, unit, name) of a nominee: a unit of the tree or a member of the roll."""
    u = await store.get_unit(pid, nominee_id)
    if u is not None:
        return u["kind"], u["unit_id"], u["name"]
    m = await store.get_member(pid, nominee_id)
    if m is not None:
        return "member", m["unit_id"], m["name"]
    return None, None, ""


async def _submission(store: Store, pid: str, prog: dict, who: Principal, inp: NominationInput,
                      nominee: tuple[str | None, str | None]) -> d.Submission:
    """Everything eligibility depends on, read before the write."""
    submitting = inp.unit_id or who.unit_id or ""
    parents = await store.unit_parents(pid)
    veto = await store.get_veto(pid, inp.nominee_id)
    return d.Submission(
        stage_open=d.stage_open(prog, "nomination", now()), acting_unit=who.unit_id,
        acting_subtree=frozenset(d.subtree(parents, who.unit_id)) if who.unit_id else frozenset(),
        submitting_unit=submitting, category=d.category_of(prog, inp.category_id), nominee_id=inp.nominee_id,
        nominee_kind=nominee[0], nominee_unit=nominee[1],
        unit_active_in_category=await store.count_active(pid, inp.category_id, submitting),
        nominee_already_active=await store.active_key_taken(f"{pid}|{inp.category_id}|{inp.nominee_id}"),
        veto=veto["reason"] if d.in_force(veto) else None)


@roles("unit")
async def submit(uow: Work, pid: str, who: Principal, inp: NominationInput) -> dict:
    """Refused, in this order: an unknown programme or category, the nomination stage closed, no unit on the token,
    a nominating unit or nominee outside the caller's subtree, an unknown nominee or one of the wrong kind, a veto,
    a nominee already nominated in the category, the unit's limit reached; then a bad self-assessment or materials.
    Two submissions at once cannot both pass the unit limit (the transaction recounts)."""
    store = uow.store
    prog = await get_programme(store, pid)
    kind, nominee_unit, nominee_name = await nominee_of(store, pid, inp.nominee_id)
    sub = await _submission(store, pid, prog, who, inp, (kind, nominee_unit))
    d.ensure(d.check_submission(sub))
    d.ensure(d.check_self_assessment(inp.self_assessment, sub.category["criteria"]))
    d.ensure(d.check_materials(inp.materials))
    unit = await store.get_unit(pid, sub.submitting_unit)
    doc = d.new_nomination(uuid4().hex[:16], pid, sub.category, (inp.nominee_id, nominee_name), unit,
                           inp.materials, inp.self_assessment, who.subject, now())
    await uow.run(lambda tx: _submit(tx, doc, sub.category))
    return doc


async def _submit(tx: Transaction[Store], doc: dict, category: dict) -> None:
    pid, cid, uid, nid = doc["programme_id"], doc["category_id"], doc["unit_id"], doc["_id"]
    await tx.store.claim_unit_slot(pid, cid, uid)
    if category.get("unit_limit") is not None:
        d.ensure(d.check_unit_limit(category, uid, await tx.store.count_active(pid, cid, uid)))
    if not await tx.store.insert_nomination(doc):
        raise Conflict("this nominee is already nominated in this category", field="nominee_id")
    await tx.emit(submitted(doc), programme_id=pid, key=nid)


def submitted(n: dict, resubmission: bool = False) -> NominationSubmitted:
    return NominationSubmitted(
        nomination_id=n["_id"], category_id=n["category_id"], nominee_id=n["nominee_id"],
        nominee_name=n["nominee_name"], nominee_kind=n["nominee_kind"], unit_id=n["unit_id"],
        unit_name=n["unit_name"], resubmission=resubmission)


@roles("unit")
async def withdraw(uow: Work, pid: str, nid: str, who: Principal) -> dict:
    """Refused: a nomination outside the unit's subtree, the nomination stage closed, one already reviewed
    (approved, rejected) or withdrawn. Withdrawing frees the nominee and the unit's place in the category."""
    await get_nomination(uow.store, pid, nid, who)
    d.ensure_nomination_open(await get_programme(uow.store, pid), "a nomination cannot be withdrawn", now())
    return await move(uow, pid, nid, "withdraw", who, "", _withdrawn)


def _withdrawn(n: dict) -> Event:
    return NominationWithdrawn(nomination_id=n["_id"], category_id=n["category_id"])


@roles("unit")
async def resubmit(uow: Work, pid: str, nid: str, who: Principal, materials: str | None = None,
                   self_assessment: dict[str, float] | None = None) -> dict:
    """Refused: a nomination outside the unit's subtree, the nomination stage closed, a bad self-assessment or
    materials, a nomination that is not returned."""
    doc = await get_nomination(uow.store, pid, nid, who)
    prog = await get_programme(uow.store, pid)
    d.ensure_nomination_open(prog, "a returned nomination cannot be resubmitted", now())
    changes = d.revised(d.category_of(prog, doc["category_id"]), materials, self_assessment)
    return await move(uow, pid, nid, "resubmit", who, "", partial(submitted, resubmission=True), changes)
