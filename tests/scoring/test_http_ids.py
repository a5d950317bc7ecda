"""Ids and filters on the scoring service's reads, through its real routes (no server needed: the parameters are
refused before any read): a malformed one is a 422 naming the parameter, never an empty list."""
from __future__ import annotations

import httpx
import pytest

from services.scoring.app import create_service
from shared.settings import Settings
from tests.scoring.fixtures import P
from tests.support import auth

BAD_READS = [  # path, query, the parameter named in the 422
    (f"/programmes/{P}/nominations", {"status": "any"}, "status"),
    (f"/programmes/{P}/nominations", {"category_id": '{"$gt": ""}'}, "category_id"),
    ("/programmes/%24where/nominations", {}, "programme_id"),
    ("/programmes/%24where/judges", {}, "programme_id"),
    (f"/programmes/{P}/panels/a%20b", {}, "panel_id"),
    (f"/programmes/{P}/nominations/%7B%7D/scores", {}, "nomination_id"),
    (f"/programmes/{P}/categories/-x/standings", {}, "category_id"),
    (f"/programmes/{P}/categories/{'x' * 65}/spot-checks", {}, "category_id"),
    ("/arenas/%24ne", {}, "arena_id"),
    ("/arena/%24ne/judge", {}, "arena_id"),
]


@pytest.mark.parametrize("path, query, field", BAD_READS, ids=[f"{f}:{p}" for p, _, f in BAD_READS])
async def test_a_malformed_parameter_is_a_422_naming_it(path, query, field):
    settings = Settings()
    svc = create_service(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.api), base_url="http://scoring") as http:
        r = await http.get(path, params=query, headers=auth(settings, "organiser"))
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["field"]) == (422, "invalid", field)
