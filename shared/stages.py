"""The programme's stages (申报, 资格审查, 民主测评, 评审打分, 公示): which is open now, and the refusal when it is not.

Every service learns the stages from the nominations service (ProgrammeDefined's windows and stage_control,
StageChanged's state) and asks here before an action that belongs to a stage."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .errors import Closed

STAGES = ("nomination", "review", "voting", "judging", "publicity")
LABELS = {"nomination": "申报", "review": "资格审查", "voting": "民主测评", "judging": "评审打分", "publicity": "公示"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
# How a programme's stages open and close: by the organiser's StageChanged, or by the windows' dates.
CONTROLS = ("organiser", "dates")


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=SHANGHAI)


def window(programme: Mapping[str, Any], stage: str) -> tuple[datetime | None, datetime | None]:
    for w in programme.get("stages") or []:
        if w.get("stage") == stage:
            return _when(w.get("opens_at")), _when(w.get("closes_at"))
    return None, None


def state_of(programme: Mapping[str, Any] | None, stage: str, now: datetime | None = None) -> str:
    """"open" or "closed": by the dates when the programme says so, else as the organiser last set it."""
    if not programme:
        return "closed"
    if programme.get("stage_control") == "dates":
        opens, closes = window(programme, stage)
        at = now or datetime.now(UTC)
        return "open" if opens is not None and closes is not None and opens <= at < closes else "closed"
    return "open" if (programme.get("stage_state") or {}).get(stage) == "open" else "closed"


def ensure_open(programme: Mapping[str, Any] | None, stage: str, refused: str, now: datetime | None = None) -> None:
    """Refuse (409, field "stage") an action of `stage` while that stage is not open; `refused` names the action."""
    if stage not in LABELS:
        raise ValueError(f"unknown stage {stage}")
    if state_of(programme, stage, now) != "open":
        raise Closed(f"the {stage} stage ({LABELS[stage]}) is not open: {refused}", field="stage",
                     code="stage_closed")


def overview(programme: Mapping[str, Any] | None, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each stage with its state and window, as everyone may read it."""
    out = []
    for stage in STAGES:
        opens, closes = window(programme or {}, stage)
        out.append({"stage": stage, "label": LABELS[stage], "state": state_of(programme, stage, now),
                    "opens_at": opens.isoformat() if opens else None,
                    "closes_at": closes.isoformat() if closes else None})
    return out
