"""The in-memory store and the MongoDB store both implement every method of the ScoringStore Protocol alike."""
from __future__ import annotations

import inspect

import pytest

from services.scoring.store import MongoScoringStore, ScoringStore
from shared.learning import LearnedStore
from tests.scoring.fakes import InMemoryScoringStore

METHODS = sorted({name for proto in (ScoringStore, LearnedStore) for name, fn in vars(proto).items()
                  if inspect.iscoroutinefunction(fn)})


@pytest.mark.parametrize("impl", [InMemoryScoringStore, MongoScoringStore])
@pytest.mark.parametrize("name", METHODS)
def test_the_protocol_is_implemented(impl, name):
    want = inspect.signature(getattr(ScoringStore, name))
    got = getattr(impl, name)
    assert inspect.iscoroutinefunction(got)
    assert list(inspect.signature(got).parameters) == list(want.parameters)


def test_the_protocol_is_not_empty():
    assert len(METHODS) > 50
