"""The stored ballot sheets and the public bulletin: receipts and contents in two lists, each under a hash chain.

The chains are shared/verify.py's (the verifier anyone runs is the reference); docs/verify.md describes them.
"""
from __future__ import annotations

import json
from typing import Any

from shared import verify

from .sealing import open_contents, seal_contents

CHAIN = ("receipts_root = chain('receipts', sorted receipts); contents_root = chain('contents', contents in "
         "canonical order); chain(label, items): h0 = sha256(label + '|' + round_id), h_i = sha256(h_{i-1} + '|' + "
         "canonical JSON of item i), root = h_n; bulletin_root = sha256('bulletin|' + round_id + '|' + "
         "receipts_root + '|' + contents_root). See docs/verify.md.")


def ballot_sheet(secret: bytes, sheet_id: str, round_id: str, ballots: list[dict[str, Any]]) -> dict[str, Any]:
    """One batch's ballots as stored: their receipts, sorted (to check one), and their contents sealed, in
    canonical order, as one value.

    The contents are read only whole, to build the bulletin; one opaque value costs the database a fraction of
    thousands of nested documents (this write is on the path of every ballot). Sealed, they tell a reader of the
    database nothing; in their own order, the sheet does not say which receipt chose what even to the key holder.
    """
    contents = verify.contents_order(ballots)
    return {"_id": sheet_id, "round_id": round_id, "receipts": sorted(b["receipt"] for b in ballots),
            "sealed": seal_contents(secret, sheet_id, round_id, contents)}


def sheet_contents(secret: bytes, sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """The contents of a stored sheet (selections, grades); a sheet stored before issue 16 kept them in the clear."""
    if "ballots_json" in sheet:
        return [verify.content(b.get("selections", []), b.get("grades", {}))
                for b in json.loads(sheet["ballots_json"])]
    return open_contents(secret, sheet)


def bulletin_lists(secret: bytes, sheets: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The receipts, sorted, and the contents, in canonical order, of every counted ballot of the round."""
    receipts = sorted(r for s in sheets for r in s["receipts"])
    contents = verify.contents_order(c for s in sheets for c in sheet_contents(secret, s))
    return receipts, contents


def commitments(round_id: str, receipts: list[str], contents: list[dict[str, Any]]) -> dict[str, str]:
    rr, cr = verify.receipts_root(round_id, receipts), verify.contents_root(round_id, contents)
    return {"receipts_root": rr, "contents_root": cr, "bulletin_root": verify.bulletin_root(round_id, rr, cr)}


def bulletin_root(round_id: str, receipts: list[str], contents: list[dict[str, Any]]) -> str:
    return commitments(round_id, receipts, contents)["bulletin_root"]
