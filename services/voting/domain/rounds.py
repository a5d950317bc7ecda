"""The invariants of a round: its definition, who is on its roll, and what each state of it allows."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from shared import stages
from shared.errors import Closed, Conflict, Invalid, NotFound

from .credentials import voter_mark

ROUND_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def check_round_id(round_id: str) -> None:
    """A round id is also read back in paths (shared.ids.ID_PATTERN): it starts with a letter or a digit."""
    if not ROUND_ID.match(round_id):
        raise Invalid("round_id may use letters, digits, - and _ (at most 64)", field="round_id",
                      code="round_id_format", params={"max": 64})
    if not round_id[0].isascii() or not round_id[0].isalnum():
        raise Invalid("round_id starts with a letter or a digit", field="round_id", code="round_id_start")


def check_rules(programme_id: str, categories: dict[str, dict[str, Any]], category_ids: list[str], ballot_type: str,
                max_selections: int | None, excellent_cap: int | None, excellent_cap_share: float | None = None,
                abstain_allowed: bool = False) -> None:
    """The categories belong to the programme, once each, and the limits fit the ballot type."""
    unknown = [c for c in category_ids if c not in categories]
    if unknown:
        raise Invalid(f"category {unknown[0]} is not in programme {programme_id}", field="category_ids",
                      code="category_not_in_programme")
    if len(set(category_ids)) != len(category_ids):
        raise Invalid("a category is listed twice", field="category_ids", code="category_twice")
    if ballot_type == "appraisal" and max_selections is not None:
        raise Invalid("max_selections applies to approval ballots only", field="max_selections", code="approval_only")
    if ballot_type == "approval" and excellent_cap is not None:
        raise Invalid("excellent_cap applies to appraisal ballots only", field="excellent_cap", code="appraisal_only")
    if ballot_type == "approval" and excellent_cap_share is not None:
        raise Invalid("excellent_cap_share applies to appraisal ballots only", field="excellent_cap_share",
                      code="appraisal_only")
    if ballot_type == "approval" and abstain_allowed:
        raise Invalid("abstain_allowed applies to appraisal ballots only", field="abstain_allowed",
                      code="appraisal_only")


def ensure_not_published(programme: dict[str, Any], category_ids: list[str]) -> None:
    """A category whose 公示 list is published (voting learned its PublicityOpened) takes no new round: its peer
    vote would change a list on public notice."""
    published = set(programme.get("published_categories") or [])
    cid = next((c for c in category_ids if c in published), None)
    if cid is not None:
        raise Conflict(f"the 公示 list of category {cid} is published: opening a round is refused; it changes only "
                       f"through objections, 递补 and revocation", field="category_ids", code="category_published")


def feeds_peer_vote(categories: dict[str, dict[str, Any]], category_ids: list[str], ballot_type: str) -> bool:
    """Whether the round's tally is the peer-vote component of its categories, by each category's peer_vote_round:
    "latest" (every round feeds), or "approval" / "appraisal" (only rounds of that ballot type feed). One round
    feeds all its categories or none: categories that disagree need a round each."""
    feeds = {c: categories[c].get("peer_vote_round", "latest") in ("latest", ballot_type) for c in category_ids}
    if len(set(feeds.values())) > 1:
        yes = next(c for c, f in feeds.items() if f)
        no = next(c for c, f in feeds.items() if not f)
        raise Invalid(f"an {ballot_type} round feeds the peer vote of category {yes} but not of category {no} "
                      f"(peer_vote_round {categories[no].get('peer_vote_round')}): open a round for each",
                      field="category_ids", code="peer_vote_mismatch")
    return all(feeds.values())


def ensure_replace_confirmed(category_ids: list[str], feeding: list[dict[str, Any]],
                             confirm_replace: bool) -> list[str]:
    """A feeding round replaces the peer-vote component that earlier feeding rounds of its categories gave: refused
    (409 replaces_peer_vote, naming the latest of them) unless the organiser confirms. The replaced rounds' ids."""
    if feeding and not confirm_replace:
        other = feeding[0]
        cid = next(c for c in category_ids if c in other.get("category_ids", []))
        raise Conflict(f"round {other['_id']} ({other.get('name', '')}) already feeds the peer-vote component of "
                       f"category {cid}: this round would replace it; send confirm_replace: true to confirm",
                       field="confirm_replace", code="replaces_peer_vote")
    return [r["_id"] for r in feeding]


def window(opens_at: datetime | None, closes_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The round's window in UTC: it opens now unless told otherwise, and closes later, in the future."""
    opens = (opens_at or now).astimezone(UTC)
    closes = closes_at.astimezone(UTC)
    if closes <= opens:
        raise Invalid("closes_at must be after opens_at", field="closes_at")
    if closes <= now:
        raise Invalid("closes_at is in the past", field="closes_at")
    return opens, closes


def check_candidates(nominations: list[dict[str, Any]], excellent_cap: int | None) -> None:
    if not nominations:
        raise Invalid("the categories have no approved nominations yet", field="category_ids", code="no_candidates")
    if excellent_cap is not None and excellent_cap > len(nominations):
        raise Invalid(f"excellent_cap {excellent_cap} exceeds the {len(nominations)} candidates",
                      field="excellent_cap", code="excellent_cap_too_high",
                      params={"cap": excellent_cap, "candidates": len(nominations)})


def first_missing(wanted: Iterable[str], found: Iterable[str]) -> str | None:
    known = set(found)
    return next((x for x in wanted if x not in known), None)


def round_units(members: list[dict[str, Any]], unit_names: dict[str, str]) -> list[dict[str, Any]]:
    """The units of the round's roll with their eligible counts, each with the short key its tally counters use."""
    per_unit: dict[str, int] = {}
    for m in members:
        per_unit[m["unit_id"]] = per_unit.get(m["unit_id"], 0) + 1
    return [{"unit_id": u, "name": unit_names.get(u, ""), "eligible": n, "key": f"u{i}"}
            for i, (u, n) in enumerate(sorted(per_unit.items()))]


def round_candidates(nominations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"nomination_id": n["_id"], "category_id": n["category_id"],
             "nominee_name": n.get("nominee_name", ""), "unit_name": n.get("unit_name", ""),
             "withdrawn": False, "key": f"c{i}"} for i, n in enumerate(nominations)]


