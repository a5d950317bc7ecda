"""Programme integrity: the judging stage gates the scores, and a category whose 公示 list is published is frozen."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared import stages
from shared.errors import Conflict

JUDGING = "judging"


def ensure_judging(programme: Mapping[str, Any] | None, refused: str, now: datetime | None = None) -> None:
    """Judges' and arena scores are entered only while the judging stage (评审打分) is open (409, field "stage")."""
    stages.ensure_open(programme, JUDGING, refused, now)


def published_refusal(category_id: str, what: str) -> Conflict:
    return Conflict(f"the 公示 list of category {category_id} is published: {what} is refused; it changes only "
                    "through objections, 递补 and revocation", field="category_id", code="category_published")


def ensure_not_published(publication: Mapping[str, Any] | None, category_id: str, what: str) -> None:
    """Once PublicityOpened has published a category's list, no input of its standings may change (409)."""
    if publication is not None:
        raise published_refusal(category_id, what)
