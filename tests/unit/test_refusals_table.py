"""devtools.refusals lists each distinct refusal the tests met once, with a request that met it."""
from __future__ import annotations

import json

from devtools.refusals import table


def test_each_distinct_refusal_is_one_row_with_the_first_request_that_met_it(tmp_path):
    log = tmp_path / "refusals.jsonl"
    rows = [{"method": "POST", "path": "/rounds", "status": 409, "code": "stage_closed", "field": "stage",
             "message": "the voting stage (民主测评) is not open: opening a round is refused"},
            {"method": "POST", "path": "/rounds", "status": 409, "code": "stage_closed", "field": "stage",
             "message": "the voting stage (民主测评) is not open: opening a round is refused"},
            {"method": "GET", "path": "/notices", "status": 422, "code": "invalid", "field": "state",
             "message": "state: Input should be 'open' or 'closed'"}]
    log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    lines = table(log).splitlines()
    assert lines[2:] == [
        "| 409 | stage_closed | stage | POST /rounds | the voting stage (民主测评) is not open: "
        "opening a round is refused |",
        "| 422 | invalid | state | GET /notices | state: Input should be 'open' or 'closed' |"]
