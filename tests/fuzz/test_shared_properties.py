"""Property tests of the shared library: envelopes survive the wire with any Unicode, rate limits hold."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import Envelope
from shared.contracts.nominations import NominationSubmitted
from shared.contracts.publicity import ObjectionFiled
from shared.ratelimit import RateLimiter

# Any Unicode a user may type or paste: CJK, emoji, RTL marks, zero-width joiners, NUL and other controls.
SPICE = st.sampled_from(["王伟", "欧阳娜娜", "阿依古丽·买买提", "👩‍👩‍👧", "\u202eevil\u202c", "a\u200bb", "\x00",
                         "\ufeff",
                         "𠀋𠮷", "مريم", "\ud7ff", "\\", '"', "\n\t", "{\"$gt\": \"\"}"])
TEXT = st.one_of(st.text(max_size=60), st.lists(SPICE, max_size=6).map("".join))


@settings(max_examples=200, deadline=None)
@given(name=TEXT, unit=TEXT, key=TEXT, programme=TEXT)
def test_envelope_round_trip_keeps_every_character(name, unit, key, programme):
    event = NominationSubmitted(nomination_id=key or "n", category_id="c", nominee_id="x", nominee_name=name,
                                nominee_kind="member", unit_id="u", unit_name=unit)
    env = Envelope.wrap(event, programme_id=programme, key=key or "k")
    wire = env.model_dump_json().encode("utf-8")
    back = Envelope.model_validate_json(wire)
    assert back == env
    assert back.event() == event
    assert back.event().nominee_name == name and back.programme_id == programme


@settings(max_examples=100, deadline=None)
@given(tracking=TEXT)
def test_an_event_of_another_service_round_trips_too(tracking):
    event = ObjectionFiled(objection_id="o", notice_id="n", nomination_id="x", tracking_no=tracking)
    back = Envelope.model_validate_json(Envelope.wrap(event, programme_id="p", key="x").model_dump_json())
    assert back.event() == event and back.topic == event.topic


@settings(max_examples=200, deadline=None)
@given(per_minute=st.integers(1, 6000), burst=st.one_of(st.none(), st.integers(1, 500)),
       gaps=st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=300))
def test_rate_limiter_never_allows_more_than_burst_plus_refill(per_minute, burst, gaps):
    limiter = RateLimiter(per_minute, burst)
    now, allowed = 1000.0, 0
    for gap in gaps:
        now += gap
        allowed += limiter.allow("client", now)
    elapsed = now - 1000.0
    assert allowed <= limiter.burst + elapsed * per_minute / 60.0 + 1e-6


@settings(max_examples=100, deadline=None)
@given(per_minute=st.integers(1, 600), burst=st.integers(1, 50))
def test_rate_limiter_allows_a_full_burst_refuses_the_next_and_recovers(per_minute, burst):
    limiter = RateLimiter(per_minute, burst)
    assert all(limiter.allow("a", 0.0) for _ in range(burst))
    assert not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)  # keys are independent
    assert limiter.allow("a", 60.0 / per_minute + 1e-9)  # one token back after its interval


def test_rate_limiter_memory_is_bounded():
    limiter = RateLimiter(60, 1, max_keys=100)
    for i in range(1000):
        assert limiter.allow(f"k{i}", 0.0)
    assert len(limiter._buckets) <= 100
