"""The acting principal on every event: set where a request is authenticated, "system" while an event is handled,
never a member (a voter) — and an envelope written before actors existed still parses."""
from __future__ import annotations

import asyncio

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared import publisher
from shared.auth import HmacVerifier, Principal, issue_token, require
from shared.consumer import event_context
from shared.context import current_actor
from shared.contracts import Actor, Envelope
from shared.contracts.nominations import NominationWithdrawn, StageChanged
from shared.http_context import RequestContext
from shared.settings import Settings

S = Settings(auth_secret="unit-test-secret")
EVENT = NominationWithdrawn(nomination_id="n1", category_id="c")


class FakeOutbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def add(self, envelopes, session) -> None:
        self.envelopes += envelopes


def _app(outbox: FakeOutbox) -> FastAPI:
    app = FastAPI()
    app.state.verifier = HmacVerifier(S.auth_secret.get_secret_value(), S.auth_issuer, S.auth_audience)

    @app.post("/change")
    async def change(who: Principal = Depends(require("organiser", "unit", "judge", "member"))):
        await publisher.emit(outbox, None, EVENT, programme_id="p", key="n1")
        return {}

    @app.post("/open")
    async def open_change():
        await publisher.emit_many(outbox, None, [(EVENT, "p", "n1")])
        return {}

    app.add_middleware(RequestContext, log=None, max_body_bytes=10_000)
    return app


def _call(client: TestClient, path: str, role: str | None = None, **claims) -> None:
    headers = {"Authorization": "Bearer " + issue_token(S, role=role, subject=f"{role}-sub", **claims)} if role else {}
    assert client.post(path, headers=headers).status_code == 200


def test_the_signed_in_principal_is_the_actor_of_what_the_request_emits():
    outbox = FakeOutbox()
    client = TestClient(_app(outbox))
    _call(client, "/change", "organiser", name="张主任")
    _call(client, "/change", "unit", unit_id="u-fgw", name="发改委")
    _call(client, "/change", "judge", judge_id="j1", name="李评委")
    _call(client, "/open")  # no principal: and none left over from the request before
    actors = [e.actor for e in outbox.envelopes]
    assert actors[0] == Actor(role="organiser", subject="organiser-sub", name="张主任")
    assert (actors[1].role, actors[1].unit_id, actors[1].name) == ("unit", "u-fgw", "发改委")
    assert (actors[2].role, actors[2].judge_id) == ("judge", "j1")
    assert actors[3] is None


def test_a_member_is_never_the_actor():
    outbox = FakeOutbox()
    _call(TestClient(_app(outbox)), "/change", "member", member_id="m-1", name="王党员")
    (env,) = outbox.envelopes
    assert env.actor is None
    assert "m-1" not in env.model_dump_json() and "member-sub" not in env.model_dump_json()


def test_events_emitted_while_handling_an_event_are_the_systems_caused_by_it():
    cause = Envelope.wrap(StageChanged(programme_id="p", stage="voting", state="open"), programme_id="p", key="p")
    outbox = FakeOutbox()
    with event_context(cause):
        asyncio.run(publisher.emit(outbox, None, EVENT, programme_id="p", key="n1"))
    assert outbox.envelopes[0].actor == Actor(role="system", cause=cause.event_id)
    assert current_actor() is None


def test_an_envelope_without_an_actor_still_parses_and_one_with_it_round_trips():
    old = ('{"event_id": "e1", "type": "NominationWithdrawn", "schema_version": 1, "occurred_at": '
           '"2026-01-05T08:00:00Z", "programme_id": "p", "correlation_id": "c", "key": "n1", '
           '"payload": {"nomination_id": "n1", "category_id": "c"}}')
    env = Envelope.model_validate_json(old)
    assert env.actor is None and env.event() == EVENT
    who = Actor(role="unit", subject="s", name="发改委", unit_id="u-fgw")
    again = Envelope.model_validate_json(Envelope.wrap(EVENT, programme_id="p", key="n1", actor=who).model_dump_json())
    assert again.actor == who


def test_the_asyncapi_document_describes_the_actor_where_its_reference_points():
    from shared.asyncapi import asyncapi_document

    schemas = asyncapi_document()["components"]["schemas"]
    ref = schemas["Envelope"]["properties"]["actor"]["anyOf"][0]["$ref"]
    assert ref == "#/components/schemas/Actor" and "role" in schemas["Actor"]["properties"]
    assert "member" not in schemas["Actor"]["properties"]["role"]["enum"]
