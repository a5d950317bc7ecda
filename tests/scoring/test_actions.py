"""The scoring actions on the in-memory store, no server: judges, panels, assignment, recusal, scores, locks.

Each class is one action: the allowed case, each refusal (nothing changed, nothing emitted), the events."""
from __future__ import annotations

from services.scoring.actions import assignment, judges, panels, recusal, scores
from services.scoring.models import AssignIn, AutoAssignIn, JudgeIn, PanelIn, PanelJudgesIn, RecusalIn, ScoresIn
from shared.contracts.nominations import NominationSubmitted, UnitInfo, UnitsImported
from shared.contracts.scoring import JudgeRecused, JudgeRegistered, JudgesAssigned, ScoreEntered, ScoreRevised
from shared.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from tests.scoring.fixtures import CAT, P, sheet
from tests.scoring.world import PANEL, deliver, dirty, judge, learned, refused, settle, with_panel


async def auto_assigned(**kw):
    uow = await with_panel(**kw)
    plan = await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
    return settle(uow), plan


def judges_of(uow, nomination_id: str) -> list[str]:
    return sorted(a["judge_id"] for a in uow.store.assignment_docs.values()
                  if a["nomination_id"] == nomination_id and not a["recused"])


class TestRegisterJudge:
    async def test_a_judge_on_the_roll_belongs_to_the_member_s_branch(self):
        uow = await learned()
        doc = await uow.run(lambda tx: judges.register_judge(tx, P, JudgeIn(
            judge_id="j1", name="刘芳", unit_id="wjw", member_id="m-wjw-1", title="处长")))
        assert doc["branch_id"] == "wjw-b1" and doc["programme_id"] == P and "_id" not in doc
        assert uow.store.judge_docs[f"{P}/j1"]["unit_id"] == "wjw"
        [registered] = uow.of_type(JudgeRegistered)  # on the record (issue 16)
        assert (registered.judge_id, registered.name, registered.unit_id) == ("j1", "刘芳", "wjw")

    async def test_refusals(self):
        uow = await learned()
        await uow.run(lambda tx: judges.register_judge(tx, P, JudgeIn(judge_id="j1", name="a", unit_id="fgw")))
        cases = [
            ("p-none", JudgeIn(name="a", unit_id="fgw"), NotFound, "programme_id"),
            (P, JudgeIn(name="a", unit_id="nowhere"), Invalid, "unit_id"),
            (P, JudgeIn(name="a", unit_id="fgw", member_id="m-none"), Invalid, "member_id"),
            (P, JudgeIn(judge_id="j1", name="a", unit_id="fgw"), Conflict, "judge_id"),
        ]
        for programme_id, body, error, field in cases:
            await refused(uow, lambda tx: judges.register_judge(tx, programme_id, body), error, field=field)

    def test_only_organisers(self):
        assert judges.register_judge.roles == ("organiser",)


class TestFormPanel:
    async def test_k_defaults_to_the_programme_s_configuration(self):
        uow = await with_panel()
        uow.store.panel_docs.clear()
        panel = await uow.run(lambda tx: panels.form_panel(tx, P, PanelIn(
            panel_id="p2", category_id=CAT, name="组", judge_ids=["j-sfj"])))
        assert panel["panel_id"] == "p2" and panel["min_judges"] == 3 and panel["locked"] is False

    async def test_refusals(self):
        uow = await with_panel()
        cases = [
            (PanelIn(category_id=CAT, name="重复", judge_ids=["j-sfj"]), Conflict, "category_id"),
            (PanelIn(category_id="nope", name="x", judge_ids=["j-sfj"]), NotFound, "category_id"),
            (PanelIn(category_id=CAT, name="x", judge_ids=["j-sfj", "j-nobody"]), Invalid, "judge_ids"),
            (PanelIn(category_id=CAT, name="x", judge_ids=["j-sfj", "j-sfj"]), Invalid, "judge_ids"),
        ]
        for body, error, field in cases:
            await refused(uow, lambda tx: panels.form_panel(tx, P, body), error, field=field)


class TestAddPanelJudges:
    async def test_adds_each_judge_once(self):
        uow = await with_panel(judges=["j-sfj", "j-stj"])
        await uow.run(lambda tx: panels.add_panel_judges(tx, P, PANEL, PanelJudgesIn(judge_ids=["j-stj", "j-fgw"])))
        assert uow.store.panel_docs[f"{P}/{PANEL}"]["judge_ids"] == ["j-sfj", "j-stj", "j-fgw"]

    async def test_refusals(self):
        uow = await with_panel(judges=["j-sfj"])
        body = PanelJudgesIn(judge_ids=["j-fgw"])
        await refused(uow, lambda tx: panels.add_panel_judges(tx, P, "nope", body), NotFound, field="panel_id")
        await refused(uow, lambda tx: panels.add_panel_judges(tx, P, PANEL, PanelJudgesIn(judge_ids=["j-x"])),
                      Invalid, field="judge_ids")
        await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True))
        error = await refused(uow, lambda tx: panels.add_panel_judges(tx, P, PANEL, body), Closed, field="panel_id")
        assert error.message == f"panel {PANEL} is locked"


