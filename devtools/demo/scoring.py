"""Demo seeding of the scoring service, through its HTTP API only: judges, panels, assignments, indicator points,
judges' scores (deterministic pseudo-random), 随机点验, and one live arena contest with its last round frozen."""
from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from typing import Any

from .context import DemoContext

JUDGE_NAMES = [("李建国", "市委组织部副部长"), ("张秀英", "市直机关工委副书记"), ("王海峰", "市纪委监委派驻纪检组组长"),
               ("刘芳", "市委党校教授"), ("陈志强", "市人大常委会机关党组成员"), ("杨丽华", "市政协机关党组成员"),
               ("赵文博", "市委宣传部处长")]
ARENA_NAME = "2026年度党建业务大比武擂台赛"
ARENA_ROUNDS = [{"round_id": "r1", "name": "必答题", "max_points": 10, "step": 0.5},
                {"round_id": "r2", "name": "抢答题", "max_points": 10, "step": 0.5},
                {"round_id": "r3", "name": "风采展示", "max_points": 20, "step": 0.5}]
KEY_TASKS = ["乡村振兴结对帮扶", "优化营商环境", "安全生产专项整治", "基层治理创新", "数字政府建设"]


def _round(x: float, step: float) -> float:
    return round(round(x / step) * step, 4)


def _subtree_counts(units: list[dict], nominations: list[dict]) -> dict[str, int]:
    parents = {u["unit_id"]: u.get("parent_id") for u in units}
    counts = {u["unit_id"]: 0 for u in units}
    for n in nominations:
        seen: set[str] = set()
        for start in (n.get("nominee_id"), n.get("unit_id")):
            u = start if start in parents else None
            while u and u not in seen:
                seen.add(u)
                u = parents.get(u)
        for u in seen:
            counts[u] = counts.get(u, 0) + 1
    return counts


def _pick_judge_units(units: list[dict], nominations: list[dict], n: int) -> list[str]:
    """Judges from different units, preferring organs whose subtree holds the fewest nominees (fewest recusals)."""
    counts = _subtree_counts(units, nominations)
    organs = [u for u in units if u.get("parent_id") and u.get("kind", "organ") in ("organ", "department")]
    organs.sort(key=lambda u: (counts.get(u["unit_id"], 0), u["unit_id"]))
    chosen = [u["unit_id"] for u in organs[:n]]
    rest = [u["unit_id"] for u in units if u.get("parent_id") and u["unit_id"] not in chosen]
    return (chosen + sorted(rest, key=lambda u: (counts.get(u, 0), u)))[:n]


def _pick_teams(units: list[dict], judge_units: list[str], n: int) -> list[dict]:
    """Teams from organs that most judges may score (not their own unit, subtree or superiors); organs first."""
    parents = {u["unit_id"]: u.get("parent_id") for u in units}

    def chain(u: str | None) -> list[str]:
        out = []
        while u and u not in out:
            out.append(u)
            u = parents.get(u)
        return out

    def free_judges(unit: str) -> int:
        return sum(1 for ju in judge_units if unit not in chain(ju) and ju not in chain(unit))

    kind_rank = {"organ": 0, "department": 1}
    candidates = [u for u in units if u.get("parent_id")]
    candidates.sort(key=lambda u: (-min(free_judges(u["unit_id"]), 5), kind_rank.get(u.get("kind", "organ"), 2),
                                   u["unit_id"]))
    return candidates[:n]


async def _limited(sem: asyncio.Semaphore, coro: Awaitable[Any]) -> Any:
    async with sem:
        return await coro


async def _gather_limited(coros: list[Awaitable[Any]], limit: int = 8) -> list[Any]:
    """Run the calls at most `limit` at a time (the services see a busy but not a flooded API)."""
    sem = asyncio.Semaphore(limit)
    return await asyncio.gather(*[_limited(sem, c) for c in coros])


async def _await_synced(ctx: DemoContext, units: list[dict], nominations: list[dict]) -> None:
    pid = ctx.programme_id

    async def synced() -> Any:
        state = await ctx.call("GET", "scoring", f"/programmes/{pid}/sync", role="organiser")
        return (state["programme_version"] is not None and state["units"] >= len(units)
                and state["nominations"].get("approved", 0) >= len(nominations)) and state

    await ctx.until(synced, "the scoring service learning the programme, units and approved nominations", 120)


async def _configure(ctx: DemoContext) -> None:
    await ctx.call("PUT", "scoring", f"/programmes/{ctx.programme_id}/config", role="organiser", json={
        "vote_share": "share_of_cast", "report_method": "trimmed_mean", "min_judges_to_trim": 5, "zscore": False,
        "tie_breaks": ["report", "peer_vote"], "min_judges_per_nominee": 5})


