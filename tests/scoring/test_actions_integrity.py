"""Programme integrity (issue 15) on the in-memory store, no server: each programme's own tree, roll and judges;
scores only in the judging stage; a published 公示 list frozen; the latest feeding round; 业务工作进位."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from services.scoring import learning
from services.scoring.actions import arena, assignment, indicators, judges, scores, scoring_config
from services.scoring.actions.panels import form_panel
from services.scoring.models import (
    ArenaScoreIn,
    AssignIn,
    IndicatorsIn,
    JudgeIn,
    PanelIn,
    ScoresIn,
    ScoringConfigIn,
    SpotResultIn,
)
from services.scoring.standings import refresh
from shared.contracts import Envelope
from shared.contracts.nominations import (
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitsImported,
)
from shared.contracts.publicity import PublicityOpened
from shared.contracts.scoring import StandingsUpdated
from shared.contracts.voting import RoundOpened
from shared.errors import Closed, Conflict, Invalid
from tests.scoring.fixtures import CAT, NOMINEES, P, programme_events, sheet, tally
from tests.scoring.test_actions_arena import created
from tests.scoring.test_learning_and_standings import SHARES, scored
from tests.scoring.world import PANEL, deliver, dirty, judge, learned, refused, settle, with_panel

P2 = "p-next"  # next year's programme: the same unit ids, a reorganised tree


def next_year(events: list[Envelope], baseline: str | None = None) -> list[Envelope]:
    """The fixture programme again as programme P2; in its tree 市发改委第一党支部 (fgw-b1) now sits under 市财政局, and
    its roll has other member ids (next-m-wjw-1, ...)."""
    out = []
    for env in events:
        e = env.event()
        if isinstance(e, ProgrammeDefined):
            cats = [c.model_copy(update={"business_baseline_programme_id": baseline}) for c in e.categories]
            e = e.model_copy(update={"programme_id": P2, "categories": cats})
        elif isinstance(e, StageChanged):
            e = e.model_copy(update={"programme_id": P2})
        elif isinstance(e, UnitsImported):
            e = e.model_copy(update={"units": [u.model_copy(update={"parent_id": "czj"}) if u.unit_id == "fgw-b1"
                                               else u for u in e.units]})
        elif isinstance(e, MembersImported):
            e = e.model_copy(update={"members": [m.model_copy(update={"member_id": f"next-{m.member_id}"})
                                                 for m in e.members]})
        elif isinstance(e, (NominationSubmitted, NominationApproved)):
            e = e.model_copy(update={"nomination_id": f"next-{e.nomination_id}"})
        out.append(Envelope.wrap(e, programme_id=P2, key=env.key))
    return out


async def two_programmes(baseline: str | None = None):
    uow = await learned()
    for env in next_year(programme_events(), baseline):
        await deliver(uow, env.event(), programme_id=P2, key=env.key)
    return settle(uow)


class TestProgrammeScope:
    async def test_recusal_reads_only_the_programme_s_own_tree(self):
        uow = await two_programmes()
        for pid in (P, P2):  # the same judge id in both programmes: each programme's own
            await uow.run(lambda tx, pid=pid: judges.register_judge(tx, pid, JudgeIn(judge_id="j-czj", name="张秀英",
                                                                                       unit_id="czj")))
        await uow.run(lambda tx: judges.register_judge(tx, P, JudgeIn(judge_id="j-x", name="x", unit_id="sfj")))
        for pid in (P, P2):
            await uow.run(lambda tx, pid=pid: form_panel(tx, pid, PanelIn(panel_id=PANEL, category_id=CAT, name="组",
                                                                          judge_ids=["j-czj"])))
        # In P fgw-b1 is under 市发改委: the judge of 市财政局 may score it; in P2 it is under 市财政局: recused.
        here = await uow.run(lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n1",
                                                                                 judge_id="j-czj")))
        there = await uow.run(lambda tx: assignment.assign(tx, P2, PANEL, AssignIn(nomination_id="next-n1",
                                                                                   judge_id="j-czj")))
        assert (here["recused"], there["recused"], there["rule"]) == (False, True, "subordinate_unit")
        assert {uow.store.judge_docs[f"{pid}/j-czj"]["programme_id"] for pid in (P, P2)} == {P, P2}

    async def test_a_member_only_on_another_programme_s_roll_is_not_on_this_one(self):
        uow = await two_programmes()
        await refused(uow, lambda tx: judges.register_judge(tx, P, JudgeIn(name="x", unit_id="wjw",
                                                                            member_id="next-m-wjw-1")),
                      Invalid, field="member_id", words="not on the roll")
        await refused(uow, lambda tx: judges.register_judge(tx, P, JudgeIn(judge_id="j-p2", name="x",
                                                                            unit_id="nowhere")),
                      Invalid, field="unit_id")

    async def test_a_roll_change_of_one_programme_rechecks_only_its_own_assignments(self):
        uow = await two_programmes()
        for pid in (P, P2):
            await uow.run(lambda tx, pid=pid: judges.register_judge(tx, pid, JudgeIn(
                judge_id="j-wjw", name="刘芳", unit_id="wjw", member_id="m-wjw-1" if pid == P else "next-m-wjw-1")))
        await deliver(uow,
                      MembersImported(members=[{"member_id": "next-m-wjw-1", "name": "王丽", "unit_id": "jyj-b1"}]),
                      programme_id=P2)
        assert uow.store.judge_docs[f"{P2}/j-wjw"]["branch_id"] == "jyj-b1"
        assert uow.store.judge_docs[f"{P}/j-wjw"]["branch_id"] == "wjw-b1"


async def closed_judging(uow):
    await deliver(uow, StageChanged(programme_id=P, stage="judging", state="closed"))
    return settle(uow)


class TestJudgingStage:
    async def test_scores_only_while_judging_is_open(self):
        uow = await with_panel()
        await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
        jid = next(a["judge_id"] for a in uow.store.assignment_docs.values() if a["nomination_id"] == "n1")
        await closed_judging(uow)
        err = await refused(uow, lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n1",
                                                                                scores=sheet(80)), judge(jid)),
                            Closed, field="stage", words="the judging stage (评审打分) is not open: judges' scores")
        assert err.code == "stage_closed" and err.status == 409

    async def test_arena_scores_only_while_judging_is_open(self):
        uow = await created()
        await closed_judging(uow)
        err = await refused(uow, lambda tx: arena.arena_score(tx, "arena-1", ArenaScoreIn(
            round_id="r1", contestant_id="c3", score=8), judge("a-czj")), Closed, field="stage",
            words="is not open: arena scores are refused")
        assert err.code == "stage_closed"

    async def test_by_dates_the_window_decides(self):
        uow = await created()
        now = datetime.now(UTC)
        prog = uow.store.programmes[P]
        prog["stage_control"] = "dates"
        prog["stages"] = [{"stage": "judging", "opens_at": (now - timedelta(days=2)).isoformat(),
                           "closes_at": (now - timedelta(days=1)).isoformat()}]
        await refused(uow, lambda tx: arena.arena_score(tx, "arena-1", ArenaScoreIn(
            round_id="r1", contestant_id="c3", score=8), judge("a-czj")), Closed, field="stage")
        prog["stages"][0]["closes_at"] = (now + timedelta(days=1)).isoformat()
        board = await uow.run(lambda tx: arena.arena_score(tx, "arena-1", ArenaScoreIn(
            round_id="r1", contestant_id="c3", score=8), judge("a-czj")))
        assert board["accepted"]["score"] == 8


def opened(category_id: str = CAT, notice_id: str = "notice-1") -> PublicityOpened:
    now = datetime.now(UTC)
    return PublicityOpened(notice_id=notice_id, category_id=category_id, nomination_ids=["n3", "n4"], starts_at=now,
                           ends_at=now + timedelta(days=7), working_days=5, standings_sequence=1, programme_version=1)


def _at(e: PublicityOpened, when: datetime) -> Envelope:
    return Envelope.wrap(e, programme_id=P, key=e.notice_id).model_copy(update={"occurred_at": when})


async def published():
    """scored(), its standings computed, then the category's 公示 list published."""
    uow = await scored()
    await uow.run(lambda tx: refresh(tx, P, CAT, 500))
    await uow.deliver(learning.publicity_opened, opened(), programme_id=P, key=CAT)
    return settle(uow)


