"""The 随机点验 spot-check draw that anyone can redo: committed inputs, then a public seed, then HMAC-SHA256 tickets.

The algorithm is specified in docs/verify.md ("## 随机点验 spot-check draws"); shared/verify_draw.py reimplements it
from that text, independently of this module, and a test holds the two to the same answers.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import Conflict

__all__ = ["DRAW_ALGORITHM", "DRAW_ALGORITHM_VERSION", "Ticket", "candidate_id", "candidates_sha256",
           "draw_inputs_sha256", "draw_tickets", "ensure_commitment_unchanged", "ensure_drawable"]

DRAW_ALGORITHM = "hmac-sha256-sort"
DRAW_ALGORITHM_VERSION = 1


@dataclass(frozen=True)
class Ticket:
    candidate_id: str
    ticket: str


def candidate_id(nomination_id: str, task_id: str) -> str:
    """Ids never hold '/' (shared.ids), so the pair is unambiguous."""
    return f"{nomination_id}/{task_id}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def candidates_sha256(ids: Iterable[str]) -> str:
    """SHA-256 of the sorted, distinct candidate ids joined by '\\n' (UTF-8)."""
    return _sha256("\n".join(sorted(set(ids))))


def draw_inputs_sha256(programme_id: str, category_id: str, sample_size: int, seed_source: str,
                       candidates_digest: str) -> str:
    """The commitment: SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of every input but the seed."""
    inputs = {"algorithm": DRAW_ALGORITHM, "algorithm_version": DRAW_ALGORITHM_VERSION, "programme_id": programme_id,
              "category_id": category_id, "sample_size": sample_size, "seed_source": seed_source,
              "candidates_sha256": candidates_digest}
    return _sha256(json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def draw_tickets(seed: str, programme_id: str, category_id: str, ids: Iterable[str], size: int) -> list[Ticket]:
    """Each candidate's ticket is HMAC-SHA256(key=seed, message='programme/category/candidate') in hex; the draw is
    the `size` lowest tickets (ties by candidate id), in that order."""
    key = seed.encode()
    tickets = [Ticket(c, hmac.new(key, f"{programme_id}/{category_id}/{c}".encode(), hashlib.sha256).hexdigest())
               for c in sorted(set(ids))]
    return sorted(tickets, key=lambda t: (t.ticket, t.candidate_id))[:max(0, size)]


def ensure_commitment_unchanged(current: Mapping[str, Any] | None, sample_size: int, seed_source: str) -> bool:
    """True when the same commitment is already published (a retry: nothing changes); refuses another one."""
    if not current or "commitment" not in current:
        return False
    committed = current["commitment"]
    for name, value in (("sample_size", sample_size), ("seed_source", seed_source)):
        if committed[name] != value:
            raise Conflict(f"{name}: the spot-check draw of category {current['category_id']} is committed "
                           f"({name} {committed[name]!r}, published {committed['committed_at']:%Y-%m-%d %H:%M} UTC);"
                           f" its inputs cannot change", field=name, code="draw_committed")
    return True


def ensure_drawable(current: Mapping[str, Any] | None, category_id: str, seed: str, sample_size: int | None) -> bool:
    """True when this very draw is made already (a retry); refuses a draw without a commitment, with another sample
    size, or with another seed once made."""
    if not current or "commitment" not in current:
        raise Conflict(f"category_id: no spot-check draw is committed for category {category_id}; publish its "
                       f"inputs first (POST .../spot-checks/commitment)", field="category_id",
                       code="draw_not_committed")
    drawn = current.get("seed") is not None
    if drawn and current["seed"] != seed:
        raise Conflict(f"seed: the spot-check draw of category {category_id} is made and published with the seed "
                       f"{current['seed']!r}; it cannot be redrawn", field="seed", code="draw_made")
    committed = current["commitment"]
    if sample_size is not None and sample_size != committed["sample_size"]:
        raise Conflict(f"sample_size: the committed sample size is {committed['sample_size']}; the draw cannot "
                       f"change it", field="sample_size", code="draw_committed")
    return drawn
