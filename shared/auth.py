"""Signed role tokens: issued by the CLI (HMAC) locally, verified pluggably (OIDC issuer keys in production)."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .context import actor as actor_var
from .context import principal_actor
from .errors import Forbidden, Unauthorized
from .settings import Settings

Role = Literal["organiser", "unit", "member", "judge"]
ROLES: tuple[Role, ...] = ("organiser", "unit", "member", "judge")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    unit_id: str | None = None
    member_id: str | None = None
    judge_id: str | None = None
    name: str = ""
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Principal: ...


def _principal(claims: dict[str, Any]) -> Principal:
    role = claims.get("role")
    if role not in ROLES:
        raise Unauthorized("token carries no valid role")
    return Principal(
        subject=str(claims.get("sub", "")),
        role=role,
        unit_id=claims.get("unit_id"),
        member_id=claims.get("member_id"),
        judge_id=claims.get("judge_id"),
        name=claims.get("name", ""),
        claims=claims,
    )


class HmacVerifier:
    def __init__(self, secret: str, issuer: str, audience: str) -> None:
        self._secret, self._issuer, self._audience = secret, issuer, audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], issuer=self._issuer, audience=self._audience)
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token has expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("token is invalid") from None
        return _principal(claims)


class JwksVerifier:
    """Verifies tokens of an OIDC issuer by its published keys; the role comes from the `role` claim."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self._client = jwt.PyJWKClient(jwks_url)
        self._issuer, self._audience = issuer, audience

    def verify(self, token: str) -> Principal:
        try:
            key = self._client.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256", "ES256"], issuer=self._issuer,
                                audience=self._audience)
        except jwt.PyJWTError:
            raise Unauthorized("token is invalid") from None
        return _principal(claims)


def verifier_from_settings(settings: Settings) -> TokenVerifier:
    if settings.auth_jwks_url:
        return JwksVerifier(settings.auth_jwks_url, settings.auth_issuer, settings.auth_audience)
    return HmacVerifier(settings.auth_secret.get_secret_value(), settings.auth_issuer, settings.auth_audience)


def issue_token(
    settings: Settings,
    *,
    role: Role,
    subject: str,
    unit_id: str | None = None,
    member_id: str | None = None,
    judge_id: str | None = None,
    name: str = "",
    ttl_seconds: int = 12 * 3600,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role,
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "name": name,
    }
    for k, v in (("unit_id", unit_id), ("member_id", member_id), ("judge_id", judge_id)):
        if v is not None:
            claims[k] = v
    return jwt.encode(claims, settings.auth_secret.get_secret_value(), algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(credentials.credentials)


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency that admits only the given roles, and makes the principal the actor of the events the
    request emits (shared.context.actor; none for a member, see principal_actor).

    Async on purpose: FastAPI awaits it in the request's own task, so the actor it sets is seen by the endpoint
    (a sync dependency runs in a worker thread, whose context does not come back)."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if roles and principal.role not in roles:
            raise Forbidden(f"this action needs the role {' or '.join(roles)}")
        actor_var.set(principal_actor(principal))
        return principal

    dependency.roles = roles  # type: ignore[attr-defined]  # a function attribute, read by the authorisation-matrix test
    return dependency
