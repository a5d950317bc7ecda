"""Regression tests of service bugs found by fuzzing (a bug still open is a strict xfail here and listed in
test_openapi_fuzz.KNOWN)."""
from __future__ import annotations

import pytest

from tests.security.common import factory
from tests.support import running

pytestmark = pytest.mark.conformance


@pytest.mark.skipif(factory("publicity") is None, reason="services.publicity has no create_service yet")
async def test_calendar_of_an_impossible_year_is_a_4xx(settings):
    async with running(factory("publicity"), settings) as (_, http):
        r = await http.get("/calendars/1581095753")
        assert 400 <= r.status_code < 500, r.text
