"""The small programme of tests/scoring/fixtures.py learned into the in-memory store, and helpers for the stories."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from services.scoring.actions.judges import register_judge
from services.scoring.actions.panels import form_panel
from services.scoring.learning import HOOKS
from services.scoring.models import JudgeIn, PanelIn
from shared.auth import Principal
from shared.contracts.nominations import (
    MembersImported,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitsImported,
)
from shared.learning import Learning
from tests.fakes import FakeUnitOfWork
from tests.scoring.fakes import InMemoryScoringStore
from tests.scoring.fixtures import CAT, P, programme_events

LEARN = Learning(HOOKS)
HANDLERS = {ProgrammeDefined: LEARN.programme_defined, UnitsImported: LEARN.units_imported,
            MembersImported: LEARN.members_imported, NominationSubmitted: LEARN.nomination_submitted,
            StageChanged: LEARN.stage_changed}
JUDGES = [  # judge id, name, unit, member (as in test_standings_flow)
    ("j-fgw", "李建国", "fgw", None), ("j-czj", "张秀英", "czj", None), ("j-jyj", "王海峰", "jyj", None),
    ("j-wjw", "刘芳", "wjw", "m-wjw-1"), ("j-sfj", "陈志强", "sfj", None), ("j-stj", "赵磊", "stj", "m-stj-1"),
]
PANEL = "panel-rf"
ORGANISER = Principal(subject="org", role="organiser")


def judge(judge_id: str | None) -> Principal:
    return Principal(subject=judge_id or "someone", role="judge", judge_id=judge_id)


async def deliver(uow: FakeUnitOfWork, event: Any, *, programme_id: str = P, key: str = "k") -> None:
    await uow.deliver(HANDLERS.get(type(event), LEARN.nomination_reviewed), event, programme_id=programme_id, key=key)


async def learned() -> FakeUnitOfWork[InMemoryScoringStore]:
    """A store that has learned the programme, the tree, the roll, four approved nominations (n1..n4) and the
    judging stage opened."""
    uow = FakeUnitOfWork(InMemoryScoringStore())
    for env in programme_events():
        await deliver(uow, env.event(), key=env.key)
    return settle(uow)


async def with_panel(judges: list[str] | None = None, min_judges: int = 3) -> FakeUnitOfWork[InMemoryScoringStore]:
    """learned(), plus the six judges registered and the category's panel formed of `judges` (default: all)."""
    uow = await learned()
    for jid, name, unit, member in JUDGES:
        body = JudgeIn(judge_id=jid, name=name, unit_id=unit, member_id=member)
        await uow.run(lambda tx, body=body: register_judge(tx, P, body))
    ids = judges or [j[0] for j in JUDGES]
    await uow.run(lambda tx: form_panel(tx, P, PanelIn(panel_id=PANEL, category_id=CAT, name="先锋红旗党支部评审组",
                                                         judge_ids=ids, min_judges=min_judges)))
    return settle(uow)


def settle(uow: FakeUnitOfWork[InMemoryScoringStore]) -> FakeUnitOfWork[InMemoryScoringStore]:
    """Forget the events and dirty marks so far: a story then sees only what its action did."""
    uow.events.clear()
    uow.store.marks.clear()
    return uow


def dirty(uow: FakeUnitOfWork[InMemoryScoringStore]) -> set[tuple[str, str]]:
    return {(m["programme_id"], m["category_id"]) for m in uow.store.marks.values()}


async def refused(uow: FakeUnitOfWork[InMemoryScoringStore], fn: Any, error: type, *, field: str | None = None,
                  words: str = "") -> Exception:
    """Run a use case that must be refused: the error (type, field, words in its message), nothing changed and
    nothing emitted."""
    before, events = copy.deepcopy(vars(uow.store)), list(uow.events)
    with pytest.raises(error) as info:
        await uow.run(fn)
    assert vars(uow.store) == before and uow.events == events
    if field is not None:
        assert info.value.field == field
    assert words in info.value.message
    return info.value
