"""Voting throughput: ballots counted per second, end to end, on the local servers.

    .venv/bin/python -m benchmarks.voting_throughput [--members 50000] [--candidates 12] [--quota 5]
                                                     [--duplicates 0.02] [--timeout 180] [--in-process]

Starts noida-db and SecantusDB (devtools.servers.LocalServers) in a temporary directory, runs the voting service as
a child process (or in this process with --in-process), feeds it the roll and the candidates as the nominations
service would (events on Kafka), opens an approval round over the whole roll, then pushes one cast command per
member to the ballots topic, plus a share of redelivered commands and second ballots by the same voters (which
must count once). The clock runs from the first ballot pushed until the tally counts them all; the tally is then
checked against the ground truth, ballot by ballot count and per candidate. Bounded by --members and --timeout.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from benchmarks.http_client import KeepAlive
from benchmarks.resources import ResourceSampler
from devtools.servers import LocalServers, free_port
from services.voting import domain
from services.voting.config import VotingConfig
from services.voting.store import MongoVotingStore
from shared import stages
from shared.auth import issue_token
from shared.contracts import Envelope, topics
from shared.contracts.nominations import (
    CategoryInfo,
    CriterionInfo,
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitInfo,
    UnitsImported,
)
from shared.contracts.voting import CastBallot
from shared.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PID = "bench-2026"


def world(members: int, candidates: int, quota: int, units: int) -> list[Envelope]:
    cat = CategoryInfo(category_id="organ", name="模范机关", nominee_kind="organ", quota=quota,
                       criteria=[CriterionInfo(criterion_id="c1", name="政治建设强", max_points=20)],
                       weights={"peer_vote": 1.0})
    envs = [Envelope.wrap(ProgrammeDefined(programme_id=PID, version=1, name="基准测试", year=2026,
                                           categories=[cat], stages=[]), programme_id=PID, key=PID),
            # the organiser has opened the voting stage (民主测评): rounds open in it only
            Envelope.wrap(StageChanged(programme_id=PID, stage="voting", state="open"), programme_id=PID, key=PID),
            Envelope.wrap(UnitsImported(units=[UnitInfo(unit_id=f"u{i:03d}", name=f"单位{i}") for i in range(units)]),
                          programme_id=PID, key="units")]
    roll = [MemberInfo(member_id=f"m{i:06d}", name=f"党员{i}", unit_id=f"u{i % units:03d}") for i in range(members)]
    for i in range(0, members, 5000):
        envs.append(Envelope.wrap(MembersImported(members=roll[i:i + 5000]), programme_id=PID, key="members"))
    for i in range(candidates):
        nid = f"n{i:03d}"
        envs.append(Envelope.wrap(NominationSubmitted(
            nomination_id=nid, category_id="organ", nominee_id=f"org{i}", nominee_name=f"机关{i}",
            nominee_kind="organ", unit_id=f"u{i % units:03d}", unit_name=f"单位{i % units}"), programme_id=PID,
            key=nid))
        envs.append(Envelope.wrap(NominationApproved(nomination_id=nid, category_id="organ"), programme_id=PID,
                                  key=nid))
    return envs


async def learned(store: MongoVotingStore, members: int, candidates: int) -> bool:
    """Voting has learned the world: the programme's roll, its candidates and that its voting stage is open."""
    return (await store.count_members(PID) >= members and len(await store.candidates(PID, None)) >= candidates
            and stages.state_of(await store.programme(PID), "voting") == "open")


