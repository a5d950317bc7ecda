"""Pure rules of honours and their periodic reviews (复查)."""
from __future__ import annotations

from datetime import date
from typing import Any

from shared.errors import Conflict, Invalid, NotFound

from .calendar import SHANGHAI, as_utc


def honour_title(year: int | None, category_name: str) -> str:
    return f"{year}年度{category_name}" if year else category_name


REVIEW_OUTCOMES = {"maintained": "复查合格，保留荣誉", "rectification": "限期整改", "revoke": "复查不合格，撤销荣誉"}


def ensure_revocable(h: dict[str, Any]) -> None:
    if h["status"] == "revoked":
        raise Conflict(f"honour {h['_id']} is already revoked", field="honour_id", code="honour_revoked")


def ensure_reviewable(h: dict[str, Any], due_date: date) -> None:
    if h["status"] != "confirmed":
        raise Conflict(f"honour {h['_id']} is {h['status']}; only a confirmed honour is reviewed",
                       field="honour_id", code="honour_not_confirmed")
    if due_date < as_utc(h["confirmed_at"]).astimezone(SHANGHAI).date():
        raise Invalid("due_date: a review cannot be due before the honour was confirmed", field="due_date",
                      code="review_before_confirmed")


def check_outcome_note(outcome: str, note: str) -> None:
    if outcome == "revoke" and len(note.strip()) < 2:
        raise Invalid("note: give the reason for revocation (at least 2 characters)", field="note",
                      code="revocation_reason", params={"n": 2})


def ensure_review_open(r: dict[str, Any] | None, review_id: str, honour_id: str) -> dict[str, Any]:
    if r is None:
        raise NotFound(f"review {review_id} of honour {honour_id} does not exist", field="review_id")
    if r.get("outcome"):
        raise Conflict(f"review {review_id} already has the outcome {r['outcome']}", field="review_id",
                       code="review_done")
    return r


HONOUR_STATES = {"confirmed": "有效", "revoked": "已撤销"}


def honours_list_title(programme_name: str, year: int | None) -> str:
    if year and programme_name and not programme_name.startswith(str(year)):
        return f"{year}年度{programme_name}表彰名单"
    return f"{programme_name}表彰名单"


def honours_rows(honours: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The printed honours list: by title, then confirmation; a revoked honour stays listed with its reason."""
    ordered = sorted(honours, key=lambda h: (h["title"], as_utc(h["confirmed_at"])))
    return [(str(i), h["title"], h["nominee_name"], h.get("unit_name", ""), HONOUR_STATES.get(h["status"], h["status"]),
             as_utc(h["confirmed_at"]).astimezone(SHANGHAI).date().isoformat(), h.get("revoked_reason", ""))
            for i, h in enumerate(ordered, 1)]
