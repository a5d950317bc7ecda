"""Composite standings and arena boards into the leaderboard read model."""
from __future__ import annotations

from shared.contracts import Envelope
from shared.contracts.scoring import ArenaBoardUpdated, StandingsUpdated
from shared.uow import Transaction

from ..store import STANDING_FIELDS, ReadModel
from . import Projection

Tx = Transaction[ReadModel]


def standings_order(env: Envelope, e: StandingsUpdated) -> tuple[tuple[str, str], int]:
    """A newer sequence of a category's standings replaces an older one whole (all its parts)."""
    return (env.programme_id, e.category_id), e.sequence


async def standings(tx: Tx, env: Envelope, e: StandingsUpdated) -> None:
    # Standings carry an increasing sequence per category: a late, older one must not overwrite a newer one.
    # A large category comes in parts of one sequence; each part ranks its own nominees at once (the board is
    # live), and the last part takes the rank from nominees no longer in the standings.
    # A published category (its 公示 list frozen, projections.publicity) keeps that list: later standings of it
    # change nothing; it changes only through removal, 递补 and revocation, each with its event.
    # The topics are read in any order (a replay reads them in another one than the live run): the standings the
    # list was frozen from, or older ones, may come after the notice. They still rank the nominees the list does not
    # name and give the listed ones what the list does not carry (the tie-break), so the order does not matter.
    frozen = await tx.store.category(env.programme_id, e.category_id)
    listed: set[str] = set()
    if frozen and frozen.get("published"):
        if e.sequence > (frozen.get("standings_sequence") or 0):
            return
        listed = set(frozen.get("listed", []))
    applied, ranked = await _note_part(tx, env, e)
    if applied is None:
        return
    # Only the standings that changed are written: a refresh while votes come in moves few ranks, and every
    # write of a thousand-nominee category was MongoDB's biggest cost after the tallies.
    # One indexed read of the category (SecantusDB matches a long $in list against every document it finds:
    # 500 ids took 210 ms, the category of 2,000 entries 67 ms).
    category = await tx.store.category_entries(env.programme_id, e.category_id, STANDING_FIELDS)
    current = {d["_id"]: d for d in category}
    on_insert = {"programme_id": env.programme_id, "category_id": e.category_id}
    rows = []
    for st in e.standings:
        want = {"rank": st.rank, "composite": st.composite, "programme_version": e.programme_version,
                "tie_break": st.tie_break, "components": [c.model_dump() for c in st.components]}
        if st.nomination_id in listed:  # the notice's line has the rest
            want = {"tie_break": st.tie_break}
        have = current.get(st.nomination_id)
        if have is not None and all(have.get(f) == v for f, v in want.items()):
            continue
        # Upsert: the standing may arrive before the nomination's own events; those fill in the rest later.
        # No updated_at: which of a category's standings last wrote an entry depends on the consumer's batches
        # (an unchanged standing is not written, a batch keeps only the newest), so its time would too; an
        # entry's updated_at is that of its own events (status, notice, objections).
        names = {"nominee_name": st.nominee_name} if st.nominee_name else {}
        rows.append((st.nomination_id, want, on_insert | names))
    await tx.store.save_entries(rows)
    if applied >= e.parts:
        # A nomination that left the standings (withdrawn, rejected) loses its rank.
        # (Found from the read above rather than with $nin, which SecantusDB matches against the whole list
        # for every document: 1.1 s for 500 ids over 2,000 entries.)
        left = [d["_id"] for d in category if d.get("rank") is not None and d["_id"] not in ranked]
        if left:
            await tx.store.unrank(left)


async def _note_part(tx: Tx, env: Envelope, e: StandingsUpdated) -> tuple[int | None, set[str]]:
    """Record this part of the category's standings: (how many parts of its sequence are applied, the nominees
    they rank), or (None, ...) for an older sequence or a part already applied."""
    key = f"{env.programme_id}:{e.category_id}"
    seen = await tx.store.standings_seen(key)
    if seen and (seen["sequence"] > e.sequence
                 or (seen["sequence"] == e.sequence and e.part in seen.get("parts", [1]))):
        return None, set()
    ids = [st.nomination_id for st in e.standings]
    if seen and seen["sequence"] == e.sequence:
        await tx.store.add_standings_part(key, e.part, ids)
        return len(set(seen.get("parts", [1])) | {e.part}), set(seen.get("ids", [])) | set(ids)
    await tx.store.start_standings(key, e.sequence, e.part, ids if e.parts > 1 else [])
    return 1, set(ids)


async def arena(tx: Tx, env: Envelope, e: ArenaBoardUpdated) -> None:
    current = await tx.store.arena_sequence(e.arena_id)
    if current is not None and current >= e.sequence:
        return
    await tx.store.save_arena(e.arena_id, {"programme_id": env.programme_id, **e.model_dump(mode="json"),
                                           "updated_at": env.occurred_at})


PROJECTIONS = (
    Projection((StandingsUpdated,), standings, supersede=standings_order),
    Projection((ArenaBoardUpdated,), arena),
)
