"""Cast a ballot (投票) with a one-time credential or a member token; the counter decides, this edge pre-checks.

Roles: anyone holding a ballot credential of the round, or a member (a token with a member_id) on its roll.
Refusals: rate_limited (429, per address, per credential or member), unknown_round (404), no credential nor token
(401), a token of another role or without member_id (403), unknown_credential / not_eligible (403), not_open /
closed (409), the voting stage (民主测评) not open (409 stage_closed, field stage), already_voted (409), a spoiled
ballot (422, its reason as the code). Every refusal but the rate
limits and the missing credential is recorded (counted by reason) and announced as BallotRejected, never with its
voter. An accepted ballot is answered with its receipt; one the counter has not answered in time, as pending."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol
from uuid import uuid4

from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.contracts.voting import BallotRejected, CastBallot
from shared.errors import Closed, Conflict, DomainError, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized

from .. import domain
from ..domain.rounds import casting_open
from ..uow import VotingTransaction, VotingUnitOfWork
from ..views import tally_event
from .common import now

ROLES = ("member",)  # or no role at all, with a ballot credential


class BallotIn(BaseModel):
    credential: str | None = Field(default=None, max_length=64,
                                   description="the one-time ballot credential; omit when casting with a member token")
    selections: list[str] = Field(default=[], max_length=500)
    grades: dict[str, str] = Field(default={}, max_length=500)


class CastingEdge(Protocol):
    """What casting needs of the process it runs in: limits, the round as cached, the counter, the ballots topic."""

    log: Any
    secret: bytes

    def allow_address(self, address: str) -> bool: ...

    def allow_attempt(self, key: str) -> bool:
        """Per credential ("c:" + hash) or per member ("m:" + mark)."""
        ...

    async def round(self, round_id: str) -> dict | None:
        """The round without its units and eligibility list, read at most about once a second per process."""
        ...

    def verify(self, token: str) -> Principal: ...

    async def roll_of(self, round_id: str) -> dict[str, str]:
        """The round's voter marks (mark -> unit key), as the counter holds them in memory."""
        ...

    def counted_here(self, mark: str) -> bool:
        """This process counted a ballot with this voter mark already."""
        ...

    async def submit(self, command: CastBallot) -> tuple[str, str] | None:
        """Send the command to the counter and wait for its (code, detail); None when it did not answer in time."""
        ...


@dataclass(frozen=True)
class CastResult:
    round_id: str
    receipt: str
    pending: bool = False


async def cast(uow: VotingUnitOfWork, edge: CastingEdge, round_id: str, ballot: BallotIn, *, address: str,
               token: str | None) -> CastResult:
    if not edge.allow_address(address):
        raise _refuse(edge, "rate_limited", "too many ballots from this address; try again in a minute",
                      TooManyRequests)
    rnd = await edge.round(round_id)
    if rnd is None:
        raise _refuse(edge, "unknown_round", f"round {round_id} does not exist", NotFound, "round_id")
    mark = await _voter_mark(uow, edge, rnd, ballot.credential, token)
    at = now()
    state = domain.window_state(rnd["opens_at"], rnd["closes_at"], at, rnd.get("state") == "closed")
    if state != "open":
        raise await _recorded(uow, edge, rnd, state, domain.REFUSED[state], Closed, "round_id")
    if not casting_open(rnd, at):
        raise await _recorded(uow, edge, rnd, "stage_closed", domain.REFUSED["stage_closed"], Closed, "stage")
    # A second ballot is refused here when this process counted the first (the usual case: a voter's
    # commands share one partition); otherwise the counter refuses it, which is the authority either way.
    if edge.counted_here(mark):
        raise await _recorded(uow, edge, rnd, "already_voted", domain.REFUSED["already_voted"], Conflict)
    try:
        domain.validate_ballot(domain.rules_from_round(rnd), ballot.selections, ballot.grades)
    except domain.BallotInvalid as exc:
        await record_refusal(uow, rnd, exc.code, exc.message)
        raise _refuse(edge, exc.code, f"废票 invalid ballot: {exc.message}", Invalid,
                      "grades" if rnd["ballot_type"] == "appraisal" else "selections") from None
    command = CastBallot(command_id=uuid4().hex, round_id=round_id, mark=mark, receipt=domain.new_receipt(),
                         selections=ballot.selections, grades=ballot.grades, cast_at=at)
    outcome = await edge.submit(command)
    if outcome is None:
        return CastResult(round_id, command.receipt, pending=True)
    code, detail = outcome
    if code == "accepted":
        return CastResult(round_id, command.receipt)
    edge.log.info("ballot refused", reason=code)
    raise _counter_refusal(code, detail)


