"""Small builders of the events the leaderboard projects, for its tests."""
from __future__ import annotations

from datetime import UTC, date, datetime

from shared.contracts.nominations import CategoryInfo, NominationSubmitted, ProgrammeDefined
from shared.contracts.publicity import HonourConfirmed, ListedEntry, PublicityOpened
from shared.contracts.scoring import ComponentExplanation, Standing, StandingsUpdated
from shared.contracts.voting import CandidateTally, RoundOpened, TallyUpdated

P = "p1"
CAT = "c1"


def programme(version: int = 1, name: str = "模范机关", board: str = "model_organ") -> ProgrammeDefined:
    cat = CategoryInfo(category_id=CAT, name=name, nominee_kind="organ", board=board, quota=3, criteria=[],
                       weights={"peer_vote": 1.0})
    return ProgrammeDefined(programme_id=P, version=version, name="2026年度评选", year=2026, categories=[cat],
                            stages=[])


def submitted(nid: str = "n1", name: str = "市财政局机关", resubmission: bool = False) -> NominationSubmitted:
    return NominationSubmitted(nomination_id=nid, category_id=CAT, nominee_id=f"u-{nid}", nominee_name=name,
                               nominee_kind="organ", unit_id="u1", unit_name="市财政局", resubmission=resubmission)


def opened(*nids: str, notice_id: str = "x1", listing: list[ListedEntry] | None = None,
           replaces: list[str] | None = None) -> PublicityOpened:
    return PublicityOpened(notice_id=notice_id, category_id=CAT, nomination_ids=list(nids),
                           starts_at=datetime(2026, 3, 2, tzinfo=UTC), ends_at=datetime(2026, 3, 9, tzinfo=UTC),
                           working_days=5, title="公示", listing=listing or [], replaces=replaces or [],
                           standings_sequence=7 if listing else None, programme_version=1 if listing else None)


def line(nid: str, rank: int, composite: float, name: str = "") -> ListedEntry:
    """A line of a published list, with its frozen explanation."""
    return ListedEntry(nomination_id=nid, rank=rank, composite=composite, nominee_name=name, components=[
        {"component": "peer_vote", "raw": 0.5, "normalised": composite, "weight": 1.0, "contribution": composite}])


def confirmed(nid: str = "n1", honour_id: str = "h1", **names: str) -> HonourConfirmed:
    return HonourConfirmed(honour_id=honour_id, notice_id="x1", nomination_id=nid, category_id=CAT, title="模范机关",
                           **names)


def standing(nid: str, rank: int, composite: float, name: str = "") -> Standing:
    return Standing(nomination_id=nid, rank=rank, composite=composite, nominee_name=name, components=[
        ComponentExplanation(component="peer_vote", raw=0.5, normalised=composite, weight=1.0, contribution=composite)])


def standings(sequence: int, *rows: Standing, part: int = 1, parts: int = 1) -> StandingsUpdated:
    return StandingsUpdated(category_id=CAT, programme_version=1, sequence=sequence, standings=list(rows), part=part,
                            parts=parts)


def round_opened(round_id: str = "r1", hidden: bool = False) -> RoundOpened:
    return RoundOpened(round_id=round_id, name="民主测评", category_ids=[CAT], ballot_type="approval",
                       candidate_ids=["n1", "n2"], eligible_count=100, opens_at=datetime(2026, 3, 2, tzinfo=UTC),
                       closes_at=datetime(2026, 3, 3, tzinfo=UTC), counts_hidden=hidden)


def tally(sequence: int, round_id: str = "r1", hidden: bool = False) -> TallyUpdated:
    return TallyUpdated(round_id=round_id, category_ids=[CAT], sequence=sequence, eligible=100,
                        ballots_cast=sequence * 10, invalid=0, counts_hidden=hidden,
                        turnout_by_unit={"u1": sequence / 10},
                        candidates=[CandidateTally(nomination_id="n1", approvals=sequence * 3)])


TODAY = date(2026, 3, 10)
