"""Fast stories of the round actions on the fakes: open, close (by hand and when due), publish counts, read rounds."""
from __future__ import annotations

import copy

import pytest

from services.voting import domain
from services.voting.actions import candidates as candidates_action
from services.voting.actions import close_round as closing
from services.voting.actions import publish_counts as publishing
from services.voting.actions import round_info
from services.voting.actions.cast import BallotIn, cast
from services.voting.actions.open_round import open_round
from shared import verify
from shared.contracts.voting import BallotAccepted, RoundClosed, RoundOpened, TallyUpdated
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from tests.voting.fakes import learn
from tests.voting.helpers import PID, world
from tests.voting.stories import SECRET, PARTITIONS, later, learned, member, opened, round_in


async def vote(uow, edge, mid: str, selections: list[str] | None = None, grades: dict | None = None):
    return await cast(uow, edge, "r1", BallotIn(selections=selections or [], grades=grades or {}), address="a",
                      token=f"t-{mid}")


class TestOpenRound:
    async def test_opens_with_its_roll_candidates_and_an_empty_tally_in_parts(self):
        uow, edge, w = await learned(units=3, per_unit=4, candidates=4, quota=2)
        rnd = await open_round(uow, round_in(), secret=edge.secret, partitions=PARTITIONS, caches=edge)
        store = uow.store
        assert rnd["eligible"] == 12 and [c["nomination_id"] for c in rnd["candidates"]] == w["nominations"]
        assert rnd["max_per_category"] == {"organ": 2} and rnd["state"] == "open"
        assert [u["eligible"] for u in rnd["units"]] == [4, 4, 4]
        assert len(store.roll) == 12 and all(r["cred"] is None for r in store.roll.values())
        # the roll keeps no mark (issue 16); the counter holds the marks, recomputed from the secret
        assert "mark" not in store.roll["r1:m0-0"]
        assert edge.counter.rolls["r1"][domain.voter_mark(edge.secret, "r1", "m0-0")] == rnd["units"][0]["key"]
        assert store.tallies["r1"]["sequence"] == 1 and len(store.tally_parts) == PARTITIONS
        assert uow.types() == ["RoundOpened", "TallyUpdated"]
        [opened_event] = uow.of_type(RoundOpened)
        assert opened_event.eligible_count == 12 and opened_event.candidate_ids == w["nominations"]
        assert len(edge.counter.rolls["r1"]) == 12  # the counter need not read the roll back

    async def test_eligibility_by_units_and_by_members(self):
        uow, edge, _ = await learned(units=3, per_unit=2)
        by_units = await open_round(uow, round_in(round_id="ru", eligibility={"mode": "units", "unit_ids": ["u1"]}),
                                    secret=edge.secret, partitions=1)
        by_members = await open_round(uow, round_in(round_id="rm", eligibility={
            "mode": "members", "member_ids": ["m0-0", "m2-1"]}, confirm_replace=True), secret=edge.secret,
            partitions=1)
        assert by_units["eligible"] == 2 and [u["unit_id"] for u in by_units["units"]] == ["u1"]
        assert by_members["eligible"] == 2 and [u["unit_id"] for u in by_members["units"]] == ["u0", "u2"]

    @pytest.mark.parametrize("kw, error, field, code", [
        ({"round_id": "bad id!"}, Invalid, "round_id", "round_id_format"),
        ({"programme_id": "nope"}, NotFound, "programme_id", "not_found"),
        ({"category_ids": ["nope"]}, Invalid, "category_ids", "category_not_in_programme"),
        ({"category_ids": ["organ", "organ"]}, Invalid, "category_ids", "category_twice"),
        ({"category_ids": ["branch"]}, Invalid, "category_ids", "no_candidates"),
        ({"ballot_type": "appraisal", "max_selections": 2}, Invalid, "max_selections", "approval_only"),
        ({"excellent_cap": 1}, Invalid, "excellent_cap", "appraisal_only"),
        ({"ballot_type": "appraisal", "excellent_cap": 9}, Invalid, "excellent_cap", "excellent_cap_too_high"),
        ({"closes_at": later(hours=-1)}, Invalid, "closes_at", "invalid"),  # worded by its message ("in the past")
        ({"opens_at": later(hours=3), "closes_at": later(hours=2)}, Invalid, "closes_at", "invalid"),
        ({"eligibility": {"mode": "units"}}, Invalid, "eligibility.unit_ids", "no_units_listed"),
        ({"eligibility": {"mode": "units", "unit_ids": ["zz"]}}, Invalid, "eligibility.unit_ids", "unknown_unit"),
        ({"eligibility": {"mode": "members"}}, Invalid, "eligibility.member_ids", "no_members_listed"),
        ({"eligibility": {"mode": "members", "member_ids": ["m0-0", "zz"]}}, Invalid, "eligibility.member_ids",
         "not_on_roll"),
    ])
    async def test_refusals_change_nothing(self, kw, error, field, code):
        uow, edge, _ = await learned()
        before = copy.deepcopy(uow.store.__dict__)
        with pytest.raises(error) as refused:
            await open_round(uow, round_in(**kw), secret=edge.secret, partitions=PARTITIONS, caches=edge)
        assert refused.value.field == field and refused.value.code == code
        assert uow.store.__dict__ == before and uow.events == [] and edge.counter.rolls == {}

    async def test_an_existing_round_is_refused(self):
        uow, edge, _ = await opened()
        with pytest.raises(Conflict) as refused:
            await open_round(uow, round_in(), secret=edge.secret, partitions=PARTITIONS)
        assert refused.value.code == "round_exists"
        assert uow.events == [] and len(uow.store.rounds) == 1

    async def test_nobody_eligible_is_refused(self):
        uow, edge, _ = await learned()
        uow.store.members.clear()
        with pytest.raises(Invalid) as refused:
            await open_round(uow, round_in(), secret=edge.secret, partitions=PARTITIONS)
        assert refused.value.field == "eligibility" and uow.store.rounds == {} and uow.store.roll == {}
        assert refused.value.code == "nobody_eligible"