class TestPublishedCategory:
    async def test_publicity_opened_is_learned_once(self):
        uow = await published()
        doc = uow.store.publication_docs[f"{P}:{CAT}"]
        await uow.deliver(learning.publicity_opened, opened(), programme_id=P, key=CAT)
        assert uow.store.publication_docs[f"{P}:{CAT}"] == doc
        assert uow.events == [] and dirty(uow) == set()

    async def test_two_notices_read_in_either_order_leave_the_same_publication(self):
        """A first notice and its 递补 replacement (each keyed by its own id: a replay reads them in another order
        than the live run): the publication is the first notice's, with the time of the first."""
        t = datetime(2026, 3, 2, 9, tzinfo=UTC)
        first = _at(opened(), t)
        second = _at(opened(notice_id="notice-2").model_copy(update={"replaces": ["n3"], "standings_sequence": 2}),
                     t + timedelta(days=3))
        docs = []
        for order in ((first, second), (second, first)):
            uow = await scored()
            for env in order:
                await uow.run(partial(learning.publicity_opened, env=env, e=env.event()))
            docs.append(uow.store.publication_docs[f"{P}:{CAT}"])
        assert docs[0] == docs[1]
        assert (docs[0]["notice_id"], docs[0]["published_at"], docs[0]["standings_sequence"]) == ("notice-1", t, 1)
        assert sorted(docs[0]["notices"]) == ["notice-1", "notice-2"]

    async def test_scores_and_revisions_are_refused(self):
        uow = await published()
        scored_by = {a["judge_id"] for a in uow.store.assignment_docs.values() if a["nomination_id"] == "n1"}
        jid = sorted(scored_by)[0]
        err = await refused(uow, lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n1",
                                                                                scores=sheet(50)), judge(jid)),
                            Conflict, field="category_id",
                            words=f"the 公示 list of category {CAT} is published: a score revision is refused; "
                                  "it changes only through objections, 递补 and revocation")
        assert err.code == "category_published" and err.status == 409

    async def test_indicators_spot_check_results_and_configuration_are_refused(self):
        uow = await published()
        body = IndicatorsIn.model_validate({"basic": {"points": 1, "max_points": 10}})
        for fn, what in (
                (lambda tx: indicators.enter_indicators(tx, P, "n1", body), "a change of indicators"),
                (lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
                    nomination_id="n1", task_id="t1", passed=True)), "a spot-check result"),
                (lambda tx: scoring_config.write_config(tx, P, ScoringConfigIn(min_judges_to_trim=4)),
                 "a change of the scoring configuration")):
            err = await refused(uow, fn, Conflict, field="category_id", words=f"published: {what} is refused")
            assert err.code == "category_published"

    async def test_no_new_standings_for_it(self):
        uow = await published()
        before = uow.store.standing_docs[f"{P}:{CAT}"]
        await uow.run(lambda tx: scoring_config.ask_recompute(tx, P, CAT))
        assert await uow.run(lambda tx: refresh(tx, P, CAT, 500)) is None
        assert uow.of_type(StandingsUpdated) == [] and uow.store.standing_docs[f"{P}:{CAT}"] == before

    async def test_another_category_is_not_frozen(self):
        uow = await scored()
        await uow.deliver(learning.publicity_opened, opened(category_id="other-cat"), programme_id=P, key="x")
        body = IndicatorsIn.model_validate({"basic": {"points": 1, "max_points": 10}})
        await uow.run(lambda tx: indicators.enter_indicators(tx, P, "n1", body))
        assert await uow.run(lambda tx: refresh(tx, P, CAT, 500)) == 4


