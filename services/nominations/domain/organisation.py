"""The organisation tree and the roll: reading import rows, what changed, subtrees and the nested tree."""
from __future__ import annotations

from typing import Any

from shared.tables import cell, header_positions

from .programme import ID_RE, UNIT_KINDS
from .refusals import Problem

UNIT_HEADERS = {"unit_id": ("unit_id", "单位编号", "编号"), "name": ("name", "单位名称", "名称"),
                "parent_id": ("parent_id", "上级单位编号", "上级编号"), "kind": ("kind", "单位类型", "类型")}
# A roll exported by hand names the member's unit in many ways ("所在单位", "所属党支部"...): each is accepted, and
# the cell may hold the unit's id or its name in the tree (issue 18: "所在单位" failed with "missing column(s)
# unit_id").
MEMBER_HEADERS = {"member_id": ("member_id", "党员编号", "编号", "人员编号"), "name": ("name", "姓名", "党员姓名"),
                  "unit_id": ("unit_id", "所在单位编号", "单位编号", "所属单位编号", "支部编号", "党支部编号",
                              "所在单位", "所属单位", "所在支部", "所在党支部", "所属支部", "所属党支部", "单位",
                              "党支部", "支部", "unit")}
UNIT_KIND_ALIASES = {"机关": "organ", "部门": "department", "处室": "department", "支部": "branch", "党支部": "branch",
                     "示范点": "site", "服务队": "team"}


def map_headers(header: list[Any], wanted: dict[str, tuple[str, ...]]) -> tuple[dict[str, int], Problem | None]:
    """Column positions of the wanted fields, accepting English or Chinese header names."""
    pos = header_positions(header, wanted)
    required = [f for f in wanted if f not in ("parent_id", "kind")]
    missing = [f for f in required if f not in pos]
    if missing:
        return pos, Problem("file", f"line 1: missing column(s) {', '.join(missing)}", code="missing_columns",
                            params={"columns": ", ".join(missing)})
    return pos, None


def parse_units(rows: list[list[Any]], pos: dict[str, int], known: dict[str, dict[str, Any]],
                first_line: int = 2) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows to units; returns (good units, bad rows [{line, reason}]). A parent must be known or in the file;
    a unit whose parent row is bad is bad too. Cycles are refused."""
    good: dict[str, dict[str, Any]] = {}
    line_of: dict[str, int] = {}
    bad: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        line = first_line + n
        if not any(str(c or "").strip() for c in row):
            continue
        uid, name = cell(row, pos, "unit_id"), cell(row, pos, "name")
        parent = cell(row, pos, "parent_id") or None
        kind = cell(row, pos, "kind") or "organ"
        kind = UNIT_KIND_ALIASES.get(kind, kind)
        if not ID_RE.match(uid):
            bad.append({"line": line, "reason": f"unit_id {uid!r} is missing or not a valid id"})
        elif uid in good:
            bad.append({"line": line, "reason": f"unit_id {uid} repeats line {line_of[uid]}"})
        elif not name or len(name) > 100:
            bad.append({"line": line, "reason": "name is required (at most 100 characters)"})
        elif kind not in UNIT_KINDS:
            bad.append({"line": line, "reason": f"kind {kind!r} must be one of {', '.join(UNIT_KINDS)}"})
        elif parent == uid:
            bad.append({"line": line, "reason": "parent_id cannot be the unit itself"})
        else:
            good[uid] = {"unit_id": uid, "name": name, "parent_id": parent, "kind": kind}
            line_of[uid] = line
    # parents must resolve, without cycles, to a root; repeat until stable so orphans of bad rows drop too
    changed = True
    while changed:
        changed = False
        for uid in list(good):
            u = good[uid]
            parent = u["parent_id"]
            if parent is None or parent in good or (parent in known and parent not in good):
                continue
            bad.append({"line": line_of[uid], "reason": f"parent_id {parent} is neither imported nor in this file"})
            del good[uid]
            changed = True
    merged = {k: v for k, v in known.items()} | good
    for uid in list(good):
        seen: set[str] = set()
        cur: str | None = uid
        while cur is not None and cur not in seen:
            seen.add(cur)
            cur = merged.get(cur, {}).get("parent_id")
        if cur is not None:
            bad.append({"line": line_of[uid], "reason": f"parent_id {good[uid]['parent_id']} makes a cycle"})
    cyc = {b["line"] for b in bad}
    units = [u for uid, u in good.items() if line_of[uid] not in cyc]
    bad.sort(key=lambda b: b["line"])
    return units, bad


def unit_names_to_ids(units: Any) -> dict[str, str]:
    """Unit name -> id, for the names that are unique in the tree (an ambiguous name stays a bad row)."""
    seen: dict[str, list[str]] = {}
    for u in units:
        seen.setdefault(str(u.get("name", "")).strip(), []).append(u["unit_id"])
    return {name: ids[0] for name, ids in seen.items() if name and len(ids) == 1}


def parse_members(rows: list[list[Any]], pos: dict[str, int], unit_ids: set[str],
                  first_line: int = 2,
                  unit_by_name: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows to members; a unit cell may hold the unit's id or its name in the tree."""
    unit_by_name = unit_by_name or {}
    good: dict[str, dict[str, Any]] = {}
    line_of: dict[str, int] = {}
    bad: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        line = first_line + n
        if not any(str(c or "").strip() for c in row):
            continue
        mid, name, uid = cell(row, pos, "member_id"), cell(row, pos, "name"), cell(row, pos, "unit_id")
        uid = uid if uid in unit_ids else unit_by_name.get(uid, uid)
        if not ID_RE.match(mid):
            bad.append({"line": line, "reason": f"member_id {mid!r} is missing or not a valid id"})
        elif mid in good:
            bad.append({"line": line, "reason": f"member_id {mid} repeats line {line_of[mid]}"})
        elif not name or len(name) > 50:
            bad.append({"line": line, "reason": "name is required (at most 50 characters)"})
        elif uid not in unit_ids:
            bad.append({"line": line, "reason": f"unit_id {uid!r} is not a unit of the organisation tree"})
        else:
            good[mid] = {"member_id": mid, "name": name, "unit_id": uid}
            line_of[mid] = line
    return list(good.values()), bad


def changed_rows(existing: dict[str, dict[str, Any]], incoming: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Only the rows that are new or differ from what is stored: re-importing the same file changes nothing."""
    out = []
    for row in incoming:
        old = existing.get(row[key])
        if old is None or any(old.get(k) != v for k, v in row.items()):
            out.append(row)
    return out


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def subtree(parents: dict[str, str | None], root: str) -> set[str]:
    """The unit and everything under it; parents maps unit_id -> parent_id."""
    children: dict[str | None, list[str]] = {}
    for uid, parent in parents.items():
        children.setdefault(parent, []).append(uid)
    out, stack = set(), [root] if root in parents else []
    while stack:
        cur = stack.pop()
        if cur in out:
            continue
        out.add(cur)
        stack.extend(children.get(cur, []))
    return out


def build_tree(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {u["unit_id"]: dict(u, children=[]) for u in units}
    roots: list[dict[str, Any]] = []
    for u in sorted(by_id.values(), key=lambda x: x["unit_id"]):
        parent = by_id.get(u.get("parent_id")) if u.get("parent_id") else None
        (parent["children"] if parent else roots).append(u)
    return roots




def split_new(rows: list[dict[str, Any]], known: dict[str, dict[str, Any]],
              key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to insert (not stored yet) and the rows to replace (stored, changed)."""
    return [r for r in rows if r[key] not in known], [r for r in rows if r[key] in known]