class TestCloseRound:
    async def test_closes_with_the_bulletin_root_and_the_final_tally(self):
        uow, edge, w = await opened()
        for mid in w["members"][:3]:
            await vote(uow, edge, mid, ["n0"])
        uow.events.clear()
        rnd = await closing.close_round(uow, "r1", secret=SECRET, caches=edge)
        receipts, contents = domain.bulletin_lists(SECRET, list(uow.store.sheets_by_id.values()))
        assert len(receipts) == len(contents) == 3
        assert rnd["state"] == "closed" and rnd["bulletin_root"] == domain.bulletin_root("r1", receipts, contents)
        assert rnd["receipts_root"] == verify.receipts_root("r1", receipts)
        assert rnd["contents_root"] == verify.contents_root("r1", contents)
        assert uow.store.rounds["r1"]["entries"] == 3 and all(p["closed"] for p in uow.store.tally_parts.values())
        assert uow.types() == ["RoundClosed", "TallyUpdated"] + ["BallotAccepted"] * 3
        assert uow.of_type(RoundClosed)[0].ballots_cast == 3
        # the contents go public without their receipts, in canonical order
        accepted = uow.of_type(BallotAccepted)
        assert [{"selections": a.selections, "grades": a.grades} for a in accepted] == contents
        assert all(a.receipt == "" and a.receipt not in receipts for a in accepted)
        assert [a.ballot_id for a in accepted] == ["r1/0", "r1/1", "r1/2"]
        assert uow.store.rounds["r1"]["bulletin_released"] and edge.closed_rounds == ["r1"]

    async def test_hidden_counts_keep_the_ballots_back(self):
        uow, edge, w = await opened(counts_hidden=True)
        await vote(uow, edge, w["members"][0], ["n1"])
        uow.events.clear()
        await closing.close_round(uow, "r1", secret=SECRET)
        assert uow.types() == ["RoundClosed", "TallyUpdated"]
        assert uow.of_type(TallyUpdated)[0].counts_hidden

    async def test_refusals(self):
        uow, edge, _ = await opened()
        with pytest.raises(NotFound):
            await closing.close_round(uow, "r9", secret=SECRET)
        await closing.close_round(uow, "r1", secret=SECRET)
        before, events = copy.deepcopy(uow.store.__dict__), len(uow.events)
        with pytest.raises(Conflict) as refused:
            await closing.close_round(uow, "r1", secret=SECRET)
        assert refused.value.field == "round_id" and refused.value.code == "round_already_closed"
        assert uow.store.__dict__ == before and len(uow.events) == events

    async def test_only_due_rounds_close_by_themselves(self):
        uow, edge, _ = await opened()
        await closing.close_due_rounds(uow, secret=SECRET, caches=edge)
        assert uow.store.rounds["r1"]["state"] == "open" and uow.events == []
        uow.store.rounds["r1"]["closes_at"] = later(seconds=-1)
        await closing.close_due_rounds(uow, secret=SECRET, caches=edge)
        assert uow.store.rounds["r1"]["state"] == "closed" and uow.types()[0] == "RoundClosed"
        uow.events.clear()
        # closed already (by another replica): the automatic close leaves it as it is
        assert await closing.close_round(uow, "r1", secret=SECRET, only_if_due=True) and uow.events == []


