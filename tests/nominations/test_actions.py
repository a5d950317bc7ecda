"""Every action of the nominations service as a short story on the in-memory store, with no server: the allowed
case, each refusal (its error, nothing changed, nothing emitted) and the events emitted."""
from __future__ import annotations

import copy
import hashlib
import io
import json

import openpyxl
import pytest

from services.nominations import domain as d
from services.nominations import views
from services.nominations.actions import (
    attachments,
    exports,
    imports,
    programmes,
    review,
    stages,
    submission,
    vetoes,
)
from services.nominations.actions.submission import NominationInput
from services.nominations.criteria_templates import load_templates
from shared.auth import Principal
from shared.contracts.nominations import (
    AttachmentAdded,
    MembersImported,
    NominationApproved,
    NominationRejected,
    NominationReturned,
    NominationSubmitted,
    NominationWithdrawn,
    ProgrammeDefined,
    StageChanged,
    UnitsImported,
)
from shared.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from tests.nominations.fakes import InMemoryStore, fake_uow, snapshot
from tests.nominations.helpers import MEMBERS_CSV, PID, PROGRAMME, UNITS_CSV

TEMPLATES = load_templates()
ORG = Principal("organiser-test", "organiser")
CZJ = Principal("czj", "unit", unit_id="u-czj")
FGW = Principal("fgw", "unit", unit_id="u-fgw")
BRANCH = Principal("b1", "unit", unit_id="u-czj-b1")
NO_UNIT = Principal("nobody", "unit")


async def refused(uow, action, error: type, field: str, words: str):
    """Run a refused action: its error names the field and says why; the store and the events are unchanged."""
    before, emitted = snapshot(uow.store), list(uow.events)
    with pytest.raises(error) as caught:
        await action
    assert caught.value.field == field, caught.value.message
    assert words in caught.value.message, caught.value.message
    assert snapshot(uow.store) == before
    assert uow.events == emitted
    return caught.value


async def programme(open_stage: bool = True):
    """A programme with the small tree and roll of helpers.py, the nomination stage open; events cleared."""
    uow = fake_uow()
    await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
    await imports.import_units(uow, PID, "u.csv", UNITS_CSV.encode())
    await imports.import_members(uow, PID, "m.csv", MEMBERS_CSV.encode())
    if open_stage:
        await stages.change_stage(uow, PID, "nomination", "open")
    uow.events.clear()
    return uow


async def nominate(uow, who=CZJ, **over):
    inp = {"category_id": "model-organ", "nominee_id": "u-czj"} | over
    return await submission.submit(uow, PID, who, NominationInput(**inp))


# ---- programmes -----------------------------------------------------------------------------------------------
class TestDefineProgramme:
    async def test_defines_version_1_with_template_criteria_and_emits_it(self):
        uow = fake_uow()
        doc = await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
        assert doc["_id"] == PID and doc["version"] == 1 and doc["stage_state"] == {}
        assert len(doc["categories"][0]["criteria"]) == 5  # 五强五带头 from its template
        assert list(uow.store.programme_versions) == [f"{PID}:1"]
        [e] = uow.events
        assert isinstance(e.event, ProgrammeDefined) and (e.programme_id, e.key) == (PID, PID)
        assert e.event.version == 1 and [c.category_id for c in e.event.categories] == [
            "model-organ", "red-flag-branch", "good-member"]

    async def test_a_programme_without_id_gets_one(self):
        uow = fake_uow()
        doc = await programmes.define_programme(uow, PROGRAMME | {"programme_id": None}, TEMPLATES)
        assert len(doc["_id"]) == 12 and doc["_id"] in uow.store.programmes

    async def test_every_problem_is_listed_and_nothing_written(self):
        uow = fake_uow()
        bad = PROGRAMME | {"categories": [PROGRAMME["categories"][0] | {"quota": 0, "weights": {"basic": 0.1}}]}
        err = await refused(uow, programmes.define_programme(uow, bad, TEMPLATES), d.ProgrammeInvalid,
                            "categories[0].quota", "positive")
        assert {p.field for p in err.problems} == {"categories[0].quota", "categories[0].weights"}
        assert err.body()["error"]["problems"][1]["message"].endswith("they must sum to 1 (the whole)")

    async def test_an_existing_id_is_a_conflict(self):
        uow = fake_uow()
        await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
        err = await refused(uow, programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES), Conflict,
                            "programme_id", "already exists")
        assert err.code == "programme_exists"

    def test_an_uploaded_file_is_json_or_yaml(self):
        assert programmes.parse_definition("p.json", json.dumps({"name": "x"}).encode()) == {"name": "x"}
        assert programmes.parse_definition("p.yaml", "name: 评选\nyear: 2026\n".encode()) == {"name": "评选",
                                                                                            "year": 2026}
        for name, data, words, code in [("p.json", b"{not json", "not valid YAML or JSON", "file_not_yaml_json"),
                                        ("p.yaml", b"\xff\xfe\x00", "UTF-8", "file_not_utf8")]:
            with pytest.raises(Invalid) as caught:
                programmes.parse_definition(name, data)
            assert caught.value.field == "file" and words in caught.value.message
            assert caught.value.code == code

    def test_the_roles(self):
        assert programmes.define_programme.roles == programmes.change_programme.roles == ("organiser",)


