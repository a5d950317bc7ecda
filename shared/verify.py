"""Checks of published files that anyone can redo: a round's bulletin (kind "voting.bulletin"), by its commitments.

This module is the reference of docs/verify.md and imports nothing but the standard library: a reader may copy it,
or reimplement it from the document, and need nothing of the services. `verify(doc)` dispatches on the file's
`kind`; other kinds (a spot-check draw, a notice's published list) register a checker in CHECKERS.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BULLETIN_KIND = "voting.bulletin"
BULLETIN_VERSION = 1
GRADES = ("excellent", "competent", "basically_competent", "incompetent")
FAVOURABLE = ("excellent", "competent")


def canonical(value: object) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes every hash of this module is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chain(label: str, round_id: str, items: Iterable[object]) -> str:
    """h0 = sha256(label|round_id); h_i = sha256(h_{i-1} + '|' + canonical(item_i)); the root is h_n."""
    h = sha256(f"{label}|{round_id}".encode())
    for item in items:
        h = sha256(h.encode() + b"|" + canonical(item))
    return h


def content(selections: Iterable[str], grades: dict[str, str]) -> dict[str, Any]:
    """One ballot's contents as published: sorted selections, grades by candidate; no receipt, no time."""
    return {"selections": sorted(selections), "grades": dict(sorted(grades.items()))}


