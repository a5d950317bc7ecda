"""The leaderboard through the real projector: a published 公示 list is frozen on the board (issue 15, item 3)."""
from __future__ import annotations

from services.leaderboard.app import create_service as create_leaderboard
from shared.contracts import Envelope
from shared.contracts.publicity import HonourConfirmed, HonourRevoked, NomineeRemoved
from shared.contracts.voting import CandidateTally, TallyUpdated
from tests.leaderboard.events import CAT, P, line, opened, programme, round_opened, standing, standings, submitted
from tests.support import eventually, publish_envelopes, running


def wrap(*events, programme_id: str = P) -> list[Envelope]:
    # One key for both programmes: one partition, so the other programme's standings are read after these.
    return [Envelope.wrap(e, programme_id=programme_id, key=f"{P}:{CAT}") for e in events]


async def test_a_published_list_survives_new_standings_and_changes_only_by_its_events(settings):
    async with running(create_leaderboard, settings) as (lb, _):
        async def board(programme_id: str = P) -> dict[str, tuple]:
            return {e["_id"]: (e.get("rank"), e.get("composite"), e.get("status")) for e in
                    await lb.db.entries.find({"programme_id": programme_id, "category_id": CAT}).to_list()}

        async def is_(expected: dict, programme_id: str = P):
            got = await board(programme_id)
            return got if got == expected else None

        await publish_envelopes(settings, wrap(
            programme(), submitted("n1"), submitted("n2"), submitted("n3"),
            standings(1, standing("n1", 1, 90.0), standing("n2", 2, 80.0), standing("n3", 3, 70.0))))
        await eventually(lambda: is_({"n1": (1, 90.0, "submitted"), "n2": (2, 80.0, "submitted"),
                                      "n3": (3, 70.0, "submitted")}))
        published, = wrap(opened("n1", "n2", listing=[line("n1", 1, 91.0), line("n2", 2, 79.5)]))
        await publish_envelopes(settings, [published])
        await eventually(lambda: is_({"n1": (1, 91.0, "in_publicity"), "n2": (2, 79.5, "in_publicity"),
                                      "n3": (3, 70.0, "submitted")}))
        cat = await lb.db.categories.find_one({"_id": f"{P}/{CAT}"})
        assert (cat["published"], cat["notice_id"], cat["programme_id"], cat["category_id"]) == (True, "x1", P, CAT)
        assert cat["published_at"] is not None

        # A new round's tally, then standings from a revised score and a new indicator: the list stays as published,
        # while the same category id in another programme still moves.
        await publish_envelopes(settings, wrap(
            round_opened("r2"), TallyUpdated(round_id="r2", category_ids=[CAT], sequence=1, eligible=10,
                                             ballots_cast=1, invalid=0, candidates=[
                                                 CandidateTally(nomination_id="n3", approvals=1)]),
            standings(8, standing("n3", 1, 99.0), standing("n1", 2, 50.0), standing("n2", 3, 10.0)),
            standings(9, standing("n2", 1, 98.0))))  # newer than the standings the list was frozen from (7)
        await publish_envelopes(settings, wrap(standings(1, standing("m1", 1, 60.0)), programme_id="p-other"))
        await eventually(lambda: is_({"m1": (1, 60.0, None)}, "p-other"))
        await eventually(lambda: _seen(lb, "r2"))
        assert await board() == {"n1": (1, 91.0, "in_publicity"), "n2": (2, 79.5, "in_publicity"),
                                 "n3": (3, 70.0, "submitted")}

        # Removal, 递补 and revocation still change it, each with its event.
        await publish_envelopes(settings, wrap(
            NomineeRemoved(notice_id="x1", nomination_id="n2", reason="查实"),
            opened("n3", notice_id="x2", replaces=["n2"], listing=[line("n3", 3, 70.0)]),
            HonourConfirmed(honour_id="h1", notice_id="x1", nomination_id="n1", category_id=CAT, title="模范机关"),
            HonourRevoked(honour_id="h1", nomination_id="n1", reason="弄虚作假")))
        await eventually(lambda: is_({"n1": (1, 91.0, "revoked"), "n2": (2, 79.5, "removed"),
                                      "n3": (3, 70.0, "in_publicity")}))
        cat = await lb.db.categories.find_one({"_id": f"{P}/{CAT}"})
        assert (cat["notice_id"], cat["replacement_notice_id"]) == ("x1", "x2")


async def _seen(lb, round_id: str):
    doc = await lb.db.rounds.find_one({"_id": round_id})
    return doc and doc.get("ballots_cast") == 1