class TestChangeProgramme:
    async def test_a_change_is_a_new_version_recorded_and_emitted(self):
        uow = await programme()
        raw = copy.deepcopy(PROGRAMME)
        raw["categories"][0]["quota"] = 3
        doc = await programmes.change_programme(uow, PID, raw, "org", TEMPLATES)
        assert doc["version"] == 2 and doc["categories"][0]["quota"] == 3
        assert doc["stage_state"] == {"nomination": "open"}  # the state outlives a new definition
        assert sorted(uow.store.programme_versions) == [f"{PID}:1", f"{PID}:2"]
        assert [(c["outcome"], c.get("version")) for c in uow.store.programme_changes] == [("new_version", 2)]
        assert [e.event.version for e in uow.events] == [2]

    async def test_the_same_definition_keeps_its_version(self):
        uow = await programme()
        before = snapshot(uow.store)
        doc = await programmes.change_programme(uow, PID, copy.deepcopy(PROGRAMME), "org", TEMPLATES)
        assert doc["version"] == 1 and uow.events == [] and snapshot(uow.store) == before

    async def test_weights_cannot_change_once_voting_started_and_the_refusal_is_recorded(self):
        uow = await programme()
        await stages.change_stage(uow, PID, "voting", "open")
        uow.events.clear()
        raw = copy.deepcopy(PROGRAMME)
        raw["categories"][0]["weights"] = {"basic": 0.5, "peer_vote": 0.5}
        before = copy.deepcopy(uow.store.programmes)
        with pytest.raises(Conflict) as caught:
            await programmes.change_programme(uow, PID, raw, "org", TEMPLATES)
        assert caught.value.field == "categories.model-organ" and "after voting has started" in caught.value.message
        assert uow.store.programmes == before and uow.events == []
        [change] = uow.store.programme_changes
        assert change["outcome"] == "refused" and change["by"] == "org" and "attempted" in change
        raw["categories"][0] = copy.deepcopy(PROGRAMME["categories"][0]) | {"quota": 4}
        assert (await programmes.change_programme(uow, PID, raw, "org", TEMPLATES))["version"] == 2  # quotas may

    async def test_an_unknown_programme_and_a_bad_definition_are_refused(self):
        uow = await programme()
        await refused(uow, programmes.change_programme(uow, "nope", copy.deepcopy(PROGRAMME), "org", TEMPLATES),
                      NotFound, "programme_id", "does not exist")
        await refused(uow, programmes.change_programme(uow, PID, PROGRAMME | {"year": 1900}, "org", TEMPLATES),
                      d.ProgrammeInvalid, "year", "between 2000 and 2100")


# ---- stages -------------------------------------------------------------------------------------------------
class TestChangeStage:
    async def test_opening_a_stage_records_it_and_emits_stage_changed(self):
        uow = await programme(open_stage=False)
        out = await stages.change_stage(uow, PID, "nomination", "open")
        assert out == {"programme_id": PID, "stage": "nomination", "state": "open", "warnings": []}
        assert uow.store.programmes[PID]["stage_state"] == {"nomination": "open"}
        [e] = uow.events
        assert e.event == StageChanged(programme_id=PID, stage="nomination", state="open") and e.key == PID

    async def test_opening_voting_fixes_the_criteria(self):
        uow = await programme()
        assert uow.store.programmes[PID]["voting_started"] is False
        await stages.change_stage(uow, PID, "voting", "open")
        assert uow.store.programmes[PID]["voting_started"] is True
        await stages.change_stage(uow, PID, "voting", "close")
        assert uow.store.programmes[PID]["voting_started"] is True

    async def test_refusals(self):
        uow = await programme()
        err = await refused(uow, stages.change_stage(uow, PID, "nomination", "open"), Conflict, "stage",
                            "already open")
        assert err.code == "stage_already_open" and err.params == {"stage": "nomination"}
        err = await refused(uow, stages.change_stage(uow, PID, "review", "close"), Conflict, "stage", "already closed")
        assert err.code == "stage_already_closed"
        await refused(uow, stages.change_stage(uow, PID, "party", "open"), NotFound, "stage", "unknown stage")
        await refused(uow, stages.change_stage(uow, PID, "review", "pause"), NotFound, "action", "open or close")
        await refused(uow, stages.change_stage(uow, "nope", "review", "open"), NotFound, "programme_id",
                      "does not exist")

    async def test_closing_review_warns_of_quota_times_ratio_shortfalls(self):
        uow = await programme()
        n = await nominate(uow)
        await review.approve(uow, PID, n["_id"], ORG)
        await stages.change_stage(uow, PID, "review", "open")
        out = await stages.change_stage(uow, PID, "review", "close")
        assert [(w["category_id"], w["approved"], w["needed"]) for w in out["warnings"]] == [
            ("model-organ", 1, 3), ("red-flag-branch", 0, 1), ("good-member", 0, 6)]
        q = await views.quota(uow.store, PID)
        assert q["categories"][0] == {"category_id": "model-organ", "name": "模范机关", "quota": 2, "needed": 3,
                                      "approved": 1}


