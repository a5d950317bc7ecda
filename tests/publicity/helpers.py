"""Shared set-up for the publicity tests: the events the service learns from, and a clock the test moves."""
from __future__ import annotations

from datetime import datetime

from shared.contracts import Envelope
from shared.contracts.nominations import (
    CategoryInfo,
    CriterionInfo,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
)
from shared.contracts.scoring import Standing, StandingsUpdated
from tests.support import eventually, publish_envelopes

PID = "p2025"
CAT = "model-organ"
NOMINEES = [  # (nomination id, name, unit), in rank order
    ("nom-a", "市发展和改革委员会机关", "市发展和改革委员会"),
    ("nom-b", "市财政局机关", "市财政局"),
    ("nom-c", "市教育局机关", "市教育局"),
    ("nom-d", "市卫生健康委员会机关", "市卫生健康委员会"),
]


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def publicity_stage(state: str = "open", programme_id: str = PID) -> Envelope:
    """The organiser opening (or closing) the programme's 公示 stage, as the nominations service announces it."""
    return Envelope.wrap(StageChanged(programme_id=programme_id, stage="publicity", state=state),
                         programme_id=programme_id, key=programme_id)


def programme_events(quota: int = 3, publicity_open: bool = True) -> list[Envelope]:
    """The programme, four nominations, the board (and a late older one), and the publicity stage opened: notices
    are opened only in that stage."""
    category = CategoryInfo(category_id=CAT, name="模范机关", nominee_kind="organ", board="model_organ", quota=quota,
                            criteria=[CriterionInfo(criterion_id="c1", name="政治建设强", max_points=20)],
                            weights={"basic": 0.5, "peer_vote": 0.5})
    envs = [Envelope.wrap(ProgrammeDefined(programme_id=PID, version=1, name="2025年度创先争优评选", year=2025,
                                           categories=[category], stages=[]), programme_id=PID, key=PID)]
    for nid, name, unit in NOMINEES:
        envs.append(Envelope.wrap(NominationSubmitted(
            nomination_id=nid, category_id=CAT, nominee_id=nid, nominee_name=name, nominee_kind="organ",
            unit_id="u-" + nid, unit_name=unit), programme_id=PID, key=nid))
    standings = [Standing(nomination_id=nid, rank=i + 1, composite=95.0 - 3 * i, components=[])
                 for i, (nid, _, _) in enumerate(NOMINEES)]
    envs.append(Envelope.wrap(StandingsUpdated(category_id=CAT, programme_version=1, sequence=3, standings=standings),
                              programme_id=PID, key=CAT))
    # an older board arriving late must not replace the newer one
    envs.append(Envelope.wrap(StandingsUpdated(category_id=CAT, programme_version=1, sequence=1,
                                               standings=list(reversed(standings))), programme_id=PID, key=CAT))
    if publicity_open:
        envs.append(publicity_stage())
    return envs


async def feed(settings, svc) -> None:
    await publish_envelopes(settings, programme_events())

    async def learned():
        board = await svc.store.board(f"{PID}:{CAT}")
        known = await svc.store.nominations_of([nid for nid, _, _ in NOMINEES])
        programme = await svc.store.programme(PID)
        return (board and len(known) == len(NOMINEES) and programme and programme.get("stage_state")
                and svc.processed >= 8)

    await eventually(learned, timeout=30)


async def closed_notice(svc, notice_id: str) -> dict | None:
    """The notice once the service has closed it (None before)."""
    n = await svc.store.notice(notice_id)
    return n if n and n["state"] == "closed" else None


def objection_form(nomination_id: str, *, name: str = "张三", phone: str = "13800138000", email: str = "",
                   reason: str = "该单位在年度考核中存在材料不实的问题，具体情况见附件。") -> dict:
    return {"nomination_id": nomination_id, "name": name, "phone": phone, "email": email, "reason": reason}
