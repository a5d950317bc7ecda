"""What the outside sees of a round and its tally: events and API bodies, with hidden counts left out."""
from __future__ import annotations

from shared.contracts.voting import CandidateTally, TallyUpdated

from . import domain
from .domain.rounds import counts_visible


def _counts(rnd: dict, tally: dict) -> tuple[list[dict], dict[str, float]]:
    approvals = {c["nomination_id"]: int((tally.get("approvals") or {}).get(c["key"], 0)) for c in rnd["candidates"]}
    grades = {c["nomination_id"]: dict((tally.get("grades") or {}).get(c["key"], {})) for c in rnd["candidates"]}
    rows = domain.candidate_rows(rnd["ballot_type"], [c["nomination_id"] for c in rnd["candidates"]], approvals,
                                 grades, rnd["eligible"], int(tally.get("ballots_cast", 0)))
    voted = tally.get("voted") or {}
    by_unit = domain.turnout({u["unit_id"]: int(voted.get(u["key"], 0)) for u in rnd["units"]},
                             {u["unit_id"]: u["eligible"] for u in rnd["units"]})
    return rows, by_unit


def tally_rows(rnd: dict, tally: dict) -> list[dict]:
    """Per candidate, the counted tally (approvals, grades, shares), whether or not the counts are public."""
    return _counts(rnd, tally)[0]


def tally_event(rnd: dict, tally: dict) -> TallyUpdated:
    rows, by_unit = _counts(rnd, tally)
    visible = counts_visible(rnd)
    return TallyUpdated(
        round_id=rnd["_id"], category_ids=rnd["category_ids"], sequence=int(tally.get("sequence", 0)),
        eligible=rnd["eligible"], ballots_cast=int(tally.get("ballots_cast", 0)), invalid=int(tally.get("invalid", 0)),
        candidates=[CandidateTally(**r) for r in rows] if visible else [], turnout_by_unit=by_unit,
        counts_hidden=not visible,
    )


def round_view(rnd: dict) -> dict:
    return {
        "round_id": rnd["_id"], "programme_id": rnd["programme_id"], "name": rnd["name"],
        "category_ids": rnd["category_ids"], "ballot_type": rnd["ballot_type"],
        "ballot_type_label": "推荐投票(限额)" if rnd["ballot_type"] == "approval" else "民主测评(四档)",
        "max_selections": rnd.get("max_selections"), "max_per_category": rnd.get("max_per_category", {}),
        "excellent_cap": rnd.get("excellent_cap"), "excellent_cap_share": rnd.get("excellent_cap_share"),
        # the 优秀 a ballot may give, from both caps (domain.excellent_limit), and whether a candidate may be left out
        "excellent_limit": domain.rules_from_round(rnd).excellent_cap if rnd["ballot_type"] == "appraisal" else None,
        "abstain_allowed": bool(rnd.get("abstain_allowed", True)) if rnd["ballot_type"] == "appraisal" else False,
        "feeds_peer_vote": rnd.get("feeds_peer_vote", True),
        "replaces_peer_vote_of": rnd.get("replaces_peer_vote_of", []),
        "grades": [{"grade": g, "label": domain.GRADE_LABELS[g]} for g in domain.GRADES]
        if rnd["ballot_type"] == "appraisal" else [],
        "candidates": [{k: c.get(k) for k in ("nomination_id", "category_id", "nominee_name", "unit_name", "withdrawn")}
                       for c in rnd["candidates"]],
        "eligible": rnd["eligible"], "opens_at": rnd["opens_at"], "closes_at": rnd["closes_at"],
        "state": rnd.get("state", "open"), "counts_hidden": not counts_visible(rnd),
        "bulletin_root": rnd.get("bulletin_root"),
    }


def tally_view(rnd: dict, tally: dict) -> dict:
    rows, by_unit = _counts(rnd, tally)
    visible = counts_visible(rnd)
    names = {c["nomination_id"]: c for c in rnd["candidates"]}
    voted = tally.get("voted") or {}
    cast = int(tally.get("ballots_cast", 0))
    return {
        "round_id": rnd["_id"], "name": rnd["name"], "state": rnd.get("state", "open"),
        "ballot_type": rnd["ballot_type"], "sequence": int(tally.get("sequence", 0)), "eligible": rnd["eligible"],
        "ballots_cast": cast, "invalid": int(tally.get("invalid", 0)),
        "refused": {k: int(v) for k, v in (tally.get("refused") or {}).items()},
        "turnout": domain.share(cast, rnd["eligible"]),
        "turnout_by_unit": [{"unit_id": u["unit_id"], "unit_name": u.get("name", ""), "eligible": u["eligible"],
                             "voted": int(voted.get(u["key"], 0)), "turnout": by_unit[u["unit_id"]]}
                            for u in rnd["units"]],
        "counts_hidden": not visible,
        "candidates": [r | {"nominee_name": names[r["nomination_id"]].get("nominee_name", ""),
                            "category_id": names[r["nomination_id"]]["category_id"],
                            "withdrawn": bool(names[r["nomination_id"]].get("withdrawn"))}
                       for r in rows] if visible else [],
        "bulletin_root": rnd.get("bulletin_root"),
    }