async def _register_judges(ctx: DemoContext, units: list[dict], nominations: list[dict]) -> list[dict]:
    pid = ctx.programme_id
    judges = []
    for i, ((name, title), unit_id) in enumerate(zip(JUDGE_NAMES, _pick_judge_units(units, nominations, 7)), 1):
        judge = {"judge_id": f"judge-{i:02d}", "name": name, "unit_id": unit_id, "title": title}
        await ctx.call("POST", "scoring", f"/programmes/{pid}/judges", role="organiser", json=judge, expect=(201, 409))
        judges.append({"judge_id": judge["judge_id"], "name": name, "unit_id": unit_id})
    ctx.data["judges"] = judges
    return judges


async def _form_panels(ctx: DemoContext, categories: list[dict], nominations: list[dict],
                       judge_ids: list[str]) -> dict[str, dict]:
    """A panel per category with nominees, every judge on it, then the automatic assignment."""
    pid = ctx.programme_id
    by_category: dict[str, list[dict]] = {}
    for n in nominations:
        by_category.setdefault(n["category_id"], []).append(n)
    panels = {}
    for cat in categories:
        cid = cat["category_id"]
        if cid not in by_category:
            continue
        panel_id = f"panel-{cid}"
        await ctx.call("POST", "scoring", f"/programmes/{pid}/panels", role="organiser", expect=(201, 409), json={
            "panel_id": panel_id, "category_id": cid, "name": f"{cat['name']}评审组", "judge_ids": judge_ids,
            "min_judges": 5})
        plan = await ctx.call("POST", "scoring", f"/programmes/{pid}/panels/{panel_id}/auto-assign",
                              role="organiser", json={}, expect=(200, 409))
        if isinstance(plan, dict) and plan.get("shortfalls"):
            ctx.progress(f"demo: {cat['name']}: some nominees have fewer than 5 judges free of conflicts: "
                         f"{plan['shortfalls']}")
        panels[cid] = await ctx.call("GET", "scoring", f"/programmes/{pid}/panels/{panel_id}", role="organiser")
    return panels


async def _enter_indicators(ctx: DemoContext, n: dict) -> None:
    """Indicator points (基础 / 重点 / 业务) of one nomination."""
    rng = random.Random(f"demo-indicators:{n['nomination_id']}")
    tasks = [{"task_id": f"kt{i}", "name": name, "max_points": 10,
              "points": _round(rng.uniform(6.5, 10), 0.5)} for i, name in enumerate(rng.sample(KEY_TASKS, 3), 1)]
    await ctx.call("PUT", "scoring", f"/programmes/{ctx.programme_id}/nominations/{n['nomination_id']}/indicators",
                   role="organiser", json={
                       "basic": {"points": _round(rng.uniform(14, 20), 0.5), "max_points": 20},
                       "business": {"points": _round(rng.uniform(12, 20), 0.5), "max_points": 20},
                       "key_tasks": tasks})


async def _enter_score(ctx: DemoContext, criteria: list[dict], leniency: float, nomination_id: str,
                       judge_id: str) -> None:
    """One judge's sheet: each nominee has a quality, each judge a temperament (`leniency`)."""
    quality = random.Random(f"demo-quality:{nomination_id}").uniform(72, 95)
    rng = random.Random(f"demo-score:{nomination_id}:{judge_id}")
    sheet = {}
    for c in criteria:
        pct = max(0.0, min(100.0, quality + leniency + rng.uniform(-5, 5)))
        sheet[c["criterion_id"]] = _round(c["max_points"] * pct / 100, c.get("step", 0.5))
    await ctx.call("POST", "scoring", f"/programmes/{ctx.programme_id}/scores", role="judge",
                   claims={"judge_id": judge_id}, json={"nomination_id": nomination_id, "scores": sheet},
                   expect=(200, 409))


async def _enter_scores(ctx: DemoContext, categories: list[dict], panels: dict[str, dict],
                        judge_ids: list[str]) -> int:
    """Every judge scores every nominee assigned to them (not recused); returns the number of sheets."""
    criteria = {c["category_id"]: c["criteria"] for c in categories}
    leniency = {j: random.Random(f"demo-judge:{j}").uniform(-4, 4) for j in judge_ids}
    jobs = []
    for cid, panel in panels.items():
        for nomination_id, assigned in panel["assignments"].items():
            for a in assigned:
                if not a["recused"]:
                    jobs.append(_enter_score(ctx, criteria[cid], leniency[a["judge_id"]], nomination_id,
                                             a["judge_id"]))
    await _gather_limited(jobs)
    return len(jobs)


