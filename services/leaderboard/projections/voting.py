"""Tallies and turnout into the leaderboard read model; hidden counts are never projected."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.voting import RoundClosed, RoundOpened, TallyUpdated
from shared.uow import Transaction

from ..store import ReadModel
from . import Projection

Tx = Transaction[ReadModel]
HISTORY = 500  # turnout points kept per round
# One turnout point per TALLIES_PER_POINT tally sequences: the latest tally of each span of sequences. A consumer
# applies only the newest tally of a batch (per round and span), so which tallies are applied depends on how the
# events were batched (a replay batches them otherwise than the live run); the latest of each span is applied
# whatever the batches, so the history is the same.
TALLIES_PER_POINT = 5


async def opened(tx: Tx, env: Envelope, e: RoundOpened) -> None:
    await tx.store.save_round(
        e.round_id,
        {"programme_id": env.programme_id, "name": e.name, "category_ids": e.category_ids,
         "ballot_type": e.ballot_type, "eligible": e.eligible_count, "opens_at": e.opens_at,
         "closes_at": e.closes_at, "counts_hidden": e.counts_hidden, "state": "open"},
        on_insert={"sequence": 0, "ballots_cast": 0, "history": []})


def tally_order(env: Envelope, e: TallyUpdated) -> tuple[tuple[str, int], int]:
    """A tally is a whole snapshot with a sequence: in a batch only the newest of each round (and span of the
    turnout history) needs applying."""
    return (e.round_id, e.sequence // TALLIES_PER_POINT), e.sequence


async def tally(tx: Tx, env: Envelope, e: TallyUpdated) -> None:
    # Tallies carry a sequence: an older one arriving late must not overwrite a newer one.
    current = await tx.store.round_sequence(e.round_id)
    if current is not None and current >= e.sequence:
        return
    # The candidates' counts stay in the round's document (one write per tally, not one per candidate; the
    # dashboard attaches them to the entries when it reads). Hidden counts are never written.
    fields = {"programme_id": env.programme_id, "sequence": e.sequence, "eligible": e.eligible,
              "ballots_cast": e.ballots_cast, "invalid": e.invalid, "turnout_by_unit": e.turnout_by_unit,
              "counts_hidden": e.counts_hidden, "updated_at": env.occurred_at}
    if not e.counts_hidden:
        fields["candidates"] = [c.model_dump(mode="json") for c in e.candidates]
    point = {"span": e.sequence // TALLIES_PER_POINT, "at": env.occurred_at, "ballots_cast": e.ballots_cast}
    await tx.store.save_tally(e.round_id, fields, point, HISTORY)


async def closed(tx: Tx, env: Envelope, e: RoundClosed) -> None:
    await tx.store.save_round(e.round_id, {"state": "closed", "bulletin_root": e.bulletin_root})


PROJECTIONS = (
    Projection((RoundOpened,), opened),
    Projection((TallyUpdated,), tally, supersede=tally_order),
    Projection((RoundClosed,), closed),
)
