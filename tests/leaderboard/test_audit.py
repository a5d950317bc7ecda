"""The audit trail (审计日志) projection, on the in-memory read model: one record per change, with its actor, the
nominee it concerns (named even where the event carries only a nomination id), its reason and a summary."""
from __future__ import annotations

from datetime import UTC, datetime

from services.leaderboard.app import ROUTES
from services.leaderboard.projections import audit
from shared.contracts import EVENT_TYPES, Actor, Envelope
from shared.contracts.nominations import NominationApproved, NominationRejected, StageChanged, VetoSet
from shared.contracts.publicity import CalendarUploaded, NoticeDatesCorrected

from .events import CAT, P, opened, programme, submitted, tally
from .fakes import FakeProjector

ORG = Actor(role="organiser", subject="org-1", name="张主任")
UNIT = Actor(role="unit", subject="u-sub", name="市财政局", unit_id="u1")


def wrap(event, actor: Actor | None = None, programme_id: str = P) -> Envelope:
    return Envelope.wrap(event, programme_id=programme_id, key="k", actor=actor)


async def story() -> tuple[FakeProjector, list[Envelope]]:
    board = FakeProjector()
    envs = [wrap(programme(), ORG), wrap(StageChanged(programme_id=P, stage="nomination", state="open"), ORG),
            wrap(submitted("n1", "市财政局机关"), UNIT), wrap(submitted("n2", "市税务局机关"), UNIT),
            wrap(NominationApproved(nomination_id="n1", category_id=CAT, comment="材料齐全"), ORG),
            wrap(NominationRejected(nomination_id="n2", category_id=CAT, reason="材料不全"), ORG),
            wrap(VetoSet(nominee_id="u-n1", reason="发生违纪", nomination_ids=["n1"], stage="review"), ORG),
            wrap(opened("n1"), Actor(role="system", cause="e-standings")),
            wrap(tally(1, "r1")),
            wrap(CalendarUploaded(year=2027, holidays=30, workdays=6, filename="2027.yaml"), ORG, programme_id="")]
    await board.deliver(envs)
    return board, envs


async def test_every_change_is_recorded_with_its_actor_nominee_and_reason():
    board, envs = await story()
    records = board.store.audit
    assert len(records) == len(envs) - 1  # the tally is a derived snapshot, not a change
    assert envs[8].event_id not in records
    approved = records[envs[4].event_id]
    assert approved["actor"] == {"role": "organiser", "subject": "org-1", "name": "张主任"}
    assert approved["actor_label"] == "organiser:张主任"
    # the event names only the nomination: the record names its nominee, from the read model
    assert (approved["nominee_names"], approved["nominee_ids"]) == (["市财政局机关"], ["u-n1"])
    assert approved["reason"] == "材料齐全" and approved["programme_id"] == P
    rejected = records[envs[5].event_id]
    assert (rejected["type"], rejected["reason"], rejected["nominee_names"]) == ("NominationRejected", "材料不全",
                                                                               ["市税务局机关"])
    veto = records[envs[6].event_id]
    assert veto["reason"] == "发生违纪" and veto["summary"] == "stage=review"
    assert veto["nomination_ids"] == ["n1"] and veto["nominee_ids"] == ["u-n1"]
    submitted_by = records[envs[2].event_id]
    assert submitted_by["actor"]["unit_id"] == "u1" and submitted_by["names"] == ["市财政局机关", "市财政局"]
    notice = records[envs[7].event_id]
    assert notice["actor"] == {"role": "system", "cause": "e-standings"} and notice["ids"]["notice_id"] == "x1"
    assert "working_days=" in notice["summary"] and notice["nominee_names"] == ["市财政局机关"]
    assert records[envs[9].event_id]["programme_id"] == "" and "year=2027" in records[envs[9].event_id]["summary"]


async def test_the_projections_still_apply_beside_the_record():
    board, _ = await story()
    assert board.store.entries["n1"]["status"] == "in_publicity" and board.store.entries["n2"]["status"] == "rejected"


async def test_a_redelivered_event_leaves_the_same_one_record():
    board, envs = await story()
    before = dict(board.store.audit)
    await board.deliver(envs[4:6])
    assert board.store.audit == before


async def test_a_change_without_a_principal_has_no_actor_and_a_correction_keeps_its_reason():
    board = FakeProjector()
    e = NoticeDatesCorrected(notice_id="x1", category_id=CAT, version=2, starts_at=datetime(2026, 3, 2, tzinfo=UTC),
                             ends_at=datetime(2026, 3, 10, tzinfo=UTC), working_days=6, reason="公示期延长一天")
    (env,) = await board.apply(e)
    record = board.store.audit[env.event_id]
    assert record["actor"] is None and record["actor_label"] == ""
    assert record["reason"] == "公示期延长一天" and "version=2" in record["summary"]


async def test_a_change_read_before_its_nomination_names_the_nominee_once_the_nomination_arrives():
    board = FakeProjector()
    (veto,) = await board.apply(VetoSet(nominee_id="u-n1", reason="发生违纪", nomination_ids=["n1"]))
    assert board.store.audit[veto.event_id]["nominee_names"] == []  # another partition, read first
    await board.apply(submitted("n1", "市财政局机关"))
    assert board.store.audit[veto.event_id]["nominee_names"] == ["市财政局机关"]
    assert board.store.audit[veto.event_id]["nominee_ids"] == ["u-n1"]


def test_every_kind_of_change_is_audited_and_nothing_that_names_a_ballot():
    routed = {cls.event_type for cls, apply in ROUTES.items() if isinstance(apply, audit.Audited)}
    assert routed == set(EVENT_TYPES) - audit.NOT_AUDITED
    assert {"BallotAccepted", "BallotRejected", "TallyUpdated"} <= audit.NOT_AUDITED
    assert {"VetoSet", "AttachmentAdded", "NoticeDatesCorrected", "CalendarUploaded", "SpotCheckDrawn",
            "ArenaBoardUpdated", "JudgeRegistered", "CredentialsIssued", "SigninLinksIssued"} <= routed
