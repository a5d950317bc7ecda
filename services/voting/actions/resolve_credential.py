"""Resolve a ballot credential (扫码投票) to its round's public ballot, and tell its holder whether it was used.

Roles: whoever holds the credential; it is the only key asked for (the phone page has nothing else).
Refusals: rate_limited (429, per address, then per credential), unknown_credential (403, field credential) when
no round has it. Whether it was used is told only in the answer to the one presenting it: nothing is recorded,
counted or announced, so a resolve leaves no trace another person could read."""
from __future__ import annotations

from pydantic import BaseModel, Field

from shared.errors import Forbidden, TooManyRequests

from .. import domain
from ..store import VotingStore
from ..uow import VotingUnitOfWork
from ..views import round_view
from .cast import CastingEdge
from .common import now

ROLES: tuple[str, ...] = ()


class CredentialIn(BaseModel):
    credential: str = Field(min_length=1, max_length=64, description="the one-time ballot credential, as printed")


async def resolve_credential(uow: VotingUnitOfWork, edge: CastingEdge, credential: str, *, address: str) -> dict:
    if not edge.allow_address(address):
        raise TooManyRequests("too many requests from this address; try again in a minute", code="rate_limited")
    found = await find_round(uow.store, credential)
    if found is None:
        raise Forbidden(domain.REFUSED["unknown_credential"], field="credential", code="unknown_credential")
    rnd, entry, chash = found
    if not edge.allow_attempt("c:" + chash):
        raise TooManyRequests("too many attempts with this credential; try again in a minute", field="credential",
                              code="rate_limited")
    mark = domain.voter_mark(edge.secret, rnd["_id"], entry["member_id"])  # the roll keeps no mark
    used = edge.counted_here(mark) or await uow.store.has_voted(mark)
    window = domain.window_state(rnd["opens_at"], rnd["closes_at"], now(), rnd.get("state") == "closed")
    return {"round": round_view(rnd), "window": window, "used": used}


async def find_round(store: VotingStore, credential: str) -> tuple[dict, dict, str] | None:
    """The round whose roll holds this credential (open rounds first), its roll entry and the credential's hash.
    The hash is salted by round, so each round is asked in turn; an installation has few rounds at a time."""
    rounds = sorted(await store.list_rounds(None), key=lambda r: r.get("state") == "closed")
    for rnd in rounds:
        chash = domain.credential_hash(rnd["_id"], credential)
        entry = await store.roll_by_credential(rnd["_id"], chash)
        if entry is not None:
            return rnd, entry, chash
    return None
