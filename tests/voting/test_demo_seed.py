"""The demo seeding step for voting runs against the service's HTTP API and leaves published rounds behind."""
from __future__ import annotations

import httpx

from devtools.demo import voting as demo_voting
from devtools.demo.context import DemoContext
from services.voting.app import create_service
from shared.contracts import Envelope
from shared.contracts.nominations import (
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitInfo,
    UnitsImported,
)
from tests.support import publish_envelopes, running
from tests.voting.helpers import category


async def test_demo_seed_opens_votes_and_publishes(settings):
    pid = "demo-2026"
    cats = [category("organ", "模范机关", 2).model_copy(update={"board": "model_organ"}),
            category("branch", "先锋红旗党支部", 2, "branch").model_copy(update={"board": "red_flag_branch"}),
            category("member", "四好优秀党员", 3, "member").model_copy(update={"board": "excellent_member"})]
    members = [{"member_id": f"m{i:03d}", "name": f"党员{i}", "unit_id": f"u{i % 4}"} for i in range(120)]
    noms = [{"nomination_id": f"{c.category_id}-{i}", "category_id": c.category_id} for c in cats[:2] for i in range(4)]
    envs = [Envelope.wrap(ProgrammeDefined(programme_id=pid, version=1, name="演示", year=2026, categories=cats,
                                           stages=[]), programme_id=pid, key=pid),
            Envelope.wrap(UnitsImported(units=[UnitInfo(unit_id=f"u{i}", name=f"单位{i}") for i in range(4)]),
                          programme_id=pid, key="units"),
            Envelope.wrap(MembersImported(members=[MemberInfo(**m) for m in members]), programme_id=pid, key="m"),
            Envelope.wrap(StageChanged(programme_id=pid, stage="voting", state="open"), programme_id=pid, key=pid)]
    for n in noms:
        envs.append(Envelope.wrap(NominationSubmitted(
            nomination_id=n["nomination_id"], category_id=n["category_id"], nominee_id=n["nomination_id"],
            nominee_name=f"对象{n['nomination_id']}", nominee_kind="organ", unit_id="u0", unit_name="单位0"),
            programme_id=pid, key=n["nomination_id"]))
        envs.append(Envelope.wrap(NominationApproved(nomination_id=n["nomination_id"], category_id=n["category_id"]),
                                  programme_id=pid, key=n["nomination_id"]))
    async with running(create_service, settings) as (svc, _):
        await publish_envelopes(settings, envs)
        transport = httpx.ASGITransport(app=svc.api)
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            ctx = DemoContext(settings=settings, urls={"voting": "http://voting"}, client=client, programme_id=pid,
                              progress=lambda _: None)
            ctx.data.update(members=members, nominations=noms, categories=[c.model_dump() for c in cats])
            await demo_voting.seed(ctx)
            assert [r["category_ids"] for r in ctx.data["rounds"]] == [["organ"], ["branch"]]
            for r in ctx.data["rounds"]:
                tally = (await client.get(f"http://voting/rounds/{r['round_id']}/tally")).json()
                assert tally["ballots_cast"] == 72 and not tally["counts_hidden"]
                votes = sorted((c["approvals"] for c in tally["candidates"]), reverse=True)
                assert votes[0] > votes[-1] and sum(votes) >= 72
