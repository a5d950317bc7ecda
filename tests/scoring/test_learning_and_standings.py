"""What scoring learns from events, the standings computed from it and the debounced recomputation, on the
in-memory store, no server."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.scoring import learning
from services.scoring.actions import assignment, indicators, scores, scoring_config
from services.scoring.config import ScoringSettings
from services.scoring.models import IndicatorsIn, ScoresIn, ScoringConfigIn
from services.scoring.recompute import Recomputer
from services.scoring.standings import refresh
from shared.contracts.nominations import (
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationRejected,
    NominationSubmitted,
    ProgrammeDefined,
)
from shared.contracts.scoring import StandingsUpdated
from tests.scoring.fixtures import CAT, CRITERIA, P, WEIGHTS, sheet, tally
from tests.scoring.world import PANEL, deliver, dirty, judge, learned, settle, with_panel

# each nominee's three judges, in judge-id order, give sheets worth these percentages (as in test_standings_flow)
SHEETS = {"n1": [80, 90, 60], "n2": [60, 70, 80], "n3": [95, 85, 90], "n4": [85, 85, 85]}
INDICATORS = {"n1": (9, 8, [10, 8]), "n2": (10, 10, [10, 10]), "n3": (8, 9, [9, 9]), "n4": (9, 8, [10, 8])}
SHARES = {"n1": 0.8, "n2": 0.6, "n3": 0.9, "n4": 0.7}


def submitted(nid: str = "n1", resubmission: bool = False) -> NominationSubmitted:
    return NominationSubmitted(nomination_id=nid, category_id=CAT, nominee_id="fgw-b1",
                               nominee_name="市发改委第一党支部",
                               nominee_kind="branch", unit_id="fgw", unit_name="市发改委", resubmission=resubmission)


class TestLearning:
    async def test_a_programme_marks_each_of_its_categories_and_an_older_version_changes_nothing(self):
        uow = await learned()
        programme = {k: v for k, v in uow.store.programmes[P].items() if k not in ("_id", "stage_state")}
        await deliver(uow, ProgrammeDefined.model_validate(programme | {"version": 2}))
        assert dirty(uow) == {(P, CAT)} and uow.store.programmes[P]["version"] == 2
        settle(uow)
        await deliver(uow, ProgrammeDefined.model_validate(programme | {"version": 1, "name": "old"}))
        assert dirty(uow) == set() and uow.store.programmes[P]["name"] != "old"

    async def test_a_judge_on_the_roll_follows_the_member_s_branch(self):
        uow = await with_panel()
        await deliver(uow, MembersImported(members=[MemberInfo(member_id="m-wjw-1", name="王丽", unit_id="jyj-b1")]))
        assert uow.store.judge_docs[f"{P}/j-wjw"]["branch_id"] == "jyj-b1"
        assert uow.store.judge_docs[f"{P}/j-fgw"].get("branch_id") is None

    async def test_an_approved_nomination_sent_again_leaves_the_standings(self):
        uow = await learned()
        await deliver(uow, submitted())  # a redelivery of the first submission
        assert uow.store.nominations["n1"]["status"] == "approved" and dirty(uow) == set()
        await deliver(uow, submitted(resubmission=True))
        assert uow.store.nominations["n1"]["status"] == "submitted" and dirty(uow) == {(P, CAT)}

    async def test_a_late_submission_never_undoes_a_review(self):
        uow = await learned()
        await deliver(uow, NominationRejected(nomination_id="n1", category_id=CAT, reason="材料不全"))
        assert uow.store.nominations["n1"]["status"] == "rejected" and dirty(uow) == {(P, CAT)}
        settle(uow)
        await deliver(uow, submitted())
        assert uow.store.nominations["n1"]["status"] == "rejected" and dirty(uow) == set()

    async def test_reviews_mark_the_category(self):
        uow = await learned()
        await deliver(uow, NominationApproved(nomination_id="n-new", category_id=CAT))
        assert uow.store.nominations["n-new"]["status"] == "approved" and dirty(uow) == {(P, CAT)}

    async def test_a_tally_newest_first_hidden_counts_never(self):
        uow = await learned()
        for env in (tally(1, {n: 1.0 for n in SHARES}, hidden=True), tally(2, SHARES), tally(1, {"n1": 0.1})):
            await uow.deliver(learning.tally, env.event(), programme_id=P, key="round-1")
        doc = uow.store.tally_docs[f"{P}/round-1"]
        assert doc["sequence"] == 2 and {c["nomination_id"]: c["share_of_cast"] for c in doc["candidates"]} == SHARES
        assert dirty(uow) == {(P, CAT)} and len(uow.store.marks) == 1


async def scored():
    """The story of test_standings_flow up to its first board: judges, scores, indicators, the tally."""
    uow = await with_panel()
    await uow.run(lambda tx: scoring_config.write_config(tx, P, ScoringConfigIn(min_judges_to_trim=3)))
    await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
    for nid, percents in SHEETS.items():
        assigned = sorted(a["judge_id"] for a in uow.store.assignment_docs.values() if a["nomination_id"] == nid)
        for jid, pct in zip(assigned, percents):
            await uow.run(lambda tx, nid=nid, jid=jid, pct=pct: scores.enter_scores(
                tx, P, ScoresIn(nomination_id=nid, scores=sheet(pct)), judge(jid)))
    for nid, (basic, business, tasks) in INDICATORS.items():
        body = IndicatorsIn.model_validate({
            "basic": {"points": basic, "max_points": 10}, "business": {"points": business, "max_points": 10},
            "key_tasks": [{"task_id": f"t{i}", "name": f"重点任务{i}", "points": p, "max_points": 10}
                          for i, p in enumerate(tasks, 1)]})
        await uow.run(lambda tx, nid=nid, body=body: indicators.enter_indicators(tx, P, nid, body))
    env = tally(2, SHARES)
    await uow.deliver(learning.tally, env.event(), programme_id=P, key="round-1")
    return settle(uow)


class TestStandings:
    async def test_explained_standings_in_parts(self):
        uow = await scored()
        assert await uow.run(lambda tx: refresh(tx, P, CAT, 3)) == 4
        parts = uow.of_type(StandingsUpdated)
        assert [(e.sequence, e.part, e.parts, len(e.standings)) for e in parts] == [(1, 1, 2, 3), (1, 2, 2, 1)]
        got = {s.nomination_id: (s.rank, s.composite) for e in parts for s in e.standings}
        assert got == {"n3": (1, 89.0), "n4": (2, 83.0), "n1": (3, 83.0), "n2": (4, 80.0)}
        n1 = next(s for e in parts for s in e.standings if s.nomination_id == "n1")
        assert n1.tie_break == "report"
        report = next(c for c in n1.components if c.component == "report")
        assert report.raw == 80.0 and "trimmed mean of 3 judges, dropped 60 and 90" in report.detail
        doc = uow.store.standing_docs[f"{P}:{CAT}"]
        assert doc["sequence"] == 1 and [s["nomination_id"] for s in doc["standings"]] == ["n3", "n4", "n1", "n2"]

    async def test_an_unknown_category_computes_nothing(self):
        uow = await learned()
        assert await uow.run(lambda tx: refresh(tx, P, "nope", 500)) is None
        assert await uow.run(lambda tx: refresh(tx, "p-none", CAT, 500)) is None
        assert uow.events == [] and uow.store.standing_docs == {}

    async def test_no_nominee_is_one_empty_part(self):
        uow = await learned()
        for nid in ("n1", "n2", "n3", "n4"):
            uow.store.nominations[nid]["status"] = "withdrawn"
        assert await uow.run(lambda tx: refresh(tx, P, CAT, 500)) == 0
        assert [(e.part, e.parts, e.standings) for e in uow.of_type(StandingsUpdated)] == [(1, 1, [])]

    def test_criteria_and_weights_of_the_fixture(self):
        assert sum(c["max_points"] for c in CRITERIA) == 100 and sum(WEIGHTS.values()) == pytest.approx(1.0)


def recomputer(uow) -> Recomputer:
    fast = ScoringSettings(debounce_quiet=0.05, debounce_max_wait=0.05, poll=0.05, standings_per_event=500)
    return Recomputer(uow, uow.store, fast, log=None)


class TestRecompute:
    async def test_a_dirty_category_is_recomputed_once_quiet(self):
        uow = await scored()
        await uow.run(lambda tx: scoring_config.ask_recompute(tx, P, CAT))
        r = recomputer(uow)
        assert 0 < await r.once() <= 0.05 and r.stats["recomputations"] == 0  # seen, not yet quiet
        await asyncio.sleep(0.06)
        await r.once()
        assert r.stats["recomputations"] == 1 and uow.store.marks == {}
        assert uow.store.claims[f"{P}:{CAT}"]["claimed_until"] == 0 and r.category_sizes == {(P, CAT): 4}
        assert [e.sequence for e in uow.of_type(StandingsUpdated)] == [1]

    async def test_a_category_claimed_by_another_replica_is_left_to_it(self):
        uow = await scored()
        await uow.run(lambda tx: scoring_config.ask_recompute(tx, P, CAT))
        uow.store.claims[f"{P}:{CAT}"] = {"_id": f"{P}:{CAT}", "claimed_until": datetime.now(UTC).timestamp() + 60}
        r = recomputer(uow)
        await r.once()
        await asyncio.sleep(0.06)
        await r.once()
        assert r.stats["recomputations"] == 0 and len(uow.store.marks) == 1


class TestSettings:
    def test_defaults(self):
        s = ScoringSettings()
        assert (s.debounce_quiet, s.debounce_max_wait, s.debounce_nominees_per_second, s.poll,
                s.standings_per_event) == (0.2, 1.0, 200, 0.25, 500)

    @pytest.mark.parametrize("name, value", [("STANDINGS_PER_EVENT", "0"), ("POLL", "soon"),
                                             ("DEBOUNCE_QUIET", "-1")])
    def test_a_bad_value_stops_the_start(self, monkeypatch, name, value):
        monkeypatch.setenv(f"EXEMPLAR_SCORING_{name}", value)
        with pytest.raises(ValidationError):
            ScoringSettings()
