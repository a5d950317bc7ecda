"""Import indicator points from CSV or XLSX (Chinese or English headers): one row per item of a nominee's basic,
business or key-task indicators; bad rows reported by line; only new or changed nominees written, in one
transaction, each marking its category for recomputation."""
from __future__ import annotations

from shared.errors import Invalid
from shared.tables import cell, header_positions, read_table

from .. import domain as d
from ..domain.indicator_rows import INDICATOR_HEADERS, missing_columns, parse_indicator_rows
from ..store import Doc, ScoringStore
from .common import Tx, allowed, get_programme, mark_dirty, now


async def _nominations(store: ScoringStore, prog: Doc) -> dict[str, Doc]:
    out: dict[str, Doc] = {}
    for cat in prog.get("categories", []):
        for n in await store.approved_nominations(prog["_id"], cat["category_id"]):
            out[n["_id"]] = n
    return out


async def _known(store: ScoringStore, prog: Doc, named_ids: set[str]) -> dict[str, Doc]:
    """The approved nominations, and those the file names by id that are not approved (their rows are refused with
    that reason rather than as unknown)."""
    known = await _nominations(store, prog)
    for nid in sorted(named_ids - set(known)):
        other = await store.nomination(nid, prog["_id"])
        if other is not None:
            known[nid] = other
    return known


def _same(current: Doc | None, parts: Doc) -> bool:
    return current is not None and all(current.get(k) == v for k, v in parts.items())


@allowed("organiser")
async def import_indicators(tx: Tx, programme_id: str, filename: str, data: bytes) -> Doc:
    """Refused: an unknown programme (404), a file that is not a readable table or lacks a needed column (422, file).
    Bad rows — an unknown or ambiguous nominee, one not approved, an unknown kind, points above their maximum, a key
    task without a name, a category whose 公示 list is published — are reported by line; a nominee with a bad row
    is left out entirely (no partial total)."""
    store = tx.store
    prog = await get_programme(store, programme_id)
    rows = read_table(filename, data)
    if not rows:
        raise Invalid("the file is empty", field="file", code="file_empty")
    pos = header_positions(rows[0], INDICATOR_HEADERS)
    missing = missing_columns(pos)
    if missing:
        raise Invalid(f"line 1: missing column(s) {', '.join(missing)}", field="file", code="missing_columns",
                      params={"columns": ", ".join(m.replace(" or ", "/") for m in missing)})
    known = await _known(store, prog, {cell(r, pos, "nomination_id") for r in rows[1:]} - {""})
    parsed = parse_indicator_rows(rows[1:], pos, known)
    written, unchanged = [], 0
    for nid, parts in parsed.docs.items():
        problem = await _refusal(store, programme_id, known[nid])
        if problem:
            parsed.bad.append({"line": parsed.lines[nid][0], "reason": problem})
            parsed.left_out[nid] = [parsed.lines[nid][0]]
            continue
        if _same(await store.indicators(nid), parts):
            unchanged += 1
            continue
        await store.save_indicators(nid, {"programme_id": programme_id, "category_id": known[nid]["category_id"],
                                          **parts, "updated_at": now()})
        await mark_dirty(store, programme_id, known[nid]["category_id"])
        written.append(nid)
    left_out = [{"nomination_id": nid, "nominee_name": known[nid].get("nominee_name", ""), "bad_lines": lines}
                for nid, lines in sorted(parsed.left_out.items())]
    return {"rows": sum(1 for r in rows[1:] if any(str(v).strip() for v in r if v is not None)),
            "imported": len(written), "unchanged": unchanged, "nominations": written,
            "bad_rows": sorted(parsed.bad, key=lambda b: b["line"]), "left_out": left_out}


async def _refusal(store: ScoringStore, programme_id: str, nom: Doc) -> str | None:
    """Why a nominee's indicators may not be written, as enter_indicators would refuse them, or None."""
    if nom.get("status") != "approved":
        return (f"nomination {nom['_id']} is {nom.get('status', 'unknown')}, not approved; only approved "
                "nominations are judged")
    if await store.publication(programme_id, nom["category_id"]) is not None:
        return d.published_refusal(nom["category_id"], "a change of indicators").message
    return None