def max_per_category(ballot_type: str, category_ids: list[str], categories: dict[str, dict[str, Any]],
                     max_selections: int | None) -> dict[str, int]:
    """Approval: at most max_selections (the category's quota by default) selected in each category."""
    if ballot_type != "approval":
        return {}
    return {c: max_selections or int(categories[c]["quota"]) for c in category_ids}


def roll_entries(secret: bytes, round_id: str, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The round's roll: one entry per member, with no credential yet and no voter mark.

    The mark (an HMAC of round and member under the ballot secret) is recomputed when needed: stored next to the
    member it would let a reader of the database join the member to the marks and the ballots topic (issue 16)."""
    return [{"_id": f"{round_id}:{m['member_id']}", "round_id": round_id, "member_id": m["member_id"],
             "unit_id": m["unit_id"], "cred": None} for m in members]


def roll_marks(secret: bytes, round_id: str, entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """mark -> roll entry, the marks recomputed from the members (7 µs each measured on the shared 2-core box)."""
    return {voter_mark(secret, round_id, e["member_id"]): e for e in entries}


# ---- the voting stage (民主测评) -------------------------------------------------------------------------
OPENING_REFUSED = "opening a round is refused"
CASTING_REFUSED = "casting a ballot is refused"


def stage_snapshot(programme: dict[str, Any] | None) -> dict[str, Any]:
    """What a round keeps of its programme's voting stage: how it is controlled, its window and its state.

    Kept on the round (and refreshed when voting learns a StageChanged or a new ProgrammeDefined) so that the
    casting edge and the counter, which read the round anyway, gate every ballot without reading the programme."""
    programme = programme or {}
    return {"stage_control": programme.get("stage_control", "organiser"),
            "stages": [w for w in programme.get("stages") or [] if w.get("stage") == "voting"],
            "stage_state": {"voting": (programme.get("stage_state") or {}).get("voting", "closed")}}


def ensure_voting_open(programme: dict[str, Any] | None, now: datetime | None = None) -> None:
    """Opening a round: Closed (409, field "stage", code "stage_closed") outside the voting stage."""
    stages.ensure_open(programme, "voting", OPENING_REFUSED, now)


def ensure_casting_open(rnd: dict[str, Any], now: datetime | None = None) -> None:
    """Casting: the same refusal, from the round's stage snapshot. A round opened before rounds kept one is not
    gated until voting learns its programme's next StageChanged or ProgrammeDefined (the hook gives it one).
    Closing a round is always allowed."""
    if "voting_stage" in rnd:
        stages.ensure_open(rnd["voting_stage"], "voting", CASTING_REFUSED, now)


def casting_open(rnd: dict[str, Any], now: datetime) -> bool:
    try:
        ensure_casting_open(rnd, now)
    except Closed:
        return False
    return True


# ---- what each state allows ----------------------------------------------------------------------------

def counts_visible(rnd: dict[str, Any]) -> bool:
    return not rnd.get("counts_hidden") or bool(rnd.get("published"))


def bulletin_is_public(rnd: dict[str, Any]) -> bool:
    return rnd.get("state") == "closed" and counts_visible(rnd)


def ensure_found(rnd: dict[str, Any] | None, round_id: str) -> dict[str, Any]:
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", field="round_id")
    return rnd


def ensure_closable(rnd: dict[str, Any]) -> None:
    if rnd.get("state") == "closed":
        raise Conflict(f"round {rnd['_id']} is already closed", field="round_id", code="round_already_closed")


def due_to_close(rnd: dict[str, Any], now: datetime) -> bool:
    """Still open at its closing time (another replica may have closed it, or it was extended)."""
    return rnd.get("state") != "closed" and rnd["closes_at"] <= now


def ensure_counts_hidden(rnd: dict[str, Any]) -> None:
    if counts_visible(rnd):
        raise Conflict("the counts of this round are already public", field="round_id", code="counts_public")


def ensure_closed_to_publish(rnd: dict[str, Any]) -> None:
    """Hidden counts are published only once the round is closed: a live count would steer the ballots still to
    come."""
    if rnd.get("state") != "closed":
        raise Conflict(f"the hidden counts of round {rnd['_id']} can be published only after the round is closed",
                       field="round_id", code="round_open")


def ensure_not_closed(rnd: dict[str, Any]) -> None:
    if rnd.get("state") == "closed":
        raise Closed("the round is closed", field="round_id")


def ensure_unit_in_round(rnd: dict[str, Any], unit_id: str) -> dict[str, Any]:
    unit: dict[str, Any] | None = next((u for u in rnd["units"] if u["unit_id"] == unit_id), None)
    if unit is None:
        raise NotFound(f"unit {unit_id} has no eligible members in this round", field="unit_id")
    return unit


def ensure_bulletin_published(rnd: dict[str, Any]) -> None:
    if rnd.get("state") != "closed":
        raise Closed("the bulletin is published when the round closes", field="round_id")
