"""The panel as the organiser's console reads it, on the in-memory store: loads, progress (scored / to score), the
conflicts the tree keeps off, and a recusal with the replacement suggested until it is applied."""
from __future__ import annotations

from services.scoring import views
from services.scoring.actions import assignment, recusal, scores
from services.scoring.models import AssignIn, RecusalIn, ScoresIn
from tests.scoring.fixtures import P, sheet
from tests.scoring.world import PANEL, judge, settle, with_panel


async def assigned():
    uow = await with_panel(min_judges=2)
    await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
    return settle(uow)


async def test_loads_progress_and_the_tree_s_conflicts():
    uow = await assigned()
    view = await views.panel_view(uow.store, P, PANEL)
    assert sum(view["loads"].values()) == 8 and view["progress"] == {"assignments": 8, "scored": 0, "to_score": 8}
    # 刘芳 works at 市卫健委: the tree keeps her off 市卫健委机关党支部 (n4), with the rule's reason
    assert {(c["judge_id"], c["nomination_id"], c["rule"]) for c in view["conflicts"]} >= {("j-wjw", "n4", "own_unit")}
    assert all(c["reason"] and c["nominee_name"] for c in view["conflicts"])
    assert not any(a["judge_id"] == "j-wjw" for a in view["assignments"].get("n4", []))
    mine = next(n for n, rows in view["assignments"].items() if any(a["judge_id"] == "j-fgw" for a in rows))
    await uow.run(lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id=mine, scores=sheet(80)),
                                                 judge("j-fgw")))
    half = {"c1": 10}
    other = next(n for n, rows in view["assignments"].items() if any(a["judge_id"] == "j-czj" for a in rows))
    await uow.run(lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id=other, scores=half), judge("j-czj")))
    progress = (await views.panel_view(uow.store, P, PANEL))["progress"]
    assert progress == {"assignments": 8, "scored": 1, "to_score": 7}  # a sheet half filled is still to score


async def test_a_recusal_shows_its_reason_and_a_replacement_until_it_is_applied():
    uow = await assigned()
    view = await views.panel_view(uow.store, P, PANEL)
    nom, rows = next(iter(view["assignments"].items()))
    who = rows[0]["judge_id"]
    await uow.run(lambda tx: recusal.declare_conflict(tx, P, nom, RecusalIn(reason="曾在该支部任职"), judge(who)))
    view = await views.panel_view(uow.store, P, PANEL)
    (r,) = view["recusals"]
    assert (r["nomination_id"], r["judge_id"], r["declared"]) == (nom, who, True) and "曾在该支部任职" in r["reason"]
    suggested = r["replacement_judge_id"]
    assert suggested and suggested not in {a["judge_id"] for a in view["assignments"][nom]}
    assert (nom, suggested) not in {(c["nomination_id"], c["judge_id"]) for c in view["conflicts"]}
    assert view["progress"]["assignments"] == 7
    await uow.run(lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id=nom, judge_id=suggested)))
    view = await views.panel_view(uow.store, P, PANEL)
    assert view["recusals"][0]["replacement_judge_id"] is None and view["progress"]["assignments"] == 8
