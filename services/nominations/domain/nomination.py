"""Nominations: eligibility, materials and attachments, the review transitions and quota warnings."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared import stages
from shared.errors import Closed, Conflict, Forbidden

from .organisation import subtree
from .programme import _number
from .refusals import Refusal, ensure, refuse

ACTIVE = ("submitted", "returned", "approved")
Status = Literal["submitted", "returned", "approved", "rejected", "withdrawn"]  # the keys of STATUS_LABELS
STATUS_LABELS = {"submitted": "已申报", "returned": "退回修改", "approved": "审核通过", "rejected": "不予通过",
                 "withdrawn": "已撤回"}
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


KIND_OF_UNIT_NOMINEE = {"organ": "organ", "branch": "branch", "site": "site", "team": "team"}


@dataclass(frozen=True)
class Submission:
    """Everything eligibility depends on, gathered by the service before the write."""

    stage_open: bool
    acting_unit: str | None          # the token's unit_id
    acting_subtree: frozenset[str]   # units the acting unit may act for
    submitting_unit: str             # the unit that nominates
    category: dict[str, Any] | None
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
        return nomination_closed("nominations cannot be submitted")
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
    return check_unit_limit(s.category, s.submitting_unit, s.unit_active_in_category)


def check_unit_limit(category: dict[str, Any], unit_id: str, active: int) -> Refusal | None:
    """A unit may have at most the category's unit_limit active nominations in it (none: no limit)."""
    limit = category.get("unit_limit")
    if limit is not None and active >= limit:
        return Refusal("conflict", "unit_id",
                       f"unit {unit_id} has reached its limit of {limit} nomination(s) in this category")
    return None


def nomination_closed(refused: str) -> Refusal:
    """The refusal of an action of the nomination stage (申报) while it is closed, worded as every service words
    a stage refusal (shared.stages)."""
    try:
        stages.ensure_open(None, "nomination", refused)
    except Closed as closed:
        return Refusal("closed", closed.field or "stage", closed.message, closed.code)
    raise AssertionError("a programme that is not known has no open stage")


def ensure_nomination_open(programme: dict[str, Any], refused: str, at: datetime | None = None) -> None:
    """Submitting, resubmitting and withdrawing belong to the nomination stage (申报): open as the organiser set
    it, or by its window when the programme's stages go by their dates."""
    stages.ensure_open(programme, "nomination", refused, at)


def check_self_assessment(scores: dict[str, Any], criteria: list[dict[str, Any]]) -> Refusal | None:
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
        return Refusal("invalid", "file", "the file is empty", "file_empty")
    if size > MAX_ATTACHMENT_BYTES:
        mb = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        return Refusal("invalid", "file", f"the file is larger than {mb} MB", "file_too_large", {"mb": mb})
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
    # 一票否决 at any stage: even an approved nomination is rejected by a veto.
    "veto": (("submitted", "returned", "approved"), "rejected"),
}
VETOED = TRANSITIONS["veto"][0]


def transition(status: str, action: str) -> Refusal | str:
    allowed, result = TRANSITIONS[action]
    if status not in allowed:
        return Refusal("conflict", "status",
                       f"cannot {action} a nomination that is {status}; it must be {' or '.join(allowed)}",
                       "wrong_status", {"action": action, "status": status})
    return result


def needed_candidates(category: dict[str, Any]) -> int:
    quota: int = category["quota"]
    ratio: float = category["competitive_ratio"]
    return math.ceil(quota * ratio - 1e-9)


def quota_shortfalls(categories: list[dict[str, Any]], approved: dict[str, int]) -> list[dict[str, Any]]:
    """Warnings for categories whose approved candidates fall short of quota x competitive ratio."""
    out = []
    for c in categories:
        need, have = needed_candidates(c), approved.get(c["category_id"], 0)
        if have < need:
            out.append({"category_id": c["category_id"], "name": c["name"], "approved": have, "needed": need,
                        "message": f"{c['name']}: {have} approved candidate(s), fewer than quota {c['quota']} x "
                                   f"competitive ratio {c['competitive_ratio']:g} = {need}"})
    return out


# ---- the state invariants of a nomination ----------------------------------------------------------------
def scope_of(role: str, unit_id: str | None, parents: dict[str, str | None]) -> set[str] | None:
    """Units the caller may see or act for; None means everything (organiser)."""
    if role == "organiser":
        return None
    if not unit_id:
        raise Forbidden("the token carries no unit_id", field="unit_id")
    return subtree(parents, unit_id)


def ensure_visible(doc: dict[str, Any], allowed: set[str] | None) -> None:
    if allowed is not None and doc["unit_id"] not in allowed:
        raise Forbidden("this nomination belongs to a unit outside your subtree", field="nomination_id")


def new_nomination(nid: str, pid: str, category: dict[str, Any], nominee: tuple[str, str], unit: dict[str, Any],
                   materials: str,
                   self_assessment: dict[str, Any], by: str, at: datetime) -> dict[str, Any]:
    """The stored document of a submitted nomination; nominee is (id, name) and kind comes from the category."""
    nominee_id, nominee_name = nominee
    return {"_id": nid, "programme_id": pid, "category_id": category["category_id"],
            "category_name": category["name"], "nominee_id": nominee_id, "nominee_name": nominee_name,
            "nominee_kind": category["nominee_kind"], "unit_id": unit["unit_id"], "unit_name": unit["name"],
            "status": "submitted", "active_key": f"{pid}|{category['category_id']}|{nominee_id}",
            "materials": materials, "self_assessment": self_assessment, "attachments": [], "submitted_at": at,
            "updated_at": at, "history": [{"at": at, "action": "submit", "by": by, "comment": ""}]}


def moved(current: dict[str, Any], action: str, by: str, comment: str, at: datetime,
          changes: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields to set and the history entry of a review or lifecycle action; refused from a wrong status.
    A withdrawn nomination releases its active key, so the nominee may be nominated again."""
    result = transition(current["status"], action)
    if isinstance(result, Refusal):
        raise refuse(result)
    update: dict[str, Any] = {"status": result, "updated_at": at} | (changes or {})
    if result == "withdrawn":
        update["active_key"] = f"released:{current['_id']}"
    return update, {"at": at, "action": action, "by": by, "comment": comment}


def veto_rejection(current: dict[str, Any], reason: str, by: str,
                   at: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rejection of a nomination by a veto on its nominee: its reject_reason is "一票否决: <reason>"."""
    why = f"一票否决: {reason}"
    return moved(current, "veto", by, why, at, {"reject_reason": why})


def revised(category: dict[str, Any], materials: str | None, self_assessment: dict[str, Any] | None) -> dict[str, Any]:
    """The changes of a resubmission, each checked as on the first submission."""
    changes: dict[str, Any] = {}
    if self_assessment is not None:
        ensure(check_self_assessment(self_assessment, category["criteria"]))
        changes["self_assessment"] = self_assessment
    if materials is not None:
        ensure(check_materials(materials))
        changes["materials"] = materials
    return changes


def ensure_attachable(status: str) -> None:
    if status not in ("submitted", "returned"):
        raise Conflict(f"cannot attach files to a nomination that is {status}", field="status", code="wrong_status",
                       params={"action": "attach", "status": status})


def attachment_info(filename: str, size: int, already: int) -> tuple[str, str]:
    """The content type of an allowed attachment; refused by type, size or count. Returns (extension, type)."""
    ensure(check_attachment(filename, size, already))
    ext = "." + filename.rsplit(".", 1)[-1].lower()
    return ext, ATTACHMENT_TYPES[ext]
