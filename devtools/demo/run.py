"""Seeds the demo programme through the services' HTTP APIs, one step per service, in the programme's order."""
from __future__ import annotations

import importlib
import time
from typing import Any

import httpx

from shared.settings import Settings

from .context import DemoContext

STEPS = ("nominations", "voting", "scoring", "publicity")


async def seed_demo(urls: dict[str, str], settings: Settings, progress=print, **size: Any) -> DemoContext:
    """The demo programme through the services' APIs. size: DemoContext's n_units, n_members, honours_wait (a test's
    small programme)."""
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = DemoContext(settings=settings, urls=urls, client=client, progress=progress, **size)
        for step in STEPS:
            if step not in urls:
                continue
            try:
                module = importlib.import_module(f"devtools.demo.{step}")
            except ModuleNotFoundError:
                progress(f"demo: no seeding step for {step}")
                continue
            started = time.monotonic()
            progress(f"demo: seeding {step} …")
            await module.seed(ctx)
            progress(f"demo: {step} seeded in {time.monotonic() - started:.1f}s")
        return ctx
