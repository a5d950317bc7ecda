"""A small programme for the scoring tests, fed in as the nominations service's events."""
from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager

from shared.contracts import Envelope
from shared.contracts.nominations import (
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitsImported,
)
from shared.contracts.voting import CandidateTally, TallyUpdated
from tests.support import running

P = "p-score"
CAT = "red-flag"

UNITS = [
    ("sw", "中共某市委员会", None), ("gw", "市直机关工委", "sw"),
    ("fgw", "市发展和改革委员会", "gw"), ("fgw-b1", "市发改委第一党支部", "fgw"),
    ("czj", "市财政局", "gw"), ("czj-b1", "市财政局机关第一党支部", "czj"),
    ("jyj", "市教育局", "gw"), ("jyj-b1", "市教育局机关党支部", "jyj"),
    ("wjw", "市卫生健康委员会", "gw"), ("wjw-b1", "市卫健委机关党支部", "wjw"),
    ("sfj", "市司法局", "gw"), ("sfj-b1", "市司法局机关党支部", "sfj"),
    ("stj", "市统计局", "gw"), ("stj-b1", "市统计局机关党支部", "stj"),
]
MEMBERS = [("m-wjw-1", "王丽", "wjw-b1"), ("m-stj-1", "赵磊", "stj-b1")]
NOMINEES = {  # nomination id -> (branch unit, parent unit, name)
    "n1": ("fgw-b1", "fgw", "市发改委第一党支部"),
    "n2": ("czj-b1", "czj", "市财政局机关第一党支部"),
    "n3": ("jyj-b1", "jyj", "市教育局机关党支部"),
    "n4": ("wjw-b1", "wjw", "市卫健委机关党支部"),
}
CRITERIA = [
    {"criterion_id": "c1", "name": "政治功能强", "max_points": 20, "step": 0.5},
    {"criterion_id": "c2", "name": "支部班子强", "max_points": 30, "step": 0.5},
    {"criterion_id": "c3", "name": "党员队伍强", "max_points": 50, "step": 0.5},
]
WEIGHTS = {"basic": 0.1, "key_tasks": 0.2, "business": 0.1, "report": 0.4, "peer_vote": 0.2}


def env(event, key: str) -> Envelope:
    return Envelope.wrap(event, programme_id=P, key=key)


def programme_events() -> list[Envelope]:
    out = [
        env(ProgrammeDefined(programme_id=P, version=1, name="2026年度创先争优评选", year=2026, stages=[], categories=[{
            "category_id": CAT, "name": "先锋红旗党支部", "nominee_kind": "branch", "board": "red_flag_branch",
            "quota": 2, "criteria": CRITERIA, "weights": WEIGHTS}]), P),
        env(UnitsImported(units=[{"unit_id": u, "name": n, "parent_id": p,
                                  "kind": "branch" if u.endswith("-b1") else "organ"} for u, n, p in UNITS]), "units"),
        env(MembersImported(members=[{"member_id": m, "name": n, "unit_id": u} for m, n, u in MEMBERS]), "members"),
    ]
    # Judges' and arena scores are taken only while the judging stage (评审打分) is open.
    out.append(env(StageChanged(programme_id=P, stage="judging", state="open"), P))
    for nid, (unit, parent, name) in NOMINEES.items():
        out.append(env(NominationSubmitted(nomination_id=nid, category_id=CAT, nominee_id=unit, nominee_name=name,
                                           nominee_kind="branch", unit_id=parent, unit_name=name), nid))
        out.append(env(NominationApproved(nomination_id=nid, category_id=CAT), nid))
    return out


def tally(sequence: int, shares: dict[str, float], hidden: bool = False) -> Envelope:
    return Envelope.wrap(TallyUpdated(
        round_id="round-1", category_ids=[CAT], sequence=sequence, eligible=100, ballots_cast=80, invalid=0,
        counts_hidden=hidden,
        candidates=[CandidateTally(nomination_id=n, approvals=int(s * 80), share_of_cast=s, share_of_eligible=s * 0.8)
                    for n, s in shares.items()]), programme_id=P, key="round-1")


def sheet(percent: float) -> dict[str, float]:
    """A score sheet worth `percent` of the 100 points."""
    return {"c1": 20 * percent / 100, "c2": 30 * percent / 100, "c3": 50 * percent / 100}


@asynccontextmanager
async def scoring_and_board(settings):
    """Start the scoring service and the leaderboard projector side by side (their startups overlap)."""
    from services.leaderboard.app import create_service as create_leaderboard
    from services.scoring.app import create_service as create_scoring

    async with AsyncExitStack() as stack:
        (svc, http), (board, _) = await asyncio.gather(
            stack.enter_async_context(running(create_scoring, settings)),
            stack.enter_async_context(running(create_leaderboard, settings)))
        yield svc, http, board
