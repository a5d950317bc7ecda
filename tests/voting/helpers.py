"""Feeding the voting service the roll and the candidates, as the nominations service would."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.nominations import (
    CategoryInfo,
    CriterionInfo,
    MemberInfo,
    MembersImported,
    NominationApproved,
    NominationSubmitted,
    ProgrammeDefined,
    UnitInfo,
    UnitsImported,
)
from services.voting.store import MongoVotingStore
from tests.support import eventually, publish_envelopes

PID = "p2026"


def category(cid: str, name: str, quota: int, kind: str = "organ") -> CategoryInfo:
    return CategoryInfo(category_id=cid, name=name, nominee_kind=kind, quota=quota,
                        criteria=[CriterionInfo(criterion_id="c1", name="政治建设强", max_points=20)],
                        weights={"peer_vote": 1.0})


def world(units: int = 3, per_unit: int = 4, candidates: int = 4, quota: int = 2) -> dict:
    """Envelopes for a programme with two categories, a roll and approved candidates in the first category."""
    unit_list = [UnitInfo(unit_id=f"u{i}", name=f"单位{i}") for i in range(units)]
    members = [MemberInfo(member_id=f"m{u}-{j}", name=f"党员{u}-{j}", unit_id=f"u{u}")
               for u in range(units) for j in range(per_unit)]
    envs = [
        Envelope.wrap(ProgrammeDefined(programme_id=PID, version=1, name="2026年度评选", year=2026,
                                       categories=[category("organ", "模范机关", quota),
                                                   category("branch", "先锋红旗党支部", 1, "branch")], stages=[]),
                      programme_id=PID, key=PID),
        Envelope.wrap(UnitsImported(units=unit_list), programme_id=PID, key="units"),
        Envelope.wrap(MembersImported(members=members), programme_id=PID, key="members"),
    ]
    noms = [f"n{i}" for i in range(candidates)]
    for i, nid in enumerate(noms):
        envs.append(Envelope.wrap(NominationSubmitted(
            nomination_id=nid, category_id="organ", nominee_id=f"org{i}", nominee_name=f"机关{i}",
            nominee_kind="organ", unit_id=f"u{i % units}", unit_name=f"单位{i % units}"), programme_id=PID, key=nid))
        envs.append(Envelope.wrap(NominationApproved(nomination_id=nid, category_id="organ"),
                                  programme_id=PID, key=nid))
    return {"envelopes": envs, "members": [m.member_id for m in members], "nominations": noms,
            "units": [u.unit_id for u in unit_list]}


def store(svc) -> MongoVotingStore:
    """The voting service's store, outside any transaction (what a test reads instead of its collections)."""
    return svc.voting.uow.store


async def seed(settings, svc, w: dict) -> None:
    await publish_envelopes(settings, w["envelopes"])

    async def learned():
        n = len(await store(svc).candidates(PID, None))
        m = await store(svc).count_members()
        return n == len(w["nominations"]) and m == len(w["members"])

    await eventually(learned, timeout=60)
