"""shared.learning on the in-memory fakes: what every service learns of the nominations events."""
from __future__ import annotations

import asyncio

from shared.contracts.nominations import (
    CategoryInfo,
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitInfo,
    UnitsImported,
)
from shared.learning import Hooks, Learning
from tests.fakes import FakeUnitOfWork, InMemoryLearnedStore


def programme(version: int, name: str = "2026") -> ProgrammeDefined:
    cat = CategoryInfo(category_id="c1", name="模范机关", nominee_kind="organ", quota=2, criteria=[],
                       weights={"peer_vote": 1.0})
    return ProgrammeDefined(programme_id="p1", version=version, name=name, year=2026, categories=[cat], stages=[])


def submitted(resubmission: bool = False) -> NominationSubmitted:
    return NominationSubmitted(nomination_id="n1", category_id="c1", nominee_id="u1", nominee_name="发改委",
                               nominee_kind="organ", unit_id="u1", unit_name="发改委", resubmission=resubmission)


def run(coro):
    return asyncio.run(coro)


class TestProgrammes:
    def test_a_newer_version_replaces_and_an_older_one_is_ignored(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.programme_defined, programme(2, "second")))
        run(uow.deliver(learning.programme_defined, programme(1, "first")))
        assert uow.store.programmes["p1"]["name"] == "second"
        assert uow.store.programmes["p1"]["version"] == 2

    def test_the_hook_runs_only_for_a_version_stored(self):
        seen = []

        async def hook(tx, env, e):
            seen.append(e.version)

        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning(Hooks(programme=hook))
        run(uow.deliver(learning.programme_defined, programme(2)))
        run(uow.deliver(learning.programme_defined, programme(1)))
        assert seen == [2]


class TestTreeAndRoll:
    def test_units_and_members_are_kept_by_programme_and_id(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.units_imported, UnitsImported(units=[UnitInfo(unit_id="u1", name="发改委")])))
        run(uow.deliver(learning.members_imported,
                        MembersImported(members=[MemberInfo(member_id="m1", name="张三", unit_id="u1")])))
        assert uow.store.units["p1/u1"] == {"_id": "p1/u1", "programme_id": "p1", "unit_id": "u1", "name": "发改委",
                                            "parent_id": None, "kind": "organ"}
        assert uow.store.members["p1/m1"]["unit_id"] == "u1"

    def test_the_same_ids_in_two_programmes_never_meet(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.units_imported, UnitsImported(units=[UnitInfo(unit_id="u1", name="2025年的发改委")]),
                        programme_id="p2025"))
        run(uow.deliver(learning.units_imported, UnitsImported(units=[UnitInfo(unit_id="u1", name="2026年的发改委")]),
                        programme_id="p2026"))
        assert uow.store.units["p2025/u1"]["name"] == "2025年的发改委"
        assert uow.store.units["p2026/u1"]["name"] == "2026年的发改委"


class TestStages:
    def test_a_stage_change_is_kept_on_the_programme_and_survives_a_new_version(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.programme_defined, programme(1)))
        run(uow.deliver(learning.stage_changed, StageChanged(programme_id="p1", stage="voting", state="open")))
        run(uow.deliver(learning.programme_defined, programme(2)))
        assert uow.store.programmes["p1"]["stage_state"] == {"voting": "open"}

    def test_a_stage_change_before_its_programme_is_kept(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.stage_changed, StageChanged(programme_id="p1", stage="voting", state="open")))
        run(uow.deliver(learning.programme_defined, programme(1)))
        assert uow.store.programmes["p1"]["stage_state"] == {"voting": "open"}
        assert uow.store.programmes["p1"]["version"] == 1


class TestNominations:
    def test_a_late_submission_does_not_undo_an_approval(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.nomination_submitted, submitted()))
        run(uow.deliver(learning.nomination_reviewed, NominationApproved(nomination_id="n1", category_id="c1")))
        run(uow.deliver(learning.nomination_submitted, submitted()))
        assert uow.store.nominations["n1"]["status"] == "approved"

    def test_a_resubmission_makes_it_submitted_again(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.nomination_reviewed, NominationApproved(nomination_id="n1", category_id="c1")))
        run(uow.deliver(learning.nomination_submitted, submitted(resubmission=True)))
        doc = uow.store.nominations["n1"]
        assert doc["status"] == "submitted" and doc["programme_id"] == "p1" and "resubmission" not in doc

    def test_a_review_before_its_submission_keeps_the_programme(self):
        uow, learning = FakeUnitOfWork(InMemoryLearnedStore()), Learning()
        run(uow.deliver(learning.nomination_reviewed, NominationApproved(nomination_id="n1", category_id="c1")))
        assert uow.store.nominations["n1"] == {"_id": "n1", "programme_id": "p1", "status": "approved",
                                               "category_id": "c1"}


def test_unknown_kinds_are_refused():
    import pytest

    with pytest.raises(ValueError, match="unknown kinds"):
        Learning().register(None, None, kinds=["judges"])  # type: ignore[arg-type]
