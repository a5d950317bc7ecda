"""Cast one ballot with a known trace id in a running demo, then list that trace from the services' console spans.

    OTEL_TRACES_EXPORTER=console ./exemplar demo --free-ports --no-browser --run-dir /tmp/X
    set -a; source /tmp/X/env; set +a; .venv/bin/python -m devtools.trace_ballot /tmp/X

It seeds a second programme (trace-2027) through the nominations service, opens a voting round in it, casts ONE
ballot with a W3C traceparent of its own, and prints the spans of that trace found in /tmp/X/logs/<service>.log
(start time, service, kind, name; "(linked, own trace)" marks a span of another trace that links to it).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from devtools.demo import nominations
from devtools.demo.context import DemoContext
from shared.settings import Settings

SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
PROGRAMME, ROUND = "trace-2027", "trace-2027-vote"
DOCUMENT = re.compile(r"^\{", re.M)


def spans_of(run_dir: Path, trace_id: str) -> list[tuple[str, str, str, str, bool]]:
    """(start time, service, kind, name, in the trace itself) of the console spans in or linked to the trace."""
    rows, decoder = [], json.JSONDecoder()
    for log in sorted((run_dir / "logs").glob("*.log")):
        text, at = log.read_text(errors="replace"), 0
        while (m := DOCUMENT.search(text, at)) is not None:
            try:
                doc, at = decoder.raw_decode(text, m.start())
            except ValueError:
                at = m.end()
                continue
            if not (isinstance(doc, dict) and "context" in doc and "kind" in doc):
                continue  # a log line
            own = doc["context"]["trace_id"] == f"0x{trace_id}"
            if own or any(link["context"]["trace_id"] == f"0x{trace_id}" for link in doc.get("links") or ()):
                rows.append((doc["start_time"], log.stem, doc["kind"].removeprefix("SpanKind."), doc["name"], own))
    return sorted(rows)


def listing(trace_id: str, rows: list[tuple[str, str, str, str, bool]]) -> str:
    own = sum(1 for r in rows if r[4])
    linked = f", {len(rows) - own} linked from other traces" if len(rows) > own else ""
    head = f"trace 0x{trace_id}: {own} spans{linked}"
    return "\n".join([head] + [f"{start[11:23]} {svc:12} {kind:9} {name}" + ("" if mine else " (linked, own trace)")
                               for start, svc, kind, name, mine in rows])


async def _opened_round(ctx: DemoContext) -> dict:
    cid = next(c["category_id"] for c in ctx.data["categories"]
               if any(n["category_id"] == c["category_id"] for n in ctx.data["nominations"]))

    async def learned() -> bool:
        b = await ctx.call("GET", "voting", f"/programmes/{PROGRAMME}/candidates", role="organiser")
        return b["members_on_roll"] >= len(ctx.data["members"]) and \
            any(c["category_id"] == cid for c in b["candidates"])

    await ctx.until(learned, "voting learning the programme", timeout=120)
    await ctx.enter_stage("voting")
    body = {"round_id": ROUND, "programme_id": PROGRAMME, "name": "追踪投票", "category_ids": [cid],
            "ballot_type": "approval", "closes_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}

    async def opened() -> dict | None:
        r = await ctx.client.post(ctx.url("voting", "/rounds"), json=body, headers=ctx.headers("organiser"))
        if r.status_code == 201:
            return r.json()
        if r.status_code == 409 and "exists" in r.text:
            return (await ctx.client.get(ctx.url("voting", f"/rounds/{ROUND}"))).json()
        return None

    return await ctx.until(opened, "the round opening", 60)


async def cast_one(settle_seconds: float) -> str:
    """Seed, open the round, let the seeding's spans drain, cast one traced ballot; the trace id."""
    urls = {s: os.environ[f"EXEMPLAR_{s.upper()}_URL"] for s in SERVICES}
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = DemoContext(settings=Settings(), urls=urls, client=client, programme_id=PROGRAMME,
                          progress=lambda line: print(line, file=sys.stderr))
        await nominations.seed(ctx)
        rnd = await _opened_round(ctx)
        await asyncio.sleep(settle_seconds)
        trace_id = secrets.token_hex(16)
        headers = ctx.headers("member", member_id=ctx.data["members"][0]["member_id"]) | {
            "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        r = await client.post(ctx.url("voting", f"/rounds/{ROUND}/ballots"), headers=headers,
                              json={"selections": [rnd["candidates"][0]["nomination_id"]]})
        print(f"cast: {r.status_code} {r.json().get('status')}", file=sys.stderr)
        return trace_id


async def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m devtools.trace_ballot", description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path, help="the demo's --run-dir (its logs/ hold the console spans)")
    p.add_argument("--settle", type=float, default=15.0, help="seconds to wait before the ballot (seeding's spans)")
    p.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the leaderboard's span")
    args = p.parse_args(argv)
    trace_id = await cast_one(args.settle)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.wait
    # The batch span processor exports every 5 s (OTEL_BSP_SCHEDULE_DELAY): wait for the end of the path, then a bit.
    while loop.time() < deadline and not any(r[1] == "leaderboard" and r[3] == "TallyUpdated apply" and r[4]
                                             for r in spans_of(args.run_dir, trace_id)):
        await asyncio.sleep(1)
    await asyncio.sleep(6)
    print(listing(trace_id, spans_of(args.run_dir, trace_id)))


if __name__ == "__main__":
    asyncio.run(main())
