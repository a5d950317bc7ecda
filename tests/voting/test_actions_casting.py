"""Fast stories of casting on the fakes: the edge's checks and refusals, the counter's answer, a member's status."""
from __future__ import annotations

import copy
from uuid import uuid4

import pytest

from services.voting import domain
from services.voting.actions import roll_status as roll_action
from services.voting.actions.cast import BallotIn, cast
from services.voting.actions.close_round import close_round
from services.voting.actions.credentials import issue_credentials
from services.voting.config import VotingConfig
from shared.auth import Principal
from shared.contracts.voting import BallotRejected, CastBallot, TallyUpdated
from shared.errors import Closed, Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from tests.voting.fakes import FakeEdge
from tests.voting.helpers import PID
from tests.voting.stories import SECRET, later, member, opened


async def ballot(uow, edge, *, token: str | None = None, credential: str | None = None, round_id: str = "r1",
                 selections: list[str] | None = None, grades: dict | None = None, address: str = "10.0.0.1"):
    body = BallotIn(credential=credential, selections=selections or [], grades=grades or {})
    return await cast(uow, edge, round_id, body, address=address, token=token)


def refused_codes(uow) -> list[str]:
    return [e.reason.split(":")[0] for e in uow.of_type(BallotRejected)]


class TestCastWithAMemberToken:
    async def test_accepted_with_a_receipt_and_counted(self):
        uow, edge, _ = await opened()
        result = await ballot(uow, edge, token="t-m0-0", selections=["n0", "n1"])
        assert not result.pending and result.round_id == "r1" and len(result.receipt) == 16
        assert await uow.store.receipt_recorded("r1", result.receipt)
        tally = await uow.store.read_tally("r1")
        assert tally["ballots_cast"] == 1 and sum(tally["approvals"].values()) == 2
        assert uow.types() == ["TallyUpdated"] and uow.of_type(TallyUpdated)[0].ballots_cast == 1
        # ballots travel without voters: no member id in what was stored or announced
        assert "m0-0" not in repr(uow.store.sheets_by_id) and "m0-0" not in repr(uow.events)

    async def test_a_second_ballot_of_the_same_voter_is_refused_and_counted_apart(self):
        uow, edge, _ = await opened()
        await ballot(uow, edge, token="t-m0-0", selections=["n0"])
        uow.events.clear()
        with pytest.raises(Conflict) as refused:
            await ballot(uow, edge, token="t-m0-0", selections=["n1"])
        assert refused.value.code == "already_voted"
        assert refused_codes(uow) == ["already_voted"]
        assert (await uow.store.read_tally("r1"))["refused"] == {"already_voted": 1}
        assert (await uow.store.read_tally("r1"))["ballots_cast"] == 1

    async def test_the_counter_refuses_a_voter_counted_elsewhere(self):
        uow, edge, _ = await opened()
        mark = domain.voter_mark(edge.secret, "r1", "m0-0")
        uow.store.marks[mark] = {"_id": mark, "tag": "another"}  # counted by another replica
        with pytest.raises(Conflict) as refused:
            await ballot(uow, edge, token="t-m0-0", selections=["n1"])
        assert refused.value.code == "already_voted"
        assert (await uow.store.read_tally("r1")).get("ballots_cast") == 0

    @pytest.mark.parametrize("token, error", [("t-judge", Forbidden), ("t-nobody", Forbidden)])
    async def test_a_token_that_is_not_a_member_with_an_id(self, token, error):
        uow, edge, _ = await opened()
        before = copy.deepcopy(uow.store.__dict__)
        with pytest.raises(error) as refused:
            await ballot(uow, edge, token=token, selections=["n0"])
        assert refused.value.field == "credential"
        assert uow.store.__dict__ == before and uow.events == []

    async def test_neither_credential_nor_token(self):
        uow, edge, _ = await opened()
        with pytest.raises(Unauthorized) as refused:
            await ballot(uow, edge, selections=["n0"])
        assert refused.value.field == "credential" and uow.events == []

    async def test_a_member_not_on_the_roll(self):
        uow, edge, _ = await opened(eligibility={"mode": "units", "unit_ids": ["u0"]})
        with pytest.raises(Forbidden) as refused:
            await ballot(uow, edge, token="t-m1-0", selections=["n0"])
        assert refused.value.code == "not_eligible" and refused_codes(uow) == ["not_eligible"]
        assert uow.store.marks == {} and edge.submitted == []

    @pytest.mark.parametrize("selections, grades, code", [
        ([], {}, "empty"),
        (["nope"], {}, "unknown_candidate"),
        (["n0", "n0"], {}, "duplicate_selection"),
        (["n0", "n1", "n2"], {}, "too_many_selections"),
        ([], {"n0": "excellent"}, "wrong_ballot_type"),
    ])
    async def test_a_spoiled_ballot_is_counted_as_invalid(self, selections, grades, code):
        uow, edge, _ = await opened(max_selections=2)
        with pytest.raises(Invalid) as refused:
            await ballot(uow, edge, token="t-m0-0", selections=selections, grades=grades)
        assert refused.value.code == code and refused.value.field == "selections"
        assert refused.value.message.startswith("废票 invalid ballot: ")
        assert refused_codes(uow) == [code] and uow.types() == ["BallotRejected", "TallyUpdated"]
        assert (await uow.store.read_tally("r1"))["invalid"] == 1
        [rejection] = uow.store.rejections.values()
        assert set(rejection) == {"_id", "round_id", "code", "reason", "spoiled"} and rejection["spoiled"]
        assert uow.store.marks == {} and edge.submitted == []  # the voter may still cast a valid ballot

    async def test_appraisal_grades_and_their_cap(self):
        uow, edge, _ = await opened(ballot_type="appraisal", excellent_cap=1, abstain_allowed=True)
        with pytest.raises(Invalid) as refused:
            await ballot(uow, edge, token="t-m0-0", grades={"n0": "excellent", "n1": "excellent"})
        assert refused.value.code == "too_many_excellent" and refused.value.field == "grades"
        await ballot(uow, edge, token="t-m0-0", grades={"n0": "excellent", "n1": "competent"})
        tally = await uow.store.read_tally("r1")
        assert tally["ballots_cast"] == 1 and tally["grades"] == {"c0": {"excellent": 1}, "c1": {"competent": 1}}

    async def test_a_withdrawn_candidate_cannot_be_chosen(self):
        uow, edge, _ = await opened()
        await uow.store.mark_withdrawn(PID, "n1")
        with pytest.raises(Invalid) as refused:
            await ballot(uow, edge, token="t-m0-0", selections=["n1"])
        assert refused.value.code == "withdrawn_candidate"


