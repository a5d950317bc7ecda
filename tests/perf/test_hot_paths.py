"""Guards on the hot paths of counting ballots: pure functions benchmarked with pytest-benchmark against generous
absolute ceilings (tens of times the time measured on a quiet 2-core machine, so a loaded CI does not flake), and
one quick end-to-end throughput smoke on the real local servers (exact tally, a low floor of ballots/s).

The ceilings catch an accidental order-of-magnitude regression (a quadratic loop, a per-ballot database call,
a pydantic model rebuilt per ballot); docs/performance.md has the real figures.
"""
from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4


from services.voting import domain
from services.voting.views import tally_event
from shared.contracts import Envelope
from shared.contracts.voting import CastBallot, TallyUpdated

CANDIDATES = [f"n{i:03d}" for i in range(100)]
RULES = domain.BallotRules(ballot_type="approval",
                           candidates=tuple(domain.Candidate(c, "organ") for c in CANDIDATES),
                           max_per_category={"organ": 10})
ROUND_DOC = {"_id": "r1", "programme_id": "p1", "category_ids": ["organ"], "ballot_type": "approval",
             "eligible": 100_000, "counts_hidden": False,
             "candidates": [{"nomination_id": c, "category_id": "organ", "key": f"c{i}"} for i,
                            c in enumerate(CANDIDATES)],
             "units": [{"unit_id": f"u{i:03d}", "name": f"单位{i}", "eligible": 250,
                        "key": f"u{i}"} for i in range(400)]}
TALLY_DOC = {"sequence": 42, "ballots_cast": 60_000, "invalid": 3,
             "approvals": {f"c{i}": 1000 + i for i in range(100)}, "voted": {f"u{i}": 150 for i in range(400)}}


