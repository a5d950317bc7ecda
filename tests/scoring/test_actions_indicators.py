"""Indicator points, 随机点验 spot checks and the scoring configuration on the in-memory store, no server."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.scoring.actions import indicators, scoring_config
from services.scoring import domain as d
from services.scoring.models import IndicatorsIn, ScoringConfigIn, SpotCommitIn, SpotDrawIn, SpotResultIn
from shared.contracts.scoring import IndicatorsEntered
from shared.errors import Conflict, Invalid, NotFound
from tests.scoring.fixtures import CAT, P
from tests.scoring.world import dirty, learned, refused, settle


def points(basic: float, business: float, tasks: list[float]) -> IndicatorsIn:
    return IndicatorsIn.model_validate({
        "basic": {"points": basic, "max_points": 10}, "business": {"points": business, "max_points": 10},
        "key_tasks": [{"task_id": f"t{i}", "name": f"重点任务{i}", "points": p, "max_points": 10}
                      for i, p in enumerate(tasks, 1)]})


async def with_indicators():
    uow = await learned()
    for nid in ("n1", "n2", "n3", "n4"):
        await uow.run(lambda tx, nid=nid: indicators.enter_indicators(tx, P, nid, points(9, 8, [10, 8])))
    return settle(uow)


class TestEnterIndicators:
    async def test_stored_per_nomination_and_the_category_marked(self):
        uow = await learned()
        doc = await uow.run(lambda tx: indicators.enter_indicators(tx, P, "n1", points(9, 8, [10])))
        assert doc["basic"] == {"points": 9, "max_points": 10} and doc["category_id"] == CAT and "_id" not in doc
        assert dirty(uow) == {(P, CAT)}
        [entered] = uow.of_type(IndicatorsEntered)  # on the record (issue 16), as entered
        assert (entered.nomination_id, entered.category_id, entered.points["basic"]) == (
            "n1", CAT, {"points": 9, "max_points": 10})
        # a later entry of one part keeps the others
        await uow.run(lambda tx: indicators.enter_indicators(tx, P, "n1", IndicatorsIn.model_validate(
            {"basic": {"points": 10, "max_points": 10}})))
        assert uow.store.indicator_docs["n1"]["business"] == {"points": 8, "max_points": 10}
        assert uow.store.indicator_docs["n1"]["basic"]["points"] == 10

    async def test_refusals(self):
        uow = await learned()
        uow.store.nominations["n4"]["status"] = "withdrawn"
        await refused(uow, lambda tx: indicators.enter_indicators(tx, P, "n-none", points(1, 1, [])), NotFound,
                      field="nomination_id")
        await refused(uow, lambda tx: indicators.enter_indicators(tx, P, "n4", points(1, 1, [])), Conflict,
                      field="nomination_id", words="withdrawn, not approved")
        with pytest.raises(ValidationError):  # the body itself: 422 before any action
            IndicatorsIn.model_validate({"basic": {"points": 11, "max_points": 10}})


SOURCE = "中国福利彩票3D 2026-12-05 开奖号码"


async def committed(uow, sample_size: int = 2):
    await uow.run(lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(sample_size=sample_size,
                                                                                  seed_source=SOURCE)))
    return uow


class TestCommitSpotDraw:
    async def test_the_inputs_published_before_the_seed(self):
        uow = await with_indicators()
        doc = await uow.run(lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(sample_size=3,
                                                                                            seed_source=SOURCE)))
        c = doc["commitment"]
        assert [x["candidate_id"] for x in c["candidates"]] == [f"n{i}/t{j}" for i in (1, 2, 3, 4) for j in (1, 2)]
        assert (c["algorithm"], c["algorithm_version"], c["sample_size"], c["seed_source"]) == (
            "hmac-sha256-sort", 1, 3, SOURCE)
        assert doc["seed"] is None and doc["picks"] == [] and doc["results"] == {}
        [e] = uow.events
        assert type(e.event).__name__ == "SpotCheckDrawCommitted" and e.key == f"{P}:{CAT}"
        assert e.event.inputs_sha256 == c["inputs_sha256"] and len(e.event.candidates) == 8
        # the same commitment again (a retry) changes nothing and emits nothing
        again = await uow.run(lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(sample_size=3,
                                                                                              seed_source=SOURCE)))
        assert again == doc and len(uow.events) == 1

    async def test_refusals(self):
        uow = await learned()
        await refused(uow, lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(
            sample_size=2, seed_source=SOURCE)), Conflict, field="category_id", words="no key tasks")
        await refused(uow, lambda tx: indicators.commit_spot_draw(tx, P, "nope", SpotCommitIn(
            sample_size=2, seed_source=SOURCE)), NotFound, field="category_id")
        uow = await committed(await with_indicators())
        await refused(uow, lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(
            sample_size=3, seed_source=SOURCE)), Conflict, field="sample_size", words="cannot change")
        await refused(uow, lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(
            sample_size=2, seed_source="another lottery")), Conflict, field="seed_source", words="cannot change")


class TestDrawSpotChecks:
    async def test_a_reproducible_sample_of_the_key_tasks(self):
        uow = await committed(await with_indicators(), 3)
        draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="2026-11",
                                                                                           sample_size=3)))
        again = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="2026-11",
                                                                                            sample_size=3)))
        assert len(draw["picks"]) == 3 and again["picks"] == draw["picks"] and draw["results"] == {}
        assert {p["task_name"] for p in draw["picks"]} <= {"重点任务1", "重点任务2"}
        # the picks are the lowest tickets of the committed candidates; one SpotCheckDrawn, not two
        ids = [c["candidate_id"] for c in draw["commitment"]["candidates"]]
        assert [p["candidate_id"] for p in draw["picks"]] == [
            t.candidate_id for t in d.draw_tickets("2026-11", P, CAT, ids, 3)]
        drawn = [e.event for e in uow.events if type(e.event).__name__ == "SpotCheckDrawn"]
        assert len(drawn) == 1 and drawn[0].picks == [p["candidate_id"] for p in draw["picks"]]
        assert drawn[0].seed == "2026-11" and drawn[0].inputs_sha256 == draw["commitment"]["inputs_sha256"]

    async def test_refusals(self):
        uow = await with_indicators()
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=2)),
                      Conflict, field="category_id", words="no spot-check draw is committed")
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, "nope", SpotDrawIn(seed="s", sample_size=2)),
                      NotFound, field="category_id")
        uow = await committed(uow)
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=3)),
                      Conflict, field="sample_size")
        draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s")))
        # published: another seed is refused at once, before any result as after one
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="other")),
                      Conflict, field="seed", words="cannot be redrawn")
        pick = draw["picks"][0]
        await uow.run(lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id=pick["nomination_id"], task_id=pick["task_id"], passed=True)))
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="other",
                                                                                         sample_size=2)),
                      Conflict, field="seed")


class TestRecordSpotResult:
    async def test_a_failed_check_with_the_verified_points(self):
        uow = await committed(await with_indicators())
        draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=2)))
        pick = draw["picks"][0]
        settle(uow)
        result = await uow.run(lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id=pick["nomination_id"], task_id=pick["task_id"], passed=False, verified_points=5)))
        assert result["passed"] is False and result["verified_points"] == 5
        slot = f"{pick['nomination_id']}|{pick['task_id']}"
        assert uow.store.spot_check_docs[f"{P}:{CAT}"]["results"][slot]["verified_points"] == 5
        assert dirty(uow) == {(P, CAT)}

    async def test_refusals(self):
        uow = await with_indicators()
        await refused(uow, lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id="n1", task_id="t1", passed=True)), NotFound, field="category_id")
        await committed(uow, 1)
        await refused(uow, lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id="n1", task_id="t1", passed=True)), NotFound, field="category_id")
        draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=1)))
        pick = draw["picks"][0]
        other = next(f"t{i}" for i in (1, 2) if f"t{i}" != pick["task_id"])
        await refused(uow, lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id=pick["nomination_id"], task_id=other, passed=True)), Invalid, field="task_id")
        await refused(uow, lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id=pick["nomination_id"], task_id=pick["task_id"], passed=False)), Invalid,
            field="verified_points")


class TestWriteConfig:
    async def test_stored_and_every_category_marked(self):
        uow = await learned()
        cfg = ScoringConfigIn(min_judges_to_trim=3, vote_share="share_of_eligible")
        assert await uow.run(lambda tx: scoring_config.write_config(tx, P, cfg)) == cfg.model_dump()
        assert uow.store.config_docs[P]["vote_share"] == "share_of_eligible" and dirty(uow) == {(P, CAT)}

    async def test_refusals(self):
        uow = await learned()
        await refused(uow, lambda tx: scoring_config.write_config(tx, "p-none", ScoringConfigIn()), NotFound,
                      field="programme_id")
        with pytest.raises(ValidationError, match="each tie-break component may appear once"):
            ScoringConfigIn(tie_breaks=["report", "report"])


class TestAskRecompute:
    async def test_scheduled(self):
        uow = await learned()
        out = await uow.run(lambda tx: scoring_config.ask_recompute(tx, P, CAT))
        assert out == {"category_id": CAT, "status": "scheduled"} and dirty(uow) == {(P, CAT)}

    async def test_refusals(self):
        uow = await learned()
        await refused(uow, lambda tx: scoring_config.ask_recompute(tx, P, "nope"), NotFound, field="category_id")
        await refused(uow, lambda tx: scoring_config.ask_recompute(tx, "p-none", CAT), NotFound,
                      field="programme_id")