# ---- the organisation tree and the roll -----------------------------------------------------------------------
class TestImportUnits:
    async def test_imports_reports_bad_rows_by_line_and_emits_the_new_rows(self):
        uow = fake_uow()
        await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
        uow.events.clear()
        csv = ("单位编号,单位名称,上级单位编号,单位类型\nu-a,市审计局,,机关\nu-a-b1,市审计局机关第一党支部,u-a,党支部\n"
               "u-x,孤儿支部,u-none,branch\n,无编号,,organ\n")
        out = await imports.import_units(uow, PID, "u.csv", csv.encode())
        assert (out["rows"], out["imported"], out["unchanged"], out["events"]) == (4, 2, 0, 1)
        assert [(b["line"], b["reason"].split(" ")[0]) for b in out["bad_rows"]] == [(4, "parent_id"), (5, "unit_id")]
        assert uow.store.units[f"{PID}:u-a-b1"] == {"unit_id": "u-a-b1", "name": "市审计局机关第一党支部",
                                                    "parent_id": "u-a", "kind": "branch", "_id": f"{PID}:u-a-b1",
                                                    "programme_id": PID}
        [e] = uow.events
        assert isinstance(e.event, UnitsImported) and e.key == "units"
        assert [u.unit_id for u in e.event.units] == ["u-a", "u-a-b1"]

    async def test_a_reimport_changes_nothing_and_emits_nothing(self):
        uow = await programme()
        before = snapshot(uow.store)
        out = await imports.import_units(uow, PID, "u.csv", UNITS_CSV.encode())
        assert (out["imported"], out["unchanged"], out["events"]) == (0, 6, 0)
        assert snapshot(uow.store) == before and uow.events == []

    async def test_events_carry_at_most_1000_rows(self):
        uow = fake_uow()
        await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
        uow.events.clear()
        rows = "unit_id,name\n" + "".join(f"u{i},单位{i}\n" for i in range(2500))
        out = await imports.import_units(uow, PID, "u.csv", rows.encode())
        assert out["imported"] == 2500 and out["events"] == 3
        assert [len(e.event.units) for e in uow.events] == [1000, 1000, 500]

    async def test_bad_files_and_an_unknown_programme_are_refused(self):
        uow = await programme()
        for name, data, words, code in [
                ("u.txt", b"x", ".csv or .xlsx", "table_type"), ("u.xlsx", b"not a zip", "XLSX", "file_unreadable"),
                ("u.csv", b"name,kind\nx,organ\n", "missing column", "missing_columns"),
                ("u.csv", b"", "empty", "file_empty"),
                ("u.csv", b"\x00" * (imports.MAX_IMPORT_BYTES + 1), "larger than 12 MB", "file_too_large")]:
            err = await refused(uow, imports.import_units(uow, PID, name, data), Invalid, "file", words)
            assert err.code == code, name
        await refused(uow, imports.import_units(uow, "nope", "u.csv", UNITS_CSV.encode()), NotFound, "programme_id",
                      "does not exist")


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class TestImportMembers:
    async def test_imports_from_xlsx_with_bad_rows_and_emits_changes_only(self):
        uow = await programme()
        data = xlsx([["党员编号", "姓名", "所在单位编号"], ["m1", "王伟", "u-czj-b1"], ["m9", "李娜", "u-zz"],
                     ["m8", "", "u-czj"], ["m7", "赵敏", "u-fgw"]])
        out = await imports.import_members(uow, PID, "m.xlsx", data)
        assert (out["imported"], out["unchanged"], [b["line"] for b in out["bad_rows"]]) == (1, 1, [3, 4])
        [e] = uow.events
        assert isinstance(e.event, MembersImported) and e.key == "members"
        assert [m.model_dump() for m in e.event.members] == [{"member_id": "m7", "name": "赵敏", "unit_id": "u-fgw"}]

    async def test_a_roll_with_chinese_headers_naming_the_unit(self):
        # issue 18: "所在单位" was not a known header and the import failed with "missing column(s) unit_id"
        uow = await programme()
        roll = "\ufeff党员编号,姓名,所在单位\nm4,刘洋,市财政局机关第二党支部\nm5,陈静,u-fgw-b1\nm6,孙丽,不存在的支部\n"
        out = await imports.import_members(uow, PID, "m.csv", roll.encode("gb18030"))
        assert (out["imported"], [b["line"] for b in out["bad_rows"]]) == (2, [4])
        assert uow.store.members[f"{PID}:m4"]["unit_id"] == "u-czj-b2"
        assert uow.store.members[f"{PID}:m5"]["unit_id"] == "u-fgw-b1"
        for header in ("党员编号,姓名,所属党支部", "编号, 姓名 ,单位（编号）", "党员编号,姓名,所在党支部"):
            out = await imports.import_members(uow, PID, "m.csv", f"{header}\nm1,王伟,u-czj-b1\n".encode())
            assert out["bad_rows"] == [] and out["unchanged"] == 1, header

    async def test_a_renamed_member_is_replaced(self):
        uow = await programme()
        out = await imports.import_members(uow, PID, "m.csv", "member_id,name,unit_id\nm1,王伟伟,u-czj-b1\n".encode())
        assert (out["imported"], out["events"]) == (1, 1)
        assert uow.store.members[f"{PID}:m1"]["name"] == "王伟伟" and len(uow.store.members) == 3

    async def test_a_reimport_changes_nothing(self):
        uow = await programme()
        before = snapshot(uow.store)
        out = await imports.import_members(uow, PID, "m.csv", MEMBERS_CSV.encode())
        assert (out["imported"], out["unchanged"]) == (0, 3) and snapshot(uow.store) == before and uow.events == []

    async def test_bad_files_are_refused(self):
        uow = await programme()
        await refused(uow, imports.import_members(uow, PID, "m.csv", b"name,unit_id\nx,y\n"), Invalid, "file",
                      "missing column")
        await refused(uow, imports.import_members(uow, PID, "m.csv", b"\xff\xfe\x81\x30"), Invalid, "file",
                      "UTF-8 or GB18030")

    def test_the_roles(self):
        assert imports.import_units.roles == imports.import_members.roles == ("organiser",)


