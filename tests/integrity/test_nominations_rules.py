"""Issue 15 through the real nominations service: the categories' peer-vote round rule and business baseline
(业务工作进位) in the programme definition, JSON and YAML, validated and emitted in ProgrammeDefined."""
from __future__ import annotations

import copy

import yaml

from services.nominations.app import create_service
from tests.nominations.helpers import PROGRAMME, events
from tests.support import auth, running


def programme(pid: str, year: int, **category) -> dict:
    raw = copy.deepcopy(PROGRAMME) | {"programme_id": pid, "year": year}
    raw["categories"][0] |= category
    return raw


async def test_the_round_rule_and_the_business_baseline(settings):
    async with running(create_service, settings) as (_, http):
        org = auth(settings, "organiser")
        assert (await http.post("/programmes", json=programme("p-2025", 2025), headers=org)).status_code == 201
        assert (await http.post("/programmes", json=programme("p-2027", 2027), headers=org)).status_code == 201
        field = "categories[0].business_baseline_programme_id"
        for base, words in (("p-none", "programme p-none does not exist in this installation"),
                            ("p-2026", "must name another programme"),
                            ("p-2027", "the baseline must be of a year before 2026")):
            r = await http.post("/programmes", json=programme("p-2026", 2026, business_baseline_programme_id=base),
                                headers=org)
            assert r.status_code == 422, r.text
            assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"], r.text
        r = await http.post("/programmes", json=programme("p-2026", 2026, peer_vote_round="best"), headers=org)
        assert r.status_code == 422 and r.json()["error"]["field"] == "categories[0].peer_vote_round", r.text
        assert (await http.get("/programmes/p-2026")).status_code == 404  # nothing written

        raw = programme("p-2026", 2026, peer_vote_round="appraisal", business_baseline_programme_id="p-2025")
        r = await http.post("/programmes/upload", headers=org,
                            files={"file": ("p.yaml", yaml.safe_dump(raw, allow_unicode=True).encode())})
        assert r.status_code == 201, r.text
        cat = r.json()["categories"][0]
        assert (cat["peer_vote_round"], cat["business_baseline_programme_id"]) == ("appraisal", "p-2025")
        assert r.json()["categories"][1]["peer_vote_round"] == "latest"

        # the round rule is fixed once voting started, as the criteria and weights are
        assert (await http.post("/programmes/p-2026/stages/voting/open", headers=org)).status_code == 200
        r = await http.put("/programmes/p-2026", json=raw | {"categories": [raw["categories"][0] | {
            "peer_vote_round": "latest"}] + raw["categories"][1:]}, headers=org)
        assert r.status_code == 409 and "peer_vote_round" in r.json()["error"]["message"], r.text
        assert r.json()["error"]["field"] == "categories.model-organ"

        evs = await events(settings, min_count=4)
        [defined] = [e["payload"] for e in evs if e["type"] == "ProgrammeDefined"
                     and e["payload"]["programme_id"] == "p-2026"]
        assert defined["categories"][0]["peer_vote_round"] == "appraisal"
        assert defined["categories"][0]["business_baseline_programme_id"] == "p-2025"
        assert defined["stage_control"] == "organiser"
