"""The shared library's pure parts: tokens, envelopes, rate limits, error bodies."""
from __future__ import annotations

import time

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.auth import HmacVerifier, Principal, issue_token, require
from shared.contracts import Envelope
from shared.contracts.nominations import NominationSubmitted
from shared.errors import Conflict, Unauthorized, install_error_handlers
from shared.ratelimit import RateLimiter
from shared.settings import Settings

S = Settings(auth_secret="unit-test-secret")


def verifier(settings=S):
    return HmacVerifier(settings.auth_secret.get_secret_value(), settings.auth_issuer, settings.auth_audience)


def test_a_token_carries_role_and_claims():
    tok = issue_token(S, role="unit", subject="u1", unit_id="u-fgw", name="发改委")
    p = verifier().verify(tok)
    assert (p.role, p.unit_id, p.name, p.subject) == ("unit", "u-fgw", "发改委", "u1")


@pytest.mark.parametrize("mutate, message", [
    (lambda t: issue_token(Settings(auth_secret="another-secret"), role="unit", subject="x"), "invalid"),
    (lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), "invalid"),
    (lambda t: issue_token(S, role="judge", subject="x", ttl_seconds=-10), "expired"),
    (lambda t: jwt.encode({"sub": "x", "role": "admin", "iss": S.auth_issuer, "aud": S.auth_audience,
                           "exp": int(time.time()) + 60}, "unit-test-secret", algorithm="HS256"), "role"),
])
def test_bad_tokens_are_refused_with_a_reason(mutate, message):
    with pytest.raises(Unauthorized) as err:
        verifier().verify(mutate(issue_token(S, role="unit", subject="x")))
    assert message in err.value.message


def test_unknown_role_cannot_be_issued():
    with pytest.raises(ValueError):
        issue_token(S, role="admin", subject="x")


class Body(BaseModel):
    quota: int


def _app():
    app = FastAPI()
    app.state.verifier = verifier()
    install_error_handlers(app)

    @app.post("/organiser-only")
    def organiser_only(body: Body, who: Principal = Depends(require("organiser"))):
        if body.quota == 13:
            raise Conflict("quota 13 is taken", field="quota")
        return {"ok": who.subject}

    return app


@pytest.mark.parametrize("headers, body, status, code", [
    ({}, {"quota": 1}, 401, "unauthorized"),
    ({"Authorization": "Bearer nonsense"}, {"quota": 1}, 401, "unauthorized"),
    ("judge", {"quota": 1}, 403, "forbidden"),
    ("organiser", {"quota": "many"}, 422, "invalid"),
    ("organiser", {"quota": 13}, 409, "conflict"),
    ("organiser", {"quota": 2}, 200, None),
])
def test_http_errors_are_clear_and_have_the_right_status(headers, body, status, code):
    if isinstance(headers, str):
        headers = {"Authorization": "Bearer " + issue_token(S, role=headers, subject="s")}
    r = TestClient(_app()).post("/organiser-only", json=body, headers=headers)
    assert r.status_code == status
    if code:
        assert r.json()["error"]["code"] == code
        assert r.json()["error"]["message"]
    if status == 422:
        assert r.json()["error"]["field"] == "quota"


def test_envelope_round_trip_keeps_the_event():
    event = NominationSubmitted(nomination_id="n1", category_id="c", nominee_id="u", nominee_name="市财政局机关",
                                nominee_kind="organ", unit_id="u", unit_name="市财政局")
    env = Envelope.wrap(event, programme_id="p", key="n1", correlation_id="cid")
    again = Envelope.model_validate_json(env.model_dump_json())
    assert again.event() == event
    assert (again.topic, again.key, again.correlation_id) == ("nominations.events", "n1", "cid")


def test_rate_limiter_refuses_bursts_and_recovers():
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0.0)
    assert limiter.allow("a", now=1.1)


def test_production_refuses_the_development_secret():
    with pytest.raises(ValueError, match="EXEMPLAR_AUTH_SECRET"):
        Settings(env="production")
    assert Settings(env="production", auth_secret="x" * 40).env == "production"
    assert Settings(env="production", auth_jwks_url="https://issuer.example/jwks").env == "production"
