"""Pure rules of the nominations service: programme validation and versioning, the organisation tree and the
roll, eligibility of a nomination, attachments, review transitions and quota warnings. No I/O here."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPONENTS = ("basic", "key_tasks", "business", "report", "peer_vote")
COMPONENT_LABELS = {"basic": "基础", "key_tasks": "重点", "business": "业务", "report": "述职", "peer_vote": "民主测评"}
NOMINEE_KINDS = ("organ", "branch", "site", "team", "member")
UNIT_KINDS = ("organ", "department", "branch", "site", "team")
BOARDS = ("model_organ", "red_flag_branch", "demonstration_site", "service_team", "excellent_member", "pacesetter",
          "other")
STAGES = ("nomination", "review", "voting", "judging", "publicity")
STAGE_LABELS = {"nomination": "申报", "review": "资格审查", "voting": "民主测评", "judging": "评审打分",
                "publicity": "公示"}
ACTIVE = ("submitted", "returned", "approved")
STATUS_LABELS = {"submitted": "已申报", "returned": "退回修改", "approved": "审核通过", "rejected": "不予通过",
                 "withdrawn": "已撤回"}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_MATERIALS_CHARS = 20_000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def text(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused; kind maps to an HTTP error class (invalid, closed, conflict, forbidden, not_found)."""

    kind: str
    field: str
    message: str


# ---- programme definition -------------------------------------------------------------------------------
def to_utc(value: Any) -> datetime:
    """A stage date: an ISO string or datetime; naive values and bare dates are Asia/Shanghai local time."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError("must be a date or date-time such as 2026-03-01T09:00")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def normalise_programme(raw: Any, templates: dict[str, dict]) -> tuple[dict, list[Problem]]:
    """Check a programme definition; returns (normalised programme, problems). Problems name the field."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return {}, [Problem("", "the programme must be a mapping with name, year, categories and stages")]
    out: dict[str, Any] = {}
    pid = raw.get("programme_id")
    if pid is not None and (not isinstance(pid, str) or not ID_RE.match(pid)):
        problems.append(Problem("programme_id", "must be 1-64 letters, digits, '_', '-', '.' or ':'"))
    out["programme_id"] = pid
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("name", "is required"))
    out["name"] = name.strip() if isinstance(name, str) else ""
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        problems.append(Problem("year", "must be a year between 2000 and 2100"))
    out["year"] = year
    cats = raw.get("categories")
    out["categories"] = []
    if not isinstance(cats, list) or not cats:
        problems.append(Problem("categories", "at least one category is required"))
        cats = []
    seen_ids: set[str] = set()
    for i, cat in enumerate(cats):
        c, cp = _category(cat, f"categories[{i}]", templates)
        problems += cp
        if c.get("category_id") in seen_ids:
            problems.append(Problem(f"categories[{i}].category_id", f"duplicate category id {c['category_id']}"))
        seen_ids.add(c.get("category_id"))
        out["categories"].append(c)
    out["stages"], sp = _stages(raw.get("stages", []))
    problems += sp
    return out, problems