# ---- veto flags ---------------------------------------------------------------------------------------------------
class TestVetoes:
    async def test_a_veto_bars_the_nominee_until_it_is_lifted(self):
        uow = await programme()
        out = await vetoes.set_veto(uow, PID, "u-fgw", "受到党纪处分", "org")
        assert {k: out[k] for k in ("programme_id", "subject_id", "reason", "by")} == {
            "programme_id": PID, "subject_id": "u-fgw", "reason": "受到党纪处分", "by": "org"}
        assert await views.list_vetoes(uow.store, PID) == [out]
        await refused(uow, nominate(uow, FGW, nominee_id="u-fgw"), Conflict, "nominee_id", "一票否决")
        await vetoes.lift_veto(uow, PID, "u-fgw", "处分已撤销", "org")
        # issue 15: lifting is recorded (the veto stays, out of force) and both are emitted
        [veto] = uow.store.vetoes.values()
        assert veto["active"] is False and [h["action"] for h in veto["history"]] == ["set", "lift"]
        assert [type(e.event).__name__ for e in uow.events] == ["VetoSet", "VetoLifted"]
        assert (await nominate(uow, FGW, nominee_id="u-fgw"))["status"] == "submitted"

    async def test_refusals(self):
        uow = await programme()
        await refused(uow, vetoes.lift_veto(uow, PID, "u-fgw"), NotFound, "subject_id", "no veto")
        await refused(uow, vetoes.set_veto(uow, "nope", "u-fgw", "x", "org"), NotFound, "programme_id",
                      "does not exist")


