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
    StageChanged,
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


def world(units: int = 3, per_unit: int = 4, candidates: int = 4, quota: int = 2, *, pid: str = PID,
          unit_name: str = "单位", nomination: str = "n", voting_open: bool = True,
          categories: list[CategoryInfo] | None = None) -> dict:
    """Envelopes for a programme with two categories, a roll and approved candidates in the first category, with
    its voting stage (民主测评) open unless told otherwise. Another `pid` gives the same unit and member ids in another
    programme (nomination ids are
    unique in an installation: give another `nomination` prefix)."""
    unit_list = [UnitInfo(unit_id=f"u{i}", name=f"{unit_name}{i}") for i in range(units)]
    members = [MemberInfo(member_id=f"m{u}-{j}", name=f"党员{u}-{j}", unit_id=f"u{u}")
               for u in range(units) for j in range(per_unit)]
    envs = [
        Envelope.wrap(ProgrammeDefined(programme_id=pid, version=1, name="2026年度评选", year=2026,
                                       categories=categories or [category("organ", "模范机关", quota),
                                                                 category("branch", "先锋红旗党支部", 1, "branch")],
                                       stages=[]),
                      programme_id=pid, key=pid),
        Envelope.wrap(UnitsImported(units=unit_list), programme_id=pid, key="units"),
        Envelope.wrap(MembersImported(members=members), programme_id=pid, key="members"),
    ]
    if voting_open:
        envs.append(Envelope.wrap(StageChanged(programme_id=pid, stage="voting", state="open"),
                                  programme_id=pid, key=pid))
    noms = [f"{nomination}{i}" for i in range(candidates)]
    for i, nid in enumerate(noms):
        envs.append(Envelope.wrap(NominationSubmitted(
            nomination_id=nid, category_id="organ", nominee_id=f"org{i}", nominee_name=f"机关{i}",
            nominee_kind="organ", unit_id=f"u{i % units}", unit_name=f"单位{i % units}"), programme_id=pid, key=nid))
        envs.append(Envelope.wrap(NominationApproved(nomination_id=nid, category_id="organ"),
                                  programme_id=pid, key=nid))
    return {"envelopes": envs, "members": [m.member_id for m in members], "nominations": noms,
            "units": [u.unit_id for u in unit_list], "programme_id": pid, "voting_open": voting_open}


def store(svc) -> MongoVotingStore:
    """The voting service's store, outside any transaction (what a test reads instead of its collections)."""
    return svc.voting.uow.store


async def seed(settings, svc, w: dict) -> None:
    await publish_envelopes(settings, w["envelopes"])

    pid = w.get("programme_id", PID)

    async def learned():
        n = len(await store(svc).candidates(pid, None))
        m = await store(svc).count_members(pid)
        programme = await store(svc).programme(pid) or {}
        stage = (programme.get("stage_state") or {}).get("voting") == "open" or not w.get("voting_open", True)
        return n == len(w["nominations"]) and m == len(w["members"]) and stage

    await eventually(learned, timeout=60)