def round_opened(round_id: str, name: str, feeds: bool, ballot_type: str = "approval") -> RoundOpened:
    now = datetime.now(UTC)
    return RoundOpened(round_id=round_id, name=name, category_ids=[CAT], ballot_type=ballot_type, max_selections=2,
                       candidate_ids=list(NOMINEES), eligible_count=100, opens_at=now,
                       closes_at=now + timedelta(hours=2), feeds_peer_vote=feeds)


async def a_round_of(uow, round_id: str, name: str, feeds: bool, shares: dict[str, float]) -> None:
    await uow.deliver(learning.round_opened, round_opened(round_id, name, feeds), programme_id=P, key=round_id)
    env = tally(1, shares)
    event = env.event().model_copy(update={"round_id": round_id})
    await uow.deliver(learning.tally, event, programme_id=P, key=round_id)


async def peer_vote(uow) -> dict[str, tuple[float | None, str]]:
    await uow.run(lambda tx: refresh(tx, P, CAT, 500))
    last = uow.of_type(StandingsUpdated)[-1]
    return {s.nomination_id: next((c.raw, c.detail) for c in s.components if c.component == "peer_vote")
            for s in last.standings}


class TestRounds:
    async def test_a_round_is_learned_and_a_feeding_one_marks_its_categories(self):
        uow = await learned()
        await uow.deliver(learning.round_opened, round_opened("r-a", "初评", True), programme_id=P, key="r-a")
        assert uow.store.round_docs[f"{P}/r-a"]["feeds_peer_vote"] is True and dirty(uow) == {(P, CAT)}
        settle(uow)
        await uow.deliver(learning.round_opened, round_opened("r-b", "复评", False), programme_id=P, key="r-b")
        assert dirty(uow) == set()

    async def test_a_round_that_does_not_feed_leaves_the_component_and_one_that_feeds_replaces_it(self):
        uow = await with_panel()
        await a_round_of(uow, "r-approval", "推荐投票", True, SHARES)
        first = await peer_vote(uow)
        assert first["n1"][0] == 0.8 and "测评轮次 round: 推荐投票" in first["n1"][1]
        await a_round_of(uow, "r-shortlist", "差额复选", False, {n: 0.1 for n in SHARES})
        assert await peer_vote(uow) == first
        await a_round_of(uow, "r-appraisal", "民主测评", True, {n: 0.5 for n in SHARES})
        last = await peer_vote(uow)
        assert {n: v[0] for n, v in last.items()} == {n: 0.5 for n in SHARES}
        assert all("测评轮次 round: 民主测评" in v[1] for v in last.values())

    async def test_the_latest_feeding_round_without_a_tally_yet_has_no_vote(self):
        uow = await with_panel()
        await a_round_of(uow, "r-1", "第一轮", True, SHARES)
        await uow.deliver(learning.round_opened, round_opened("r-2", "第二轮", True), programme_id=P, key="r-2")
        got = await peer_vote(uow)
        assert got["n1"] == (None, "民主测评 peer vote: 暂无计票 no tally yet; 测评轮次 round: 第二轮")


