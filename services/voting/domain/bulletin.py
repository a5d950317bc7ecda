"""The stored ballot sheets and the public bulletin's hash chain."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable


def ballot_sheet(sheet_id: str, round_id: str, ballots: list[dict]) -> dict:
    """One batch's ballots as stored: their receipts (to check one) and their contents as one JSON value.

    The contents are read only whole, to build the bulletin at the close; one opaque value costs the database
    a fraction of thousands of nested documents (this write is on the path of every ballot).
    """
    return {"_id": sheet_id, "round_id": round_id, "receipts": [b["receipt"] for b in ballots],
            "ballots_json": json.dumps(ballots, ensure_ascii=False, separators=(",", ":")).encode()}


def sheet_ballots(sheet: dict) -> list[dict]:
    """The ballots of a stored sheet: receipt, selections, grades."""
    return json.loads(sheet["ballots_json"])


def bulletin_entry(receipt: str, selections: list[str], grades: dict[str, str]) -> dict:
    return {"receipt": receipt, "selections": sorted(selections), "grades": dict(sorted(grades.items()))}


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_start(round_id: str) -> str:
    return hashlib.sha256(f"bulletin|{round_id}".encode()).hexdigest()


def chain_next(previous: str, entry: dict) -> str:
    return hashlib.sha256(previous.encode() + b"|" + _canonical(entry)).hexdigest()


def bulletin_root(round_id: str, entries: Iterable[dict]) -> str:
    """Entries in receipt order, each hashed onto the previous hash; the last hash is the published root."""
    h = chain_start(round_id)
    for e in entries:
        h = chain_next(h, e)
    return h
