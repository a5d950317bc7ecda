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
from services.voting.learning import LEARNING, category_published
from services.voting.views import round_view
from shared.contracts.nominations import ProgrammeDefined, StageChanged, StageWindow
from shared.contracts.publicity import PublicityOpened
from shared.contracts.voting import BallotRejected, CastBallot, RoundOpened
from shared.errors import Closed, Conflict, Invalid
from tests.voting.helpers import PID, category
from tests.voting.stories import SECRET, PARTITIONS, learned, opened, round_in


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
        assert (await close_round(uow, "r1", secret=SECRET, caches=edge))["state"] == "closed"
        await set_stage(uow, "open")  # a closed round keeps the snapshot it closed with
        assert uow.store.rounds["r1"]["voting_stage"]["stage_state"] == {"voting": "closed"}


def notice(category_id: str = "organ", replaces: list[str] | None = None) -> PublicityOpened:
    now = datetime.now(UTC)
    return PublicityOpened(notice_id=uuid4().hex[:8], category_id=category_id, nomination_ids=["n0"], starts_at=now,
                           ends_at=now + timedelta(days=7), working_days=5, replaces=replaces or [])


class TestOpeningAPublishedCategory:
    async def test_a_published_category_takes_no_new_round(self):
        uow, edge, _ = await learned()
        await uow.deliver(category_published, notice(), programme_id=PID)
        before = copy.deepcopy(uow.store.__dict__)
        with pytest.raises(Conflict) as refused:
            await open_round(uow, round_in(category_ids=["organ"]), secret=edge.secret, partitions=1, caches=edge)
        assert (refused.value.status, refused.value.code, refused.value.field) == (
            409, "category_published", "category_ids")
        assert refused.value.message == ("the 公示 list of category organ is published: opening a round is refused; "
                                         "it changes only through objections, 递补 and revocation")
        assert uow.store.__dict__ == before and uow.events == [] and edge.counter.rolls == {}

    async def test_another_programmes_notice_does_not_publish_this_programmes_category(self):
        uow, edge, _ = await learned()
        await uow.deliver(category_published, notice(), programme_id="p2027")
        assert (await open_round(uow, round_in(), secret=edge.secret, partitions=1))["state"] == "open"

    async def test_a_replacement_notice_keeps_it_published(self):
        uow, edge, _ = await learned()
        for e in (notice(), notice(replaces=["n0"])):
            await uow.deliver(category_published, e, programme_id=PID)
        assert uow.store.programmes[PID]["published_categories"] == ["organ"]

    async def test_the_notices_of_two_categories_in_either_order_leave_the_same_published_list(self):
        """Two categories' notices are two keys, two partitions: a replay reads them in another order."""
        lists = []
        for order in (("organ", "branch"), ("branch", "organ")):
            uow, _, _ = await learned()
            for cid in order:
                await uow.deliver(category_published, notice(cid), programme_id=PID)
            lists.append(uow.store.programmes[PID]["published_categories"])
        assert lists == [["branch", "organ"], ["branch", "organ"]]


def programme(**peer_vote_round: str) -> ProgrammeDefined:
    cats = [c.model_copy(update={"peer_vote_round": peer_vote_round.get(c.category_id, "latest")})
            for c in (category("organ", "模范机关", 2), category("branch", "先锋红旗党支部", 1, "branch"))]
    return ProgrammeDefined(programme_id=PID, version=2, name="2026年度评选", year=2026, categories=cats, stages=[])


