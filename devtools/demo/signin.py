"""The demo's sign-in links: one per role, so each person of the demo signs in by opening a link."""
from __future__ import annotations

from contextlib import asynccontextmanager

import httpx

from shared.signin_links import DEFAULT_DASHBOARD_URL, link_url, mint_link_token

from .context import DemoContext


@asynccontextmanager
async def _kept(client: httpx.AsyncClient):
    yield client


def _pick(ctx: DemoContext) -> list[dict]:
    """A unit that nominated, a judge, a member of the roll: whichever the seeding left."""
    wanted = []
    noms = ctx.data.get("nominations") or []
    units = ctx.data.get("units") or []
    unit_id = noms[0]["unit_id"] if noms else (units[0]["unit_id"] if units else None)
    if unit_id:
        wanted.append({"role": "unit", "unit_id": unit_id})
    if ctx.data.get("judges"):
        judge = ctx.data["judges"][0]
        wanted.append({"role": "judge", "judge_id": judge["judge_id"], "name": judge["name"]})
    if ctx.data.get("members"):
        wanted.append({"role": "member", "member_id": ctx.data["members"][0]["member_id"]})
    return wanted


async def demo_links(ctx: DemoContext, dashboard_url: str = "",
                     client: httpx.AsyncClient | None = None) -> list[tuple[str, str, str]]:
    """(role, name, url): the organiser's minted here as the CLI does, the others issued through nominations (with
    a client of its own: the seeding's client is closed by then)."""
    base = dashboard_url or DEFAULT_DASHBOARD_URL
    token, _ = mint_link_token(ctx.settings, role="organiser", name="演示组织者", hours=72)
    out = [("organiser", "演示组织者", link_url(base, token))]
    wanted = _pick(ctx)
    if not wanted or "nominations" not in ctx.urls:
        return out
    async with httpx.AsyncClient(timeout=60) if client is None else _kept(client) as ctx.client:
        issued = await ctx.call("POST", "nominations", f"/programmes/{ctx.programme_id}/signin-links",
                                role="organiser", json={"links": wanted, "hours": 72})
    return out + [(x["role"], x["name"], link_url(base, x["token"])) for x in issued]