class TestPublishCounts:
    async def test_publishes_hidden_counts_and_then_the_bulletin(self):
        uow, edge, w = await opened(counts_hidden=True)
        await vote(uow, edge, w["members"][0], ["n2"])
        await closing.close_round(uow, "r1", secret=SECRET)
        uow.events.clear()
        rnd = await publishing.publish_counts(uow, "r1", secret=SECRET)
        assert rnd["published"] and uow.store.rounds["r1"]["published"]
        assert uow.types() == ["TallyUpdated", "BallotAccepted"]
        tally = uow.of_type(TallyUpdated)[0]
        assert not tally.counts_hidden and {c.nomination_id: c.approvals for c in tally.candidates}["n2"] == 1

    async def test_an_open_round_cannot_publish_its_hidden_counts(self):
        uow, _, _ = await opened(counts_hidden=True)
        before = copy.deepcopy(uow.store.__dict__)
        with pytest.raises(Conflict) as refused:
            await publishing.publish_counts(uow, "r1", secret=SECRET)
        assert (refused.value.status, refused.value.code, refused.value.field) == (409, "round_open", "round_id")
        assert refused.value.message == "the hidden counts of round r1 can be published only after the round is closed"
        assert uow.store.__dict__ == before and uow.events == []

    async def test_refusals(self):
        uow, _, _ = await opened()
        with pytest.raises(Conflict) as refused:
            await publishing.publish_counts(uow, "r1", secret=SECRET)  # counts were never hidden
        assert refused.value.code == "counts_public"
        with pytest.raises(NotFound):
            await publishing.publish_counts(uow, "r9", secret=SECRET)
        assert uow.events == [] and not uow.store.rounds["r1"]["published"]


class TestRoundInfo:
    async def test_lists_and_shows_rounds(self):
        uow, edge, _ = await opened()
        await open_round(uow, round_in(round_id="r2", programme_id=PID, confirm_replace=True), secret=edge.secret,
                         partitions=1)
        listed = await round_info.list_rounds(uow)
        assert [r["round_id"] for r in listed["rounds"]] == ["r1", "r2"]
        assert (await round_info.list_rounds(uow, "other"))["rounds"] == []
        shown = await round_info.round_info(uow, "r1")
        assert shown["state"] == "open" and shown["ballot_type_label"] == "推荐投票(限额)"
        with pytest.raises(NotFound):
            await round_info.round_info(uow, "r9")


class TestCandidates:
    async def test_approved_nominations_by_category(self):
        uow, _, w = await learned(candidates=3)
        got = await candidates_action.candidates(uow, PID)
        assert [c["nomination_id"] for c in got["candidates"]] == w["nominations"]
        assert got["members_on_roll"] == len(w["members"])
        assert (await candidates_action.candidates(uow, PID, "branch"))["candidates"] == []
        assert (await candidates_action.candidates(uow, "other"))["candidates"] == []


class TestProgrammeScope:
    """Two programmes of one installation with the same unit and member ids (next year's programme on the same org
    chart): a round reads only its own programme's roll and units."""

    async def two_programmes(self):
        uow, edge, w = await learned(units=2, per_unit=2, candidates=2)
        other = world(units=3, per_unit=3, candidates=2, pid="p2027", unit_name="部门", nomination="q")
        await learn(uow, other["envelopes"])
        edge.tokens.update({f"t-{m}": member(m) for m in other["members"]})
        return uow, edge, w

    async def test_all_counts_only_the_programmes_members_with_its_unit_names(self):
        uow, edge, _ = await self.two_programmes()
        rnd = await open_round(uow, round_in(), secret=edge.secret, partitions=1, caches=edge)
        assert rnd["eligible"] == 4 and uow.of_type(RoundOpened)[0].eligible_count == 4
        assert [(u["unit_id"], u["name"], u["eligible"]) for u in rnd["units"]] == [("u0", "单位0", 2),
                                                                                    ("u1", "单位1", 2)]
        assert sorted(r["member_id"] for r in uow.store.roll.values()) == ["m0-0", "m0-1", "m1-0", "m1-1"]
        assert (await candidates_action.candidates(uow, PID))["members_on_roll"] == 4
        assert (await candidates_action.candidates(uow, "p2027"))["members_on_roll"] == 9

    async def test_a_member_only_on_another_programmes_roll_cannot_cast(self):
        uow, edge, _ = await self.two_programmes()
        await open_round(uow, round_in(), secret=edge.secret, partitions=1, caches=edge)
        uow.events.clear()
        with pytest.raises(Forbidden) as refused:
            await vote(uow, edge, "m2-0", ["n0"])
        assert refused.value.code == "not_eligible"
        assert (await uow.store.read_tally("r1"))["ballots_cast"] == 0
        assert (await vote(uow, edge, "m1-1", ["n0"])).receipt  # the same id on this programme's roll votes

    @pytest.mark.parametrize("eligibility, field", [
        ({"mode": "units", "unit_ids": ["u0", "u2"]}, "eligibility.unit_ids"),
        ({"mode": "members", "member_ids": ["m0-0", "m2-0"]}, "eligibility.member_ids"),
    ])
    async def test_another_programmes_units_and_members_are_unknown(self, eligibility, field):
        uow, edge, _ = await self.two_programmes()
        with pytest.raises(Invalid) as refused:
            await open_round(uow, round_in(eligibility=eligibility), secret=edge.secret, partitions=1)
        assert refused.value.field == field and uow.store.rounds == {} and uow.events == []
