"""Import the organisation tree and the roll from CSV or XLSX: bad rows reported by line, only new or changed rows
written, all of them and their events (1,000 rows each) in one transaction."""
from __future__ import annotations

from collections.abc import Callable

from shared.contracts import Event
from shared.contracts.nominations import MemberInfo, MembersImported, UnitInfo, UnitsImported
from shared.errors import Invalid
from shared.tables import MAX_TABLE_BYTES, read_table
from shared.uow import Transaction

from .. import domain as d
from ..lookups import get_programme
from ..store import Store
from . import Work, roles

EVENT_CHUNK = 1000
MAX_IMPORT_BYTES = MAX_TABLE_BYTES


def read_table_with_headers(filename: str, data: bytes, headers: dict) -> tuple[list, dict]:
    """The rows of an uploaded table and where each known column is, from its header row."""
    rows = read_table(filename, data)
    if not rows:
        raise Invalid("the file is empty", field="file", code="file_empty")
    pos, problem = d.map_headers(rows[0], headers)
    if problem:
        raise Invalid(problem.message, field=problem.field, code=problem.code, params=problem.params)
    return rows, pos


def summary(good: list[dict], bad: list[dict], changed: list[dict], events: int) -> dict:
    return {"rows": len(good) + len(bad), "imported": len(changed), "unchanged": len(good) - len(changed),
            "bad_rows": bad, "events": events}


@roles("organiser")
async def import_units(uow: Work, pid: str, filename: str, data: bytes) -> dict:
    """Refused: an unknown programme, a file that is not a readable table with the needed columns.
    Bad rows (a parent neither imported nor in the file, a cycle, a repeated id ...) are reported, not written."""
    await get_programme(uow.store, pid)
    rows, pos = read_table_with_headers(filename, data, d.UNIT_HEADERS)
    known = await uow.store.known_units(pid)
    units, bad = d.parse_units(rows[1:], pos, known)
    changed = d.changed_rows(known, units, "unit_id")
    events = 0
    if changed:
        new, updated = d.split_new(changed, known, "unit_id")
        events = await uow.run(lambda tx: _write_units(tx, pid, new, updated, changed))
    return summary(units, bad, changed, events)


async def _write_units(tx: Transaction[Store], pid: str, new: list[dict], updated: list[dict],
                       changed: list[dict]) -> int:
    await tx.store.write_units(pid, new, updated)
    return await _emit_chunks(tx, pid, changed, lambda part: UnitsImported(units=[UnitInfo(**u) for u in part]),
                              "units")


@roles("organiser")
async def import_members(uow: Work, pid: str, filename: str, data: bytes) -> dict:
    """Refused as import_units; a member whose unit is not in the organisation tree is a bad row."""
    await get_programme(uow.store, pid)
    rows, pos = read_table_with_headers(filename, data, d.MEMBER_HEADERS)
    units = await uow.store.known_units(pid)
    by_name = d.unit_names_to_ids(units.values())
    known = await uow.store.known_members(pid)
    members, bad = d.parse_members(rows[1:], pos, set(units), unit_by_name=by_name)
    changed = d.changed_rows(known, members, "member_id")
    events = 0
    if changed:
        new, updated = d.split_new(changed, known, "member_id")
        events = await uow.run(lambda tx: _write_members(tx, pid, new, updated, changed))
    return summary(members, bad, changed, events)


async def _write_members(tx: Transaction[Store], pid: str, new: list[dict], updated: list[dict],
                         changed: list[dict]) -> int:
    await tx.store.write_members(pid, new, updated)
    return await _emit_chunks(
        tx, pid, changed, lambda part: MembersImported(members=[MemberInfo(**m) for m in part]), "members")


async def _emit_chunks(tx: Transaction[Store], pid: str, rows: list[dict], make: Callable[[list[dict]], Event],
                       key: str) -> int:
    parts = d.chunks(rows, EVENT_CHUNK)
    for part in parts:
        await tx.emit(make(part), programme_id=pid, key=key)
    return len(parts)