# ---- nominations ------------------------------------------------------------------------------------------------
class TestSubmit:
    async def test_a_unit_nominates_itself_and_the_submission_is_emitted(self):
        uow = await programme()
        doc = await nominate(uow, materials="坚持党建引领", self_assessment={"political": 18.5})
        assert (doc["nominee_name"], doc["unit_name"], doc["nominee_kind"], doc["status"]) == (
            "市财政局", "市财政局", "organ", "submitted")
        assert doc["active_key"] == f"{PID}|model-organ|u-czj" and doc["history"][0]["action"] == "submit"
        assert uow.store.nominations[doc["_id"]]["materials"] == "坚持党建引领"
        [e] = uow.events
        assert e.key == doc["_id"] and e.event == NominationSubmitted(
            nomination_id=doc["_id"], category_id="model-organ", nominee_id="u-czj", nominee_name="市财政局",
            nominee_kind="organ", unit_id="u-czj", unit_name="市财政局")

    async def test_a_branch_nominates_its_member_and_a_unit_a_branch_of_its_subtree(self):
        uow = await programme()
        member = await nominate(uow, BRANCH, category_id="good-member", nominee_id="m1")
        assert (member["nominee_kind"], member["nominee_name"], member["unit_id"]) == ("member", "王伟", "u-czj-b1")
        branch = await nominate(uow, CZJ, category_id="red-flag-branch", nominee_id="u-czj-b2")
        assert branch["unit_name"] == "市财政局" and branch["nominee_name"] == "市财政局机关第二党支部"

    @pytest.mark.parametrize("who, over, error, field, words", [
        (CZJ, {"category_id": "nope"}, NotFound, "category_id", "does not exist"),
        (NO_UNIT, {}, Forbidden, "unit_id", "no unit_id"),
        (CZJ, {"unit_id": "u-fgw"}, Forbidden, "unit_id", "outside"),
        (CZJ, {"nominee_id": "ghost"}, NotFound, "nominee_id", "not in the organisation tree"),
        (CZJ, {"nominee_id": "u-czj-b1"}, Invalid, "nominee_id", "kind organ, not branch"),
        (CZJ, {"nominee_id": "u-fgw"}, Forbidden, "nominee_id", "outside"),
        (BRANCH, {"category_id": "good-member", "nominee_id": "m3"}, Forbidden, "nominee_id", "outside"),
        (CZJ, {"self_assessment": {"bogus": 3}}, Invalid, "self_assessment.bogus", "unknown criterion"),
        (CZJ, {"self_assessment": {"political": 30}}, Invalid, "self_assessment.political", "from 0 to 20"),
        (CZJ, {"self_assessment": {"political": 10.3}}, Invalid, "self_assessment.political", "multiple of 0.5"),
        (CZJ, {"materials": "x" * (d.MAX_MATERIALS_CHARS + 1)}, Invalid, "materials", "longer than"),
    ])
    async def test_eligibility_refusals(self, who, over, error, field, words):
        uow = await programme()
        await refused(uow, nominate(uow, who, **over), error, field, words)

    async def test_the_stage_must_be_open(self):
        uow = await programme(open_stage=False)
        await refused(uow, nominate(uow), Closed, "stage", "not open")
        await refused(uow, submission.submit(uow, "nope", CZJ, NominationInput("model-organ", "u-czj")), NotFound,
                      "programme_id", "does not exist")

    async def test_a_nominee_once_per_category_and_the_unit_limit(self):
        uow = await programme()
        await nominate(uow)
        await refused(uow, nominate(uow), Conflict, "nominee_id", "already nominated")
        branch = {"category_id": "red-flag-branch"}
        await nominate(uow, CZJ, nominee_id="u-czj-b1", **branch)
        await nominate(uow, CZJ, nominee_id="u-czj-b2", **branch)
        await imports.import_units(uow, PID, "u.csv", b"unit_id,name,parent_id,kind\nu-czj-b3,b3,u-czj,branch\n")
        uow.events.clear()
        await refused(uow, nominate(uow, CZJ, nominee_id="u-czj-b3", **branch), Conflict, "unit_id", "limit of 2")

    async def test_the_write_transaction_counts_again(self):
        """A submission that passed its checks before another was written: the transaction recounts the unit's
        nominations and the nominee's active key, so two at once cannot both pass."""
        uow = await programme()
        first = await nominate(uow)
        uow.events.clear()
        late = first | {"_id": "n-late", "active_key": "another-key"}
        await refused(uow, uow.run(lambda tx: submission._submit(tx, late, {"unit_limit": 1})), Conflict, "unit_id",
                      "limit of 1")
        twin = first | {"_id": "n-twin"}
        await refused(uow, uow.run(lambda tx: submission._submit(tx, twin, {"unit_limit": None})), Conflict,
                      "nominee_id",
                      "already nominated")

    def test_the_roles(self):
        assert submission.submit.roles == submission.withdraw.roles == submission.resubmit.roles == ("unit",)


class TestWithdraw:
    async def test_withdrawing_frees_the_nominee_and_is_emitted(self):
        uow = await programme()
        n = await nominate(uow)
        uow.events.clear()
        out = await submission.withdraw(uow, PID, n["_id"], CZJ)
        assert out["status"] == "withdrawn" and out["active_key"] == f"released:{n['_id']}"
        assert [h["action"] for h in out["history"]] == ["submit", "withdraw"]
        [e] = uow.events
        assert e.event == NominationWithdrawn(nomination_id=n["_id"], category_id="model-organ") and e.key == n["_id"]
        assert (await nominate(uow))["status"] == "submitted"  # the nominee may be nominated again

    async def test_refusals(self):
        uow = await programme()
        n = await nominate(uow)
        await refused(uow, submission.withdraw(uow, PID, n["_id"], FGW), Forbidden, "nomination_id", "outside")
        await refused(uow, submission.withdraw(uow, PID, "ghost", CZJ), NotFound, "nomination_id", "does not exist")
        await review.approve(uow, PID, n["_id"], ORG)
        uow.events.clear()
        await refused(uow, submission.withdraw(uow, PID, n["_id"], CZJ), Conflict, "status",
                      "cannot withdraw a nomination that is approved")