class TestLockAndUnlock:
    async def test_lock_then_unlock_each_marks_the_category_dirty(self):
        uow = await with_panel()
        assert await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True)) == {"panel_id": PANEL, "locked": True}
        assert uow.store.panel_docs[f"{P}/{PANEL}"]["locked"] is True and dirty(uow) == {(P, CAT)}
        settle(uow)
        assert (await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, False)))["locked"] is False
        assert uow.store.panel_docs[f"{P}/{PANEL}"]["locked"] is False and dirty(uow) == {(P, CAT)}

    async def test_an_unknown_panel(self):
        uow = await with_panel()
        await refused(uow, lambda tx: panels.set_lock(tx, P, "nope", True), NotFound, field="panel_id")


class TestAutoAssign:
    async def test_k_judges_each_even_loads_never_a_conflict(self):
        uow, plan = await auto_assigned()
        assert plan["assigned"] == 12 and plan["shortfalls"] == {} and plan["nominees"] == 4
        assert max(plan["loads"].values()) - min(plan["loads"].values()) <= 1
        assert all(len(judges_of(uow, n)) == 3 for n in ("n1", "n2", "n3", "n4"))
        assert "j-fgw" not in judges_of(uow, "n1") and "j-czj" not in judges_of(uow, "n2")
        assert "j-jyj" not in judges_of(uow, "n3") and "j-wjw" not in judges_of(uow, "n4")
        assert uow.events == []  # auto_assigned settled them; the next test reads them

    async def test_each_nominee_s_judges_are_announced_once(self):
        # One JudgesAssigned per nominee, naming its judges: the nominations service lets them read its materials.
        uow = settle(await with_panel())
        await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
        announced = {e.nomination_id: e.judge_ids for e in uow.of_type(JudgesAssigned)}
        assert announced == {n: judges_of(uow, n) for n in ("n1", "n2", "n3", "n4")}
        assert len(uow.events) == 4

    async def test_again_keeps_what_is_assigned_and_a_larger_k_adds(self):
        uow, _ = await auto_assigned()
        plan = await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, AutoAssignIn(min_judges=4)))
        assert plan["assigned"] == 4 and plan["min_judges"] == 4
        assert uow.store.panel_docs[f"{P}/{PANEL}"]["min_judges"] == 4

    async def test_too_few_judges_is_a_shortfall(self):
        uow = await with_panel(judges=["j-fgw", "j-czj"], min_judges=2)
        plan = await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
        assert plan["shortfalls"] == {"n1": 1, "n2": 1}

    async def test_refusals(self):
        uow = await with_panel()
        await refused(uow, lambda tx: assignment.auto_assign(tx, P, "nope", None), NotFound, field="panel_id")
        await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True))
        await refused(uow, lambda tx: assignment.auto_assign(tx, P, PANEL, None), Closed, field="panel_id",
                      words="assignments can no longer change")


