"""Demo seeding of the voting service, through its HTTP API only.

Waits until voting has learned the roll and the approved nominations from the nominations service's events, opens
one approval round (民主推荐) for each of the boards 模范机关 and 先锋红旗党支部 over the whole roll with counts hidden,
casts ballots for about 60% of the members with member tokens and a realistic skewed preference, then publishes
the counts.
"""
from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from .context import DemoContext

BOARDS = ("model_organ", "red_flag_branch")
TURNOUT = 0.6
CONCURRENCY = 24


async def seed(ctx: DemoContext) -> None:
    pid = ctx.programme_id
    categories = [c for c in ctx.data.get("categories", []) if c.get("board") in BOARDS]
    members = ctx.data.get("members", [])
    nominations = ctx.data.get("nominations", [])
    if not categories or not members:
        ctx.progress("demo: voting skipped (no board categories or no members from the nominations step)")
        ctx.data["rounds"] = []
        return
    wanted = {c["category_id"]: sum(1 for n in nominations if n["category_id"] == c["category_id"])
              for c in categories}
    categories = [c for c in categories if wanted[c["category_id"]] > 0]
    wanted = {cid: n for cid, n in wanted.items() if n > 0}
    if not categories:
        ctx.progress("demo: voting skipped (no approved nominations in the board categories)")
        ctx.data["rounds"] = []
        return

    async def learned():
        body = await ctx.call("GET", "voting", f"/programmes/{pid}/candidates", role="organiser")
        have = {}
        for cand in body["candidates"]:
            have[cand["category_id"]] = have.get(cand["category_id"], 0) + 1
        return body["members_on_roll"] >= len(members) and all(
            have.get(cid, 0) >= n for cid, n in wanted.items())

    await ctx.until(learned, "voting learning the roll and the approved nominations", timeout=120)
    await ctx.enter_stage("voting")  # rounds open and ballots are cast in the voting stage (民主测评) only

    rng = random.Random(2026)
    rounds = []
    for cat in categories:
        cid = cat["category_id"]
        round_id = f"{pid}-{cid}-vote"[:64]
        body = {"round_id": round_id, "programme_id": pid, "name": f"{cat['name']}民主推荐投票",
                "category_ids": [cid], "ballot_type": "approval", "counts_hidden": True,
                "closes_at": (datetime.now(UTC) + timedelta(days=7)).isoformat()}
        rnd = await ctx.until(lambda: _open_round(ctx, body), "voting learning that the voting stage is open", 60)
        rounds.append({"round_id": round_id, "category_ids": [cid]})
        if rnd.get("state") == "closed":
            continue  # a re-run of the demo: this round was held before
        quota = rnd["max_per_category"].get(cid, 1)
        cands = [c["nomination_id"] for c in rnd["candidates"]]
        # A skewed preference: a few favourites, a long tail (Zipf-like weights in a shuffled order).
        order = cands[:]
        rng.shuffle(order)
        weights = [1.0 / (i + 1) ** 0.9 for i in range(len(order))]
        voters = rng.sample(members, int(len(members) * TURNOUT))
        ballots = []
        for m in voters:
            k = min(len(order), max(1, quota - (rng.random() < 0.35)))
            picks: list[str] = []
            while len(picks) < k:
                pick = rng.choices(order, weights)[0]
                if pick not in picks:
                    picks.append(pick)
            ballots.append((m["member_id"], picks))
        ctx.progress(f"demo: casting {len(ballots)} ballots in {body['name']} …")
        accepted = await _cast_all(ctx, round_id, ballots)
        # Hidden counts are published once the round is closed.
        await ctx.call("POST", "voting", f"/rounds/{round_id}/close", role="organiser", expect=(200, 409))
        await ctx.call("POST", "voting", f"/rounds/{round_id}/publish", role="organiser", expect=(200, 409))
        tally = await ctx.call("GET", "voting", f"/rounds/{round_id}/tally")
        ctx.progress(f"demo: {body['name']}: {accepted} accepted, {tally['ballots_cast']} counted, "
                     f"turnout {tally['turnout']:.0%}")
    ctx.data["rounds"] = rounds


async def _open_round(ctx: DemoContext, body: dict) -> dict | None:
    """The round opened (or as it is, when a re-run finds it); None while voting has not yet learned that the
    voting stage is open."""
    r = await ctx.client.post(ctx.url("voting", "/rounds"), json=body, headers=ctx.headers("organiser"))
    if r.status_code == 201:
        return r.json()
    if r.status_code == 409:
        if r.json().get("error", {}).get("code") == "stage_closed":
            return None
        return await ctx.call("GET", "voting", f"/rounds/{body['round_id']}")
    raise RuntimeError(f"POST voting/rounds -> {r.status_code}: {r.text[:500]}")


async def _cast_all(ctx: DemoContext, round_id: str, ballots: list[tuple[str, list[str]]]) -> int:
    gate = asyncio.Semaphore(CONCURRENCY)
    accepted = 0

    async def cast(member_id: str, picks: list[str]) -> None:
        nonlocal accepted
        async with gate:
            for attempt in range(8):
                r = await ctx.client.post(ctx.url("voting", f"/rounds/{round_id}/ballots"), json={"selections": picks},
                                          headers=ctx.headers("member", member_id=member_id))
                if r.status_code in (201, 202):
                    accepted += 1
                    return
                if r.status_code == 409 and r.json().get("error", {}).get("code") == "already_voted":
                    return  # a re-run of the demo: this member voted before
                if r.status_code == 429:
                    await asyncio.sleep(1.0 + attempt)
                    continue
                raise RuntimeError(f"POST voting/rounds/{round_id}/ballots -> {r.status_code}: {r.text[:300]}")

    await asyncio.gather(*(cast(m, p) for m, p in ballots))
    return accepted
