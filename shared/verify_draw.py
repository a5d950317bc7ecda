"""Checks anyone can redo of a 随机点验 spot-check draw and of a notice's published 公示 list, from their public files.

The reference of docs/verify.md ("## 随机点验 spot-check draws", "## Published lists"). It imports nothing but the
standard library and nothing of services/: the draw is reimplemented here from the document, not shared with the
scoring service, so a test holding the two to the same answer checks the document too. Each verify_* function returns
the lines of what it checked and raises VerificationFailed (with the lines checked so far) at the first failure.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .verify import canonical, sha256

SPOT_DRAW_KIND = "spot_check_draw"
PUBLISHED_LIST_KIND = "published_list"
DRAW_ALGORITHMS = {("hmac-sha256-sort", 1)}
# The published normalised values carry 4 decimals and the composite is rounded to 4: recomputing from them may differ
# from the server's by up to 0.5e-4 (the weighted mean of the roundings) + 0.5e-4 (the composite's own rounding).
TOLERANCE = 1e-4 + 1e-9


class VerificationFailed(ValueError):
    def __init__(self, failure: str, checked: list[str]) -> None:
        super().__init__(failure)
        self.failure = failure
        self.checked = list(checked)


class _Checks:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, passed: bool, what: str, failure: str) -> None:
        if not passed:
            raise VerificationFailed(failure, self.lines)
        self.lines.append(what)


# ---- 随机点验 spot-check draws ------------------------------------------------------------------------------------

def candidates_digest(ids: Iterable[str]) -> str:
    return sha256("\n".join(sorted(set(ids))).encode())


def inputs_digest(doc: dict[str, Any]) -> str:
    inputs = doc["inputs"]
    return sha256(canonical({
        "algorithm": doc["algorithm"]["name"], "algorithm_version": doc["algorithm"]["version"],
        "programme_id": doc["programme_id"], "category_id": doc["category_id"],
        "sample_size": inputs["sample_size"], "seed_source": inputs["seed_source"],
        "candidates_sha256": inputs["candidates_sha256"]}))


def ticket(seed: str, programme_id: str, category_id: str, candidate: str) -> str:
    return hmac.new(seed.encode(), f"{programme_id}/{category_id}/{candidate}".encode(), hashlib.sha256).hexdigest()


def redraw(seed: str, programme_id: str, category_id: str, ids: Iterable[str], size: int) -> list[tuple[str, str]]:
    """(candidate id, ticket) of the `size` lowest tickets, ties by candidate id."""
    tickets = sorted((ticket(seed, programme_id, category_id, c), c) for c in set(ids))
    return [(c, t) for t, c in tickets[:max(0, size)]]


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def verify_spot_check_draw(doc: dict[str, Any]) -> list[str]:
    """A draw's public record (GET .../spot-checks/draw.json): its commitment, and the draw redone from its seed."""
    c = _Checks()
    c.check(doc.get("kind") == SPOT_DRAW_KIND and doc.get("version") == 1, f"{SPOT_DRAW_KIND} version 1",
            f"not a {SPOT_DRAW_KIND} file of version 1 (kind {doc.get('kind')!r}, version {doc.get('version')!r})")
    algo, inputs = doc["algorithm"], doc["inputs"]
    c.check((algo["name"], algo["version"]) in DRAW_ALGORITHMS, f"algorithm {algo['name']} version {algo['version']}",
            f"unknown algorithm {algo['name']!r} version {algo['version']!r}")
    candidates = inputs["candidates"]
    ids = [x["candidate_id"] for x in candidates]
    c.check(len(ids) == len(set(ids)) and all(x["candidate_id"] == f"{x['nomination_id']}/{x['task_id']}"
                                              for x in candidates),
            f"{len(ids)} distinct candidates, each 'nomination_id/task_id'",
            "a candidate repeats, or its candidate_id is not its nomination_id/task_id")
    c.check(candidates_digest(ids) == inputs["candidates_sha256"], f"candidates digest {inputs['candidates_sha256']}",
            "the candidates list does not match its digest: the list was changed")
    c.check(inputs_digest(doc) == doc["inputs_sha256"],
            f"commitment {doc['inputs_sha256']} (as SpotCheckDrawCommitted announced, "
            f"{inputs['committed_at']})", "the inputs do not match the commitment: an input was changed")
    if doc.get("seed") is None:
        c.check(not doc.get("picks"), f"not drawn yet: the seed is to be {inputs['seed_source']}",
                "picks without a seed")
        return c.lines
    drawn, committed = _when(doc.get("drawn_at")), _when(inputs["committed_at"])
    c.check(drawn is not None and committed is not None and committed <= drawn,
            f"drawn {doc.get('drawn_at')}, not before the commitment", "the draw is dated before its commitment")
    again = redraw(doc["seed"], doc["programme_id"], doc["category_id"], ids, inputs["sample_size"])
    picks = doc.get("picks", [])
    got = [(p.get("candidate_id"), p.get("ticket")) for p in picks]
    c.check(got == again, f"{len(again)} picks of {inputs['sample_size']} redone from the seed {doc['seed']!r}",
            f"the picks are not the draw of the seed {doc['seed']!r}: expected "
            f"{[x for x, _ in again]}, the file has {[x for x, _ in got]}")
    by_id = {x["candidate_id"]: x for x in candidates}
    c.check(all({k: v for k, v in p.items() if k != "ticket"} == by_id[p["candidate_id"]] for p in picks),
            "each pick names its candidate's nomination and task", "a pick's names differ from its candidate's")
    c.lines.append(f"to check by hand: the seed {doc['seed']!r} is the value of {inputs['seed_source']!r}, "
                   f"published after {inputs['committed_at']}")
    return c.lines


