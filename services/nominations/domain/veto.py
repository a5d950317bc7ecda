"""Veto flags (一票否决): a veto takes effect at any stage and its whole history is kept, lifting included."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .refusals import Refusal

MAX_VETO_REASON_CHARS = 500


def check_veto_reason(reason: str | None, what: str) -> Refusal | None:
    """Setting and lifting a veto both need a reason, which stays on its record."""
    if reason is None or not reason.strip():
        return Refusal("invalid", "reason", f"a reason is required to {what} a veto (一票否决), e.g. 受到党纪处分",
                       "veto_reason_required")
    if len(reason) > MAX_VETO_REASON_CHARS:
        return Refusal("invalid", "reason", f"the reason is longer than {MAX_VETO_REASON_CHARS} characters")
    return None


def veto_set(existing: dict[str, Any] | None, pid: str, subject_id: str, reason: str, by: str, at: datetime, stage: str,
             nomination_ids: list[str]) -> dict[str, Any]:
    """The veto record after setting it (again): in force with this reason; earlier entries are kept."""
    entry = {"action": "set", "reason": reason, "by": by, "at": at, "stage": stage, "nomination_ids": nomination_ids}
    history = list((existing or {}).get("history", [])) + [entry]
    return {"_id": f"{pid}:{subject_id}", "programme_id": pid, "subject_id": subject_id, "reason": reason, "by": by,
            "at": at, "active": True, "stage": stage, "nomination_ids": nomination_ids, "history": history}


def veto_lifted(existing: dict[str, Any], reason: str, by: str, at: datetime, stage: str) -> dict[str, Any]:
    """The veto record after lifting it: no longer in force, never deleted; the lifting is in its history."""
    entry = {"action": "lift", "reason": reason, "by": by, "at": at, "stage": stage}
    return existing | {"active": False, "lifted": {"reason": reason, "by": by, "at": at, "stage": stage},
                       "history": list(existing.get("history", [])) + [entry]}


def in_force(veto: dict[str, Any] | None) -> bool:
    """Records written before lifting was recorded have no "active" field: those are in force."""
    return veto is not None and veto.get("active", True)
