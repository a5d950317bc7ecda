"""Schema versions: an older payload is brought up to date by its upcasters when parsed; a newer one is refused.

Every contract is at version 1 today, so these tests move a real event type to a later version for the test only
(monkeypatch) and register test-only upcasters: as if StageChanged v1 had carried `open: bool` where v2 has
`state`, and v3 had renamed nothing but added a default."""
from __future__ import annotations

import pytest

from shared.contracts import Envelope, UnsupportedSchemaVersion, base, upcaster
from shared.contracts.nominations import StageChanged


@pytest.fixture
def upcasters(monkeypatch):
    """A registry of its own for the test, so test-only upcasters never leak into the others."""
    monkeypatch.setattr(base, "UPCASTERS", {})
    return base.UPCASTERS


def at_version(monkeypatch, version: int) -> None:
    monkeypatch.setattr(StageChanged, "schema_version", version)


def v1_envelope(payload: dict, version: int = 1) -> Envelope:
    return Envelope(type="StageChanged", schema_version=version, programme_id="p", key="p", payload=payload)


def test_a_version_1_payload_is_upcast_to_the_current_version(monkeypatch, upcasters):
    at_version(monkeypatch, 2)

    @upcaster(StageChanged, from_version=1)
    def open_flag_to_state(payload: dict) -> dict:
        payload["state"] = "open" if payload.pop("open") else "closed"
        return payload

    env = v1_envelope({"programme_id": "p", "stage": "nominate", "open": False})
    assert env.event() == StageChanged(programme_id="p", stage="nominate", state="closed")
    assert env.payload == {"programme_id": "p", "stage": "nominate", "open": False}  # the envelope is untouched


def test_upcasters_run_in_order_up_to_the_current_version(monkeypatch, upcasters):
    at_version(monkeypatch, 3)
    steps = []

    @upcaster(StageChanged, from_version=2)
    def second(payload: dict) -> dict:
        steps.append(2)
        payload["stage"] = payload.pop("phase")
        return payload

    @upcaster(StageChanged, from_version=1)
    def first(payload: dict) -> dict:
        steps.append(1)
        payload["state"] = "open" if payload.pop("open") else "closed"
        return payload

    env = v1_envelope({"programme_id": "p", "phase": "vote", "open": True})
    assert env.event() == StageChanged(programme_id="p", stage="vote", state="open")
    assert steps == [1, 2]
    steps.clear()
    assert v1_envelope({"programme_id": "p", "phase": "vote", "state": "open"}, version=2).event().stage == "vote"
    assert steps == [2]


def test_a_current_version_payload_is_read_as_it_is(upcasters):
    event = StageChanged(programme_id="p", stage="vote", state="open")
    env = Envelope.wrap(event, programme_id="p", key="p")
    assert env.schema_version == StageChanged.schema_version and env.event() == event


def test_a_newer_version_than_the_code_knows_is_refused_clearly(upcasters):
    env = v1_envelope({"programme_id": "p", "stage": "vote", "state": "open"}, version=StageChanged.schema_version + 1)
    with pytest.raises(UnsupportedSchemaVersion, match="StageChanged version 2 is newer than this service reads"):
        env.event()


def test_an_older_version_without_an_upcaster_is_refused_clearly(monkeypatch, upcasters):
    at_version(monkeypatch, 2)
    with pytest.raises(UnsupportedSchemaVersion, match="no upcaster from version 1"):
        v1_envelope({"programme_id": "p", "stage": "vote", "open": True}).event()


def test_an_upcaster_is_registered_once_and_only_below_the_current_version(monkeypatch, upcasters):
    at_version(monkeypatch, 2)
    upcaster(StageChanged, from_version=1)(lambda p: p)
    with pytest.raises(TypeError, match="two upcasters"):
        upcaster(StageChanged, from_version=1)(lambda p: p)
    with pytest.raises(TypeError, match="no upcaster from version 2"):
        upcaster(StageChanged, from_version=2)(lambda p: p)