def contents_order(contents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The published order of the contents: by their canonical bytes. It depends on the ballots alone, never on
    when or by whom they were cast, so the list links no content to a receipt, and anyone can redo it."""
    return sorted((content(c.get("selections", []), c.get("grades", {})) for c in contents), key=canonical)


def receipts_root(round_id: str, receipts: Iterable[str]) -> str:
    return chain("receipts", round_id, receipts)


def contents_root(round_id: str, contents: Iterable[dict[str, Any]]) -> str:
    return chain("contents", round_id, contents)


def bulletin_root(round_id: str, receipts: str, contents: str) -> str:
    """The one value announced with RoundClosed: both lists' roots, bound to the round."""
    return sha256(f"bulletin|{round_id}|{receipts}|{contents}".encode())


def recount(ballot_type: str, candidate_ids: list[str], contents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The tally from the contents alone: per candidate its approvals (appraisal: 优秀 + 称职) and grade counts."""
    approvals = {c: 0 for c in candidate_ids}
    grades = {c: {g: 0 for g in GRADES} for c in candidate_ids}
    cast = 0
    for c in contents:
        cast += 1
        if ballot_type == "approval":
            for nid in c.get("selections", []):
                approvals[nid] = approvals.get(nid, 0) + 1
        else:
            for nid, grade in c.get("grades", {}).items():
                grades.setdefault(nid, {g: 0 for g in GRADES})[grade] = grades.get(nid, {}).get(grade, 0) + 1
    rows = []
    for nid in candidate_ids:
        if ballot_type == "appraisal":
            rows.append({"nomination_id": nid, "approvals": sum(grades[nid][g] for g in FAVOURABLE),
                         "grades": grades[nid]})
        else:
            rows.append({"nomination_id": nid, "approvals": approvals[nid], "grades": {}})
    return {"ballots_cast": cast, "candidates": rows}


@dataclass
class Report:
    """What was checked (one line each) and the first thing that failed, if any."""

    kind: str
    checked: list[str] = field(default_factory=list)
    failed: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None

    def lines(self) -> list[str]:
        """What `./exemplar verify` prints: each check passed, then the verdict."""
        out = [f"checked {self.kind}:"] + [f"  ok   {c}" for c in self.checked]
        if self.failed is not None:
            return out + [f"  FAIL {self.failed}", "REJECTED"]
        return out + ["VERIFIED"]

    def check(self, passed: bool, what: str, failure: str) -> bool:
        if self.failed is None:
            if passed:
                self.checked.append(what)
            else:
                self.failed = failure
        return passed and self.failed is None


def verify_bulletin(doc: dict[str, Any]) -> Report:
    rep = Report(BULLETIN_KIND)
    rid, receipts, contents = doc.get("round_id", ""), list(doc.get("receipts", [])), list(doc.get("contents", []))
    roots = doc.get("commitments", {})
    rep.check(doc.get("version") == BULLETIN_VERSION, f"version {BULLETIN_VERSION}",
              f"unknown version {doc.get('version')!r} of {BULLETIN_KIND}")
    rep.check(receipts == sorted(set(receipts)), f"{len(receipts)} receipts, sorted and distinct",
              "the receipts list is not sorted or repeats a receipt")
    rep.check(receipts_root(rid, receipts) == roots.get("receipts_root"),
              f"receipts root {roots.get('receipts_root')}", "the receipts list does not match its root")
    rep.check(contents == contents_order(contents), f"{len(contents)} contents in canonical order",
              "the contents list is not in canonical order (or a content is not canonical)")
    rep.check(contents_root(rid, contents) == roots.get("contents_root"),
              f"contents root {roots.get('contents_root')}", "the contents list does not match its root")
    rep.check(bulletin_root(rid, roots.get("receipts_root", ""), roots.get("contents_root", ""))
              == roots.get("bulletin_root"), f"bulletin root {roots.get('bulletin_root')} (as RoundClosed announced)",
              "the bulletin root does not match the two lists' roots")
    rep.check(len(receipts) == len(contents), "as many receipts as contents",
              f"{len(receipts)} receipts but {len(contents)} contents")
    published = doc.get("tally") or {}
    again = recount(doc.get("ballot_type", ""), list(doc.get("candidate_ids", [])), contents)
    rep.check(int(published.get("ballots_cast", -1)) == len(receipts) == again["ballots_cast"],
              f"ballots cast {again['ballots_cast']} = receipts = contents",
              f"the tally says {published.get('ballots_cast')} ballots cast, the lists hold {len(receipts)}")
    mine = {r["nomination_id"]: (r["approvals"], r["grades"]) for r in again["candidates"]}
    theirs = {r.get("nomination_id"): (r.get("approvals"), r.get("grades") or {})
              for r in published.get("candidates", [])}
    wrong = next((nid for nid in sorted(set(mine) | set(theirs), key=str) if mine.get(nid) != theirs.get(nid)), None)
    rep.check(wrong is None, f"tally of {len(mine)} candidates recomputed from the contents",
              f"the published tally of {wrong} is {theirs.get(wrong)}, the contents give {mine.get(wrong)}")
    return rep


def verify_by_draw_module(doc: dict[str, Any]) -> Report:
    """A spot-check draw or a notice's published list, checked by shared/verify_draw.py."""
    from .verify_draw import VerificationFailed, verify_document

    rep = Report(doc["kind"])
    try:
        rep.checked = verify_document(doc)
    except VerificationFailed as exc:
        rep.checked, rep.failed = exc.checked, exc.failure
    return rep


CHECKERS: dict[str, Callable[[dict[str, Any]], Report]] = {BULLETIN_KIND: verify_bulletin,
                                                 "spot_check_draw": verify_by_draw_module,
                                                 "published_list": verify_by_draw_module}


def load_and_verify(path: str | Path) -> Report:
    """The file at `path` read as JSON and checked; a file that cannot be read is rejected, never a traceback."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        rep = Report("file")
        rep.failed = f"cannot read {path}: {exc}"
        return rep
    return verify(doc)


def verify(doc: dict[str, Any]) -> Report:
    checker = CHECKERS.get(doc.get("kind", "") if isinstance(doc, dict) else "")
    if checker is None:
        rep = Report(str(doc.get("kind") if isinstance(doc, dict) else None))
        rep.failed = f"unknown kind {rep.kind!r}; known: {', '.join(sorted(CHECKERS))}"
        return rep
    try:
        return checker(doc)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        rep = Report(doc["kind"])
        rep.failed = f"malformed file: {exc!r}"
        return rep
