"""A notice's published list with its inputs (kind "published_list"), recomputed by shared.verify_draw."""
from __future__ import annotations

import copy
from datetime import datetime

import pytest

from services.publicity import learning, views
from services.publicity.actions import notices
from services.publicity.commands import NoticeIn
from services.publicity.domain import SHANGHAI
from services.scoring import domain as scoring
from shared.auth import Principal
from shared.contracts.scoring import ComponentExplanation, Standing, StandingsUpdated
from shared.errors import NotFound
from shared import verify_draw as v
from tests.publicity.fakes import Clock, learned, make_context
from tests.publicity.helpers import CAT, PID

ORG = Principal(subject="org-1", role="organiser", name="组织部")
WEIGHTS = {"basic": 0.1, "key_tasks": 0.2, "business": 0.1, "report": 0.4, "peer_vote": 0.2}
# nominee -> normalised components; nom-b and nom-c tie on the composite, the report tie-break orders them
VALUES = {"nom-a": (90.0, 85.5, 70.0, 88.3333, 81.2345), "nom-b": (80.0, 90.0, 80.0, 80.0, 80.0),
          "nom-c": (100.0, 70.0, 90.0, 87.5, 70.0), "nom-d": (60.0, 66.6667, 50.0, 71.4286, 33.3333)}


def standings() -> list[Standing]:
    rows = []
    for nid, values in VALUES.items():
        total, explained = scoring.composite(
            {c: scoring.ComponentValue(x, x, "") for c, x in zip(WEIGHTS, values)}, WEIGHTS)
        rows.append(scoring.Row(nid, nid, total, explained))
    return [Standing(nomination_id=r.nomination_id, rank=r.rank, composite=r.composite, tie_break=r.tie_break,
                     components=[ComponentExplanation(**vars(e)) for e in r.components])
            for r in scoring.rank_rows(rows, ["report"])]


async def published() -> tuple[dict, dict]:
    clock = Clock(datetime(2025, 9, 26, 8, tzinfo=SHANGHAI))
    ctx, store, uow = make_context(clock)
    await learned(ctx, uow)
    await uow.deliver(learning.standings_updated, StandingsUpdated(
        category_id=CAT, programme_version=1, sequence=4, standings=standings()), programme_id=PID, key=CAT)
    n = await notices.open_notice(ctx, ORG, NoticeIn(programme_id=PID, category_id=CAT, working_days=5,
                                                     starts_at=datetime(2025, 9, 26, 9, tzinfo=SHANGHAI)))
    return await views.published_list_of(store, n["_id"]), n


async def test_a_published_list_is_recomputed_from_its_components():
    doc, n = await published()
    assert doc["kind"] == "published_list" and doc["notice_id"] == n["_id"] and doc["listing"] == n["listing"]
    assert [x["nomination_id"] for x in doc["listing"]] == ["nom-a", "nom-c", "nom-b"]
    assert doc["listing"][1]["composite"] == doc["listing"][2]["composite"]  # the tie, broken by report
    lines = v.verify_published_list(doc)
    assert "nom-a: composite 84.6802 recomputed" in lines and v.verify_document(doc) == lines
    assert any("nom-c (rank 2) above nom-b (rank 3)" in x for x in lines)


def tampered(doc: dict, change) -> dict:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


def composite(doc: dict, i: int, value: float) -> None:
    doc["listing"][i]["composite"] = value
    doc["listing_sha256"] = v.sha256(v.canonical(doc["listing"]))  # a consistent forgery: the digest follows


@pytest.mark.parametrize("change, words", [
    (lambda x: composite(x, 0, 84.0), "nom-a: the composite is 84.0, its components give 84.6802"),
    (lambda x: x["listing"][0].__setitem__("composite", 84.0), "the listing does not match its digest"),
    (lambda x: (x["listing"][2]["components"][3].__setitem__("weight", 0.5),
                x.__setitem__("listing_sha256", v.sha256(v.canonical(x["listing"])))), "nom-b: basic contributes"),
    (lambda x: (x["listing"].reverse(), x.__setitem__("listing_sha256", v.sha256(v.canonical(x["listing"])))),
     "out of order"),
    (lambda x: (x["listing"][1].__setitem__("rank", 1), x.__setitem__(
        "listing_sha256", v.sha256(v.canonical(x["listing"])))), "share rank 1 with different composites"),
    (lambda x: x.__setitem__("kind", "published-list"), "unknown kind"),
])
async def test_a_tampered_list_is_rejected(change, words):
    doc = tampered((await published())[0], change)
    with pytest.raises(v.VerificationFailed) as caught:
        v.verify_document(doc)
    assert words in caught.value.failure, caught.value.failure


async def test_an_unknown_notice_is_not_found():
    ctx, store, _ = make_context(Clock(datetime(2025, 9, 26, 8, tzinfo=SHANGHAI)))
    with pytest.raises(NotFound) as caught:
        await views.published_list_of(store, "n-none")
    assert caught.value.field == "notice_id"