class TestCastWithACredential:
    async def test_a_printed_credential_votes_once(self):
        uow, edge, _ = await opened()
        sheet = await issue_credentials(uow, "r1", "u0", secret=SECRET)
        cred = sheet.lines[0].credential
        result = await ballot(uow, edge, credential=cred.lower(), selections=["n2"])  # typed in any case
        assert not result.pending
        with pytest.raises(Conflict) as refused:
            await ballot(uow, edge, credential=cred, selections=["n2"])
        assert refused.value.code == "already_voted"
        # the same member with a token: the same voter mark
        with pytest.raises(Conflict):
            await ballot(uow, edge, token=f"t-{sheet.lines[0].member_id}", selections=["n0"])
        assert (await uow.store.read_tally("r1"))["ballots_cast"] == 1

    async def test_an_unknown_credential_is_recorded(self):
        uow, edge, _ = await opened()
        with pytest.raises(Forbidden) as refused:
            await ballot(uow, edge, credential="AAAA-BBBB-CCCC-DDDD", selections=["n0"])
        assert refused.value.code == "unknown_credential" and refused.value.field == "credential"
        assert refused_codes(uow) == ["unknown_credential"]
        assert (await uow.store.read_tally("r1"))["refused"] == {"unknown_credential": 1}


class TestCastRefusalsOfTheMoment:
    async def test_rate_limits_record_nothing(self):
        uow, edge, _ = await opened()
        edge.blocked_addresses.add("10.0.0.9")
        with pytest.raises(TooManyRequests):
            await ballot(uow, edge, token="t-m0-0", selections=["n0"], address="10.0.0.9")
        edge.blocked_attempts.update({"c:", "m:"})
        with pytest.raises(TooManyRequests) as per_credential:
            await ballot(uow, edge, credential="AAAA-BBBB-CCCC-DDDD", selections=["n0"])
        with pytest.raises(TooManyRequests) as per_member:
            await ballot(uow, edge, token="t-m0-0", selections=["n0"])
        assert per_credential.value.field == "credential" and per_member.value.field is None
        assert uow.events == [] and uow.store.rejections == {}
        assert len(edge.log.messages("ballot refused")) == 3
        assert all(m == {"reason": "rate_limited"} for m in edge.log.messages("ballot refused"))

    async def test_an_unknown_round(self):
        uow, edge, _ = await opened()
        with pytest.raises(NotFound) as refused:
            await ballot(uow, edge, token="t-m0-0", round_id="r9", selections=["n0"])
        assert refused.value.code == "unknown_round" and refused.value.field == "round_id" and uow.events == []

    async def test_not_open_yet_and_closed(self):
        uow, edge, _ = await opened(opens_at=later(hours=1), closes_at=later(hours=2))
        with pytest.raises(Closed) as refused:
            await ballot(uow, edge, token="t-m0-0", selections=["n0"])
        assert refused.value.code == "not_open" and refused.value.field == "round_id"
        uow2, edge2, _ = await opened()
        await close_round(uow2, "r1", secret=SECRET, caches=edge2)
        uow2.events.clear()
        with pytest.raises(Closed) as closed:
            await ballot(uow2, edge2, token="t-m0-0", selections=["n0"])
        assert closed.value.code == "closed" and refused_codes(uow2) == ["closed"]

    async def test_the_counter_has_the_last_word(self):
        uow, edge, _ = await opened()
        for answer, error in [(("closed", "the round is closed"), Closed), (("not_eligible", "no"), Forbidden),
                              (("empty", "the ballot selects nobody"), Invalid)]:
            edge.answer = answer
            with pytest.raises(error) as refused:
                await ballot(uow, edge, token="t-m0-0", selections=["n0"])
            assert refused.value.code == answer[0]

    async def test_pending_when_the_counter_does_not_answer_in_time(self):
        uow, edge, _ = await opened()
        edge.answer = None
        result = await ballot(uow, edge, token="t-m0-0", selections=["n0"])
        assert result.pending and result.receipt == edge.submitted[0].receipt


