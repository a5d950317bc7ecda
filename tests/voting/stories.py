"""Short set-ups shared by the fast tests of the voting actions: a learned world and an open round, on the fakes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.voting.actions.open_round import RoundIn, open_round
from services.voting.config import VotingConfig
from shared.auth import Principal
from tests.voting.fakes import FakeEdge, FakeVotingUnitOfWork, InMemoryVotingStore, learn
from tests.voting.helpers import PID, world

PARTITIONS = 3
SECRET = VotingConfig().ballot_secret  # the fakes' edge and counter use the local default too


def later(**kw) -> datetime:
    return datetime.now(UTC) + timedelta(**kw)


def round_in(**kw) -> RoundIn:
    body = {"round_id": "r1", "programme_id": PID, "name": "模范机关推荐投票", "category_ids": ["organ"],
            "ballot_type": "approval", "closes_at": later(hours=1)}
    return RoundIn(**(body | kw))


def member(mid: str) -> Principal:
    return Principal(subject=mid, role="member", member_id=mid)


async def learned(**kw) -> tuple[FakeVotingUnitOfWork, FakeEdge, dict]:
    """A unit of work on a store that learned a programme, its units, members and approved nominations."""
    uow = FakeVotingUnitOfWork(InMemoryVotingStore())
    w = world(**kw)
    await learn(uow, w["envelopes"])
    tokens = {f"t-{m}": member(m) for m in w["members"]}
    tokens["t-judge"] = Principal(subject="j", role="judge", judge_id="j")
    tokens["t-nobody"] = Principal(subject="x", role="member")
    return uow, FakeEdge(uow, tokens=tokens), w


async def opened(**round_kw) -> tuple[FakeVotingUnitOfWork, FakeEdge, dict]:
    """The learned world with round r1 open (the events of the opening cleared)."""
    uow, edge, w = await learned(units=2, per_unit=3, candidates=3)
    await open_round(uow, round_in(**round_kw), secret=edge.secret, partitions=PARTITIONS, caches=edge)
    uow.events.clear()
    return uow, edge, w