def _commands(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [CastBallot(command_id=uuid4().hex, round_id="r1", mark=f"{i:032x}", receipt=domain.new_receipt(),
                       selections=sorted(rng.sample(CANDIDATES, rng.randint(1, 10))),
                       cast_at=datetime.now(UTC)).model_dump_json().encode() for i in range(n)]


def _mean(benchmark) -> float | None:
    """Mean seconds per call, or None when benchmarks are disabled (--benchmark-disable)."""
    stats = getattr(benchmark, "stats", None)
    inner = getattr(stats, "stats", None)
    return getattr(inner, "mean", None)


def _guard(benchmark, ceiling_s: float) -> None:
    mean = _mean(benchmark)
    if mean is not None:
        assert mean < ceiling_s, f"{mean * 1e6:.0f} µs per call, ceiling {ceiling_s * 1e6:.0f} µs"


def test_validate_ballot(benchmark):
    selections = CANDIDATES[:7]
    benchmark.pedantic(domain.validate_ballot, args=(RULES, selections, {}), rounds=200, iterations=20)
    _guard(benchmark, 500e-6)  # ~4-9 µs measured (loaded machine)


def test_ballot_increments(benchmark):
    benchmark.pedantic(domain.ballot_increments, args=("approval", CANDIDATES[:7], {}), rounds=200, iterations=20)
    _guard(benchmark, 200e-6)  # ~1-2 µs measured


def test_decode_cast_command(benchmark):
    raw = _commands(1)[0]
    benchmark.pedantic(CastBallot.model_validate_json, args=(raw,), rounds=200, iterations=20)
    _guard(benchmark, 300e-6)  # ~1.5-3.5 µs measured


def test_count_a_batch_in_memory(benchmark):
    """What the counter does per batch apart from the database: decode, check, validate, add up 1,000 ballots."""
    raws = _commands(1000)
    key_of = {c["nomination_id"]: c["key"] for c in ROUND_DOC["candidates"]}

    def count():
        inc: dict[str, int] = {}
        seen: set[str] = set()
        for raw in raws:
            c = CastBallot.model_validate_json(raw)
            if c.mark in seen:
                continue
            seen.add(c.mark)
            domain.validate_ballot(RULES, c.selections, c.grades)
            for k, n in domain.ballot_increments("approval", (key_of[x] for x in c.selections), {}).items():
                inc[k] = inc.get(k, 0) + n
        return inc

    inc = benchmark.pedantic(count, rounds=5, iterations=1)
    assert sum(inc.values()) > 1000
    _guard(benchmark, 0.5)  # ~20 ms measured


def test_tally_event_and_envelope_round_trip(benchmark):
    """TallyUpdated for 100 candidates and 400 units: built, wrapped, encoded, decoded (one per counted batch)."""

    def round_trip():
        env = Envelope.wrap(tally_event(ROUND_DOC, TALLY_DOC), programme_id="p1", key="r1")
        back = Envelope.model_validate_json(env.model_dump_json())
        return back.event()

    event = benchmark.pedantic(round_trip, rounds=20, iterations=5)
    assert isinstance(event, TallyUpdated) and event.ballots_cast == 60_000
    _guard(benchmark, 0.05)  # ~2-3 ms measured


# ---- end to end, quick -----------------------------------------------------------------------------------------

async def test_counting_throughput_smoke(settings):
    """2,000 ballots (+2% redelivered, +2% second ballots) through Kafka into the in-process voting service: the
    tally is exact and at least 500 ballots/s are counted. Bounded: the whole test takes well under 40 s."""
    from aiokafka import AIOKafkaProducer

    from benchmarks.voting_throughput import PID, world
    from services.voting.app import create_service
    from services.voting.config import VotingConfig
    from shared.contracts import topics
    from tests.support import auth, eventually, publish_envelopes, running

    members, n_cands, quota = 2000, 12, 5
    cfg = VotingConfig()
    async with running(create_service, settings) as (svc, client):
        await publish_envelopes(settings, world(members, n_cands, quota, 20))
        await eventually(lambda: _learned(svc, members, n_cands), timeout=30, interval=0.2)
        r = await client.post("/rounds", headers=auth(settings, "organiser"), json={
            "round_id": "smoke", "programme_id": PID, "name": "冒烟", "category_ids": ["organ"],
            "ballot_type": "approval", "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
        assert r.status_code == 201, r.text
        rng = random.Random(3)
        cands = [f"n{i:03d}" for i in range(n_cands)]
        truth = dict.fromkeys(cands, 0)
        items = []
        for i in range(members):
            picks = rng.sample(cands, rng.randint(1, quota))
            for c in picks:
                truth[c] += 1
            mark = domain.voter_mark(cfg.ballot_secret, "smoke", f"m{i:06d}")
            items.append((mark.encode(), CastBallot(command_id=uuid4().hex, round_id="smoke", mark=mark,
                                                    receipt=domain.new_receipt(), selections=sorted(picks),
                                                    cast_at=datetime.now(UTC)).model_dump_json().encode()))
        extra = members // 50
        second = [(k, CastBallot(command_id=uuid4().hex, round_id="smoke", mark=k.decode(),
                                 receipt=domain.new_receipt(), selections=[cands[0]]).model_dump_json().encode())
                  for k, _ in rng.sample(items, extra)]
        pushed = items + rng.sample(items, extra) + second
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, linger_ms=5)
        await producer.start()
        started = time.perf_counter()
        try:
            name = topics.qualified(settings.topic_prefix, topics.BALLOTS)
            await asyncio.gather(*[await producer.send(name, v, key=k) for k, v in pushed])
        finally:
            await producer.stop()

        async def counted():
            t = await svc.voting.uow.store.read_tally("smoke")
            done = t.get("ballots_cast", 0) >= members and (t.get("refused") or {}).get("already_voted", 0) >= extra
            return t if done else None

        tally = await eventually(counted, timeout=30, interval=0.05)
        rate = members / (time.perf_counter() - started)
        rnd = await svc.voting.uow.store.get_round("smoke")
        keys = {c["nomination_id"]: c["key"] for c in rnd["candidates"]}
        assert tally["ballots_cast"] == members
        assert tally["refused"] == {"already_voted": extra}
        assert {c: tally["approvals"].get(keys[c], 0) for c in cands} == truth
        assert rate >= 500, f"{rate:.0f} ballots/s counted end to end, floor 500"


async def _learned(svc, members: int, candidates: int) -> bool:
    from benchmarks.voting_throughput import learned

    return await learned(svc.voting.uow.store, members, candidates)
