"""End-to-end benchmark of the suite against the raw limits of its own Kafka and MongoDB, in one run.

    .venv/bin/python -m benchmarks.run [--quick] [--replicas 2] [--million] [--profile voting]
                                       [--members N] [--nominees N] [--ballots N] [--http-ballots N]
                                       [--steady-rate R] [--steady-seconds S] [--score-sheets N] [--out DIR]

What it does (every loop is bounded in count and in time; every process it starts is stopped by PID):
 1. starts the stack on free loopback ports (devtools.stack.Stack: noida-db, SecantusDB, nominations, voting
    (x --replicas, one consumer group), scoring, leaderboard; no dashboard, no publicity);
 2. measures the raw limits of those very servers (benchmarks.raw_limits: aiokafka produce and consume msg/s,
    MongoDB insert_many docs/s) while the services are idle;
 3. generates a programme: the programme itself and the organisation tree and roll go through the nominations
    service's HTTP API (POST /programmes, CSV imports of units and members); the nominations (10,000 in full
    mode) are published directly as NominationSubmitted + NominationApproved envelopes on Kafka, because 20,000
    transactional HTTP calls would take longer than the rest of the benchmark;
 4. opens one approval round over the whole roll (voting HTTP) and drives it:
      burst   cast commands pushed to the voting.ballots topic as fast as the producer goes (plus 1% redelivered
              commands and 1% second ballots, which must count once / be refused);
      steady  cast commands paced at --steady-rate/s: leaderboard freshness;
      http    members cast through POST /rounds/{id}/ballots with member tokens (the HTTP edge);
 5. judges score through the scoring service's HTTP API (POST /programmes/{p}/scores);
 6. checks the voting tally and the leaderboard read model against the generator's ground truth;
 7. --million: ten more rounds of 100,000 ballots each on the Kafka path, checked exactly (bounded in time).

Latency from acceptance to the leaderboard is measured by count matching: the k-th accepted ballot (by the time
Kafka acknowledged it, or the HTTP 201 arrived) is visible when the leaderboard's ballots_cast first reaches k.
The leaderboard and the tally are sampled every --poll seconds (that resolution is added to every latency).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import yaml
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from benchmarks.http_client import KeepAlive
from benchmarks.raw_limits import RawLimits, measure
from benchmarks.resources import ResourceSampler
from devtools.demo.nominations import generate_organisation, to_csv
from deploy.ops import group_lag
from devtools.servers import ManagedProcess
from devtools.stack import REPO, Stack
from services.leaderboard.app import create_service as create_leaderboard
from services.scoring.app import create_service as create_scoring
from services.voting import domain
from services.voting.app import create_service as create_voting
from services.voting.config import LOCAL_BALLOT_SECRET
from services.voting.store import MongoVotingStore
from shared import stages
from shared.auth import issue_token
from shared.contracts import Envelope, topics
from shared.contracts.nominations import NominationApproved, NominationSubmitted
from shared.contracts.voting import CastBallot
from shared.settings import Settings

PID = "bench-2026"
ROUND = "bench-r1"
SECRET = LOCAL_BALLOT_SECRET.encode()
TARGETS = {
    "processed_share_of_smaller_raw_limit": 0.5,
    "processed_ballots_per_s": 5000,
    "http_ballots_per_s": 2000,
    "http_p99_ms": 100,
    "freshness_p99_s_at_steady_rate": 1.0,
}


# ---- the stack -------------------------------------------------------------------------------------------------

@dataclass
class BenchStack(Stack):
    """Stack with extra voting replicas (voting2, voting3 ... in the same consumer group) and optional profiling."""

    profile: tuple[str, ...] = ()

    def start_service(self, name: str) -> ManagedProcess:
        module = "voting" if name.startswith("voting") else name
        cmd = [sys.executable, "-m", f"services.{module}"]
        if name in self.profile:
            out = self.root / "profiles" / f"{name}.pyisession"
            out.parent.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "pyinstrument", "--interval", "0.002", "-r", "session", "-o", str(out),
                   "-m", f"services.{module}"]
        mp = ManagedProcess(name, cmd, self.root / "logs" / f"{name}.log",
                            env=self._process_env(EXEMPLAR_HTTP_PORT=str(self.ports[name]),
                                                  EXEMPLAR_INSTANCE_ID=f"{name}-{self.ports[name]}"), cwd=REPO)
        mp.start()
        self.processes[name] = mp
        return mp


# ---- small helpers -------------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000, 1)


def matched_latencies(accepted: list[float], series: list[tuple[float, int]], base: int) -> tuple[list[float], int]:
    """k-th acceptance (sorted times) -> first sample where the count reached base + k. Returns (latencies, unseen)."""
    acc = sorted(accepted)
    out, j, peak = [], 0, []
    running = 0
    for t, c in series:  # counts never go down; a sample read out of order must not make them
        running = max(running, c)
        peak.append((t, running))
    for k, a in enumerate(acc, 1):
        while j < len(peak) and peak[j][1] - base < k:
            j += 1
        if j == len(peak):
            return out, len(acc) - len(out)
        out.append(max(0.0, peak[j][0] - a))
    return out, 0


class Sampler:
    """Samples ballots_cast of one round in the voting tally and in the leaderboard read model."""

    def __init__(self, voting_db, board_db, round_id: str, interval: float) -> None:
        self.voting_db, self.board_db, self.round_id, self.interval = voting_db, board_db, round_id, interval
        self.tally: list[tuple[float, int]] = []
        self.board: list[tuple[float, int]] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def _loop(self, deadline: float) -> None:
        while not self._stop.is_set() and time.perf_counter() < deadline:
            self.tally.append((time.perf_counter(), await MongoVotingStore(self.voting_db).ballots_cast(self.round_id)))
            b = await self.board_db.rounds.find_one({"_id": self.round_id}, {"ballots_cast": 1})
            self.board.append((time.perf_counter(), int((b or {}).get("ballots_cast", 0))))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    def start(self, max_seconds: float) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(time.perf_counter() + max_seconds))

    async def stop(self) -> None:
        self._stop.set()
        if self._task:
            await self._task

    def last(self) -> tuple[int, int]:
        return (self.tally[-1][1] if self.tally else 0), (self.board[-1][1] if self.board else 0)

    def first_reaching(self, which: str, count: int) -> float | None:
        for t, c in (self.tally if which == "tally" else self.board):
            if c >= count:
                return t
        return None


# ---- the world -------------------------------------------------------------------------------------------------

def programme_body(categories: int) -> dict:
    demo = yaml.safe_load((REPO / "devtools" / "demo" / "programme.yaml").read_text())
    templates = demo["categories"]
    cats = []
    for i in range(categories):
        c = dict(templates[i % len(templates)])
        c.update(category_id=f"c{i:02d}", name=f"{c['name']}·{i:02d}", quota=10, unit_limit=10_000)
        cats.append(c)
    return {"programme_id": PID, "name": "基准测试 2026", "year": 2026, "categories": cats,
            "stages": demo.get("stages", [])}


def category_sizes(nominees: int, round_candidates: int, score_nominees: int, categories: int) -> list[int]:
    rest = max(0, nominees - round_candidates - score_nominees)
    others = categories - 2
    return [round_candidates, score_nominees] + [rest // others + (1 if i < rest % others else 0)
                                                 for i in range(others)]


def nomination_envelopes(sizes: list[int], units: list[dict], kinds: list[str]) -> list[Envelope]:
    envs = []
    organs = [u for u in units if u["kind"] == "organ"] or units
    branches = [u for u in units if u["kind"] == "branch"] or units
    n = 0
    for ci, size in enumerate(sizes):
        pool = organs if kinds[ci] == "organ" else branches
        for j in range(size):
            u = pool[(n + j) % len(pool)]
            nid = f"n{ci:02d}-{j:05d}"
            envs.append(Envelope.wrap(NominationSubmitted(
                nomination_id=nid, category_id=f"c{ci:02d}", nominee_id=f"{u['unit_id']}#{ci}-{j}",
                nominee_name=f"{u['name']}{j}", nominee_kind=kinds[ci], unit_id=u["unit_id"], unit_name=u["name"]),
                programme_id=PID, key=nid))
            envs.append(Envelope.wrap(NominationApproved(nomination_id=nid, category_id=f"c{ci:02d}"),
                                      programme_id=PID, key=nid))
        n += size
    return envs


def ballots(round_id: str, members: range, candidates: list[str], quota: int, seed: int,
            truth: dict[str, int]) -> list[tuple[bytes, bytes]]:
    """One approval ballot per member (skewed preference, 1..quota selections); adds to truth."""
    rng = random.Random(seed)
    weights = [1.0 / (i + 1) for i in range(len(candidates))]
    out = []
    for i in members:
        k = rng.randint(1, min(quota, len(candidates)))
        picks: set[str] = set()
        while len(picks) < k:
            picks.add(rng.choices(candidates, weights)[0])
        for c in picks:
            truth[c] = truth.get(c, 0) + 1
        mark = domain.voter_mark(SECRET, round_id, f"m{i + 1:06d}")
        cmd = CastBallot(command_id=uuid4().hex, round_id=round_id, mark=mark, receipt=domain.new_receipt(),
                         selections=sorted(picks), cast_at=datetime.now(UTC))
        out.append((mark.encode(), cmd.model_dump_json().encode()))
    return out


async def stage_learned(db, stage: str) -> bool:
    """The service (its database) has learned that the programme's stage is open."""
    return stages.state_of(await db.programmes.find_one({"_id": PID}), stage) == "open"


