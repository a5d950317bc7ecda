"""The 10,000-member roll imports well under 30 s on the local servers; the demo seeding step runs end to end."""
from __future__ import annotations

import time

import pytest

from devtools.demo.context import DemoContext
from devtools.demo.nominations import generate_organisation, seed, to_csv
from services.nominations.app import create_service
from shared.contracts import topics
from services.nominations.store import NominationFilter
from tests.nominations.helpers import PID, PROGRAMME, store_of
from tests.support import auth, read_topic, running


def test_the_generator_is_deterministic_and_realistic():
    units, members = generate_organisation(240, 2000)
    assert (units, members) == generate_organisation(240, 2000)
    assert len(units) == 240 and len(members) == 2000 and len({m["member_id"] for m in members}) == 2000
    assert units[0]["name"] == "市委办公室" and any(u["name"] == "市财政局机关第一党支部" for u in units)
    ids = {u["unit_id"] for u in units}
    assert all(u["parent_id"] in ids for u in units if u["parent_id"])
    assert all(2 <= len(m["name"]) <= 3 for m in members)
    assert generate_organisation(240, 2000, seed=1)[1] != members


@pytest.mark.slow
async def test_a_10000_member_roll_imports_in_under_30_seconds(settings):
    units, members = generate_organisation(1200, 10_000)
    async with running(create_service, settings) as (svc, http):
        org = auth(settings, "organiser")
        assert (await http.post("/programmes", json=PROGRAMME, headers=org)).status_code == 201
        started = time.perf_counter()
        r = await http.post(f"/programmes/{PID}/units/import", headers=org,
                            files={"file": ("units.csv", to_csv(units, ["unit_id", "name", "parent_id", "kind"]))})
        assert r.status_code == 200 and r.json()["imported"] == 1200, r.text[:300]
        r = await http.post(f"/programmes/{PID}/members/import", headers=org,
                            files={"file": ("members.csv", to_csv(members, ["member_id", "name", "unit_id"]))})
        elapsed = time.perf_counter() - started
        assert r.status_code == 200 and r.json()["imported"] == 10_000 and r.json()["events"] == 10, r.text[:300]
        print(f"\nimport of 1,200 units and 10,000 members: {elapsed:.2f} s")
        assert elapsed < 30
        started = time.perf_counter()
        r = await http.post(f"/programmes/{PID}/members/import", headers=org,
                            files={"file": ("members.csv", to_csv(members, ["member_id", "name", "unit_id"]))})
        assert r.json()["imported"] == 0 and r.json()["unchanged"] == 10_000
        print(f"re-import of the same 10,000 members (no change): {time.perf_counter() - started:.2f} s")
        assert (await store_of(svc).members_page(PID, None, None, 0, 1))[0] == 10_000
        raw = await read_topic(settings, topics.NOMINATIONS, min_count=1 + 2 + 10, timeout=20)
        assert len(raw) == 13  # ProgrammeDefined, 2 UnitsImported chunks, 10 MembersImported chunks


async def test_the_demo_seeding_step(settings):
    async with running(create_service, settings) as (svc, http):
        ctx = DemoContext(settings=settings, urls={"nominations": "http://testserver"}, client=http,
                          progress=lambda _: None)
        await seed(ctx)
        assert len(ctx.data["units"]) >= 30 and len(ctx.data["members"]) == 2000
        assert {c["board"] for c in ctx.data["categories"]} >= {"model_organ", "red_flag_branch"}
        statuses = {}
        for n in await all_nominations(svc):
            statuses[n["status"]] = statuses.get(n["status"], 0) + 1
        assert statuses == {"approved": 98, "returned": 1, "rejected": 1}
        assert len(ctx.data["nominations"]) == 98
        await seed(ctx)  # seeding again changes nothing
        assert len(await all_nominations(svc)) == 100


async def all_nominations(svc) -> list[dict]:
    """Every nomination of every programme, through the service's store."""
    store = store_of(svc)
    out = []
    for p in await store.list_programmes():
        out += await store.find_nominations(NominationFilter(p["_id"]), [("submitted_at", 1)])
    return out
