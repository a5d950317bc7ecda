"""The organiser's changes to judging are events (issue 16): judges registered, a panel formed, judges added, a
lock, the scoring configuration, a spot-check result. Their payloads say what changed."""
from __future__ import annotations

from services.scoring.actions import indicators, panels, scoring_config
from services.scoring.actions.judges import register_judge
from services.scoring.actions.panels import form_panel
from services.scoring.models import JudgeIn, PanelIn, PanelJudgesIn, ScoringConfigIn, SpotDrawIn, SpotResultIn
from shared.contracts.scoring import (
    JudgeRegistered,
    PanelFormed,
    PanelJudgesAdded,
    PanelLockChanged,
    ScoringConfigured,
    SpotCheckResultRecorded,
)
from tests.scoring.fixtures import CAT, P
from tests.scoring.test_actions_indicators import committed, with_indicators
from tests.scoring.world import JUDGES, PANEL, learned, settle, with_panel


async def test_judges_registered_and_a_panel_formed_are_on_the_record():
    uow = settle(await learned())
    for jid, name, unit, member in JUDGES:
        body = JudgeIn(judge_id=jid, name=name, unit_id=unit, member_id=member, title="评委")
        await uow.run(lambda tx, body=body: register_judge(tx, P, body))
    await uow.run(lambda tx: form_panel(tx, P, PanelIn(panel_id=PANEL, category_id=CAT, name="评审组",
                                                         judge_ids=[j[0] for j in JUDGES[:4]], min_judges=2)))
    registered = uow.of_type(JudgeRegistered)
    assert [(e.judge_id, e.name, e.unit_id) for e in registered] == [(j[0], j[1], j[2]) for j in JUDGES]
    [formed] = uow.of_type(PanelFormed)
    assert (formed.panel_id, formed.category_id, formed.judge_ids, formed.min_judges) == (
        PANEL, CAT, [j[0] for j in JUDGES[:4]], 2)


async def test_a_panel_s_changes_are_on_the_record():
    uow = await with_panel(judges=[j[0] for j in JUDGES[:4]])
    await uow.run(lambda tx: panels.add_panel_judges(tx, P, PANEL, PanelJudgesIn(judge_ids=[JUDGES[4][0]])))
    await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True))
    assert uow.types() == ["PanelJudgesAdded", "PanelLockChanged"]
    assert uow.of_type(PanelJudgesAdded)[0].judge_ids == [JUDGES[4][0]]
    assert uow.of_type(PanelLockChanged) == [PanelLockChanged(panel_id=PANEL, category_id=CAT, locked=True)]


async def test_the_configuration_and_a_spot_check_result_are_on_the_record():
    uow = settle(await learned())
    await uow.run(lambda tx: scoring_config.write_config(tx, P, ScoringConfigIn(report_method="mean",
                                                                                min_judges_per_nominee=4)))
    [configured] = uow.of_type(ScoringConfigured)
    assert configured.config["report_method"] == "mean" and configured.config["min_judges_per_nominee"] == 4

    uow = await committed(await with_indicators())
    draw = await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="s", sample_size=2)))
    settle(uow)
    pick = draw["picks"][0]
    await uow.run(lambda tx: indicators.record_spot_result(tx, P, CAT, SpotResultIn(
        nomination_id=pick["nomination_id"], task_id=pick["task_id"], passed=False, verified_points=5, note="缺佐证")))
    [result] = uow.of_type(SpotCheckResultRecorded)
    assert (result.nomination_id, result.task_id, result.passed, result.verified_points, result.note) == (
        pick["nomination_id"], pick["task_id"], False, 5, "缺佐证")