class TestResubmit:
    async def test_a_returned_nomination_is_resubmitted_with_its_revision(self):
        uow = await programme()
        n = await nominate(uow)
        await review.return_for_revision(uow, PID, n["_id"], ORG, "请补充")
        uow.events.clear()
        out = await submission.resubmit(uow, PID, n["_id"], CZJ, "已补充", {"political": 19})
        assert (out["status"], out["materials"], out["self_assessment"]) == ("submitted", "已补充", {"political": 19})
        [e] = uow.events
        assert isinstance(e.event, NominationSubmitted) and e.event.resubmission is True and e.key == n["_id"]

    async def test_refusals(self):
        uow = await programme()
        n = await nominate(uow)
        await refused(uow, submission.resubmit(uow, PID, n["_id"], CZJ, "x"), Conflict, "status",
                      "it must be returned")
        await review.return_for_revision(uow, PID, n["_id"], ORG, "请补充")
        uow.events.clear()
        await refused(uow, submission.resubmit(uow, PID, n["_id"], CZJ, None, {"bogus": 1}), Invalid,
                      "self_assessment.bogus", "unknown criterion")
        await refused(uow, submission.resubmit(uow, PID, n["_id"], CZJ, "x" * (d.MAX_MATERIALS_CHARS + 1)),
                      Invalid, "materials", "longer than")
        await refused(uow, submission.resubmit(uow, PID, n["_id"], FGW, "x"), Forbidden, "nomination_id", "outside")
        await stages.change_stage(uow, PID, "nomination", "close")
        uow.events.clear()
        await refused(uow, submission.resubmit(uow, PID, n["_id"], CZJ, "x"), Closed, "stage", "not open")


# ---- review ----------------------------------------------------------------------------------------------------
class TestApprove:
    async def test_a_submitted_nomination_is_approved_and_emitted(self):
        uow = await programme()
        n = await nominate(uow)
        uow.events.clear()
        out = await review.approve(uow, PID, n["_id"], ORG, "通过")
        assert out["status"] == "approved" and out["history"][-1] == out["history"][-1] | {
            "action": "approve", "by": "organiser-test", "comment": "通过"}
        [e] = uow.events
        assert e.event == NominationApproved(nomination_id=n["_id"], category_id="model-organ", comment="通过")

    async def test_only_a_submitted_nomination_is_approved(self):
        uow = await programme()
        n = await nominate(uow)
        await review.return_for_revision(uow, PID, n["_id"], ORG, "请补充")
        uow.events.clear()
        await refused(uow, review.approve(uow, PID, n["_id"], ORG), Conflict, "status", "it must be submitted")
        await refused(uow, review.approve(uow, PID, "ghost", ORG), NotFound, "nomination_id", "does not exist")
        await refused(uow, review.approve(uow, "other", n["_id"], ORG), NotFound, "nomination_id", "does not exist")

    def test_the_roles(self):
        assert review.approve.roles == review.return_for_revision.roles == review.reject.roles == ("organiser",)


class TestReturn:
    async def test_returned_with_comments_and_emitted(self):
        uow = await programme()
        n = await nominate(uow)
        uow.events.clear()
        out = await review.return_for_revision(uow, PID, n["_id"], ORG, "请补充重点任务材料")
        assert (out["status"], out["review_comments"]) == ("returned", "请补充重点任务材料")
        [e] = uow.events
        assert e.event == NominationReturned(nomination_id=n["_id"], category_id="model-organ",
                                             comments="请补充重点任务材料")

    async def test_a_returned_nomination_cannot_be_returned_again(self):
        uow = await programme()
        n = await nominate(uow)
        await review.return_for_revision(uow, PID, n["_id"], ORG, "请补充")
        uow.events.clear()
        await refused(uow, review.return_for_revision(uow, PID, n["_id"], ORG, "again"), Conflict, "status",
                      "cannot return a nomination that is returned")