async def produce(settings: Settings, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, linger_ms=5,
                                max_batch_size=512 * 1024)
    await producer.start()
    try:
        name = topics.qualified(settings.topic_prefix, topic)
        futures = [await producer.send(name, value, key=key) for key, value in items]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def run(args: argparse.Namespace, servers: LocalServers) -> dict:
    prefix = "bench" + uuid4().hex[:6]
    port = free_port()
    env = {**os.environ, **servers.env(), "EXEMPLAR_DB_PREFIX": prefix, "EXEMPLAR_TOPIC_PREFIX": prefix,
           "EXEMPLAR_HTTP_PORT": str(port), "EXEMPLAR_LOG_LEVEL": "WARNING",
           "EXEMPLAR_VOTING_RATE_PER_ADDRESS": "10000000", "EXEMPLAR_OUTBOX_POLL_SECONDS": "0.2"}
    os.environ.update({k: v for k, v in env.items() if k.startswith("EXEMPLAR_")})
    settings = Settings()
    cfg = VotingConfig()
    base = f"http://127.0.0.1:{port}"
    proc = None
    ctx = None
    if args.in_process:
        import uvicorn

        from services.voting.app import create_service

        svc = create_service(settings)
        server = uvicorn.Server(uvicorn.Config(svc.api, host="127.0.0.1", port=port, log_config=None,
                                               access_log=False))
        ctx = asyncio.create_task(server.serve())
    else:
        log = open(servers.root / "voting.log", "wb")
        cmd = [sys.executable, "-m", "services.voting"]
        if args.profile:  # pyinstrument writes its text report when the service stops
            cmd = [sys.executable, "-m", "pyinstrument", "--interval", "0.001", "-o", str(args.profile), *cmd[1:]]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    db = mongo[settings.database_name("voting")]
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            for _ in range(300):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("the voting service did not become ready")
            t0 = time.perf_counter()
            envs = world(args.members, args.candidates, args.quota, args.units)
            await produce(settings, topics.NOMINATIONS, [(e.key.encode(), e.model_dump_json().encode()) for e in envs])
            setup_deadline = time.perf_counter() + args.setup_timeout
            store = MongoVotingStore(db)
            while not await learned(store, args.members, args.candidates):
                if time.perf_counter() > setup_deadline:
                    raise TimeoutError(f"the voting service did not learn the roll within {args.setup_timeout}s")
                await asyncio.sleep(0.2)
            learned_s = time.perf_counter() - t0
            token = issue_token(settings, role="organiser", subject="bench")
            t0 = time.perf_counter()
            r = await http.post("/rounds", headers={"Authorization": f"Bearer {token}"}, json={
                "round_id": "bench", "programme_id": PID, "name": "基准测评", "category_ids": ["organ"],
                "ballot_type": "approval", "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
            r.raise_for_status()
            opened = time.perf_counter() - t0

        # Ground truth: a skewed preference, up to the quota per ballot.
        rng = random.Random(7)
        weights = [1.0 / (i + 1) for i in range(args.candidates)]
        cands = [f"n{i:03d}" for i in range(args.candidates)]
        truth = {c: 0 for c in cands}
        commands: list[tuple[bytes, bytes]] = []
        for i in range(args.members):
            k = rng.randint(1, args.quota)
            picks = set()
            while len(picks) < k:
                picks.add(rng.choices(cands, weights)[0])
            for c in picks:
                truth[c] += 1
            mark = domain.voter_mark(cfg.ballot_secret, "bench", f"m{i:06d}")
            cmd = CastBallot(command_id=uuid4().hex, round_id="bench", mark=mark, receipt=domain.new_receipt(),
                             selections=sorted(picks), cast_at=datetime.now(UTC))
            commands.append((mark.encode(), cmd.model_dump_json().encode()))
        extra = int(args.members * args.duplicates)
        redelivered = rng.sample(commands, extra)  # the very same command again: counts once
        second = []  # a second, different ballot by a voter who already voted: refused as already_voted
        for key, _ in rng.sample(commands, extra):
            cmd = CastBallot(command_id=uuid4().hex, round_id="bench", mark=key.decode(), receipt=domain.new_receipt(),
                             selections=[cands[-1]], cast_at=datetime.now(UTC))
            second.append((key, cmd.model_dump_json().encode()))
        pushed = commands + redelivered + second

        started = time.perf_counter()
        await produce(settings, topics.BALLOTS, pushed)
        produced = time.perf_counter() - started
        deadline = started + args.timeout
        tally = {}
        while time.perf_counter() < deadline:
            tally = await MongoVotingStore(db).read_tally("bench")
            refused = sum((tally.get("refused") or {}).values())
            if tally.get("ballots_cast", 0) >= args.members and refused >= extra:
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        pids = {"voting": proc.pid if proc else os.getpid(), "benchmark": os.getpid(),
                **{mp.name: mp.proc.pid for mp in servers.processes}}
        http_result = await http_path(args, settings, base, db, pids) if args.http_ballots else {}
        rnd = await MongoVotingStore(db).get_round("bench")
        keys = {c["nomination_id"]: c["key"] for c in rnd["candidates"]}
        counted = {c: int((tally.get("approvals") or {}).get(keys[c], 0)) for c in cands}
        ok = (tally.get("ballots_cast") == args.members and counted == truth
              and (tally.get("refused") or {}).get("already_voted", 0) == extra
              and (not http_result or http_result["http_counted"] == http_result["http_ballots"]))
        return {"members": args.members, "commands_pushed": len(pushed), "redelivered": extra,
                "second_ballots": extra, "roll_learned_s": round(learned_s, 1), "round_opened_s": round(opened, 1),
                "produce_s": round(produced, 2), "counted_s": round(elapsed, 2),
                "ballots_per_s": round(args.members / elapsed), "commands_per_s": round(len(pushed) / elapsed),
                "ballots_cast": tally.get("ballots_cast"), "refused": tally.get("refused"),
                "tally_matches_ground_truth": ok, "tally_sequence": tally.get("sequence"), **http_result}
    finally:
        await mongo.close()
        if proc is not None:
            proc.send_signal(signal.SIGINT) if args.profile else proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if ctx is not None:
            server.should_exit = True
            await ctx


async def http_path(args: argparse.Namespace, settings: Settings, base: str, db, pids: dict[str, int]) -> dict:
    """The HTTP path: members cast with their tokens, each request answered once its ballot is counted."""
    n = min(args.http_ballots, args.members)
    organiser = {"Authorization": f"Bearer {issue_token(settings, role='organiser', subject='bench')}"}
    voters = [f"m{i:06d}" for i in range(n)]
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        r = await http.post("/rounds", headers=organiser, json={
            "round_id": "bench-http", "programme_id": PID, "name": "HTTP 测评", "category_ids": ["organ"],
            "ballot_type": "approval", "eligibility": {"mode": "members", "member_ids": voters},
            "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
        r.raise_for_status()
    tokens = iter([issue_token(settings, role="member", subject=m, member_id=m) for m in voters])
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    url = httpx.URL(base)

    async def worker() -> None:
        # A kept-alive connection the server closed is retried once by KeepAlive; a repeat that finds the
        # ballot counted answers 409 already_voted, so a retry never counts twice.
        conn = KeepAlive(url.host, url.port)
        try:
            for token in tokens:
                t = time.perf_counter()
                status, _ = await conn.post("/rounds/bench-http/ballots", b'{"selections": ["n000"]}',
                                            {"Authorization": f"Bearer {token}"})
                latencies.append(time.perf_counter() - t)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            await conn.close()

    print(f"casting {n} ballots over HTTP on {args.http_concurrency} connections", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with ResourceSampler(pids, own_only={"benchmark"}) as usage:
        await asyncio.gather(*(worker() for _ in range(args.http_concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    tally = await MongoVotingStore(db).read_tally("bench-http")
    return {"http_ballots": n, "http_statuses": statuses, "http_counted": tally.get("ballots_cast"),
            "http_ballots_per_s": round(n / elapsed),
            "http_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
            "http_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
            "http_cpu_percent": {k: v["cpu_percent"] for k, v in usage.table(elapsed).items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--candidates", type=int, default=12)
    ap.add_argument("--quota", type=int, default=5)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--duplicates", type=float, default=0.02, help="share of redelivered and of second ballots")
    ap.add_argument("--timeout", type=float, default=180, help="seconds allowed for counting")
    ap.add_argument("--setup-timeout", type=float, default=600, help="seconds allowed for learning the roll")
    ap.add_argument("--in-process", action="store_true", help="run the service in this process")
    ap.add_argument("--http-ballots", type=int, default=2000, help="also cast this many over HTTP (0: skip)")
    ap.add_argument("--http-concurrency", type=int, default=64)
    ap.add_argument("--profile", type=Path, help="run the service under pyinstrument; its text report goes here")
    args = ap.parse_args()
    args.members = max(100, min(args.members, 500_000))
    root = Path(tempfile.mkdtemp(prefix="voting-bench-"))
    with LocalServers(root) as servers:  # stopped by process group on the way out
        result = asyncio.run(run(args, servers))
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")
    print(f"\n{result['ballots_per_s']} ballots/s "
          f"({'tally matches the ground truth' if result['tally_matches_ground_truth'] else 'TALLY MISMATCH'})")
    sys.exit(0 if result["tally_matches_ground_truth"] else 1)


if __name__ == "__main__":
    main()
