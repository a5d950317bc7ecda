"""What publicity learns, on the fakes: the programme and nominations (shared.learning) and the ranked boards, which
arrive in parts and replace the shortlist only once complete."""
from __future__ import annotations

from services.publicity import learning, views
from shared.contracts.scoring import Standing, StandingsUpdated
from tests.fakes import FakeUnitOfWork
from tests.publicity.fakes import InMemoryPublicityStore, make_context
from tests.publicity.helpers import CAT, PID

KEY = f"{PID}:{CAT}"


def board(sequence: int, ranked: list[str], per_part: int) -> list[StandingsUpdated]:
    rows = [Standing(nomination_id=n, rank=i + 1, composite=100.0 - i, components=[]) for i, n in enumerate(ranked)]
    parts = [rows[i:i + per_part] for i in range(0, len(rows), per_part)]
    return [StandingsUpdated(category_id=CAT, programme_version=1, sequence=sequence, standings=chunk, part=k + 1,
                             parts=len(parts)) for k, chunk in enumerate(parts)]


async def deliver(uow: FakeUnitOfWork, events: list[StandingsUpdated]) -> None:
    for e in events:
        await uow.deliver(learning.standings_updated, e, programme_id=PID, key=KEY)


def ranking(store: InMemoryPublicityStore) -> tuple[int | None, list[str]]:
    doc = store.boards.get(KEY, {})
    return doc.get("sequence"), [r["nomination_id"] for r in doc.get("standings", [])]


class TestStandingsUpdated:
    async def test_a_board_in_parts_replaces_the_shortlist_once_complete(self):
        store = InMemoryPublicityStore()
        uow = FakeUnitOfWork(store)
        await deliver(uow, board(1, ["n1", "n2", "n3", "n4", "n5"], per_part=2))
        assert ranking(store) == (1, ["n1", "n2", "n3", "n4", "n5"]) and "pending" not in store.boards[KEY]
        second = board(2, ["n4", "n1", "n2", "n3"], per_part=2)
        await deliver(uow, [second[0], second[0]])
        assert ranking(store) == (1, ["n1", "n2", "n3", "n4", "n5"])  # half a ranking never becomes the list
        assert list(store.boards[KEY]["pending"]["parts"]) == ["1"]
        await deliver(uow, second[1:])
        assert ranking(store) == (2, ["n4", "n1", "n2", "n3"]) and uow.events == []

    async def test_an_older_or_repeated_board_changes_nothing(self):
        store = InMemoryPublicityStore()
        uow = FakeUnitOfWork(store)
        await deliver(uow, board(3, ["n1", "n2"], per_part=5))
        await deliver(uow, board(1, ["n2", "n1"], per_part=5) + board(3, ["n2", "n1"], per_part=5))
        assert ranking(store) == (3, ["n1", "n2"])


class TestProgrammesAndNominations:
    async def test_the_organiser_sees_the_learned_shortlist(self):
        from tests.publicity.fakes import Clock, learned

        ctx, store, uow = make_context(Clock(None))
        await learned(ctx, uow)
        assert store.programmes[PID]["categories"][0]["quota"] == 3
        assert store.nominations["nom-a"]["status"] == "submitted"
        shown = await views.shortlists(store, PID)
        assert shown["known"] and shown["categories"][0]["sequence"] == 3  # the late older board lost
        assert [(s["nomination_id"], s["nominee_name"]) for s in shown["categories"][0]["standings"]][:2] == [
            ("nom-a", "市发展和改革委员会机关"), ("nom-b", "市财政局机关")]
        assert (await views.shortlists(store, "other"))["known"] is False

    def test_publicity_learns_programmes_stages_and_nominations_on_the_shared_helper(self):
        # issue 15: the stages too, since a notice is opened only in the publicity stage
        assert learning.KINDS == ("programmes", "stages", "nominations")


async def _learn_in_order(standings_first: bool) -> InMemoryPublicityStore:
    """The programme, its nominations and the boards of tests.publicity.helpers, the boards read before or after the
    nominations (two topics: a replay reads them in another order than the live run did)."""
    from shared.contracts.nominations import NominationSubmitted, ProgrammeDefined, StageChanged
    from shared.learning import Learning
    from tests.publicity.helpers import programme_events

    store = InMemoryPublicityStore()
    uow = FakeUnitOfWork(store)
    learn = Learning()
    handlers = {ProgrammeDefined: learn.programme_defined, NominationSubmitted: learn.nomination_submitted,
                StageChanged: learn.stage_changed, StandingsUpdated: learning.standings_updated}
    envs = programme_events()
    envs.sort(key=lambda env: (not isinstance(env.event(), StandingsUpdated)) if standings_first else 0)
    for env in envs:
        await uow.deliver(handlers[type(env.event())], env.event(), programme_id=env.programme_id, key=env.key)
    return store


class TestOrderOfTopics:
    async def test_standings_before_or_after_the_nominations_leave_the_same_board_and_shortlist(self):
        before, after = await _learn_in_order(True), await _learn_in_order(False)
        assert before.boards[KEY]["standings"] == after.boards[KEY]["standings"]
        shown = [(await views.shortlists(s, PID))["categories"][0]["standings"] for s in (before, after)]
        assert shown[0] == shown[1]
        assert [(x["nomination_id"], x["unit_name"]) for x in shown[0]][:2] == [
            ("nom-a", "市发展和改革委员会"), ("nom-b", "市财政局")]
