"""Composite standings and arena boards into the leaderboard read model."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.scoring import ArenaBoardUpdated, StandingsUpdated
from shared.service import Service


def register(svc: Service) -> None:
    @svc.on(StandingsUpdated)
    async def standings(env: Envelope, e: StandingsUpdated, s) -> None:
        key = f"{env.programme_id}:{e.category_id}"
        seen = await svc.db.standings_seq.find_one({"_id": key}, session=s)
        if seen and seen["sequence"] >= e.sequence:
            return
        await svc.db.standings_seq.update_one({"_id": key}, {"$set": {"sequence": e.sequence}}, upsert=True, session=s)
        for st in e.standings:
            await svc.db.entries.update_one(
                {"_id": st.nomination_id},
                {"$set": {"rank": st.rank, "composite": st.composite, "programme_version": e.programme_version,
                          "components": [c.model_dump() for c in st.components], "updated_at": env.occurred_at}},
                session=s,
            )

    @svc.on(ArenaBoardUpdated)
    async def arena(env: Envelope, e: ArenaBoardUpdated, s) -> None:
        current = await svc.db.arenas.find_one({"_id": e.arena_id}, {"sequence": 1}, session=s)
        if current and current.get("sequence", 0) >= e.sequence:
            return
        await svc.db.arenas.update_one(
            {"_id": e.arena_id},
            {"$set": {"programme_id": env.programme_id, **e.model_dump(mode="json"), "updated_at": env.occurred_at}},
            upsert=True, session=s,
        )