class TestReject:
    async def test_rejected_with_a_reason_from_submitted_or_returned(self):
        uow = await programme()
        a = await nominate(uow)
        b = await nominate(uow, FGW, nominee_id="u-fgw")
        await review.return_for_revision(uow, PID, b["_id"], ORG, "请补充")
        uow.events.clear()
        for n in (a, b):
            out = await review.reject(uow, PID, n["_id"], ORG, "材料不实")
            assert (out["status"], out["reject_reason"]) == ("rejected", "材料不实")
        assert [e.event for e in uow.events] == [
            NominationRejected(nomination_id=n["_id"], category_id="model-organ", reason="材料不实") for n in (a, b)]

    async def test_a_rejected_nomination_stays_rejected(self):
        uow = await programme()
        n = await nominate(uow)
        await review.reject(uow, PID, n["_id"], ORG, "材料不实")
        uow.events.clear()
        await refused(uow, review.reject(uow, PID, n["_id"], ORG, "again"), Conflict, "status", "rejected")
        await refused(uow, review.approve(uow, PID, n["_id"], ORG), Conflict, "status", "rejected")


# ---- attachments -------------------------------------------------------------------------------------------------
class TestAttach:
    async def test_a_file_is_stored_and_listed_on_the_nomination(self):
        uow = await programme()
        n = await nominate(uow)
        uow.events.clear()
        info = await attachments.attach(uow, PID, n["_id"], CZJ, "dir/事迹材料.pdf", b"%PDF-1.4 demo")
        assert (info["filename"], info["size"], info["content_type"]) == ("事迹材料.pdf", 13, "application/pdf")
        assert uow.store.nominations[n["_id"]]["attachments"] == [info]
        assert uow.store.files[info["file_id"]][1]["nomination_id"] == n["_id"]
        [added] = uow.of_type(AttachmentAdded)  # on the record, with what checks the bytes
        assert (added.nomination_id, added.file_id, added.filename, added.size) == (n["_id"], info["file_id"],
                                                                                 "事迹材料.pdf", 13)
        assert added.sha256 == hashlib.sha256(b"%PDF-1.4 demo").hexdigest()
        got, data = await attachments.download(uow, PID, n["_id"], ORG, info["file_id"])
        assert got == info and data == b"%PDF-1.4 demo"

    @pytest.mark.parametrize("name, data, error, words", [
        ("x.exe", b"MZ", Invalid, "not allowed"), ("noext", b"x", Invalid, "(none)"),
        ("empty.pdf", b"", Invalid, "empty"),
        ("big.pdf", b"0" * (d.MAX_ATTACHMENT_BYTES + 1), Invalid, "larger than 10 MB"),
    ])
    async def test_files_refused_by_type_or_size(self, name, data, error, words):
        uow = await programme()
        n = await nominate(uow)
        uow.events.clear()
        await refused(uow, attachments.attach(uow, PID, n["_id"], CZJ, name, data), error, "file", words)

    async def test_at_most_ten_files_on_a_nomination_the_unit_may_change(self):
        uow = await programme()
        n = await nominate(uow)
        for i in range(d.MAX_ATTACHMENTS):
            await attachments.attach(uow, PID, n["_id"], CZJ, f"{i}.png", b"png")
        await refused(uow, attachments.attach(uow, PID, n["_id"], CZJ, "x.png", b"png"), Conflict, "file",
                      "at most 10")
        await refused(uow, attachments.attach(uow, PID, n["_id"], FGW, "x.png", b"png"), Forbidden, "nomination_id",
                      "outside")
        await review.approve(uow, PID, n["_id"], ORG)
        uow.events.clear()
        await refused(uow, attachments.attach(uow, PID, n["_id"], CZJ, "x.png", b"png"), Conflict, "status",
                      "that is approved")

    async def test_a_nomination_that_changed_during_the_upload_drops_the_file(self):
        uow = await programme()
        n = await nominate(uow)
        store: InMemoryStore = uow.store
        upload = store.upload_attachment

        async def upload_then_review(filename, data, metadata):
            file_id = await upload(filename, data, metadata)
            store.nominations[n["_id"]]["status"] = "approved"  # reviewed while the file was on its way
            return file_id

        store.upload_attachment = upload_then_review
        with pytest.raises(Conflict) as caught:
            await attachments.attach(uow, PID, n["_id"], CZJ, "a.pdf", b"%PDF")
        assert "changed while the file was uploading" in caught.value.message
        assert store.files == {} and store.nominations[n["_id"]]["attachments"] == []


class TestDownload:
    async def test_refusals(self):
        uow = await programme()
        n = await nominate(uow)
        info = await attachments.attach(uow, PID, n["_id"], CZJ, "a.pdf", b"%PDF")
        await refused(uow, attachments.download(uow, PID, n["_id"], ORG, "f" * 24), NotFound, "file_id",
                      "does not exist on this nomination")
        await refused(uow, attachments.download(uow, PID, n["_id"], FGW, info["file_id"]), Forbidden,
                      "nomination_id", "outside")
        del uow.store.files[info["file_id"]]
        await refused(uow, attachments.download(uow, PID, n["_id"], CZJ, info["file_id"]), NotFound, "file_id",
                      "missing from storage")

    def test_the_roles(self):
        assert attachments.attach.roles == ("unit",) and attachments.download.roles == ("organiser", "unit", "judge")


