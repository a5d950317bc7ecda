"""Tallies and turnout into the leaderboard read model; hidden counts are never projected."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.voting import RoundClosed, RoundOpened, TallyUpdated
from shared.service import Service


def register(svc: Service) -> None:
    @svc.on(RoundOpened)
    async def opened(env: Envelope, e: RoundOpened, s) -> None:
        await svc.db.rounds.update_one(
            {"_id": e.round_id},
            {"$set": {"programme_id": env.programme_id, "name": e.name, "category_ids": e.category_ids,
                      "ballot_type": e.ballot_type, "eligible": e.eligible_count, "opens_at": e.opens_at,
                      "closes_at": e.closes_at, "counts_hidden": e.counts_hidden, "state": "open"},
             "$setOnInsert": {"sequence": 0, "ballots_cast": 0, "history": []}},
            upsert=True, session=s,
        )

    # A tally is a whole snapshot with a sequence: in a batch only the newest of each round needs applying.
    @svc.on(TallyUpdated, supersede=lambda env, e: (e.round_id, e.sequence))
    async def tally(env: Envelope, e: TallyUpdated, s) -> None:
        # Tallies carry a sequence: an older one arriving late must not overwrite a newer one.
        current = await svc.db.rounds.find_one({"_id": e.round_id}, {"sequence": 1}, session=s)
        if current and current.get("sequence", 0) >= e.sequence:
            return
        # The candidates' counts stay in the round's document (one write per tally, not one per candidate; the
        # dashboard attaches them to the entries when it reads). Hidden counts are never written.
        fields = {"programme_id": env.programme_id, "sequence": e.sequence, "eligible": e.eligible,
                  "ballots_cast": e.ballots_cast, "invalid": e.invalid, "turnout_by_unit": e.turnout_by_unit,
                  "counts_hidden": e.counts_hidden, "updated_at": env.occurred_at}
        if not e.counts_hidden:
            fields["candidates"] = [c.model_dump(mode="json") for c in e.candidates]
        await svc.db.rounds.update_one(
            {"_id": e.round_id},
            {"$set": fields,
             "$push": {"history": {"$each": [{"at": env.occurred_at, "ballots_cast": e.ballots_cast}], "$slice": -500}}},
            upsert=True, session=s,
        )

    @svc.on(RoundClosed)
    async def closed(env: Envelope, e: RoundClosed, s) -> None:
        await svc.db.rounds.update_one(
            {"_id": e.round_id}, {"$set": {"state": "closed", "bulletin_root": e.bulletin_root}}, upsert=True, session=s
        )
