"""Indicator points from an imported table (as the party-building platform exports them): one row per item of a
nominee's basic (基础), business (业务) or key-task (重点) indicators; the items of a part add up to its points and
are kept as its breakdown. Pure: the rows and the nominations in, the documents and the bad rows out."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared.tables import cell

INDICATOR_HEADERS: dict[str, tuple[str, ...]] = {
    "nomination_id": ("nomination_id", "申报编号", "推荐编号"),
    "nominee": ("nominee", "nominee_name", "被推荐对象", "推荐对象", "对象名称", "名称", "单位名称", "支部名称",
                "姓名"),
    "kind": ("kind", "indicator", "指标类别", "指标类型", "考核类别", "类别"),
    "item": ("item", "指标项", "指标名称", "考核项目", "任务名称", "项目"),
    "task_id": ("task_id", "任务编号"),
    "points": ("points", "score", "得分", "考核得分"),
    "max_points": ("max_points", "max", "满分", "分值"),
}
KIND_ALIASES = {"basic": "basic", "基础": "basic", "基础指标": "basic", "基础工作": "basic",
                "business": "business", "业务": "business", "业务工作": "business", "业务指标": "business",
                "key_task": "key_tasks", "key_tasks": "key_tasks", "重点": "key_tasks", "重点任务": "key_tasks",
                "重点工作": "key_tasks"}
TASK_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
PARTS = ("basic", "business", "key_tasks")


def missing_columns(pos: dict[str, int]) -> list[str]:
    need = [f for f in ("kind", "points", "max_points") if f not in pos]
    if "nomination_id" not in pos and "nominee" not in pos:
        need.insert(0, "nomination_id or nominee")
    return need


@dataclass
class Parsed:
    """Per nomination, the parts given in the file; bad rows by line; nominations left out for a bad row."""
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[str, list[int]] = field(default_factory=dict)
    left_out: dict[str, list[int]] = field(default_factory=dict)  # nomination -> its bad lines


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None


def _nominee(row: list[Any], pos: dict[str, int], noms: dict[str, dict[str, Any]],
             by_name: dict[str, list[str]]) -> str:
    nid = cell(row, pos, "nomination_id")
    if nid:
        nom = noms.get(nid)
        if nom is None:
            raise ValueError(f"nomination {nid} is not known in this programme")
        return nid
    name = cell(row, pos, "nominee")
    if not name:
        raise ValueError("neither nomination_id (申报编号) nor nominee (被推荐对象) is given")
    ids = by_name.get(name, [])
    if not ids:
        raise ValueError(f"no nomination of {name} in this programme")
    if len(ids) > 1:
        raise ValueError(f"{name} has {len(ids)} nominations: give nomination_id (申报编号)")
    return ids[0]


def _item(row: list[Any], pos: dict[str, int]) -> tuple[str, dict[str, Any]]:
    raw = cell(row, pos, "kind")
    kind = KIND_ALIASES.get(raw.lower().replace(" ", ""))
    if kind is None:
        raise ValueError(f"kind {raw!r} is none of 基础 basic, 业务 business, 重点 key task")
    points, top = _number(cell(row, pos, "points"), "points"), _number(cell(row, pos, "max_points"), "max_points")
    if top <= 0:
        raise ValueError("max_points must be above 0")
    if not 0 <= points <= top:
        raise ValueError(f"points {points:g} must be between 0 and max_points {top:g}")
    name = cell(row, pos, "item")
    if kind == "key_tasks" and not name:
        raise ValueError("a key task needs its name (item, 任务名称)")
    task_id = cell(row, pos, "task_id")
    if task_id and not TASK_ID.match(task_id):
        raise ValueError(f"task_id {task_id!r} may hold only letters, digits and _.:-")
    return kind, {"name": name, "points": points, "max_points": top, "task_id": task_id}


def parse_indicator_rows(rows: list[list[Any]], pos: dict[str, int], noms: dict[str, dict[str, Any]],
                         first_line: int = 2) -> Parsed:
    """`noms`: the programme's nominations by id (name in nominee_name). A row naming an unknown or ambiguous nominee,
    an unknown kind or impossible points is bad; a nomination with a bad row is left out entirely, so that no partial
    total is stored."""
    by_name: dict[str, list[str]] = {}
    for known, n in noms.items():
        by_name.setdefault(str(n.get("nominee_name") or ""), []).append(known)
    items: dict[str, dict[str, list[dict[str, Any]]]] = {}
    out = Parsed()
    for i, row in enumerate(rows, first_line):
        if not any(str(v).strip() for v in row if v is not None):
            continue
        nid = ""
        try:
            nid = _nominee(row, pos, noms, by_name)
            kind, item = _item(row, pos)
        except ValueError as exc:
            out.bad.append({"line": i, "reason": str(exc)})
            if nid:
                out.left_out.setdefault(nid, []).append(i)
            continue
        items.setdefault(nid, {}).setdefault(kind, []).append(item)
        out.lines.setdefault(nid, []).append(i)
    for nid, parts in items.items():
        if nid in out.left_out:
            continue
        try:
            out.docs[nid] = {k: _part(k, v) for k, v in parts.items()}
        except ValueError as exc:
            out.bad.append({"line": out.lines[nid][0], "reason": str(exc)})
            out.left_out[nid] = [out.lines[nid][0]]
    return out


def _part(kind: str, items: list[dict[str, Any]]) -> Any:
    if kind == "key_tasks":
        tasks = [{"task_id": it["task_id"] or f"t{n}", "name": it["name"], "points": it["points"],
                  "max_points": it["max_points"]} for n, it in enumerate(items, 1)]
        if len({t["task_id"] for t in tasks}) != len(tasks):
            raise ValueError("key tasks: task_id repeated for one nominee")
        return tasks
    return {"points": round(sum(it["points"] for it in items), 6),
            "max_points": round(sum(it["max_points"] for it in items), 6),
            "items": [{"name": it["name"] or f"{kind} {n}", "points": it["points"], "max_points": it["max_points"]}
                      for n, it in enumerate(items, 1)]}
