"""What the security and fuzz suites share: the service apps that exist, and role tokens of every kind."""
from __future__ import annotations

import importlib
import time

import jwt
from fastapi.routing import APIRoute

from shared.auth import issue_token
from shared.settings import Settings

SERVICE_NAMES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
ROLES = ("organiser", "unit", "member", "judge")
CLAIMS = {"unit": {"unit_id": "u-x"}, "member": {"member_id": "m-x"}, "judge": {"judge_id": "j-x"}}


def factory(name: str):
    """The service's create_service, or None while the service has not landed."""
    try:
        module = importlib.import_module(f"services.{name}.app")
    except ModuleNotFoundError:
        return None
    return getattr(module, "create_service", None)


def available() -> list[str]:
    return [n for n in SERVICE_NAMES if factory(n) is not None]


def route_roles(route: APIRoute) -> tuple | None:
    """The roles a route admits, read from its shared.auth.require(...) dependency; None = public."""
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            return tuple(roles)
        stack.extend(dep.dependencies)
    return None


def token(settings: Settings, kind: str) -> dict[str, str]:
    """Headers for a caller: none, a role, an expired token, a token signed with another secret, garbage."""
    if kind == "none":
        return {}
    if kind == "expired":
        t = issue_token(settings, role="organiser", subject="old", ttl_seconds=-60)
    elif kind == "forged":
        now = int(time.time())
        t = jwt.encode({"sub": "mallory", "role": "organiser", "iss": settings.auth_issuer,
                        "aud": settings.auth_audience, "iat": now, "exp": now + 600},
                       "another-secret-of-sufficient-length-000", algorithm="HS256")
    elif kind == "alg-none":
        now = int(time.time())
        t = jwt.encode({"sub": "mallory", "role": "organiser", "iss": settings.auth_issuer,
                        "aud": settings.auth_audience, "iat": now, "exp": now + 600}, None, algorithm="none")
    elif kind == "no-role":
        now = int(time.time())
        t = jwt.encode({"sub": "x", "role": "admin", "iss": settings.auth_issuer, "aud": settings.auth_audience,
                        "iat": now, "exp": now + 600}, settings.auth_secret.get_secret_value(), algorithm="HS256")
    else:
        t = issue_token(settings, role=kind, subject=f"{kind}-matrix", **CLAIMS.get(kind, {}))
    return {"Authorization": f"Bearer {t}"}
