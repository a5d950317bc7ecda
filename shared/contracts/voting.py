"""Events of the voting service: rounds, ballots (never with a voter id), tallies."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .base import Event
from .topics import VOTING

BallotType = Literal["approval", "appraisal"]
Grade = Literal["excellent", "competent", "basically_competent", "incompetent"]


class RoundOpened(Event, topic=VOTING):
    round_id: str
    name: str
    category_ids: list[str]
    ballot_type: BallotType
    max_selections: int | None = None
    excellent_cap: int | None = None
    candidate_ids: list[str]
    eligible_count: int
    opens_at: datetime
    closes_at: datetime
    counts_hidden: bool = False
    # Whether this round's tally is the peer-vote component of its categories (see CategoryInfo.peer_vote_round).
    feeds_peer_vote: bool = True
    # 优秀 capped as a share of the candidates (0.3: at most 30 %), and whether a candidate may be left ungraded.
    excellent_cap_share: float | None = None
    abstain_allowed: bool = False


class BallotAccepted(Event, topic=VOTING):
    """One ballot's contents as the bulletin publishes them, after the close: never with its receipt (empty since
    issue 16), so a receipt proves that a ballot was counted, not what it chose. `ballot_id` is the content's place
    in the bulletin's contents list (round id / index), which is in canonical order, not in the order of casting."""

    round_id: str
    ballot_id: str
    receipt: str = ""
    selections: list[str] = []
    grades: dict[str, Grade] = {}


class BallotRejected(Event, topic=VOTING):
    round_id: str
    reason: str


class CandidateTally(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    nomination_id: str
    approvals: int = 0
    grades: dict[Grade, int] = {}
    share_of_eligible: float = 0.0
    share_of_cast: float = 0.0


class TallyUpdated(Event, topic=VOTING):
    round_id: str
    category_ids: list[str]
    sequence: int
    eligible: int
    ballots_cast: int
    invalid: int
    candidates: list[CandidateTally]
    turnout_by_unit: dict[str, float] = {}
    counts_hidden: bool = False


class RoundClosed(Event, topic=VOTING):
    round_id: str
    bulletin_root: str
    ballots_cast: int


class CastBallot(BaseModel):
    """A command (not an event) on topic voting.ballots: count one ballot.

    Written by the voting service's HTTP edge after it checked the voter, or by a trusted bulk caster; consumed
    in batches. It carries the voter's mark (an HMAC keyed by a secret kept outside the database), never the
    member id. `receipt` is random and becomes the ballot's id on the bulletin; `command_id` makes a redelivered
    command count once.

    Sealed form (what the HTTP edge sends): `sealed` is AES-GCM (services/voting/domain/sealing.py, key derived
    from EXEMPLAR_BALLOT_SECRET, bound to command_id and round_id) of {mark, receipt, selections, grades, cast_at},
    and those fields are left empty: the topic keeps no mark next to a receipt or a selection. The plain form is
    still counted, for trusted bulk casters that hold the secret anyway.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    command_id: str
    round_id: str
    mark: str = ""
    receipt: str = ""
    selections: list[str] = []
    grades: dict[str, str] = {}
    cast_at: datetime | None = None
    sealed: str | None = None


class CredentialsIssued(Event, topic=VOTING):
    """A unit's ballot credentials (投票凭证) issued or reissued for a round: how many, never to whom (a credential
    named next to a member would be a way to a ballot)."""

    round_id: str
    unit_id: str
    issued: int
    reissue: bool = False