class TestWhichRoundFeedsThePeerVote:
    async def test_the_first_round_feeds_and_says_so(self):
        uow, edge, _ = await learned()
        rnd = await open_round(uow, round_in(), secret=edge.secret, partitions=1)
        assert rnd["feeds_peer_vote"] and uow.of_type(RoundOpened)[0].feeds_peer_vote
        assert round_view(rnd)["feeds_peer_vote"] is True and round_view(rnd)["replaces_peer_vote_of"] == []

    async def test_replacing_another_feeding_round_needs_the_organisers_confirmation(self):
        uow, edge, _ = await learned()
        await open_round(uow, round_in(round_id="r1", name="推荐投票"), secret=edge.secret, partitions=1)
        uow.events.clear()
        before = copy.deepcopy(uow.store.__dict__)
        second = round_in(round_id="r2", ballot_type="appraisal", abstain_allowed=True)
        with pytest.raises(Conflict) as refused:
            await open_round(uow, second, secret=edge.secret, partitions=1, caches=edge)
        assert (refused.value.status, refused.value.code, refused.value.field) == (
            409, "replaces_peer_vote", "confirm_replace")
        assert refused.value.message == ("round r1 (推荐投票) already feeds the peer-vote component of category organ: "
                                         "this round would replace it; send confirm_replace: true to confirm")
        assert uow.store.__dict__ == before and uow.events == [] and "r2" not in edge.counter.rolls
        rnd = await open_round(uow, second.model_copy(update={"confirm_replace": True}), secret=edge.secret,
                               partitions=1)
        assert rnd["feeds_peer_vote"] and rnd["replaces_peer_vote_of"] == ["r1"]
        assert uow.of_type(RoundOpened)[0].feeds_peer_vote

    async def test_a_round_of_the_other_ballot_type_does_not_feed_nor_replace(self):
        uow, edge, _ = await learned()
        await uow.deliver(LEARNING.programme_defined, programme(organ="appraisal"), programme_id=PID)
        shortlist = await open_round(uow, round_in(round_id="r1"), secret=edge.secret, partitions=1)
        appraisal = await open_round(uow, round_in(round_id="r2", ballot_type="appraisal", abstain_allowed=True),
                                     secret=edge.secret, partitions=1)
        assert not shortlist["feeds_peer_vote"] and appraisal["feeds_peer_vote"]
        assert [e.feeds_peer_vote for e in uow.of_type(RoundOpened)] == [False, True]
        # a second approval round feeds nothing either, so it replaces nothing
        assert not (await open_round(uow, round_in(round_id="r3"), secret=edge.secret, partitions=1))["feeds_peer_vote"]

    async def test_categories_that_take_their_peer_vote_from_different_rounds_need_a_round_each(self):
        uow, edge, _ = await learned()
        await uow.deliver(LEARNING.programme_defined, programme(branch="appraisal"), programme_id=PID)
        with pytest.raises(Invalid) as refused:
            await open_round(uow, round_in(category_ids=["organ", "branch"]), secret=edge.secret, partitions=1)
        assert refused.value.field == "category_ids" and uow.store.rounds == {}


class TestGradingRules:
    async def test_the_share_cap_and_abstention_are_in_the_event_and_the_description(self):
        uow, edge, _ = await learned(candidates=4)
        rnd = await open_round(uow, round_in(ballot_type="appraisal", excellent_cap_share=0.3), secret=edge.secret,
                               partitions=1)
        [event] = uow.of_type(RoundOpened)
        assert (event.excellent_cap, event.excellent_cap_share, event.abstain_allowed) == (None, 0.3, False)
        shown = round_view(rnd)
        assert (shown["excellent_cap_share"], shown["excellent_limit"], shown["abstain_allowed"]) == (0.3, 1, False)

    async def test_a_ballot_beyond_the_share_is_spoiled(self):
        uow, edge, w = await opened(ballot_type="appraisal", excellent_cap_share=0.5)  # 3 candidates: 1 优秀
        every = {"n0": "excellent", "n1": "excellent", "n2": "competent"}
        with pytest.raises(Invalid) as refused:
            await vote(uow, edge, w["members"][0], grades=every)
        assert refused.value.code == "too_many_excellent" and refused.value.field == "grades"
        assert (await vote(uow, edge, w["members"][0], grades=every | {"n1": "competent"})).receipt

    async def test_a_ballot_that_leaves_a_candidate_ungraded_is_spoiled_unless_abstention_is_allowed(self):
        uow, edge, w = await opened(ballot_type="appraisal")
        with pytest.raises(Invalid) as refused:
            await vote(uow, edge, w["members"][0], grades={"n0": "competent", "n1": "competent"})
        assert (refused.value.status, refused.value.code, refused.value.field) == (422, "ungraded_candidate", "grades")
        assert refused.value.message == ("废票 invalid ballot: the ballot leaves a candidate ungraded (this round does "
                                         "not allow abstention): n2")
        assert (await uow.store.read_tally("r1"))["invalid"] == 1 and uow.store.marks == {}
        # a withdrawn candidate is not graded at all
        await uow.store.mark_withdrawn(PID, "n2")
        assert (await vote(uow, edge, w["members"][0], grades={"n0": "competent", "n1": "competent"})).receipt

    async def test_abstention_allowed(self):
        uow, edge, w = await opened(ballot_type="appraisal", abstain_allowed=True)
        assert (await vote(uow, edge, w["members"][0], grades={"n0": "competent"})).receipt

    @pytest.mark.parametrize("kw, field", [
        ({"excellent_cap_share": 0.3}, "excellent_cap_share"),
        ({"abstain_allowed": True}, "abstain_allowed"),
    ])
    async def test_grading_options_of_an_approval_round_are_refused(self, kw, field):
        uow, edge, _ = await learned()
        with pytest.raises(Invalid) as refused:
            await open_round(uow, round_in(**kw), secret=edge.secret, partitions=1)
        assert refused.value.field == field and uow.store.rounds == {} and uow.events == []
