"""Shared bits of the nominations tests: a small programme, a small tree, events read back from Kafka."""
from __future__ import annotations

import json

from services.nominations.store import Store
from shared.contracts import topics
from tests.support import auth, read_topic

W = {"basic": 0.3, "key_tasks": 0.2, "business": 0.2, "report": 0.15, "peer_vote": 0.15}
PID = "p-test"
PROGRAMME = {
    "programme_id": PID, "name": "2026年度市直机关创先争优评选", "year": 2026,
    "categories": [
        {"category_id": "model-organ", "name": "模范机关", "nominee_kind": "organ", "board": "model_organ",
         "quota": 2, "competitive_ratio": 1.5, "unit_limit": 1, "criteria_template": "wuqiang_wudaitou",
         "weights": W},
        {"category_id": "red-flag-branch", "name": "先锋红旗党支部", "nominee_kind": "branch",
         "board": "red_flag_branch", "quota": 1, "competitive_ratio": 1.0, "unit_limit": 2,
         "criteria_template": "siqiang", "weights": W},
        {"category_id": "good-member", "name": "四好优秀党员", "nominee_kind": "member", "board": "excellent_member",
         "quota": 5, "competitive_ratio": 1.2, "criteria_template": "sihao", "weights": W},
    ],
    "stages": [{"stage": "nomination", "opens_at": "2026-03-02T09:00", "closes_at": "2026-03-31T17:30"},
               {"stage": "review", "opens_at": "2026-04-01T09:00", "closes_at": "2026-04-15T17:30"}],
}
UNITS_CSV = """unit_id,name,parent_id,kind
u-czj,市财政局,,organ
u-czj-d1,市财政局办公室,u-czj,department
u-czj-b1,市财政局机关第一党支部,u-czj-d1,branch
u-czj-b2,市财政局机关第二党支部,u-czj-d1,branch
u-fgw,市发展和改革委员会,,organ
u-fgw-b1,市发展和改革委员会机关第一党支部,u-fgw,branch
"""
MEMBERS_CSV = """member_id,name,unit_id
m1,王伟,u-czj-b1
m2,李娜,u-czj-b2
m3,张强,u-fgw-b1
"""


async def setup_programme(http, settings, *, open_stage: bool = True) -> dict:
    org = auth(settings, "organiser")
    r = await http.post("/programmes", json=PROGRAMME, headers=org)
    assert r.status_code == 201, r.text
    r = await http.post(f"/programmes/{PID}/units/import", files={"file": ("u.csv", UNITS_CSV.encode())}, headers=org)
    assert r.status_code == 200 and r.json()["imported"] == 6, r.text
    r = await http.post(f"/programmes/{PID}/members/import", files={"file": ("m.csv", MEMBERS_CSV.encode())},
                        headers=org)
    assert r.status_code == 200 and r.json()["imported"] == 3, r.text
    if open_stage:
        r = await http.post(f"/programmes/{PID}/stages/nomination/open", headers=org)
        assert r.status_code == 200, r.text
    return org


async def events(settings, min_count: int = 1) -> list[dict]:
    raw = await read_topic(settings, topics.NOMINATIONS, min_count=min_count, timeout=15)
    return [json.loads(x) for x in raw]


def store_of(svc) -> Store:
    """The nominations store of a running service: tests read what it holds through it, not through svc.db."""
    return svc.api.state.nominations.store