class TestAssign:
    async def test_a_judge_without_conflict(self):
        uow = await with_panel()
        out = await uow.run(lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n1", judge_id="j-sfj")))
        assert out == {"nomination_id": "n1", "judge_id": "j-sfj", "recused": False, "rule": None, "reason": None,
                       "replacement_judge_id": None}
        assert uow.store.assignment_docs["n1:j-sfj"]["by"] == "manual"
        assert [(e.nomination_id, e.judge_ids) for e in uow.of_type(JudgesAssigned)] == [("n1", ["j-sfj"])]
        assert len(uow.events) == 1

    async def test_a_conflicting_judge_is_recused_at_once_with_a_replacement(self):
        uow, _ = await auto_assigned()
        out = await uow.run(lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n1", judge_id="j-fgw")))
        assert out["recused"] and out["rule"] == "subordinate_unit"
        assert out["replacement_judge_id"] not in judges_of(uow, "n1") + ["j-fgw", None]
        [event] = uow.of_type(JudgeRecused)
        assert (event.judge_id, event.rule, event.declared, event.replacement_judge_id) == (
            "j-fgw", "subordinate_unit", False, out["replacement_judge_id"])
        assert not [e for e in uow.of_type(JudgesAssigned) if "j-fgw" in e.judge_ids]  # never let in
        assert "recused_at" not in uow.store.assignment_docs["n1:j-fgw"]
        assert dirty(uow) == set()  # recused from the start, no scores: the standings do not change

    async def test_refusals(self):
        uow = await with_panel(judges=["j-sfj", "j-stj"])
        await uow.run(lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n1", judge_id="j-sfj")))
        await deliver(uow, NominationSubmitted(nomination_id="n9", category_id="other", nominee_id="sfj-b1",
                                               nominee_name="x", nominee_kind="branch", unit_id="sfj",
                                               unit_name="x"))
        cases = [
            ("nope", "n1", "j-stj", NotFound, "panel_id", "not_found"),
            (PANEL, "n-none", "j-stj", NotFound, "nomination_id", "not_found"),
            (PANEL, "n9", "j-stj", Conflict, "nomination_id", "not_approved"),  # submitted, not approved
            (PANEL, "n1", "j-nobody", NotFound, "judge_id", "not_found"),
            (PANEL, "n1", "j-fgw", Invalid, "judge_id", "judge_not_on_panel"),  # registered, not on the panel
            (PANEL, "n1", "j-sfj", Conflict, "judge_id", "already_assigned"),
        ]
        for panel_id, nid, jid, error, field, code in cases:
            body = AssignIn(nomination_id=nid, judge_id=jid)
            err = await refused(uow, lambda tx: assignment.assign(tx, P, panel_id, body), error, field=field)
            assert err.code == code, (nid, jid)
        uow.store.nominations["n9"].update(status="approved")
        err = await refused(uow, lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n9",
                                                                                    judge_id="j-stj")),
                            Invalid, field="nomination_id", words="not in this panel's category")
        assert err.code == "other_category"
        await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True))
        err = await refused(uow, lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n2",
                                                                                    judge_id="j-stj")),
                            Closed, field="panel_id", words="assignments can no longer change")
        assert err.code == "panel_locked"


class TestDeclareConflict:
    async def test_the_judge_is_recused_a_replacement_suggested_and_the_category_marked(self):
        uow, _ = await auto_assigned()
        jid = judges_of(uow, "n2")[0]
        out = await uow.run(lambda tx: recusal.declare_conflict(tx, P, "n2", RecusalIn(reason="曾在该支部挂职"),
                                                                judge(jid)))
        assert out["recused"] and out["reason"].endswith(": 曾在该支部挂职")
        assert out["replacement_judge_id"] not in judges_of(uow, "n2") + [jid]
        a = uow.store.assignment_docs[f"n2:{jid}"]
        assert (a["recused"], a["rule"], a["declared"]) == (True, "declared", True) and "recused_at" in a
        # The organiser's panel view reads the suggested replacement from the assignment itself.
        assert out["replacement_judge_id"] and a["replacement_judge_id"] == out["replacement_judge_id"]
        [event] = uow.of_type(JudgeRecused)
        assert (event.nomination_id, event.judge_id, event.rule, event.declared) == ("n2", jid, "declared", True)
        assert event.replacement_judge_id == out["replacement_judge_id"] and dirty(uow) == {(P, CAT)}

    async def test_refusals(self):
        uow, _ = await auto_assigned()
        jid = judges_of(uow, "n2")[0]
        outsider = next(j for j in ("j-fgw", "j-czj", "j-jyj", "j-wjw", "j-sfj", "j-stj")
                        if j not in judges_of(uow, "n2"))
        body = RecusalIn(reason="迟到申报")
        await refused(uow, lambda tx: recusal.declare_conflict(tx, P, "n2", body, judge(None)), Forbidden,
                      field="judge_id")
        await refused(uow, lambda tx: recusal.declare_conflict(tx, P, "n2", body, judge(outsider)), NotFound,
                      field="nomination_id")
        await uow.run(lambda tx: recusal.declare_conflict(tx, P, "n2", body, judge(jid)))
        err = await refused(uow, lambda tx: recusal.declare_conflict(tx, P, "n2", body, judge(jid)), Conflict,
                            field="nomination_id", words="already recused")
        assert err.code == "already_recused"
        other = judges_of(uow, "n2")[0]
        await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True))
        await refused(uow, lambda tx: recusal.declare_conflict(tx, P, "n2", body, judge(other)), Closed,
                      field="panel_id", words="recusals can no longer change")

    def test_only_judges(self):
        assert recusal.declare_conflict.roles == ("judge",)