# ---- reading and exports ---------------------------------------------------------------------------------------
class TestExport:
    async def test_the_filtered_list_as_xlsx_within_the_callers_subtree(self):
        uow = await programme()
        await nominate(uow, self_assessment={"political": 18, "theory": 19.5})
        await nominate(uow, FGW, nominee_id="u-fgw")
        rows = list(openpyxl.load_workbook(io.BytesIO(await exports.export_xlsx(uow.store, PID, ORG))).active
                    .iter_rows(values_only=True))
        assert rows[0][:4] == ("序号", "申报编号", "类别", "被推荐对象") and len(rows) == 3
        assert rows[1][2:8] == ("模范机关", "市财政局", "organ", "市财政局", "已申报", 37.5)
        mine = list(openpyxl.load_workbook(io.BytesIO(await exports.export_xlsx(uow.store, PID, FGW))).active
                    .iter_rows(values_only=True))
        assert [r[3] for r in mine[1:]] == ["市发展和改革委员会"]

    async def test_refusals(self):
        uow = await programme()
        await refused(uow, exports.export_xlsx(uow.store, PID, ORG, status="maybe"), Invalid, "status", "must be one")
        await refused(uow, exports.export_xlsx(uow.store, PID, CZJ, unit_id="u-fgw"), Forbidden, "unit_id", "outside")
        await refused(uow, exports.export_xlsx(uow.store, PID, NO_UNIT), Forbidden, "unit_id", "no unit_id")
        await refused(uow, exports.export_xlsx(uow.store, "nope", ORG), NotFound, "programme_id", "does not exist")


class TestViews:
    async def test_lists_pages_filters_and_the_public_shape(self):
        uow = await programme()
        a = await nominate(uow)
        await nominate(uow, CZJ, category_id="red-flag-branch", nominee_id="u-czj-b2")
        await nominate(uow, FGW, nominee_id="u-fgw")
        page = await views.list_nominations(uow.store, PID, ORG, None, None, None, None, 1, 2)
        assert page["total"] == 3 and len(page["items"]) == 2 and "materials" not in page["items"][0]
        assert page["items"][0]["status_label"] == "已申报" and "active_key" not in page["items"][0]
        mine = await views.list_nominations(uow.store, PID, FGW, None, None, None, None, 1, 50)
        assert [n["unit_id"] for n in mine["items"]] == ["u-fgw"]
        found = await views.list_nominations(uow.store, PID, ORG, "red-flag-branch", None, None, "第二", 1, 50)
        assert found["total"] == 1
        detail = await views.nomination_detail(uow.store, PID, a["_id"], CZJ)
        assert detail["nomination_id"] == a["_id"] and detail["history"]
        with pytest.raises(Forbidden):
            await views.nomination_detail(uow.store, PID, a["_id"], FGW)
        assert len(await views.unit_nominations(uow.store, PID, "u-czj")) == 2
        tree = await views.units_tree(uow.store, PID, flat=False)
        assert [u["unit_id"] for u in tree] == ["u-czj", "u-fgw"] and tree[0]["children"][0]["unit_id"] == "u-czj-d1"
        roll = await views.members_page(uow.store, PID, CZJ, None, 1, 1)
        assert roll["total"] == 2 and len(roll["items"]) == 1
        with pytest.raises(Forbidden):
            await views.members_page(uow.store, PID, CZJ, "u-fgw-b1", 1, 10)

    async def test_a_unit_finds_members_of_its_subtree_by_name(self):
        uow = await programme()
        found = await views.members_page(uow.store, PID, CZJ, None, 1, 50, " 李 ")
        assert [m["name"] for m in found["items"]] == ["李娜"] and found["total"] == 1
        # 张强 is on the roll, but of another unit's subtree: a unit never finds him
        assert (await views.members_page(uow.store, PID, CZJ, None, 1, 50, "张强"))["total"] == 0
        assert (await views.members_page(uow.store, PID, ORG, None, 1, 50, "张强"))["total"] == 1
        assert (await views.members_page(uow.store, PID, CZJ, None, 1, 50, ".*"))["total"] == 0  # text, not regex

    async def test_programme_detail_and_versions(self):
        uow = await programme()
        detail = await views.programme_detail(uow.store, PID)
        assert detail["stages"][0]["opens_at_local"] == "2026-03-02 09:00" and detail["stages"][0]["label"] == "申报"
        history = await views.programme_versions(uow.store, PID)
        assert [v["version"] for v in history["versions"]] == [1] and history["changes"] == []
        assert [p["programme_id"] for p in await views.list_programmes(uow.store)] == [PID]
