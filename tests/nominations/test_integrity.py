"""Issue 15 in the nominations service, on the in-memory store with no server: stages by dates or by the organiser,
the categories' round rules and business baseline, a veto at any stage, and ids validated on reads."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import get_args

import httpx
import pytest

from services.nominations import domain as d
from services.nominations import views
from services.nominations.actions import programmes, review, stages, submission, vetoes
from services.nominations.http import Context, router
from shared.contracts.nominations import NominationRejected, ProgrammeDefined, VetoLifted, VetoSet
from shared.errors import Closed, Conflict, Invalid, NotFound
from shared.service import Service
from shared.settings import Settings
from tests.nominations.fakes import fake_uow
from tests.nominations.helpers import PID, PROGRAMME
from tests.nominations.test_actions import CZJ, FGW, ORG, TEMPLATES, nominate, programme, refused
from tests.support import auth

NOW = datetime.now(UTC)


def iso(delta_days: float) -> str:
    return (NOW + timedelta(days=delta_days)).isoformat()


def by_dates(**over) -> dict:
    """The test programme with its stages by their dates: nomination open now, review and voting later."""
    return copy.deepcopy(PROGRAMME) | {"stage_control": "dates", "stages": [
        {"stage": "nomination", "opens_at": iso(-1), "closes_at": iso(1)},
        {"stage": "review", "opens_at": iso(2), "closes_at": iso(3)},
        {"stage": "voting", "opens_at": iso(4), "closes_at": iso(5)}]} | over


async def dated(raw: dict | None = None):
    from services.nominations.actions import imports
    from tests.nominations.helpers import MEMBERS_CSV, UNITS_CSV

    uow = fake_uow()
    await programmes.define_programme(uow, raw or by_dates(), TEMPLATES)
    await imports.import_units(uow, PID, "u.csv", UNITS_CSV.encode())
    await imports.import_members(uow, PID, "m.csv", MEMBERS_CSV.encode())
    uow.events.clear()
    return uow


# ---- item 2: stages by the organiser or by their dates -----------------------------------------------------------
class TestStageControl:
    async def test_the_default_is_the_organiser_and_dates_is_emitted(self):
        uow = fake_uow()
        doc = await programmes.define_programme(uow, copy.deepcopy(PROGRAMME), TEMPLATES)
        assert doc["stage_control"] == "organiser" and uow.events[0].event.stage_control == "organiser"
        uow = fake_uow()
        await programmes.define_programme(uow, by_dates(), TEMPLATES)
        [e] = uow.events
        assert isinstance(e.event, ProgrammeDefined) and e.event.stage_control == "dates"

    async def test_an_unknown_control_is_refused_naming_the_field(self):
        uow = fake_uow()
        await refused(uow, programmes.define_programme(uow, by_dates(stage_control="robot"), TEMPLATES),
                      d.ProgrammeInvalid, "stage_control", "organiser")

    async def test_a_change_of_control_is_a_new_version(self):
        uow = await programme()
        doc = await programmes.change_programme(uow, PID, by_dates(), "org", TEMPLATES)
        assert doc["version"] == 2 and doc["stage_control"] == "dates"
        assert uow.events[-1].event.stage_control == "dates"

    async def test_by_dates_the_organiser_cannot_open_or_close_a_stage(self):
        uow = await dated()
        for stage, action in (("nomination", "close"), ("review", "open")):
            err = await refused(uow, stages.change_stage(uow, PID, stage, action), Conflict, "stage",
                                "open and close by their dates")
            assert err.status == 409 and err.code == "stage_control"

    async def test_by_dates_a_unit_nominates_inside_the_window_only(self):
        uow = await dated()
        n = await nominate(uow)
        assert n["status"] == "submitted"
        uow = await dated(by_dates(stages=[{"stage": "nomination", "opens_at": iso(1), "closes_at": iso(2)}]))
        err = await refused(uow, nominate(uow), Closed, "stage", "the nomination stage (申报) is not open")
        assert err.code == "stage_closed" and err.status == 409

    async def test_withdraw_and_resubmit_belong_to_the_nomination_stage(self):
        uow = await programme()
        a = await nominate(uow)
        b = await nominate(uow, FGW, nominee_id="u-fgw")
        await review.return_for_revision(uow, PID, b["_id"], ORG, "请补充")
        await stages.change_stage(uow, PID, "nomination", "close")
        uow.events.clear()
        await refused(uow, submission.withdraw(uow, PID, a["_id"], CZJ), Closed, "stage",
                      "the nomination stage (申报) is not open: a nomination cannot be withdrawn")
        await refused(uow, submission.resubmit(uow, PID, b["_id"], FGW, "x"), Closed, "stage",
                      "the nomination stage (申报) is not open")

    async def test_the_overview_in_both_modes(self):
        uow = await programme()
        states = {s["stage"]: s["state"] for s in await views.stages(uow.store, PID)}
        assert states == {"nomination": "open", "review": "closed", "voting": "closed", "judging": "closed",
                          "publicity": "closed"}
        first = (await views.stages(uow.store, PID))[0]
        assert first["label"] == "申报" and first["opens_at"].startswith("2026-03-02T01:00")
        uow = await dated(by_dates(stages=[{"stage": "nomination", "opens_at": iso(-3), "closes_at": iso(-2)},
                                           {"stage": "review", "opens_at": iso(-1), "closes_at": iso(1)}]))
        states = {s["stage"]: s["state"] for s in await views.stages(uow.store, PID)}
        assert states["nomination"] == "closed" and states["review"] == "open" and states["voting"] == "closed"
        with pytest.raises(NotFound):
            await views.stages(uow.store, "nope")

    async def test_by_dates_voting_starts_with_its_window(self):
        raw = by_dates(stages=[{"stage": "nomination", "opens_at": iso(-3), "closes_at": iso(-2)},
                               {"stage": "voting", "opens_at": iso(-1), "closes_at": iso(1)}])
        uow = await dated(raw)
        changed = copy.deepcopy(raw)
        changed["categories"][0]["weights"] = {"basic": 0.5, "peer_vote": 0.5}
        with pytest.raises(Conflict) as caught:
            await programmes.change_programme(uow, PID, changed, "org", TEMPLATES)
        assert "after voting has started" in caught.value.message


# ---- the categories' round rule and business baseline -----------------------------------------------------------
def with_category(**over) -> dict:
    raw = copy.deepcopy(PROGRAMME)
    raw["categories"][0] |= over
    return raw


class TestCategoryRules:
    async def test_the_round_rule_defaults_to_latest_and_is_emitted(self):
        uow = fake_uow()
        await programmes.define_programme(uow, with_category(peer_vote_round="appraisal"), TEMPLATES)
        cats = uow.events[0].event.categories
        assert [c.peer_vote_round for c in cats] == ["appraisal", "latest", "latest"]
        assert cats[0].business_baseline_programme_id is None

    async def test_an_unknown_round_rule_is_refused(self):
        uow = fake_uow()
        await refused(uow, programmes.define_programme(uow, with_category(peer_vote_round="first"), TEMPLATES),
                      d.ProgrammeInvalid, "categories[0].peer_vote_round", "latest")

    async def test_the_business_baseline_is_an_earlier_programme_of_this_installation(self):
        uow = fake_uow()
        await programmes.define_programme(uow, copy.deepcopy(PROGRAMME) | {"programme_id": "p-2025", "year": 2025},
                                          TEMPLATES)
        await programmes.define_programme(uow, copy.deepcopy(PROGRAMME) | {"programme_id": "p-2027", "year": 2027},
                                          TEMPLATES)
        uow.events.clear()
        field = "categories[0].business_baseline_programme_id"
        for base, words in (("p-none", "does not exist"), (PID, "another programme"),
                            ("p-2027", "of a year before 2026"), ("bad id!", "earlier programme")):
            await refused(uow, programmes.define_programme(
                uow, with_category(business_baseline_programme_id=base), TEMPLATES), d.ProgrammeInvalid, field, words)
        await programmes.define_programme(uow, with_category(business_baseline_programme_id="p-2025"), TEMPLATES)
        assert uow.events[0].event.categories[0].business_baseline_programme_id == "p-2025"
        await refused(uow, programmes.change_programme(
            uow, PID, with_category(business_baseline_programme_id="p-2027"), "org", TEMPLATES), d.ProgrammeInvalid,
            field, "of a year before 2026")

    async def test_the_round_rule_is_fixed_once_voting_started(self):
        uow = await programme()
        await stages.change_stage(uow, PID, "voting", "open")
        uow.events.clear()
        with pytest.raises(Conflict) as caught:
            await programmes.change_programme(uow, PID, with_category(peer_vote_round="approval"), "org", TEMPLATES)
        assert caught.value.field == "categories.model-organ" and "peer_vote_round" in caught.value.message
        assert uow.events == []


# ---- item 6: a veto at any stage ---------------------------------------------------------------------------------
class TestVetoAtAnyStage:
    async def test_a_reason_is_required(self):
        uow = await programme()
        for reason in (None, "", "  "):
            await refused(uow, vetoes.set_veto(uow, PID, "u-czj", reason, "org"), Invalid, "reason", "reason")
        await refused(uow, vetoes.set_veto(uow, PID, "u-czj", "x" * 501, "org"), Invalid, "reason", "longer")
        await vetoes.set_veto(uow, PID, "u-czj", "受到党纪处分", "org")
        uow.events.clear()
        await refused(uow, vetoes.lift_veto(uow, PID, "u-czj", "", "org"), Invalid, "reason", "reason")

    async def test_a_submitted_nomination_is_rejected_in_the_nomination_stage(self):
        uow = await programme()
        n = await nominate(uow)
        uow.events.clear()
        out = await vetoes.set_veto(uow, PID, "u-czj", "受到党纪处分", "org")
        assert out["active"] is True and out["stage"] == "nomination" and out["nomination_ids"] == [n["_id"]]
        stored = uow.store.nominations[n["_id"]]
        assert (stored["status"], stored["reject_reason"]) == ("rejected", "一票否决: 受到党纪处分")
        assert stored["history"][-1]["action"] == "veto"
        assert [e.event for e in uow.events] == [
            NominationRejected(nomination_id=n["_id"], category_id="model-organ", reason="一票否决: 受到党纪处分"),
            VetoSet(nominee_id="u-czj", reason="受到党纪处分", nomination_ids=[n["_id"]], stage="nomination")]
        assert uow.events[-1].key == "u-czj" and uow.events[-1].programme_id == PID

    async def test_an_approved_nomination_is_rejected_later_and_others_are_left(self):
        uow = await programme()
        approved = await nominate(uow, category_id="good-member", nominee_id="m1")
        await review.approve(uow, PID, approved["_id"], ORG)
        other = await nominate(uow, category_id="good-member", nominee_id="m2")
        await stages.change_stage(uow, PID, "nomination", "close")
        await stages.change_stage(uow, PID, "voting", "open")
        uow.events.clear()
        await vetoes.set_veto(uow, PID, "m1", "违纪", "org")
        assert uow.store.nominations[approved["_id"]]["status"] == "rejected"
        assert uow.store.nominations[other["_id"]]["status"] == "submitted"
        assert [type(e.event) for e in uow.events] == [NominationRejected, VetoSet]
        assert uow.events[-1].event.stage == "voting"

    async def test_returned_is_rejected_while_withdrawn_and_rejected_are_only_listed(self):
        uow = await programme()
        returned = await nominate(uow, category_id="red-flag-branch", nominee_id="u-czj-b1")
        await review.return_for_revision(uow, PID, returned["_id"], ORG, "请补充")
        gone = await nominate(uow, category_id="red-flag-branch", nominee_id="u-czj-b2")
        await submission.withdraw(uow, PID, gone["_id"], CZJ)
        await stages.change_stage(uow, PID, "nomination", "close")
        uow.events.clear()
        out = await vetoes.set_veto(uow, PID, "u-czj-b1", "违纪", "org")
        assert out["stage"] == ""  # no stage is open
        assert uow.store.nominations[returned["_id"]]["status"] == "rejected"
        await vetoes.set_veto(uow, PID, "u-czj-b2", "违纪", "org")
        assert uow.store.nominations[gone["_id"]]["status"] == "withdrawn"
        assert [type(e.event) for e in uow.events] == [NominationRejected, VetoSet, VetoSet]
        assert uow.events[-1].event.nomination_ids == [gone["_id"]]

    async def test_lifting_is_recorded_and_emitted_and_never_deletes(self):
        uow = await programme()
        n = await nominate(uow)
        await vetoes.set_veto(uow, PID, "u-czj", "受到党纪处分", "org")
        uow.events.clear()
        out = await vetoes.lift_veto(uow, PID, "u-czj", "处分已撤销", "org2")
        assert out["active"] is False and out["lifted"]["reason"] == "处分已撤销" and out["lifted"]["by"] == "org2"
        assert [(h["action"], h["reason"]) for h in out["history"]] == [("set", "受到党纪处分"), ("lift", "处分已撤销")]
        [e] = uow.events
        assert e.event == VetoLifted(nominee_id="u-czj", reason="处分已撤销", nomination_ids=[n["_id"]])
        assert uow.store.nominations[n["_id"]]["status"] == "rejected"  # a lifted veto does not undo a rejection
        assert [v["active"] for v in await views.list_vetoes(uow.store, PID)] == [False]
        await refused(uow, vetoes.lift_veto(uow, PID, "u-czj", "again", "org"), NotFound, "subject_id", "no veto")
        again = await vetoes.set_veto(uow, PID, "u-czj", "再次违纪", "org")
        assert [h["action"] for h in again["history"]] == ["set", "lift", "set"] and again["active"] is True

    async def test_a_veto_in_one_programme_leaves_the_same_nominee_elsewhere(self):
        uow = await programme()
        n = await nominate(uow)
        await programmes.define_programme(uow, copy.deepcopy(PROGRAMME) | {"programme_id": "p-other"}, TEMPLATES)
        uow.events.clear()
        out = await vetoes.set_veto(uow, "p-other", "u-czj", "违纪", "org")
        assert out["nomination_ids"] == [] and uow.store.nominations[n["_id"]]["status"] == "submitted"
        await refused(uow, vetoes.set_veto(uow, "nope", "u-czj", "x", "org"), NotFound, "programme_id",
                      "does not exist")

    def test_the_roles(self):
        assert vetoes.set_veto.roles == vetoes.lift_veto.roles == ("organiser",)


# ---- item 7: ids, enums and search text on reads, through the routes on the fakes --------------------------------
def test_the_status_enum_is_the_real_statuses():
    assert get_args(d.Status) == tuple(d.STATUS_LABELS)


@pytest.fixture
async def api():
    """The nominations routes on the in-memory store: no server, no lifespan."""
    uow = await programme()
    await nominate(uow)
    settings = Settings()
    svc = Service("nominations", settings, title="nominations on fakes")
    svc.api.state.nominations = Context(svc, uow, TEMPLATES)
    svc.api.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.api), base_url="http://fake") as http:
        yield http, auth(settings, "organiser")


BAD = ['{"$gt": ""}', "[$ne]", ".*", "$where", "a b", "x" * 65]


@pytest.mark.parametrize("param", ["category_id", "unit_id", "status"])
@pytest.mark.parametrize("path", ["nominations", "nominations/export.xlsx"])
async def test_a_malformed_filter_is_422_naming_it(api, param, path):
    http, org = api
    for raw in BAD:
        r = await http.get(f"/programmes/{PID}/{path}", params={param: raw}, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == param, (raw, r.text)


async def test_a_good_filter_still_filters(api):
    http, org = api
    base = f"/programmes/{PID}/nominations"
    assert (await http.get(base, params={"category_id": "model-organ"}, headers=org)).json()["total"] == 1
    assert (await http.get(base, params={"category_id": "good-member"}, headers=org)).json()["total"] == 0
    assert (await http.get(base, params={"unit_id": "u-czj"}, headers=org)).json()["total"] == 1
    assert (await http.get(base, params={"status": "submitted"}, headers=org)).json()["total"] == 1
    assert (await http.get(base, params={"status": "approved"}, headers=org)).json()["total"] == 0


async def test_q_is_text_and_bounded(api):
    http, org = api
    base = f"/programmes/{PID}/nominations"
    for raw in ['{"$gt": ""}', ".*", "$where", "财政("]:
        r = await http.get(base, params={"q": raw}, headers=org)
        assert r.status_code == 200 and r.json()["total"] == 0, (raw, r.text)  # searched as text
    assert (await http.get(base, params={"q": "财政"}, headers=org)).json()["total"] == 1
    r = await http.get(base, params={"q": "x" * 101}, headers=org)
    assert r.status_code == 422 and r.json()["error"]["field"] == "q"


@pytest.mark.parametrize("path, field", [
    ("/programmes/{bad}", "programme_id"), ("/programmes/{bad}/stages", "programme_id"),
    ("/programmes/p-test/units/{bad}/nominations", "unit_id"),
    ("/programmes/p-test/nominations/{bad}", "nomination_id"),
    ("/programmes/p-test/members?unit_id={bad}", "unit_id"),
    ("/programmes/p-test/nominations/n1/attachments/{bad}", "file_id"),
])
async def test_a_malformed_id_in_a_path_or_query_is_422_naming_it(api, path, field):
    http, org = api
    for raw in ("[$ne]", ".x", "a%20b"):
        r = await http.get(path.format(bad=raw), headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, (raw, r.text)


async def test_the_stages_are_public(api):
    http, _ = api
    r = await http.get(f"/programmes/{PID}/stages")
    assert r.status_code == 200 and [s["state"] for s in r.json()][:2] == ["open", "closed"]
    assert (await http.get("/programmes/nope/stages")).status_code == 404


async def test_a_veto_without_a_body_names_the_reason(api):
    http, org = api
    url = f"/programmes/{PID}/vetoes/u-czj"
    for body in (None, {}, {"reason": ""}):
        r = await http.request("PUT", url, json=body, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
    assert (await http.put(url, json={"reason": "违纪"}, headers=org)).status_code == 200
    for body in (None, {"reason": ""}):
        r = await http.request("DELETE", url, json=body, headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
    assert (await http.request("DELETE", url, json={"reason": "撤销"}, headers=org)).status_code == 204
    [veto] = (await http.get(f"/programmes/{PID}/vetoes", headers=org)).json()
    assert veto["active"] is False and [h["action"] for h in veto["history"]] == ["set", "lift"]