class TestRecheckConflicts:
    async def test_a_judge_who_becomes_a_superior_of_a_nominee_is_recused(self):
        uow, _ = await auto_assigned()
        moved = judges_of(uow, "n3")[0]
        unit = uow.store.judge_docs[f"{P}/{moved}"]["unit_id"]
        await deliver(uow, UnitsImported(units=[UnitInfo(unit_id="jyj-b1", name="市教育局机关党支部", parent_id=unit,
                                                         kind="branch")]))
        a = uow.store.assignment_docs[f"n3:{moved}"]
        assert (a["recused"], a["rule"], a["declared"]) == (True, "subordinate_unit", False)
        [event] = uow.of_type(JudgeRecused)
        assert (event.nomination_id, event.judge_id, event.rule) == ("n3", moved, "subordinate_unit")
        assert (P, CAT) in dirty(uow)

    async def test_nothing_changes_when_nothing_conflicts(self):
        uow, _ = await auto_assigned()
        before = {k: v["recused"] for k, v in uow.store.assignment_docs.items()}
        await deliver(uow, UnitsImported(units=[UnitInfo(unit_id="x", name="新单位", parent_id="gw", kind="organ")]))
        assert {k: v["recused"] for k, v in uow.store.assignment_docs.items()} == before and uow.events == []


class TestEnterScores:
    async def test_entered_then_revised_each_revision_kept(self):
        uow, _ = await auto_assigned()
        jid = judges_of(uow, "n1")[0]
        out = await uow.run(lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n1", scores=sheet(80)),
                                                           judge(jid)))
        assert out["complete"] and all(v["revision"] == 1 and v["changed"] for v in out["scores"].values())
        assert [e.criterion_id for e in uow.of_type(ScoreEntered)] == ["c1", "c2", "c3"] and dirty(uow) == {(P, CAT)}
        settle(uow)
        out = await uow.run(lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n1", scores={
            "c1": 15, "c2": sheet(80)["c2"]}), judge(jid)))
        assert out["scores"]["c1"] == {"score": 15, "revision": 2, "changed": True}
        assert out["scores"]["c2"]["changed"] is False
        [revised] = uow.of_type(ScoreRevised)
        assert (revised.criterion_id, revised.previous, revised.score, revised.revision) == ("c1", 16, 15, 2)
        assert [h["score"] for h in uow.store.score_docs[f"n1:{jid}:c1"]["history"]] == [16, 15]

    async def test_unchanged_scores_emit_nothing_and_mark_nothing(self):
        uow, _ = await auto_assigned()
        jid = judges_of(uow, "n1")[0]
        body = ScoresIn(nomination_id="n1", scores={"c1": 10})
        await uow.run(lambda tx: scores.enter_scores(tx, P, body, judge(jid)))
        settle(uow)
        out = await uow.run(lambda tx: scores.enter_scores(tx, P, body, judge(jid)))
        assert out["complete"] is False and uow.events == [] and dirty(uow) == set()

    async def test_refusals(self):
        uow, _ = await auto_assigned()
        first = judges_of(uow, "n1")[0]
        outsider = next(j for j in ("j-sfj", "j-stj", "j-jyj", "j-wjw") if j not in judges_of(uow, "n2"))
        cases = [
            (first, {"c1": 20.5}, Invalid, "scores.c1", "between 0 and 20", ("score_range", {"max": 20})),
            (first, {"c1": 10.25}, Invalid, "scores.c1", "multiple of 0.5", ("score_step", {"step": 0.5})),
            (first, {"zz": 1}, Invalid, "scores.zz", "not a criterion", ("unknown_criterion", None)),
            (None, {"c1": 1}, Forbidden, "judge_id", "no judge_id claim", ("forbidden", None)),
        ]
        for jid, values, error, field, words, (code, params) in cases:
            body = ScoresIn(nomination_id="n1", scores=values)
            err = await refused(uow, lambda tx: scores.enter_scores(tx, P, body, judge(jid)), error, field=field,
                                words=words)
            assert (err.code, err.params) == (code, params)
        await refused(uow, lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n2", scores={"c1": 1}),
                                                          judge(outsider)), Forbidden, words="not assigned")
        await refused(uow, lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n-none", scores={"c1": 1}),
                                                          judge(first)), NotFound, field="nomination_id")
        await uow.run(lambda tx: assignment.assign(tx, P, PANEL, AssignIn(nomination_id="n1", judge_id="j-fgw")))
        await refused(uow, lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n1", scores={"c1": 1}),
                                                          judge("j-fgw")), Forbidden, words="recused")
        await uow.run(lambda tx: panels.set_lock(tx, P, PANEL, True))
        await refused(uow, lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id="n1", scores={"c1": 1}),
                                                          judge(first)), Closed, field="nomination_id",
                      words="panel 先锋红旗党支部评审组 is locked; scores can no longer be entered or revised")
