"""Composite standings and arena boards into the leaderboard read model."""
from __future__ import annotations

from pymongo import UpdateOne

from shared.contracts import Envelope
from shared.contracts.scoring import ArenaBoardUpdated, StandingsUpdated
from shared.service import Service

STANDING_FIELDS = ("rank", "composite", "programme_version", "tie_break", "components")


def register(svc: Service) -> None:
    # A newer sequence of a category's standings replaces an older one whole (all its parts).
    @svc.on(StandingsUpdated, supersede=lambda env, e: ((env.programme_id, e.category_id), e.sequence))
    async def standings(env: Envelope, e: StandingsUpdated, s) -> None:
        # Standings carry an increasing sequence per category: a late, older one must not overwrite a newer one.
        # A large category comes in parts of one sequence; each part ranks its own nominees at once (the board is
        # live), and the last part takes the rank from nominees no longer in the standings.
        key = f"{env.programme_id}:{e.category_id}"
        seen = await svc.db.standings_seq.find_one({"_id": key}, session=s)
        if seen and (seen["sequence"] > e.sequence
                     or (seen["sequence"] == e.sequence and e.part in seen.get("parts", [1]))):
            return
        ids = [st.nomination_id for st in e.standings]
        if seen and seen["sequence"] == e.sequence:
            await svc.db.standings_seq.update_one({"_id": key}, {"$addToSet": {"parts": e.part},
                                                                 "$push": {"ids": {"$each": ids}}}, session=s)
            applied = len(set(seen.get("parts", [1])) | {e.part})
            ranked = set(seen.get("ids", [])) | set(ids)
        else:
            await svc.db.standings_seq.update_one({"_id": key}, {"$set": {"sequence": e.sequence, "parts": [e.part],
                                                                          "ids": ids if e.parts > 1 else []}},
                                                  upsert=True, session=s)
            applied, ranked = 1, set(ids)
        # Only the standings that changed are written: a refresh while votes come in moves few ranks, and every
        # write of a thousand-nominee category was MongoDB's biggest cost after the tallies.
        # One indexed read of the category (SecantusDB matches a long $in list against every document it finds:
        # 500 ids took 210 ms, the category of 2,000 entries 67 ms).
        category = await svc.db.entries.find({"programme_id": env.programme_id, "category_id": e.category_id},
                                             {f: 1 for f in STANDING_FIELDS}, session=s).to_list()
        current = {d["_id"]: d for d in category}
        on_insert = {"programme_id": env.programme_id, "category_id": e.category_id}
        rows = []
        for st in e.standings:
            want = {"rank": st.rank, "composite": st.composite, "programme_version": e.programme_version,
                    "tie_break": st.tie_break, "components": [c.model_dump() for c in st.components]}
            have = current.get(st.nomination_id)
            if have is not None and all(have.get(f) == v for f, v in want.items()):
                continue
            # Upsert: the standing may arrive before the nomination's own events; those fill in the rest later.
            rows.append(UpdateOne(
                {"_id": st.nomination_id},
                {"$set": want | {"updated_at": env.occurred_at},
                 "$setOnInsert": on_insert | ({"nominee_name": st.nominee_name} if st.nominee_name else {})},
                upsert=True))
        if rows:
            await svc.db.entries.bulk_write(rows, ordered=False, session=s)
        if applied >= e.parts:
            # A nomination that left the standings (withdrawn, rejected) loses its rank.
            # (Found from the read above rather than with $nin, which SecantusDB matches against the whole list
            # for every document: 1.1 s for 500 ids over 2,000 entries.)
            left = [d["_id"] for d in category if d.get("rank") is not None and d["_id"] not in ranked]
            if left:
                await svc.db.entries.update_many(
                    {"_id": {"$in": left}}, {"$unset": {"rank": "", "composite": "", "components": "", "tie_break": ""}},
                    session=s)

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
