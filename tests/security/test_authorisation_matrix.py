"""Every endpoint of every service × every kind of caller: signed tokens are required, roles are enforced.

The allowed roles of a route are read from its shared.auth.require(...) dependency (attribute `.roles`); a route
without one is public. Non-public routes answer 401 without a token or with an expired, forged, unsigned or
role-less one, 403 ("needs the role") for a role not allowed, and neither for an allowed role (the request may
still be invalid: 404/409/422 are fine). No caller ever gets a 5xx.
"""
from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from tests.security.common import ROLES, available, factory, route_roles, token
from tests.support import running

pytestmark = pytest.mark.conformance

CALLERS = ("none", "expired", "forged", "alg-none", "no-role") + ROLES
BAD = ("none", "expired", "forged", "alg-none", "no-role")
COUNTS: dict[str, int] = {}


def fill(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "2026" if m.group(1) == "year" else f"x-{m.group(1)}", path)


@pytest.mark.parametrize("service", available())
async def test_every_route_by_every_caller(service, settings):
    cfg = settings.model_copy(update={"public_rate_per_minute": 1_000_000})
    problems: list[str] = []
    cases = 0
    async with running(factory(service), cfg) as (svc, http):
        # routes of an included APIRouter are listed through their route contexts (FastAPI 0.165 includes lazily)
        routes = [c.original_route for c in iter_route_contexts(svc.api.routes)
                  if isinstance(c.original_route, APIRoute)]
        assert routes
        protected = [r for r in routes if route_roles(r) is not None]
        if service != "leaderboard":
            assert protected, f"{service} has no protected route at all"
        for route in routes:
            roles = route_roles(route)
            for method in sorted(route.methods - {"HEAD"}):
                url = fill(route.path)
                for caller in CALLERS:
                    kw = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                    r = await http.request(method, url, headers=token(cfg, caller), **kw)
                    cases += 1
                    where = f"{method} {route.path} as {caller}: {r.status_code} {r.text[:160]}"
                    if r.status_code >= 500:
                        problems.append("5xx " + where)
                    elif roles is None:
                        if r.status_code == 401 or (r.status_code == 403 and "needs the role" in r.text):
                            problems.append("public route refused " + where)
                    elif caller in BAD:
                        if r.status_code != 401:
                            problems.append("expected 401 " + where)
                    elif roles and caller not in roles:
                        if r.status_code != 403:
                            problems.append("expected 403 " + where)
                    elif r.status_code == 401 or (r.status_code == 403 and "needs the role" in r.text):
                        problems.append("allowed role refused " + where)
    COUNTS[service] = cases
    print(f"AUTH-MATRIX {service}: {len(routes)} routes, {cases} endpoint x caller cases")
    assert not problems, "\n".join(problems[:30])