class TestBusinessProgress:
    async def test_the_business_component_is_the_ranking_s_progress_against_the_baseline(self):
        # Last year (P) the four branches ranked n1 > n2 > n3 > n4 in business; this year (P2) the reverse.
        uow = await two_programmes(baseline=P)
        this_year = {"n1": 4, "n2": 5, "n3": 6, "n4": 9}
        for nid, pts in {"n1": 9, "n2": 8, "n3": 7, "n4": 6}.items():
            await uow.run(lambda tx, nid=nid, pts=pts: indicators.enter_indicators(
                tx, P, nid, IndicatorsIn.model_validate({"business": {"points": pts, "max_points": 10}})))
        for nid, pts in this_year.items():
            await uow.run(lambda tx, nid=nid, pts=pts: indicators.enter_indicators(
                tx, P2, f"next-{nid}", IndicatorsIn.model_validate({"business": {"points": pts, "max_points": 10}})))
        settle(uow)
        await uow.run(lambda tx: refresh(tx, P2, CAT, 500))
        rows = {s.nomination_id: next(c for c in s.components if c.component == "business")
                for s in uow.of_type(StandingsUpdated)[-1].standings}
        assert (rows["next-n4"].raw, rows["next-n4"].normalised) == (3.0, 100.0)
        assert rows["next-n4"].detail == (f"业务工作 business performance: 进位 progress: rank 1 of 4 this year "
                                          f"against 4 of 4 in {P} (+3)")
        assert (rows["next-n1"].raw, rows["next-n1"].normalised) == (-3.0, 0.0)
        assert (rows["next-n2"].raw, rows["next-n3"].raw) == (-1.0, 1.0)
        # the baseline programme itself still counts its points
        await uow.run(lambda tx: refresh(tx, P, CAT, 500))
        mine = next(s for s in uow.of_type(StandingsUpdated)[-1].standings if s.nomination_id == "n1")
        assert next(c for c in mine.components if c.component == "business").detail.endswith("9 / 10")
