"""What the demo seeding steps share: service URLs, a token maker, and the data each step leaves for the next."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.auth import issue_token
from shared.settings import Settings


@dataclass
class DemoContext:
    settings: Settings
    urls: dict[str, str]  # service name -> base URL, e.g. {"nominations": "http://127.0.0.1:8101", ...}
    client: httpx.AsyncClient
    programme_id: str = "demo-2026"
    progress: Callable[[str], None] = print
    # The organisation's size: 40 organs of 6 units each and a roll of 2,000 (the demo); a test seeds a small one.
    n_units: int = 40 * 6
    n_members: int = 2000
    # How long publicity waits for the one-day notice's honours (devtools/demo/publicity.py)
    honours_wait: float = 10.0
    # Keys written by the steps, in order:
    #   nominations: "units" [{unit_id, name, parent_id, kind}], "members" [{member_id, name, unit_id}],
    #                "categories" [category dicts as defined], "nominations" [{nomination_id, category_id,
    #                nominee_id, nominee_name, unit_id, unit_name}] (approved ones)
    #   voting: "rounds" [{round_id, category_ids}]
    #   scoring: "judges" [{judge_id, name, unit_id}], "arena_id"
    #   publicity: "notices" [{notice_id, category_id}]
    data: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str, **claims: Any) -> dict[str, str]:
        token = issue_token(self.settings, role=role, subject=claims.pop("subject", f"demo-{role}"), **claims)
        return {"Authorization": f"Bearer {token}"}

    def url(self, service: str, path: str) -> str:
        return self.urls[service].rstrip("/") + path

    async def call(self, method: str, service: str, path: str, *, role: str | None = None,
                   claims: dict | None = None, expect: tuple[int, ...] = (200, 201, 202), **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if role:
            headers.update(self.headers(role, **(claims or {})))
        r = await self.client.request(method, self.url(service, path), headers=headers, **kw)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {service}{path} -> {r.status_code}: {r.text[:500]}")
        return r.json() if r.content and r.headers.get("content-type", "").startswith("application/json") else r

    async def enter_stage(self, stage: str) -> None:
        """Move the programme to `stage` as its organiser would: close the stage that is open, open this one. Only
        with the nominations service in the demo (a step seeded on its own gets its stages from its caller), and
        only for a programme whose stages the organiser controls (by dates they open and close by themselves)."""
        if "nominations" not in self.urls:
            return
        pid = self.programme_id
        programme = await self.call("GET", "nominations", f"/programmes/{pid}")
        if programme.get("stage_control", "organiser") != "organiser":
            return
        state = programme.get("stage_state") or {}
        for other, st in state.items():
            if other != stage and st == "open":
                await self.call("POST", "nominations", f"/programmes/{pid}/stages/{other}/close", role="organiser",
                                expect=(200, 409))
        if state.get(stage) != "open":
            await self.call("POST", "nominations", f"/programmes/{pid}/stages/{stage}/open", role="organiser",
                            expect=(200, 409))
        self.progress(f"demo: the {stage} stage is open")

    async def until(self, check: Callable[[], Awaitable[Any]], what: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.3)
        raise TimeoutError(f"demo: {what} did not happen within {timeout}s")