async def _voter_mark(uow: VotingUnitOfWork, edge: CastingEdge, rnd: dict, credential: str | None,
                      token: str | None) -> str:
    """The voter mark of the credential's roll entry, or of the member whose token this is."""
    round_id = rnd["_id"]
    if credential:
        chash = domain.credential_hash(round_id, credential)
        if not edge.allow_attempt("c:" + chash):
            raise _refuse(edge, "rate_limited", "too many attempts with this credential; try again in a minute",
                          TooManyRequests, "credential")
        entry = await uow.store.roll_by_credential(round_id, chash)
        if entry is None:
            raise await _recorded(uow, edge, rnd, "unknown_credential", domain.REFUSED["unknown_credential"],
                                  Forbidden, "credential")
        return domain.voter_mark(edge.secret, round_id, entry["member_id"])  # the roll keeps no mark
    if token is None:
        raise Unauthorized("a ballot credential or a member token is required", field="credential")
    who = edge.verify(token)
    if who.role != "member" or not who.member_id:
        raise Forbidden("casting needs a member token with a member_id, or a ballot credential", field="credential")
    # The counter holds the round's marks in memory, recomputed from the roll's members (see open_round):
    # eligibility costs no database read.
    mark = domain.voter_mark(edge.secret, round_id, who.member_id)
    if not edge.allow_attempt("m:" + mark):
        raise _refuse(edge, "rate_limited", "too many attempts by this member; try again in a minute",
                      TooManyRequests)
    if mark not in await edge.roll_of(round_id):
        raise await _recorded(uow, edge, rnd, "not_eligible", domain.REFUSED["not_eligible"], Forbidden)
    return mark


def _refuse(edge: CastingEdge, code: str, message: str, exc_cls: type[DomainError],
            field: str | None = None) -> DomainError:
    edge.log.info("ballot refused", reason=code)
    return exc_cls(message, field=field, code=code)


async def _recorded(uow: VotingUnitOfWork, edge: CastingEdge, rnd: dict, code: str, message: str,
                    exc_cls: type[DomainError], field: str | None = None) -> DomainError:
    await record_refusal(uow, rnd, code, message)
    return _refuse(edge, code, message, exc_cls, field)


def _counter_refusal(code: str, detail: str) -> DomainError:
    if code == "already_voted":
        return Conflict(detail, code=code)
    if code in ("closed", "not_open"):
        return Closed(detail, field="round_id", code=code)
    if code == "stage_closed":
        return Closed(detail, field="stage", code=code)
    if code in domain.SPOILED:
        return Invalid(f"废票 invalid ballot: {detail}", code=code)
    return Forbidden(detail, code=code)


async def record_refusal(uow: VotingUnitOfWork, rnd: dict, code: str, message: str) -> None:
    """A refused ballot is counted apart by reason (spoiled ones as 废票) and announced, never with its voter."""
    await uow.run(partial(_record, rnd=rnd, code=code, message=message))


async def _record(tx: VotingTransaction, rnd: dict, code: str, message: str) -> None:
    spoiled = code in domain.SPOILED
    rid = rnd["_id"]
    full = await tx.store.get_round(rid) or rnd  # the edge reads no units
    await tx.store.insert_rejection({"_id": uuid4().hex, "round_id": rid, "code": code, "reason": message,
                                     "spoiled": spoiled})
    await tx.store.count_refusal(rid, "invalid" if spoiled else f"refused.{code}")
    tally = await tx.store.read_tally(rid, bump=True)
    await tx.emit_many([(BallotRejected(round_id=rid, reason=f"{code}: {message}"), rnd["programme_id"], rid),
                        (tally_event(full, tally), rnd["programme_id"], rid)])
