"""Fast stories of the programme-integrity rules on the fakes: the voting stage, published categories, which round
feeds the peer vote, publishing hidden counts, and the grading rules of an appraisal round."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.voting import domain
from services.voting.domain import rounds as domain_rounds
from services.voting.actions.cast import BallotIn, cast
from services.voting.actions.close_round import close_round
from services.voting.actions.open_round import open_round
from services.voting.learning import LEARNING
from shared.contracts.nominations import ProgrammeDefined, StageChanged, StageWindow
from shared.contracts.voting import BallotRejected, CastBallot
from shared.errors import Closed
from tests.voting.helpers import PID, category
from tests.voting.stories import PARTITIONS, learned, opened, round_in


async def vote(uow, edge, mid: str, selections: list[str] | None = None, grades: dict | None = None,
               round_id: str = "r1"):
    return await cast(uow, edge, round_id, BallotIn(selections=selections or [], grades=grades or {}), address="a",
                      token=f"t-{mid}")


async def set_stage(uow, state: str) -> None:
    await uow.deliver(LEARNING.stage_changed, StageChanged(programme_id=PID, stage="voting", state=state),
                      programme_id=PID, key=PID)
    uow.events.clear()


class TestOpeningInTheVotingStage:
    async def test_opening_outside_the_voting_stage_is_refused_and_changes_nothing(self):
        uow, edge, _ = await learned(voting_open=False)
        before = copy.deepcopy(uow.store.__dict__)
        with pytest.raises(Closed) as refused:
            await open_round(uow, round_in(), secret=edge.secret, partitions=PARTITIONS, caches=edge)
        assert (refused.value.status, refused.value.code, refused.value.field) == (409, "stage_closed", "stage")
        assert refused.value.message == "the voting stage (民主测评) is not open: opening a round is refused"
        assert uow.store.__dict__ == before and uow.events == [] and edge.counter.rolls == {}

    async def test_a_stage_closed_again_refuses_opening(self):
        uow, edge, _ = await learned()
        await set_stage(uow, "closed")
        with pytest.raises(Closed):
            await open_round(uow, round_in(), secret=edge.secret, partitions=PARTITIONS)
        assert uow.store.rounds == {}

    async def test_a_programme_whose_stages_follow_their_dates(self):
        uow, edge, _ = await learned(voting_open=False)
        now = datetime.now(UTC)
        windows = {"open": (now - timedelta(days=1), now + timedelta(days=1)),
                   "closed": (now + timedelta(days=1), now + timedelta(days=2))}
        for state, (opens, closes) in windows.items():
            await uow.deliver(LEARNING.programme_defined, ProgrammeDefined(
                programme_id=PID, version=3 if state == "closed" else 2, name="2026", year=2026,
                categories=[category("organ", "模范机关", 2)], stage_control="dates",
                stages=[StageWindow(stage="voting", opens_at=opens, closes_at=closes)]), programme_id=PID)
            rid = f"r-{state}"
            if state == "closed":
                with pytest.raises(Closed):
                    await open_round(uow, round_in(round_id=rid), secret=edge.secret, partitions=1)
            else:
                assert (await open_round(uow, round_in(round_id=rid), secret=edge.secret, partitions=1))["state"]
                assert domain_rounds.casting_open(uow.store.rounds[rid], now)
        # the round opened in the first window follows the programme's new dates
        assert not domain_rounds.casting_open(uow.store.rounds["r-open"], now)


class TestCastingInTheVotingStage:
    async def test_a_stage_closed_after_the_round_opened_refuses_ballots_at_the_edge(self):
        uow, edge, w = await opened()
        await vote(uow, edge, w["members"][0], ["n0"])
        await set_stage(uow, "closed")
        assert uow.store.rounds["r1"]["voting_stage"]["stage_state"] == {"voting": "closed"}
        with pytest.raises(Closed) as refused:
            await vote(uow, edge, w["members"][1], ["n0"])
        assert (refused.value.status, refused.value.code, refused.value.field) == (409, "stage_closed", "stage")
        assert refused.value.message == "the voting stage (民主测评) is not open: casting a ballot is refused"
        tally = await uow.store.read_tally("r1")
        assert tally["ballots_cast"] == 1 and tally["refused"] == {"stage_closed": 1}
        assert [e.reason.split(":")[0] for e in uow.of_type(BallotRejected)] == ["stage_closed"]
        assert edge.submitted and len(edge.submitted) == 1  # the refused ballot never reached the counter
        await set_stage(uow, "open")
        assert (await vote(uow, edge, w["members"][1], ["n0"])).receipt

    async def test_the_counter_refuses_a_ballot_the_edge_let_through_before_the_stage_closed(self):
        uow, edge, w = await opened()
        await set_stage(uow, "closed")
        command = CastBallot(command_id=uuid4().hex, round_id="r1", receipt=domain.new_receipt(),
                             mark=domain.voter_mark(edge.secret, "r1", w["members"][0]), selections=["n0"],
                             cast_at=datetime.now(UTC))
        outcomes = await edge.counter.handle([command.model_dump_json().encode()])
        assert outcomes[command.command_id][0] == "stage_closed"
        assert (await uow.store.read_tally("r1"))["ballots_cast"] == 0 and uow.store.marks == {}

    async def test_closing_is_allowed_outside_the_stage(self):
        uow, edge, _ = await opened()
        await set_stage(uow, "closed")
        assert (await close_round(uow, "r1", caches=edge))["state"] == "closed"
        await set_stage(uow, "open")  # a closed round keeps the snapshot it closed with
        assert uow.store.rounds["r1"]["voting_stage"]["stage_state"] == {"voting": "closed"}