class TestCounter:
    def command(self, edge, mid: str, selections: list[str]) -> bytes:
        return CastBallot(command_id=uuid4().hex, round_id="r1", mark=domain.voter_mark(edge.secret, "r1", mid),
                          receipt=domain.new_receipt(), selections=selections).model_dump_json().encode()

    async def test_a_redelivered_batch_counts_once(self):
        uow, edge, _ = await opened()
        a, b = self.command(edge, "m0-0", ["n0"]), self.command(edge, "m0-1", ["n1"])
        first = await edge.counter.handle([a, a, b])
        again = await edge.counter.handle([b, a])
        assert {o[0] for o in first.values()} == {o[0] for o in again.values()} == {"accepted"}
        tally = await uow.store.read_tally("r1")
        assert tally["ballots_cast"] == 2 and tally.get("refused", {}) == {}
        assert sum(len(domain.sheet_contents(SECRET, s)) for s in uow.store.sheets_by_id.values()) == 2

    async def test_a_mark_written_by_another_process_is_read_and_respected(self):
        uow, edge, _ = await opened()
        a = self.command(edge, "m0-0", ["n0"])
        await edge.counter.handle([a])
        fresh = FakeEdge(uow)  # another process: it knows no marks
        outcomes = await fresh.counter.handle([a, self.command(edge, "m0-0", ["n2"])])
        assert sorted(o[0] for o in outcomes.values()) == ["accepted", "already_voted"]
        assert (await uow.store.read_tally("r1"))["ballots_cast"] == 1

    async def test_a_malformed_command_goes_to_the_dead_letters_and_the_rest_count(self):
        uow, edge, _ = await opened()
        await edge.counter.handle([b'{"not": "a command"}', self.command(edge, "m0-0", ["n0"])])
        assert len(edge.service.dead_letters) == 1 and "CastBallot" in edge.service.dead_letters[0][1]
        assert (await uow.store.read_tally("r1"))["ballots_cast"] == 1

    async def test_a_burst_from_one_unit_is_flagged(self):
        uow, _, w = await opened()
        edge = FakeEdge(uow, VotingConfig(burst_min_ballots=2, burst_share=0.1))
        await edge.counter.handle([self.command(edge, m, ["n0"]) for m in w["members"][:3]])
        [flag] = uow.store.flag_docs.values()
        assert flag["unit_id"] == "u0" and flag["ballots_in_minute"] == 3 and flag["threshold"] == 2


    async def test_a_busy_round_leaves_its_tally_to_the_flush(self):
        uow, _, w = await opened()
        edge = FakeEdge(uow, VotingConfig(tally_events_per_second=0.001, tally_events_burst=1))
        for m in w["members"][:3]:
            await edge.counter.handle([self.command(edge, m, ["n0"])])
        assert [e.ballots_cast for e in uow.of_type(TallyUpdated)] == [1]  # the burst of one, then deferred
        assert edge.counter.pending_tallies == {"r1"} and edge.counter.tally_events_deferred == 2
        edge.counter._buckets.clear()  # a moment later, the bucket has refilled
        assert await edge.counter.flush_tallies() == 1
        assert [e.ballots_cast for e in uow.of_type(TallyUpdated)] == [1, 3] and not edge.counter.pending_tallies
        sequences = [e.sequence for e in uow.of_type(TallyUpdated)]
        assert sequences == sorted(sequences)


class TestRollStatus:
    async def test_eligible_then_voted(self):
        uow, edge, _ = await opened(eligibility={"mode": "units", "unit_ids": ["u0"]})
        assert await roll_action.roll_status(uow, "r1", member("m0-0"), secret=SECRET) == {
            "round_id": "r1", "eligible": True, "voted": False, "state": "open"}
        await ballot(uow, edge, token="t-m0-0", selections=["n0"])
        assert (await roll_action.roll_status(uow, "r1", member("m0-0"), secret=SECRET))["voted"] is True
        assert (await roll_action.roll_status(uow, "r1", member("m1-0"), secret=SECRET))["eligible"] is False

    async def test_refusals(self):
        uow, _, _ = await opened()
        with pytest.raises(Forbidden):
            await roll_action.roll_status(uow, "r1", Principal(subject="x", role="member"), secret=SECRET)
        with pytest.raises(NotFound):
            await roll_action.roll_status(uow, "r9", member("m0-0"), secret=SECRET)
