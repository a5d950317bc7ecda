"""The demo seeding step runs against the real service through its HTTP API."""
from __future__ import annotations

import httpx

from devtools.demo.context import DemoContext
from devtools.demo.publicity import seed
from services.publicity.app import create_service
from shared.contracts import Envelope
from shared.contracts.nominations import (
    CategoryInfo,
    CriterionInfo,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
)
from shared.contracts.scoring import Standing, StandingsUpdated
from tests.support import eventually, publish_envelopes, running

PID = "demo-2026"


def category(cid, name, kind, board, quota):
    return CategoryInfo(category_id=cid, name=name, nominee_kind=kind, board=board, quota=quota,
                        criteria=[CriterionInfo(criterion_id="c1", name="政治功能强", max_points=20)],
                        weights={"basic": 1.0})


async def test_demo_seeding_leaves_a_live_notice_an_objection_and_both_honour_states(settings):
    cats = [category("model-organ", "模范机关", "organ", "model_organ", 2),
            category("red-flag", "先锋红旗党支部", "branch", "red_flag_branch", 2)]
    envs = [Envelope.wrap(ProgrammeDefined(programme_id=PID, version=1, name="2026年度创先争优评选", year=2026,
                                           categories=cats, stages=[]), programme_id=PID, key=PID),
            # notices open only in the publicity stage (issue 15): the organiser has opened it
            Envelope.wrap(StageChanged(programme_id=PID, stage="publicity", state="open"), programme_id=PID,
                          key=PID)]
    nominations = []
    for cid, names in (("model-organ", ["市发改委机关", "市财政局机关", "市教育局机关"]),
                       ("red-flag", ["市委办公室第一党支部", "市科技局机关党支部"])):
        standings = []
        for i, name in enumerate(names):
            nid = f"{cid}-{i}"
            nominations.append({"nomination_id": nid, "category_id": cid, "nominee_name": name})
            envs.append(Envelope.wrap(NominationSubmitted(nomination_id=nid, category_id=cid, nominee_id=nid,
                                                          nominee_name=name, nominee_kind="organ", unit_id="u",
                                                          unit_name=name.removesuffix("机关")),
                                      programme_id=PID, key=nid))
            standings.append(Standing(nomination_id=nid, rank=i + 1, composite=90.0 - i, components=[]))
        envs.append(Envelope.wrap(StandingsUpdated(category_id=cid, programme_version=1, sequence=1,
                                                   standings=standings), programme_id=PID, key=cid))

    async with running(lambda s: create_service(s, tick_seconds=0.2), settings) as (svc, _):
        await publish_envelopes(settings, envs)
        transport = httpx.ASGITransport(app=svc.api)
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            ctx = DemoContext(settings=settings, urls={"publicity": "http://testserver"}, client=client,
                              programme_id=PID, progress=lambda _: None,
                              data={"categories": [c.model_dump() for c in cats], "nominations": nominations})
            await seed(ctx)
        assert [n["category_id"] for n in ctx.data["notices"]] == ["model-organ", "red-flag"]
        live = await svc.store.notice(ctx.data["notices"][0]["notice_id"])
        assert live["state"] == "open" and [e["nomination_id"] for e in live["entries"]] == ["model-organ-0",
                                                                                              "model-organ-1"]
        assert await svc.store.count_objections(live["_id"]) == 1
        honours = await eventually(lambda: svc.store.honours())
        assert sorted(h["status"] for h in honours) == ["confirmed", "revoked"]
        assert await svc.store.count_reviews() == 1