async def wait_for(check, timeout: float, what: str, interval: float = 0.25):
    deadline = time.perf_counter() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        await asyncio.sleep(interval)


# ---- the run ---------------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace, stack: BenchStack) -> None:
        self.args, self.stack = args, stack
        self.settings = Settings(kafka_bootstrap=stack.env["EXEMPLAR_KAFKA_BOOTSTRAP"],
                                 mongo_url=stack.env["EXEMPLAR_MONGO_URL"], db_prefix=stack.prefix,
                                 topic_prefix=stack.prefix)
        self.mongo = AsyncMongoClient(self.settings.mongo_url, tz_aware=True)
        self.vdb = self.mongo[self.settings.database_name("voting")]
        self.ldb = self.mongo[self.settings.database_name("leaderboard")]
        self.sdb = self.mongo[self.settings.database_name("scoring")]
        self.organiser = {"Authorization": "Bearer " + issue_token(self.settings, role="organiser", subject="bench")}
        self.voting_urls = [u for n, u in stack.urls.items() if n.startswith("voting")]
        self.result: dict = {}
        self.truth: dict[str, int] = {}
        self.candidates: list[str] = []
        self.producer: AIOKafkaProducer | None = None

    def log(self, msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    async def produce(self, items: list[tuple[bytes, bytes]], topic: str) -> list[float]:
        """Send everything; returns the time each message was acknowledged by the broker."""
        name = topics.qualified(self.settings.topic_prefix, topic)
        acks = [0.0] * len(items)

        def done(i: int):
            return lambda _f: acks.__setitem__(i, time.perf_counter())

        futures = []
        for i, (key, value) in enumerate(items):
            fut = await self.producer.send(name, value, key=key)
            fut.add_done_callback(done(i))
            futures.append(fut)
        await asyncio.gather(*futures)
        return acks

    # -- setup --
    @staticmethod
    async def _all(members_coll, mq, n_members, noms_coll, nq, n_noms, db=None, stage: str | None = None) -> bool:
        # Estimated counts first: SecantusDB counts a filter by scanning (what that cost: see `learned` below).
        if members_coll is not None and await members_coll.estimated_document_count() < n_members:
            return False
        if await noms_coll.estimated_document_count() < n_noms:
            return False
        if stage is not None and not await stage_learned(db, stage):
            return False
        return await noms_coll.count_documents(nq) >= n_noms

    async def world(self) -> None:
        a = self.args
        t0 = time.perf_counter()
        nom_url, = [u for n, u in self.stack.urls.items() if n == "nominations"]
        async with httpx.AsyncClient(base_url=nom_url, timeout=600, headers=self.organiser) as http:
            body = programme_body(a.categories)
            r = await http.post("/programmes", json=body)
            r.raise_for_status()
            units, members = generate_organisation(a.units, a.members)
            r = await http.post(f"/programmes/{PID}/units/import",
                                files={"file": ("units.csv", to_csv(units, ["unit_id", "name", "parent_id", "kind"]),
                                                "text/csv")})
            r.raise_for_status()
            t_units = time.perf_counter()
            # In parts of 10,000 rows: one import is one transaction, and a roll of 100,000 in one transaction
            # stalled SecantusDB (connection threads stuck on its locks) in a trial run.
            for lo in range(0, len(members), 10_000):
                r = await http.post(f"/programmes/{PID}/members/import", files={"file": (
                    "members.csv", to_csv(members[lo:lo + 10_000], ["member_id", "name", "unit_id"]), "text/csv")})
                r.raise_for_status()
            t_members = time.perf_counter()
            # The nominations are generated below (their events on Kafka); the organiser then opens the voting
            # stage (民主测评), in which rounds open and ballots are cast.
            (await http.post(f"/programmes/{PID}/stages/voting/open")).raise_for_status()
            prog = (await http.get(f"/programmes/{PID}")).json()
        self.programme = prog
        kinds = [c["nominee_kind"] for c in body["categories"]]
        sizes = category_sizes(a.nominees, a.round_candidates, a.score_nominees, a.categories)
        envs = nomination_envelopes(sizes, units, kinds)
        await self.produce([(e.key.encode(), e.model_dump_json().encode()) for e in envs], topics.NOMINATIONS)
        total = sum(sizes)
        self.log(f"programme, {len(units)} units, {len(members)} members (HTTP) and {total} nominations (Kafka) "
                 "sent; waiting for voting, scoring and the leaderboard to learn them")

        learned_at: dict[str, float] = {}
        checks = {
            "voting": lambda: self._all(self.vdb.members, {}, len(members), self.vdb.nominations,
                                        {"status": "approved"}, total, self.vdb, "voting"),
            "scoring": lambda: self._all(self.sdb.members, {}, len(members), self.sdb.nominations,
                                         {"status": "approved"}, total),
            "leaderboard": lambda: self._all(None, {}, 0, self.ldb.entries, {"status": "approved"}, total),
        }
        last_log = time.perf_counter()

        checked_at: dict[str, float] = {}

        async def learned():
            nonlocal last_log
            now = time.perf_counter()
            # Every second for the first half minute, then every 5 s: a filtered count is a scan on SecantusDB,
            # and three of them a second took a sixth of its CPU from the services being measured.
            every = 1.0 if now - t0 < 30 else 5.0
            for name, check in checks.items():
                if name in learned_at or now - checked_at.get(name, 0.0) < every:
                    continue
                checked_at[name] = now
                if await check():
                    learned_at[name] = round(time.perf_counter() - t0, 1)
            if time.perf_counter() - last_log > 15:
                last_log = time.perf_counter()
                self.log(f"  learned so far: {learned_at}")
            return len(learned_at) == len(checks)

        await wait_for(learned, a.setup_timeout, "the services learning the programme", 1.0)
        self.result["world"] = {
            "units": len(units), "members": len(members), "nominees": total, "categories": a.categories,
            "round_candidates": sizes[0], "programme_and_roll": "nominations HTTP API (POST /programmes, CSV imports)",
            "nominations": "NominationSubmitted + NominationApproved envelopes published on Kafka",
            "units_import_s": round(t_units - t0, 1), "members_import_s": round(t_members - t_units, 1),
            "learned_by_all_services_s": round(time.perf_counter() - t0, 1), "learned_at_s": learned_at}
        self.candidates = [f"n00-{j:05d}" for j in range(sizes[0])]

    async def settle(self, what: str) -> float:
        """Wait until the services have nothing left to do: every consumer group has read every event, no outbox
        holds an event, no standings wait to be recomputed. Measuring while the services still digest the previous
        step (scoring re-ranking 2,000-nominee categories, the leaderboard projecting them) measures that too."""
        t0 = time.perf_counter()
        dbs = [self.mongo[self.settings.database_name(n)] for n in ("nominations", "voting", "scoring", "leaderboard")]
        # each group's lag over the topics its service subscribes to (its event routes)
        groups = {f"{self.settings.topic_prefix}.{n}": list(create(self.settings)._routes)
                  for n, create in (("voting", create_voting), ("scoring", create_scoring),
                                    ("leaderboard", create_leaderboard))}
        quiet, last_log = 0, time.perf_counter()

        async def idle() -> bool:
            nonlocal quiet, last_log
            busy = [db.name for db in dbs if await db.outbox.estimated_document_count()]
            busy += ["standings"] if await self.sdb.dirty_marks.estimated_document_count() else []
            for g, subscribed in groups.items():
                if await group_lag(self.settings, g, subscribed):
                    busy.append(g)
            quiet = quiet + 1 if not busy else 0
            if busy and time.perf_counter() - last_log > 15:
                last_log = time.perf_counter()
                self.log(f"  still busy: {', '.join(busy)}")
            return quiet >= 3  # three checks in a row, a second apart

        await wait_for(idle, self.args.setup_timeout, f"the services settling after {what}", 1.0)
        waited = round(time.perf_counter() - t0, 1)
        self.log(f"  settled after {what} in {waited} s")
        return waited

    async def open_round(self, round_id: str, category: str = "c00", confirm_replace: bool = False) -> float:
        """`confirm_replace`: the organiser confirms that this round's tally replaces the category's peer vote
        (a later round of a category that a round already feeds)."""
        t0 = time.perf_counter()
        async with httpx.AsyncClient(base_url=self.voting_urls[0], timeout=600, headers=self.organiser) as http:
            r = await http.post("/rounds", json={
                "round_id": round_id, "programme_id": PID, "name": f"基准测评 {round_id}", "category_ids": [category],
                "ballot_type": "approval", "closes_at": (datetime.now(UTC) + timedelta(hours=3)).isoformat(),
                **({"confirm_replace": True} if confirm_replace else {})})
            r.raise_for_status()
        await wait_for(lambda: self.ldb.rounds.find_one({"_id": round_id}), 60, "the leaderboard knowing the round")
        return time.perf_counter() - t0

    # -- phases --
    async def burst(self, sampler: Sampler, members: range) -> dict:
        a = self.args
        truth_before = dict(self.truth)
        items = ballots(ROUND, members, self.candidates, 10, 11, self.truth)
        rng = random.Random(5)
        extra = int(len(items) * a.duplicates)
        redelivered = rng.sample(items, extra)
        second = []
        for key, _ in rng.sample(items, extra):
            cmd = CastBallot(command_id=uuid4().hex, round_id=ROUND, mark=key.decode(), receipt=domain.new_receipt(),
                             selections=[self.candidates[-1]], cast_at=datetime.now(UTC))
            second.append((key, cmd.model_dump_json().encode()))
        pushed = items + redelivered + second
        base_tally, base_board = sampler.last()
        target = base_tally + len(items)
        self.log(f"burst: pushing {len(pushed)} cast commands ({len(items)} ballots, {extra} redelivered, "
                 f"{extra} second ballots)")
        started = time.perf_counter()
        acks = await self.produce(pushed, topics.BALLOTS)
        produced = max(acks) - started
        await wait_for(lambda: asyncio.sleep(0, result=sampler.last()[1] >= target), a.timeout,
                       "the burst reaching the leaderboard", 0.05)
        t_tally = sampler.first_reaching("tally", target)
        t_board = sampler.first_reaching("board", target)
        lat, unseen = matched_latencies(acks[:len(items)], [s for s in sampler.board if s[0] >= started], base_board)
        del truth_before
        return {"ballots": len(items), "commands": len(pushed), "redelivered": extra, "second_ballots": extra,
                "accepted_per_s": round(len(pushed) / produced),
                "processed_per_s": round(len(items) / (t_tally - started)),
                "into_leaderboard_per_s": round(len(items) / (t_board - started)),
                "counted_s": round(t_tally - started, 2), "leaderboard_s": round(t_board - started, 2),
                "latency_to_leaderboard_p50_ms": ms(pct(lat, 50)), "latency_to_leaderboard_p99_ms": ms(pct(lat, 99)),
                "unseen": unseen}

    async def steady(self, sampler: Sampler, members: range) -> dict:
        a = self.args
        items = ballots(ROUND, members, self.candidates, 10, 12, self.truth)
        base_tally, base_board = sampler.last()
        name = topics.qualified(self.settings.topic_prefix, topics.BALLOTS)
        acks = [0.0] * len(items)
        tick = 0.02
        per_tick = max(1, round(a.steady_rate * tick))
        self.log(f"steady: {len(items)} ballots at {a.steady_rate}/s")
        started = time.perf_counter()
        deadline = started + a.steady_seconds * 3 + 30
        futures = []
        i = 0
        while i < len(items) and time.perf_counter() < deadline:
            due = started + (i // per_tick) * tick
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            for key, value in items[i:i + per_tick]:
                fut = await self.producer.send(name, value, key=key)
                fut.add_done_callback(lambda _f, j=i: acks.__setitem__(j, time.perf_counter()))
                futures.append(fut)
                i += 1
        await asyncio.gather(*futures)
        sent_s = time.perf_counter() - started
        target = base_tally + len(items)
        await wait_for(lambda: asyncio.sleep(0, result=sampler.last()[1] >= target), a.timeout,
                       "the steady ballots reaching the leaderboard", 0.05)
        board = [s for s in sampler.board if s[0] >= started]
        tally = [s for s in sampler.tally if s[0] >= started]
        lat_b, unseen = matched_latencies(acks, board, base_board)
        lat_t, _ = matched_latencies(acks, tally, base_tally)
        return {"ballots": len(items), "rate_asked": a.steady_rate, "rate_sent": round(len(items) / sent_s),
                "to_tally_p50_ms": ms(pct(lat_t, 50)), "to_tally_p99_ms": ms(pct(lat_t, 99)),
                "freshness_p50_ms": ms(pct(lat_b, 50)), "freshness_p99_ms": ms(pct(lat_b, 99)),
                "freshness_max_ms": ms(max(lat_b) if lat_b else None), "unseen": unseen,
                "poll_interval_ms": round(a.poll * 1000)}

    async def http(self, sampler: Sampler, members: range) -> dict:
        a = self.args
        rng = random.Random(13)
        weights = [1.0 / (i + 1) for i in range(len(self.candidates))]
        jobs = []
        for i in members:
            k = rng.randint(1, min(10, len(self.candidates)))
            picks: set[str] = set()
            while len(picks) < k:
                picks.add(rng.choices(self.candidates, weights)[0])
            for c in picks:
                self.truth[c] = self.truth.get(c, 0) + 1
            m = f"m{i + 1:06d}"
            jobs.append((issue_token(self.settings, role="member", subject=m, member_id=m),
                         json.dumps({"selections": sorted(picks)}).encode()))
        base_tally, base_board = sampler.last()
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        done_at: list[float] = []
        it = iter(range(len(jobs)))
        path = f"/rounds/{ROUND}/ballots"
        started = time.perf_counter()
        deadline = started + a.timeout

        async def worker(w: int) -> None:
            url = httpx.URL(self.voting_urls[w % len(self.voting_urls)])
            conn = KeepAlive(url.host, url.port)
            try:
                for j in it:
                    if time.perf_counter() > deadline:
                        break
                    token, body = jobs[j]
                    t = time.perf_counter()
                    status, _ = await conn.post(path, body, {"Authorization": f"Bearer {token}"})
                    now = time.perf_counter()
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(now - t)
                    if status in (200, 201, 202):
                        done_at.append(now)
            finally:
                await conn.close()

        self.log(f"http: {len(jobs)} ballots, {a.http_concurrency} connections, {len(self.voting_urls)} replica(s)")
        await asyncio.gather(*(worker(w) for w in range(a.http_concurrency)))
        elapsed = time.perf_counter() - started
        target = base_tally + len(done_at)
        with contextlib.suppress(TimeoutError):
            await wait_for(lambda: asyncio.sleep(0, result=sampler.last()[1] >= target), 60,
                           "the HTTP ballots reaching the leaderboard", 0.05)
        lat_b, unseen = matched_latencies(done_at, [s for s in sampler.board if s[0] >= started], base_board)
        return {"ballots": len(jobs), "connections": a.http_concurrency, "statuses": statuses,
                "accepted_per_s": round(len(done_at) / elapsed), "p50_ms": ms(pct(latencies, 50)),
                "p99_ms": ms(pct(latencies, 99)), "max_ms": ms(max(latencies) if latencies else None),
                "to_leaderboard_p50_ms": ms(pct(lat_b, 50)), "to_leaderboard_p99_ms": ms(pct(lat_b, 99)),
                "unseen": unseen}

    async def scores(self) -> dict:
        a = self.args
        sc_url, = [u for n, u in self.stack.urls.items() if n == "scoring"]
        cat = next(c for c in self.programme["categories"] if c["category_id"] == "c01")
        criteria = [(c["criterion_id"], float(c["max_points"]), float(c.get("step", 0.5))) for c in cat["criteria"]]
        organs = [f"u-{code}" for code in ("bgs", "zfb", "zzb", "xcb", "tzb", "zfw", "fgw")]
        judges = [f"judge{i}" for i in range(a.judges)]
        nom_url, = [u for n, u in self.stack.urls.items() if n == "nominations"]
        async with httpx.AsyncClient(base_url=nom_url, timeout=60, headers=self.organiser) as http:
            # Judges score in the judging stage (评审打分). Voting stays open: the million phase casts after this.
            (await http.post(f"/programmes/{PID}/stages/judging/open")).raise_for_status()
        await wait_for(lambda: stage_learned(self.sdb, "judging"), 60, "scoring learning the judging stage")
        async with httpx.AsyncClient(base_url=sc_url, timeout=300, headers=self.organiser) as http:
            for i, j in enumerate(judges):
                (await http.post(f"/programmes/{PID}/judges", json={
                    "judge_id": j, "name": f"评委{i}", "unit_id": organs[i % len(organs)]})).raise_for_status()
            (await http.post(f"/programmes/{PID}/panels", json={
                "panel_id": "bench-panel", "category_id": "c01", "name": "基准评审组", "judge_ids": judges,
                "min_judges": min(5, len(judges))})).raise_for_status()
            t0 = time.perf_counter()
            r = await http.post(f"/programmes/{PID}/panels/bench-panel/auto-assign", json={})
            r.raise_for_status()
            assign_s = time.perf_counter() - t0
            panel = (await http.get(f"/programmes/{PID}/panels/bench-panel")).json()
        pairs = [(nom, x["judge_id"]) for nom, xs in sorted(panel["assignments"].items()) for x in xs
                 if not x["recused"]]
        rng = random.Random(17)
        jobs = []
        for nom, judge in pairs[:a.score_sheets]:
            sheet = {cid: round(round(rng.uniform(0.5, 1.0) * mx / st) * st, 4) for cid, mx, st in criteria}
            token = issue_token(self.settings, role="judge", subject=judge, judge_id=judge)
            jobs.append((token, json.dumps({"nomination_id": nom, "scores": sheet}).encode()))
        url = httpx.URL(sc_url)
        it = iter(jobs)
        statuses: dict[int, int] = {}
        lat: list[float] = []
        started = time.perf_counter()
        deadline = started + a.timeout

        async def worker() -> None:
            conn = KeepAlive(url.host, url.port)
            try:
                for token, body in it:
                    if time.perf_counter() > deadline:
                        break
                    t = time.perf_counter()
                    status, _ = await conn.post(f"/programmes/{PID}/scores", body, {"Authorization": f"Bearer {token}"})
                    lat.append(time.perf_counter() - t)
                    statuses[status] = statuses.get(status, 0) + 1
            finally:
                await conn.close()

        self.log(f"scores: {len(jobs)} score sheets of {len(criteria)} criteria by {len(judges)} judges")
        await asyncio.gather(*(worker() for _ in range(a.score_concurrency)))
        elapsed = time.perf_counter() - started
        ok = statuses.get(200, 0)
        return {"judges": len(judges), "assignments": len(pairs), "auto_assign_s": round(assign_s, 2),
                "sheets": len(jobs), "criteria_per_sheet": len(criteria), "statuses": statuses,
                "sheets_per_s": round(ok / elapsed, 1), "scores_per_s": round(ok * len(criteria) / elapsed, 1),
                "p50_ms": ms(pct(lat, 50)), "p99_ms": ms(pct(lat, 99))}

    async def check(self, round_id: str, truth: dict[str, int], ballots_expected: int) -> dict:
        rnd = await MongoVotingStore(self.vdb).get_round(round_id)
        keys = {c["nomination_id"]: c["key"] for c in rnd["candidates"]}
        tally = await MongoVotingStore(self.vdb).read_tally(round_id)
        counted = {c: int((tally.get("approvals") or {}).get(keys[c], 0)) for c in keys}
        expected = {c: truth.get(c, 0) for c in keys}
        voting_ok = tally.get("ballots_cast") == ballots_expected and counted == expected
        board_ok = None
        if round_id == ROUND:
            async def board_settled():
                lb = await self.ldb.rounds.find_one({"_id": round_id}, {"ballots_cast": 1, "candidates": 1}) or {}
                entries = {c["nomination_id"]: c["approvals"] for c in lb.get("candidates") or []}
                return (entries == expected and lb.get("ballots_cast") == ballots_expected) or None
            try:
                board_ok = bool(await wait_for(board_settled, 30, "the leaderboard settling", 0.5))
            except TimeoutError:
                board_ok = False
        return {"round_id": round_id, "ballots_expected": ballots_expected, "ballots_cast": tally.get("ballots_cast"),
                "refused": tally.get("refused"), "voting_tally_exact": voting_ok, "leaderboard_exact": board_ok}

    async def million(self) -> dict:
        a = self.args
        per_round = a.members
        rounds = math.ceil(1_000_000 / per_round)
        self.log(f"million: {rounds} rounds of {per_round} ballots")
        opened = 0.0
        for r in range(rounds):
            opened += await self.open_round(f"bench-m{r}", confirm_replace=True)
        # The time allowed is for pushing and counting: opening ten rounds over a 100,000-member roll (a million
        # roll entries) took minutes of it at full size.
        deadline = time.perf_counter() + a.million_timeout
        self.log(f"  {rounds} rounds opened in {opened:.0f} s; pushing and counting")
        truths: list[dict[str, int]] = [{} for _ in range(rounds)]
        started = time.perf_counter()
        pushed = 0
        for r in range(rounds):
            for lo in range(0, per_round, 50_000):
                if time.perf_counter() > deadline:
                    break
                items = ballots(f"bench-m{r}", range(lo, min(per_round, lo + 50_000)), self.candidates, 10,
                                100 + r * 1000 + lo, truths[r])
                await self.produce(items, topics.BALLOTS)
                pushed += len(items)
        produced = time.perf_counter() - started

        async def all_counted():
            total = 0
            for r in range(rounds):
                total += await MongoVotingStore(self.vdb).ballots_cast(f"bench-m{r}")
            return total >= pushed

        with contextlib.suppress(TimeoutError):
            await wait_for(all_counted, max(1.0, deadline - time.perf_counter()), "a million ballots counted", 0.5)
        counted_s = time.perf_counter() - started
        checks = [await self.check(f"bench-m{r}", truths[r], sum(1 for _ in range(per_round))) for r in range(rounds)]
        total = sum(int(c["ballots_cast"] or 0) for c in checks)
        return {"rounds": rounds, "ballots_pushed": pushed, "ballots_counted": total,
                "rounds_opened_s": round(opened, 1), "produce_s": round(produced, 1), "counted_s": round(counted_s, 1),
                "processed_per_s": round(total / counted_s), "exact": all(c["voting_tally_exact"] for c in checks),
                "rounds_checked": checks}

    async def run(self) -> dict:
        a = self.args
        self.log("measuring the raw limits of these servers (services idle)")
        limits: RawLimits = await measure(self.settings.kafka_bootstrap, self.settings.mongo_url,
                                          kafka_messages=a.raw_kafka, mongo_docs=a.raw_mongo)
        self.result["raw_limits"] = {k: round(v) for k, v in limits.as_dict().items()}
        self.producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap, enable_idempotence=True,
                                         linger_ms=5, max_batch_size=512 * 1024, acks="all")
        await self.producer.start()
        try:
            await self.world()
            self.result["world"]["settled_s"] = await self.settle("learning the programme")
            opened = await self.open_round(ROUND)
            self.result["world"]["round_opened_s"] = round(opened, 1)
            need = a.ballots + a.steady_rate * a.steady_seconds + a.http_ballots
            if need > a.members:
                raise SystemExit(f"{need} ballots need {need} members; the roll has {a.members}")
            pids = {n: mp.pid for n, mp in self.stack.processes.items()}
            pids |= {mp.name: mp.pid for mp in self.stack.servers.processes}
            pids["benchmark"] = os.getpid()
            sampler = Sampler(self.vdb, self.ldb, ROUND, a.poll)
            sampler.start(a.timeout * 4 + 600)
            t0 = time.perf_counter()
            with ResourceSampler(pids, own_only={"benchmark"}) as usage:
                lo = 0
                self.result["burst"] = await self.burst(sampler, range(lo, lo + a.ballots))
                lo += a.ballots
                self.result["burst"]["settled_s"] = await self.settle("the burst")
                n_steady = int(a.steady_rate * a.steady_seconds)
                self.result["steady"] = await self.steady(sampler, range(lo, lo + n_steady))
                lo += n_steady
                self.result["steady"]["settled_s"] = await self.settle("the steady stream")
                self.result["http"] = await self.http(sampler, range(lo, lo + a.http_ballots))
                lo += self.args.http_ballots
                self.result["http"]["settled_s"] = await self.settle("the HTTP ballots")
                self.result["scores"] = await self.scores()
                measured = time.perf_counter() - t0
            await sampler.stop()
            self.result["resources"] = usage.table(measured)
            self.result["resources_window_s"] = round(measured, 1)
            self.result["exactness"] = await self.check(ROUND, self.truth, lo)
            if a.million:
                self.result["million"] = await self.million()
        finally:
            await self.producer.stop()
            await self.mongo.close()
        return self.result


def summarise(result: dict, args: argparse.Namespace) -> dict:
    raw = result["raw_limits"]
    smaller = raw["smaller"]
    burst, steady, http = result["burst"], result["steady"], result["http"]
    summary = {
        "processed_ballots_per_s": burst["processed_per_s"],
        "into_leaderboard_ballots_per_s": burst["into_leaderboard_per_s"],
        "ratio_processed_to_smaller_raw_limit": round(burst["processed_per_s"] / smaller, 3),
        "ratio_leaderboard_to_smaller_raw_limit": round(burst["into_leaderboard_per_s"] / smaller, 3),
    }
    targets = {
        "processed >= 50% of the smaller raw limit": summary["ratio_processed_to_smaller_raw_limit"] >= 0.5,
        "processed >= 5,000 ballots/s": burst["processed_per_s"] >= 5000,
        "HTTP casting >= 2,000 ballots/s": http["accepted_per_s"] >= 2000,
        "HTTP casting p99 < 100 ms": (http["p99_ms"] or 1e9) < 100,
        f"freshness p99 < 1 s at {steady['rate_asked']}/s": (steady["freshness_p99_ms"] or 1e9) < 1000
        and steady["unseen"] == 0,
        "tallies exact (voting and leaderboard)": bool(result["exactness"]["voting_tally_exact"]
                                                      and result["exactness"]["leaderboard_exact"]),
    }
    if "million" in result:
        targets["1,000,000 ballots exact"] = result["million"]["exact"] and \
            result["million"]["ballots_counted"] >= 1_000_000
    summary["targets_met"] = targets
    return summary


def table(result: dict) -> str:
    raw, b, s, h, sc, ex, su = (result[k] for k in ("raw_limits", "burst", "steady", "http", "scores", "exactness",
                                                    "summary"))
    rows = [
        ("run", f"{result['started_at']}  replicas={result['args']['replicas']}  quick={result['args']['quick']}"),
        ("raw Kafka produce / consume", f"{raw['kafka_produce_per_s']:,} / {raw['kafka_consume_per_s']:,} msg/s"),
        ("raw MongoDB insert_many",
         f"{raw['mongo_insert_many_per_s']:,} docs/s  (smaller raw limit {raw['smaller']:,}/s)"),
        ("world", f"{result['world']['members']:,} members, {result['world']['nominees']:,} nominees, "
                  f"round of {result['world']['round_candidates']} candidates; learned in "
                  f"{result['world']['learned_by_all_services_s']} s"),
        ("Kafka path: accepted", f"{b['accepted_per_s']:,} commands/s ({b['commands']:,} commands)"),
        ("Kafka path: processed (tally)", f"{b['processed_per_s']:,} ballots/s  = "
                                          f"{su['ratio_processed_to_smaller_raw_limit']:.0%} of the smaller raw limit"),
        ("Kafka path: into leaderboard", f"{b['into_leaderboard_per_s']:,} ballots/s = "
                                         f"{su['ratio_leaderboard_to_smaller_raw_limit']:.0%} "
                                         "of the smaller raw limit"),
        ("burst: acceptance -> leaderboard", f"p50 {b['latency_to_leaderboard_p50_ms']} ms, "
                                             f"p99 {b['latency_to_leaderboard_p99_ms']} ms (queueing included)"),
        (f"steady {s['rate_asked']}/s: -> tally", f"p50 {s['to_tally_p50_ms']} ms, p99 {s['to_tally_p99_ms']} ms"),
        (f"steady {s['rate_asked']}/s: freshness", f"p50 {s['freshness_p50_ms']} ms, p99 {s['freshness_p99_ms']} ms, "
                                                   f"max {s['freshness_max_ms']} ms (sent at {s['rate_sent']}/s)"),
        ("HTTP casting", f"{h['accepted_per_s']:,} ballots/s, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, "
                         f"statuses {h['statuses']}"),
        ("HTTP: 201 -> leaderboard", f"p50 {h['to_leaderboard_p50_ms']} ms, p99 {h['to_leaderboard_p99_ms']} ms"),
        ("judge scores", f"{sc['sheets_per_s']} sheets/s = {sc['scores_per_s']} scores/s, p50 {sc['p50_ms']} ms, "
                         f"p99 {sc['p99_ms']} ms, statuses {sc['statuses']}"),
        ("exact", f"voting tally {ex['voting_tally_exact']}, leaderboard {ex['leaderboard_exact']} "
                  f"({ex['ballots_cast']:,} ballots, refused {ex['refused']})"),
    ]
    if "million" in result:
        m = result["million"]
        rows.append(("million", f"{m['ballots_counted']:,} of {m['ballots_pushed']:,} counted in {m['counted_s']} s "
                                f"({m['processed_per_s']:,}/s), exact {m['exact']}"))
    for name, u in sorted(result["resources"].items()):
        rows.append((f"  {name}", f"CPU {u['cpu_percent']}% of one core, peak RSS {u['peak_rss_mb']} MB"))
    for name, ok in su["targets_met"].items():
        rows.append((f"target: {name}", "MET" if ok else "NOT MET"))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (about a minute and a half)")
    ap.add_argument("--replicas", type=int, default=1, help="voting replicas in one consumer group (1-4)")
    ap.add_argument("--million", action="store_true", help="also count 1,000,000 ballots and check them exactly")
    ap.add_argument("--million-timeout", type=float, default=1500, help="seconds for pushing and counting the million")
    ap.add_argument("--profile", action="append", default=[], help="run this service under pyinstrument (voting)")
    ap.add_argument("--members", type=int)
    ap.add_argument("--units", type=int)
    ap.add_argument("--nominees", type=int)
    ap.add_argument("--categories", type=int, default=10)
    ap.add_argument("--round-candidates", type=int)
    ap.add_argument("--score-nominees", type=int)
    ap.add_argument("--ballots", type=int, help="ballots in the Kafka burst")
    ap.add_argument("--duplicates", type=float, default=0.01, help="share of redelivered and of second ballots")
    ap.add_argument("--steady-rate", type=int, default=1000)
    ap.add_argument("--steady-seconds", type=float)
    ap.add_argument("--http-ballots", type=int)
    ap.add_argument("--http-concurrency", type=int, default=64)
    ap.add_argument("--judges", type=int, default=9)
    ap.add_argument("--score-sheets", type=int)
    ap.add_argument("--score-concurrency", type=int, default=16)
    ap.add_argument("--raw-kafka", type=int)
    ap.add_argument("--raw-mongo", type=int)
    ap.add_argument("--poll", type=float, default=0.02, help="sampling interval of tally and leaderboard, s")
    ap.add_argument("--timeout", type=float, default=300, help="seconds allowed for each phase")
    ap.add_argument("--setup-timeout", type=float, default=900)
    ap.add_argument("--out", type=Path, default=REPO / "artifacts" / "bench")
    ap.add_argument("--keep", action="store_true", help="keep the stack's directory (service logs, server data)")
    args = ap.parse_args(argv)
    full = dict(members=100_000, units=600, nominees=10_000, round_candidates=100, score_nominees=200,
                ballots=60_000, steady_seconds=15, http_ballots=10_000, score_sheets=1000, raw_kafka=100_000,
                raw_mongo=50_000)
    quick = dict(members=12_000, units=120, nominees=200, round_candidates=30, score_nominees=30,
                 ballots=6_000, steady_seconds=5, http_ballots=1_000, score_sheets=150, raw_kafka=20_000,
                 raw_mongo=10_000)
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    args.replicas = max(1, min(args.replicas, 4))
    args.members = max(1000, min(args.members, 200_000))
    args.ballots = max(100, min(args.ballots, 500_000))
    args.steady_rate = max(10, min(args.steady_rate, 20_000))
    args.steady_seconds = max(1.0, min(args.steady_seconds, 120.0))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    root = Path(tempfile.mkdtemp(prefix="exemplar-bench-"))
    services = ("nominations", *(["voting"] + [f"voting{i}" for i in range(2, args.replicas + 1)]), "scoring",
                "leaderboard")
    stack = BenchStack(root, services=services, dashboard=False, prefix="bench" + uuid4().hex[:6],
                       profile=tuple(args.profile), extra_env={
                           "EXEMPLAR_LOG_LEVEL": "WARNING", "EXEMPLAR_VOTING_RATE_PER_ADDRESS": "100000000",
                           "EXEMPLAR_PUBLIC_RATE_PER_MINUTE": "100000000"})
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result: dict = {}

    def _terminate(*_):
        raise SystemExit(143)  # run the finally below: every process we started is stopped by PID

    signal.signal(signal.SIGTERM, _terminate)
    try:
        print(f"starting the stack in {root}", flush=True)
        stack.start(progress=lambda m: print(f"  {m}", flush=True))
        result = asyncio.run(Bench(args, stack).run())
    finally:
        for name in args.profile:  # pyinstrument writes its session when the process ends on its own
            mp = stack.processes.get(name)
            if mp is not None and mp.alive():
                mp.proc.send_signal(signal.SIGINT)
                with contextlib.suppress(Exception):
                    mp.proc.wait(60)
        stack.stop()  # by process group: the brokers and anything else our children started
    result = {"started_at": started_at, "args": {k: (str(v) if isinstance(v, Path) else v)
                                                 for k, v in vars(args).items()},
              "targets": TARGETS, **result}
    result["summary"] = summarise(result, args)
    if args.profile:
        result["profiles"] = {}
        for name in args.profile:
            session = root / "profiles" / f"{name}.pyisession"
            if session.exists():
                args.out.mkdir(parents=True, exist_ok=True)
                html = args.out / f"{started_at}-{name}.html"
                text = args.out / f"{started_at}-{name}.txt"
                os.system(f"{sys.executable} -m pyinstrument --load {session} -r html -o {html} >/dev/null 2>&1")
                os.system(f"{sys.executable} -m pyinstrument --load {session} -r text --show-all -o {text} "
                          ">/dev/null 2>&1")
                result["profiles"][name] = {"html": str(html), "text": str(text)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started_at}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)  # the servers' data: hundreds of MB per run
    print()
    print(table(result))
    print(f"\nfigures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
