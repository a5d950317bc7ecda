"""Indicator points, 随机点验 spot checks and the scoring configuration on the in-memory store, no server."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.scoring.actions import indicators, scoring_config
from services.scoring.models import IndicatorsIn, ScoringConfigIn, SpotDrawIn, SpotResultIn
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
        assert dirty(uow) == {(P, CAT)} and uow.events == []
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


class TestDrawSpotChecks:
    async def test_a_reproducible_sample_of_the_key_tasks(self):
        uow = await with_indicators()
        draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="2026-11",
                                                                                           sample_size=3)))
        again = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="2026-11",
                                                                                            sample_size=3)))
        assert len(draw["picks"]) == 3 and again["picks"] == draw["picks"] and draw["results"] == {}
        assert {p["task_name"] for p in draw["picks"]} <= {"重点任务1", "重点任务2"} and uow.events == []

    async def test_refusals(self):
        uow = await learned()
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=2)),
                      Conflict, field="category_id", words="no key tasks")
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, "nope", SpotDrawIn(seed="s", sample_size=2)),
                      NotFound, field="category_id")
        uow = await with_indicators()
        draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=2)))
        pick = draw["picks"][0]
        await uow.run(lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
            nomination_id=pick["nomination_id"], task_id=pick["task_id"], passed=True)))
        await refused(uow, lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="other",
                                                                                         sample_size=2)),
                      Conflict, field="seed")


class TestRecordSpotResult:
    async def test_a_failed_check_with_the_verified_points(self):
        uow = await with_indicators()
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
