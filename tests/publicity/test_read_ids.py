"""Ids and filters on reads (issue 15, item 7): a malformed id or an unknown state in a path or query parameter is
a 422 naming the parameter, never an empty list. Validation runs before any store is touched, so no server."""
from __future__ import annotations

import httpx
import pytest

from services.publicity.app import create_service
from shared.settings import Settings
from tests.support import auth

SETTINGS = Settings()
INJECTION = '{"$gt": ""}'


@pytest.fixture
async def http():
    svc = create_service(SETTINGS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.api), base_url="http://testserver") as c:
        yield c


def refused(r: httpx.Response, parameter: str) -> None:
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == parameter and parameter in r.json()["error"]["message"]


ORG = auth(SETTINGS, "organiser")
FILTERS = [  # (path, parameter, bad value, organiser only)
    ("/notices", "programme_id", INJECTION, False),
    ("/notices", "state", "opened", False),
    ("/notices", "state", INJECTION, False),
    ("/objections", "notice_id", INJECTION, True),
    ("/objections", "state", "resolved", True),
    ("/honours", "programme_id", INJECTION, False),
    ("/honours", "programme_id", "x" * 65, False),
    ("/honours", "status", "pending", False),
    ("/vetoes", "programme_id", INJECTION, True),
    ("/reviews", "due_by", "tomorrow", True),
    ("/reviews", "pending", "maybe", True),
]


@pytest.mark.parametrize("path, parameter, value, organiser", FILTERS)
async def test_a_bad_filter_is_a_422_naming_it(http, path, parameter, value, organiser):
    refused(await http.get(path, params={parameter: value}, headers=ORG if organiser else {}), parameter)


PATHS = [  # (path with a malformed id, the parameter it names)
    ("/notices/a%20b", "notice_id"),
    ("/notices/%24where/download/docx", "notice_id"),
    ("/objections/status/a%20b", "tracking_no"),
    ("/objections/-x", "objection_id"),
    ("/objections/-x/contact", "objection_id"),
    ("/objections/o1/attachments/%7B%7D", "file_id"),
    ("/honours/%7B%7D", "honour_id"),
    ("/programmes/%7B%7D/shortlists", "programme_id"),
]


@pytest.mark.parametrize("path, parameter", PATHS)
async def test_a_malformed_path_id_is_a_422_naming_it(http, path, parameter):
    refused(await http.get(path, headers=ORG), parameter)


async def test_a_malformed_id_on_a_write_path_too(http):
    refused(await http.post("/honours/%7B%7D/revoke", json={"reason": "材料不实"}, headers=ORG), "honour_id")
    refused(await http.post("/notices/%7B%7D/corrections", json={"reason": "日期有误", "working_days": 6},
                            headers=ORG), "notice_id")