# ---- published lists -------------------------------------------------------------------------------------------------

def recompute_composite(components: list[dict[str, Any]]) -> float:
    """The weighted mean of the normalised components, weights relative to their (positive) total."""
    total = sum(x["weight"] for x in components if x["weight"] > 0)
    return round(sum(x["normalised"] * x["weight"] for x in components) / total, 4) if total > 0 else 0.0


def _line(c: _Checks, line: dict[str, Any]) -> None:
    comps, who = line.get("components") or [], line["nomination_id"]
    c.check(bool(comps), f"{who}: {len(comps)} components", f"{who}: the line has no components to recompute from")
    total = sum(x["weight"] for x in comps if x["weight"] > 0)
    for x in comps:
        share = x["normalised"] * x["weight"] / total if total > 0 else 0.0
        c.check(abs(share - x["contribution"]) <= TOLERANCE, f"{who}: {x['component']} contributes {x['contribution']}",
                f"{who}: {x['component']} contributes {x['contribution']}, its normalised {x['normalised']} at "
                f"weight {x['weight']} of {total} gives {round(share, 4)}")
    again = recompute_composite(comps)
    c.check(abs(again - line["composite"]) <= TOLERANCE, f"{who}: composite {line['composite']} recomputed",
            f"{who}: the composite is {line['composite']}, its components give {again}")


def verify_published_list(doc: dict[str, Any]) -> list[str]:
    """A notice's published list (GET /notices/{id}/published-list.json): each composite from its components and
    weights, then the ranks and their order."""
    c = _Checks()
    c.check(doc.get("kind") == PUBLISHED_LIST_KIND and doc.get("version") == 1, f"{PUBLISHED_LIST_KIND} version 1",
            f"not a {PUBLISHED_LIST_KIND} file of version 1 (kind {doc.get('kind')!r}, version {doc.get('version')!r})")
    listing = doc["listing"]
    if "listing_sha256" in doc:
        c.check(sha256(canonical(listing)) == doc["listing_sha256"], f"listing digest {doc['listing_sha256']}",
                "the listing does not match its digest")
    ids = [x["nomination_id"] for x in listing]
    c.check(len(ids) == len(set(ids)), f"{len(ids)} distinct nominees", "a nominee is listed twice")
    for line in listing:
        _line(c, line)
    for above, below in zip(listing, listing[1:]):
        who = f"{above['nomination_id']} (rank {above['rank']}) above {below['nomination_id']} (rank {below['rank']})"
        c.check(above["rank"] <= below["rank"] and above["composite"] >= below["composite"] - TOLERANCE, who,
                f"out of order: {who}, composites {above['composite']} and {below['composite']}")
        c.check(above["rank"] != below["rank"] or abs(above["composite"] - below["composite"]) <= TOLERANCE,
                f"{above['nomination_id']} and {below['nomination_id']} tie with equal composites",
                f"{above['nomination_id']} and {below['nomination_id']} share rank {above['rank']} with different "
                f"composites")
    return c.lines


# ---- the command-line entry (wired into ./exemplar verify) -----------------------------------------------------------

CHECKERS = {SPOT_DRAW_KIND: verify_spot_check_draw, PUBLISHED_LIST_KIND: verify_published_list}


def verify_document(doc: dict[str, Any]) -> list[str]:
    """Dispatch on the file's kind; VerificationFailed for a failure, an unknown kind or a malformed file."""
    checker = CHECKERS.get(doc.get("kind", "") if isinstance(doc, dict) else "")
    if checker is None:
        raise VerificationFailed(f"unknown kind {doc.get('kind') if isinstance(doc, dict) else None!r}; known: "
                                 f"{', '.join(sorted(CHECKERS))}", [])
    try:
        return checker(doc)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        if isinstance(exc, VerificationFailed):
            raise
        raise VerificationFailed(f"malformed file: {exc!r}", []) from None


def main(argv: list[str] | None = None) -> int:
    """verify FILE: print each check, then OK or FAILED with the reason; exit 0 only when everything held."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: verify FILE  (a spot_check_draw or published_list JSON file)", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        doc = json.load(f)
    try:
        lines = verify_document(doc)
    except VerificationFailed as exc:
        for line in exc.checked:
            print(f"  ok  {line}")
        print(f"FAILED {exc.failure}")
        return 1
    for line in lines:
        print(f"  ok  {line}")
    print(f"OK {doc['kind']}: {len(lines)} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
