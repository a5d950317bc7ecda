"""What scoring learns from the other services' events: the programme, its stages, tree, roll and nominations (on
shared.learning, with scoring's follow-ups as hooks), the voting rounds and tallies, and the published 公示 lists."""
from __future__ import annotations

from functools import partial
from typing import Any

from shared.contracts import Envelope
from shared.contracts.nominations import MembersImported, NominationSubmitted, ProgrammeDefined, UnitsImported
from shared.contracts.publicity import PublicityOpened
from shared.contracts.voting import RoundOpened, TallyUpdated
from shared.learning import Hooks, Learning
from shared.service import Service
from shared.uow import MongoUnitOfWork

from .actions.common import Tx, mark_dirty
from .actions.judges import follow_members
from .actions.recusal import recheck_conflicts


async def programme_defined(tx: Tx, env: Envelope, e: ProgrammeDefined) -> None:
    for c in e.categories:
        await mark_dirty(tx.store, e.programme_id, c.category_id)


async def units_imported(tx: Tx, env: Envelope, e: UnitsImported) -> None:
    await recheck_conflicts(tx, env.programme_id)


async def members_imported(tx: Tx, env: Envelope, e: MembersImported) -> None:
    await follow_members(tx.store, env.programme_id, {m.member_id: m.unit_id for m in e.members})
    await recheck_conflicts(tx, env.programme_id)


async def submitted(tx: Tx, env: Envelope, e: NominationSubmitted, previous: str | None, status: str) -> None:
    if previous == "approved" and status == "submitted":  # an approved nomination sent again leaves the standings
        await mark_dirty(tx.store, env.programme_id, e.category_id)


async def reviewed(tx: Tx, env: Envelope, e: Any, status: str) -> None:
    await mark_dirty(tx.store, env.programme_id, e.category_id)


HOOKS = Hooks(programme=programme_defined, units=units_imported, members=members_imported, submitted=submitted,
              status=reviewed)


async def tally(tx: Tx, env: Envelope, e: TallyUpdated) -> None:
    if e.counts_hidden:
        return  # hidden counts never reach standings until the round reveals them
    seen = await tx.store.tally_sequence(env.programme_id, e.round_id)
    if seen is not None and seen >= e.sequence:
        return
    # The round's whole tally in one document: one write per event instead of one per candidate.
    await tx.store.save_tally(env.programme_id, e.round_id, {
        "round_id": e.round_id, "sequence": e.sequence, "programme_id": env.programme_id,
        "updated_at": env.occurred_at,
        "candidates": [{"nomination_id": c.nomination_id, "approvals": c.approvals,
                        "share_of_cast": c.share_of_cast, "share_of_eligible": c.share_of_eligible}
                       for c in e.candidates]})
    categories = set(e.category_ids)
    categories.update(await tx.store.nomination_categories([c.nomination_id for c in e.candidates]))
    for c in categories:
        await mark_dirty(tx.store, env.programme_id, c)


async def round_opened(tx: Tx, env: Envelope, e: RoundOpened) -> None:
    """Which round feeds each category's peer vote (voting decided it from the category's peer_vote_round)."""
    await tx.store.save_round(env.programme_id, e.round_id, {
        "programme_id": env.programme_id, "round_id": e.round_id, "name": e.name, "category_ids": e.category_ids,
        "ballot_type": e.ballot_type, "feeds_peer_vote": e.feeds_peer_vote, "opened_at": env.occurred_at})
    if e.feeds_peer_vote:
        for c in e.category_ids:
            await mark_dirty(tx.store, env.programme_id, c)


async def publicity_opened(tx: Tx, env: Envelope, e: PublicityOpened) -> None:
    """公示: the category's list is published; from now on its inputs are refused and its standings stay.
    A category may have several notices (a 递补 replacement, another one), read in any order (notices are keyed by
    their own id: a replay reads them in another order than the live run). Each is kept by its id, and the
    publication is that of the first: the earliest notice that replaces nobody (or the earliest of all)."""
    current = await tx.store.publication(env.programme_id, e.category_id) or {}
    notices = dict(current.get("notices") or {})
    if e.notice_id in notices:
        return  # a redelivery
    notices[e.notice_id] = {"published_at": env.occurred_at, "replaces": sorted(e.replaces),
                            "standings_sequence": e.standings_sequence, "programme_version": e.programme_version}
    first_id = min(notices, key=partial(_first_notice_order, notices))
    first = notices[first_id]
    await tx.store.save_publication(env.programme_id, e.category_id, {
        "programme_id": env.programme_id, "category_id": e.category_id, "notice_id": first_id,
        "published_at": min(n["published_at"] for n in notices.values()),
        "standings_sequence": first["standings_sequence"], "programme_version": first["programme_version"],
        "notices": {n: notices[n] for n in sorted(notices)}})


def _first_notice_order(notices: dict[str, dict], notice_id: str) -> tuple:
    n = notices[notice_id]
    return bool(n["replaces"]), n["published_at"], notice_id


def register(svc: Service, uow: MongoUnitOfWork) -> None:
    Learning(HOOKS).register(svc, uow)
    svc.on(RoundOpened)(uow.handler(round_opened))
    svc.on(PublicityOpened)(uow.handler(publicity_opened))
    # A tally is a whole snapshot with a sequence: in a batch only the newest of each round needs applying.
    svc.on(TallyUpdated, supersede=lambda env, e: (e.round_id, e.sequence))(uow.handler(tally))