def _category(cat: Any, at: str, templates: dict[str, dict]) -> tuple[dict, list[Problem]]:
    p: list[Problem] = []
    if not isinstance(cat, dict):
        return {}, [Problem(at, "must be a mapping")]
    c: dict[str, Any] = {}
    cid = cat.get("category_id")
    if not isinstance(cid, str) or not ID_RE.match(cid):
        p.append(Problem(f"{at}.category_id", "is required: 1-64 letters, digits, '_', '-', '.' or ':'"))
    c["category_id"] = cid
    name = cat.get("name")
    if not isinstance(name, str) or not name.strip():
        p.append(Problem(f"{at}.name", "is required"))
    c["name"] = name.strip() if isinstance(name, str) else ""
    c["name_en"] = str(cat.get("name_en") or "")
    kind = cat.get("nominee_kind")
    if kind not in NOMINEE_KINDS:
        p.append(Problem(f"{at}.nominee_kind", f"must be one of {', '.join(NOMINEE_KINDS)}"))
    c["nominee_kind"] = kind
    board = cat.get("board", "other")
    if board not in BOARDS:
        p.append(Problem(f"{at}.board", f"must be one of {', '.join(BOARDS)}"))
    c["board"] = board
    quota = cat.get("quota")
    if not isinstance(quota, int) or isinstance(quota, bool) or quota <= 0:
        p.append(Problem(f"{at}.quota", "must be a positive whole number (名额)"))
    c["quota"] = quota
    ratio = _number(cat.get("competitive_ratio", 1.0))
    if ratio is None or ratio < 1.0 or ratio > 5.0:
        p.append(Problem(f"{at}.competitive_ratio", "must be a number from 1.0 to 5.0 (差额比例)"))
    c["competitive_ratio"] = ratio
    limit = cat.get("unit_limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0):
        p.append(Problem(f"{at}.unit_limit", "must be a positive whole number or absent"))
    c["unit_limit"] = limit
    criteria = cat.get("criteria")
    template = cat.get("criteria_template")
    if template is not None:
        if template not in templates:
            p.append(Problem(f"{at}.criteria_template",
                             f"unknown criteria template {template!r}; known: {', '.join(sorted(templates))}"))
            criteria = []
        elif criteria is None:
            criteria = templates[template]["criteria"]
    if not isinstance(criteria, list) or not criteria:
        if template is None:
            p.append(Problem(f"{at}.criteria", "at least one criterion (or a criteria_template) is required"))
        criteria = []
    c["criteria"] = []
    seen: set[str] = set()
    for j, cr in enumerate(criteria):
        where = f"{at}.criteria[{j}]"
        if not isinstance(cr, dict):
            p.append(Problem(where, "must be a mapping with criterion_id, name, max_points"))
            continue
        crid = cr.get("criterion_id")
        if not isinstance(crid, str) or not ID_RE.match(crid):
            p.append(Problem(f"{where}.criterion_id", "is required"))
        elif crid in seen:
            p.append(Problem(f"{where}.criterion_id", f"duplicate criterion id {crid}"))
        seen.add(crid)
        if not isinstance(cr.get("name"), str) or not cr["name"].strip():
            p.append(Problem(f"{where}.name", "is required"))
        mx = _number(cr.get("max_points"))
        if mx is None or mx <= 0 or mx > 1000:
            p.append(Problem(f"{where}.max_points", "must be a positive number of points (at most 1000)"))
        step = _number(cr.get("step", 0.5))
        if step is None or step <= 0:
            p.append(Problem(f"{where}.step", "must be a positive number"))
        c["criteria"].append({"criterion_id": crid, "name": str(cr.get("name", "")).strip(),
                              "max_points": mx, "step": step})
    weights = cat.get("weights")
    if not isinstance(weights, dict):
        p.append(Problem(f"{at}.weights", f"a weight for each of {', '.join(COMPONENTS)} is required"))
        weights = {}
    c["weights"] = {}
    for k, v in weights.items():
        if k not in COMPONENTS:
            p.append(Problem(f"{at}.weights.{k}", f"unknown component; known: {', '.join(COMPONENTS)}"))
            continue
        w = _number(v)
        if w is None or w < 0 or w > 1:
            p.append(Problem(f"{at}.weights.{k}", "must be a number from 0 to 1"))
            continue
        c["weights"][k] = w
    if isinstance(cat.get("weights"), dict) and not any(x.field.startswith(f"{at}.weights") for x in p):
        total = sum(c["weights"].values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            p.append(Problem(f"{at}.weights", f"the weights sum to {round(total, 6)}; they must sum to 1 (the whole)"))
    for k in COMPONENTS:
        c["weights"].setdefault(k, 0.0)
    return c, p


def _stages(stages: Any) -> tuple[list[dict], list[Problem]]:
    p: list[Problem] = []
    out: list[dict] = []
    if stages is None:
        return [], []
    if not isinstance(stages, list):
        return [], [Problem("stages", "must be a list of {stage, opens_at, closes_at}")]
    seen: set[str] = set()
    for i, st in enumerate(stages):
        at = f"stages[{i}]"
        if not isinstance(st, dict):
            p.append(Problem(at, "must be a mapping with stage, opens_at, closes_at"))
            continue
        name = st.get("stage")
        if name not in STAGES:
            p.append(Problem(f"{at}.stage", f"must be one of {', '.join(STAGES)}"))
            continue
        if name in seen:
            p.append(Problem(f"{at}.stage", f"stage {name} is listed twice"))
            continue
        seen.add(name)
        times = {}
        for k in ("opens_at", "closes_at"):
            try:
                times[k] = to_utc(st.get(k))
            except (ValueError, TypeError):
                p.append(Problem(f"{at}.{k}", "must be a date or date-time such as 2026-03-01T09:00 (Asia/Shanghai)"))
        if len(times) == 2:
            if times["closes_at"] <= times["opens_at"]:
                p.append(Problem(f"{at}.closes_at", "must be after opens_at"))
            out.append({"stage": name, **times})
    ordered = sorted(out, key=lambda s: STAGES.index(s["stage"]))
    for prev, nxt in zip(ordered, ordered[1:]):
        if nxt["opens_at"] < prev["closes_at"]:
            idx = next(i for i, s in enumerate(stages) if isinstance(s, dict) and s.get("stage") == nxt["stage"])
            p.append(Problem(f"stages[{idx}].opens_at",
                             f"the {nxt['stage']} stage opens before the {prev['stage']} stage closes; "
                             "dates are out of order"))
    return ordered, p


def scoring_shape(programme: dict) -> dict:
    """What must not change silently once voting has started: each category's criteria and weights."""
    return {c["category_id"]: {"criteria": c["criteria"], "weights": c["weights"]} for c in programme["categories"]}


def definition_of(programme: dict) -> dict:
    return {k: programme[k] for k in ("name", "year", "categories", "stages")}


def change_decision(old: dict, new: dict, voting_started: bool) -> Refusal | str:
    """'unchanged', 'new_version', or a refusal when weights or criteria change after voting started."""
    if definition_of(old) == definition_of(new):
        return "unchanged"
    if voting_started:
        old_shape, new_shape = scoring_shape(old), scoring_shape(new)
        for cid in sorted(set(old_shape) | set(new_shape)):
            if old_shape.get(cid) != new_shape.get(cid):
                return Refusal("conflict", f"categories.{cid}",
                               f"the criteria or weights of category {cid} cannot change after voting has started")
    return "new_version"


# ---- the organisation tree and the roll ------------------------------------------------------------------
UNIT_HEADERS = {"unit_id": ("unit_id", "单位编号", "编号"), "name": ("name", "单位名称", "名称"),
                "parent_id": ("parent_id", "上级单位编号", "上级编号"), "kind": ("kind", "单位类型", "类型")}
MEMBER_HEADERS = {"member_id": ("member_id", "党员编号", "编号"), "name": ("name", "姓名"),
                  "unit_id": ("unit_id", "所在单位编号", "单位编号")}
UNIT_KIND_ALIASES = {"机关": "organ", "部门": "department", "处室": "department", "支部": "branch", "党支部": "branch",
                     "示范点": "site", "服务队": "team"}


def map_headers(header: list[Any], wanted: dict[str, tuple[str, ...]]) -> tuple[dict[str, int], Problem | None]:
    """Column positions of the wanted fields, accepting English or Chinese header names."""
    names = [str(h or "").strip().lower() for h in header]
    pos: dict[str, int] = {}
    for field_name, aliases in wanted.items():
        for a in aliases:
            if a.lower() in names:
                pos[field_name] = names.index(a.lower())
                break
    required = [f for f in wanted if f not in ("parent_id", "kind")]
    missing = [f for f in required if f not in pos]
    if missing:
        return pos, Problem("file", f"line 1: missing column(s) {', '.join(missing)}")
    return pos, None


def _cell(row: list[Any], pos: dict[str, int], key: str) -> str:
    i = pos.get(key)
    if i is None or i >= len(row) or row[i] is None:
        return ""
    v = row[i]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def parse_units(rows: list[list[Any]], pos: dict[str, int], known: dict[str, dict],
                first_line: int = 2) -> tuple[list[dict], list[dict]]:
    """Rows to units; returns (good units, bad rows [{line, reason}]). A parent must be known or in the file;
    a unit whose parent row is bad is bad too. Cycles are refused."""
    good: dict[str, dict] = {}
    line_of: dict[str, int] = {}
    bad: list[dict] = []
    for n, row in enumerate(rows):
        line = first_line + n
        if not any(str(c or "").strip() for c in row):
            continue
        uid, name = _cell(row, pos, "unit_id"), _cell(row, pos, "name")
        parent = _cell(row, pos, "parent_id") or None
        kind = _cell(row, pos, "kind") or "organ"
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
        seen, cur = set(), uid
        while cur is not None and cur not in seen:
            seen.add(cur)
            cur = merged.get(cur, {}).get("parent_id")
        if cur is not None:
            bad.append({"line": line_of[uid], "reason": f"parent_id {good[uid]['parent_id']} makes a cycle"})
    cyc = {b["line"] for b in bad}
    units = [u for uid, u in good.items() if line_of[uid] not in cyc]
    bad.sort(key=lambda b: b["line"])
    return units, bad


def parse_members(rows: list[list[Any]], pos: dict[str, int], unit_ids: set[str],
                  first_line: int = 2) -> tuple[list[dict], list[dict]]:
    good: dict[str, dict] = {}
    line_of: dict[str, int] = {}
    bad: list[dict] = []
    for n, row in enumerate(rows):
        line = first_line + n
        if not any(str(c or "").strip() for c in row):
            continue
        mid, name, uid = _cell(row, pos, "member_id"), _cell(row, pos, "name"), _cell(row, pos, "unit_id")
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


def changed_rows(existing: dict[str, dict], incoming: list[dict], key: str) -> list[dict]:
    """Only the rows that are new or differ from what is stored: re-importing the same file changes nothing."""
    out = []
    for row in incoming:
        old = existing.get(row[key])
        if old is None or any(old.get(k) != v for k, v in row.items()):
            out.append(row)
    return out


def chunks(items: list, size: int) -> list[list]:
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


def build_tree(units: list[dict]) -> list[dict]:
    by_id = {u["unit_id"]: dict(u, children=[]) for u in units}
    roots = []
    for u in sorted(by_id.values(), key=lambda x: x["unit_id"]):
        parent = by_id.get(u.get("parent_id")) if u.get("parent_id") else None
        (parent["children"] if parent else roots).append(u)
    return roots


# ---- nominations -----------------------------------------------------------------------------------------
KIND_OF_UNIT_NOMINEE = {"organ": "organ", "branch": "branch", "site": "site", "team": "team"}


@dataclass(frozen=True)
class Submission:
    """Everything eligibility depends on, gathered by the service before the write."""

    stage_open: bool
    acting_unit: str | None          # the token's unit_id
    acting_subtree: frozenset[str]   # units the acting unit may act for
    submitting_unit: str             # the unit that nominates
    category: dict | None
    nominee_id: str
    nominee_kind: str | None         # 'member' or the nominee unit's kind; None when unknown
    nominee_unit: str | None         # the unit the nominee is (a unit) or belongs to (a member)
    unit_active_in_category: int     # active nominations of the submitting unit in this category
    nominee_already_active: bool
    veto: str | None                 # the reason of a veto flag on the nominee, if any


def check_submission(s: Submission) -> Refusal | None:
    """Every eligibility rule of a nomination, in the order a user would want to hear about them."""
    if s.category is None:
        return Refusal("not_found", "category_id", "this category does not exist in the programme")
    if not s.stage_open:
        return Refusal("closed", "stage", "the nomination stage (申报) is not open")
    if not s.acting_unit:
        return Refusal("forbidden", "unit_id", "the token carries no unit_id")
    if s.submitting_unit not in s.acting_subtree:
        return Refusal("forbidden", "unit_id", f"unit {s.submitting_unit} is outside your unit's subtree")
    if s.nominee_kind is None or s.nominee_unit is None:
        return Refusal("not_found", "nominee_id", f"nominee {s.nominee_id} is not in the organisation tree or roll")
    expected = s.category["nominee_kind"]
    if s.nominee_kind != expected:
        return Refusal("invalid", "nominee_id",
                       f"category {s.category['name']} takes nominees of kind {expected}, not {s.nominee_kind}")
    if s.nominee_unit not in s.acting_subtree:
        return Refusal("forbidden", "nominee_id", f"nominee {s.nominee_id} is outside your unit's subtree")
    if s.veto is not None:
        return Refusal("conflict", "nominee_id", f"nominee {s.nominee_id} is barred by a veto (一票否决): {s.veto}")
    if s.nominee_already_active:
        return Refusal("conflict", "nominee_id", "this nominee is already nominated in this category")
    limit = s.category.get("unit_limit")
    if limit is not None and s.unit_active_in_category >= limit:
        return Refusal("conflict", "unit_id",
                       f"unit {s.submitting_unit} has reached its limit of {limit} nomination(s) in this category")
    return None


def check_self_assessment(scores: dict[str, Any], criteria: list[dict]) -> Refusal | None:
    by_id = {c["criterion_id"]: c for c in criteria}
    for crid, value in scores.items():
        c = by_id.get(crid)
        if c is None:
            return Refusal("invalid", f"self_assessment.{crid}",
                           f"unknown criterion {crid}; this category's criteria are {', '.join(by_id)}")
        v = _number(value)
        if v is None or v < 0 or v > c["max_points"]:
            return Refusal("invalid", f"self_assessment.{crid}", f"must be from 0 to {c['max_points']:g} points")
        step = c.get("step") or 0.5
        if not math.isclose(v / step, round(v / step), abs_tol=1e-9):
            return Refusal("invalid", f"self_assessment.{crid}", f"must be a multiple of {step:g}")
    return None


def check_materials(text: str) -> Refusal | None:
    if len(text) > MAX_MATERIALS_CHARS:
        return Refusal("invalid", "materials", f"the materials text is longer than {MAX_MATERIALS_CHARS} characters")
    return None


def check_attachment(filename: str, size: int, already: int) -> Refusal | None:
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if not filename or ext not in ATTACHMENT_TYPES:
        return Refusal("invalid", "file", f"file type {ext or '(none)'} is not allowed; allowed: "
                                          f"{', '.join(sorted(ATTACHMENT_TYPES))}")
    if size <= 0:
        return Refusal("invalid", "file", "the file is empty")
    if size > MAX_ATTACHMENT_BYTES:
        return Refusal("invalid", "file", f"the file is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    if already >= MAX_ATTACHMENTS:
        return Refusal("conflict", "file", f"a nomination has at most {MAX_ATTACHMENTS} attachments")
    return None


TRANSITIONS = {
    # action: (allowed from statuses, resulting status)
    "approve": (("submitted",), "approved"),
    "return": (("submitted",), "returned"),
    "reject": (("submitted", "returned"), "rejected"),
    "withdraw": (("submitted", "returned"), "withdrawn"),
    "resubmit": (("returned",), "submitted"),
}


def transition(status: str, action: str) -> Refusal | str:
    allowed, result = TRANSITIONS[action]
    if status not in allowed:
        return Refusal("conflict", "status",
                       f"cannot {action} a nomination that is {status}; it must be {' or '.join(allowed)}")
    return result


def needed_candidates(category: dict) -> int:
    return math.ceil(category["quota"] * category["competitive_ratio"] - 1e-9)


def quota_shortfalls(categories: list[dict], approved: dict[str, int]) -> list[dict]:
    """Warnings for categories whose approved candidates fall short of quota x competitive ratio."""
    out = []
    for c in categories:
        need, have = needed_candidates(c), approved.get(c["category_id"], 0)
        if have < need:
            out.append({"category_id": c["category_id"], "name": c["name"], "approved": have, "needed": need,
                        "message": f"{c['name']}: {have} approved candidate(s), fewer than quota {c['quota']} x "
                                   f"competitive ratio {c['competitive_ratio']:g} = {need}"})
    return out