async def _spot_checks(ctx: DemoContext, panels: dict[str, dict]) -> None:
    """随机点验: a committed draw of key tasks, made by its public seed, with results."""
    pid = ctx.programme_id
    for cid in panels:
        # the inputs first (docs/verify.md); a second run repeats the same commitment, which changes nothing
        await ctx.call("POST", "scoring", f"/programmes/{pid}/categories/{cid}/spot-checks/commitment",
                       role="organiser", json={"sample_size": 3, "seed_source": "演示：2026 (demo value)"},
                       expect=(200, 409))
        draw = await ctx.call("POST", "scoring", f"/programmes/{pid}/categories/{cid}/spot-checks", role="organiser",
                              json={"seed": "2026", "sample_size": 3}, expect=(200, 409))
        for i, pick in enumerate(draw.get("picks", []) if isinstance(draw, dict) else []):
            passed = i != 1
            await ctx.call("POST", "scoring", f"/programmes/{pid}/categories/{cid}/spot-checks/results",
                           role="organiser", json={
                               "nomination_id": pick["nomination_id"], "task_id": pick["task_id"], "passed": passed,
                               "verified_points": None if passed else 5,
                               "note": "现场点验属实" if passed else "佐证材料不足，按核实分计"})


async def _arena_score(ctx: DemoContext, arena_id: str, judge_id: str, round_id: str, contestant: dict,
                       max_points: float) -> None:
    r = random.Random(f"demo-arena:{judge_id}:{round_id}:{contestant['contestant_id']}")
    value = _round(max_points * r.uniform(0.7, 0.98), 0.5)
    # 403: the judge is recused from this team (own unit, subtree or superior); others score it
    await ctx.call("POST", "scoring", f"/arenas/{arena_id}/scores", role="judge", claims={"judge_id": judge_id},
                   json={"round_id": round_id, "contestant_id": contestant["contestant_id"], "score": value},
                   expect=(200, 403, 409))


async def _arena(ctx: DemoContext, units: list[dict], judges: list[dict]) -> None:
    """The arena contest: two rounds scored, the last round frozen and under way."""
    pid = ctx.programme_id
    judge_ids = [j["judge_id"] for j in judges]
    teams = _pick_teams(units, [j["unit_id"] for j in judges], 6)
    arena_id = "arena-2026-dabiwu"
    rng = random.Random("demo-arena")
    contestants = [{"contestant_id": f"c{i}", "name": f"{u['name']}代表队", "unit_id": u["unit_id"],
                    "prior_score": round(rng.uniform(75, 92), 1)} for i, u in enumerate(teams, 1)]
    await ctx.call("POST", "scoring", f"/programmes/{pid}/arenas", role="organiser", expect=(201, 409), json={
        "arena_id": arena_id, "name": ARENA_NAME, "rounds": ARENA_ROUNDS, "judge_ids": judge_ids,
        "contestants": contestants, "live_weight": 0.5, "min_judges_to_trim": 5})
    ctx.data["arena_id"] = arena_id
    for rnd in ARENA_ROUNDS[:2]:
        for c in contestants:
            await asyncio.gather(*[_arena_score(ctx, arena_id, j, rnd["round_id"], c, rnd["max_points"])
                                   for j in judge_ids])
    await ctx.call("POST", "scoring", f"/arenas/{arena_id}/freeze", role="organiser", json={"round_id": "r3"})
    for c in contestants[:3]:  # the last round is under way, hidden from the board until revealed
        await asyncio.gather(*[_arena_score(ctx, arena_id, j, "r3", c, 20) for j in judge_ids])
    ctx.progress(f"demo: arena contest {ARENA_NAME} with {len(contestants)} teams; the last round is frozen")


async def seed(ctx: DemoContext) -> None:
    units: list[dict] = ctx.data.get("units", [])
    nominations: list[dict] = ctx.data.get("nominations", [])
    categories: list[dict] = ctx.data.get("categories", [])
    if not units or not categories:
        ctx.progress("demo: scoring skipped (no units or categories from the nominations step)")
        return
    await _await_synced(ctx, units, nominations)
    await _configure(ctx)
    judges = await _register_judges(ctx, units, nominations)
    judge_ids = [j["judge_id"] for j in judges]
    panels = await _form_panels(ctx, categories, nominations, judge_ids)
    await _gather_limited([_enter_indicators(ctx, n) for n in nominations])
    sheets = await _enter_scores(ctx, categories, panels, judge_ids)
    ctx.progress(f"demo: {len(judges)} judges entered {sheets} score sheets in {len(panels)} categories")
    await _spot_checks(ctx, panels)
    await _arena(ctx, units, judges)
