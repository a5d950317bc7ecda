"""One ballot cast over HTTP is one trace: the request, the ballots topic, the counter, TallyUpdated, the leaderboard.

The real voting service and the real leaderboard on the local Kafka and MongoDB, each with an SDK tracer provider
of its own that exports to memory and, as OTEL_TRACES_EXPORTER=console does, as JSON to a text stream."""
from __future__ import annotations

import io
import json
import secrets

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.leaderboard.app import create_service as create_leaderboard
from services.voting.app import create_service
from shared import telemetry
from tests.support import auth, eventually, running
from tests.voting.helpers import seed, world
from tests.voting.test_voting import open_round


class Traced:
    """A tracer provider whose finished spans are kept in memory and written by the console exporter."""

    def __init__(self) -> None:
        self.memory = InMemorySpanExporter()
        self.console = io.StringIO()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))
        self.provider.add_span_processor(SimpleSpanProcessor(telemetry.exporter("console", out=self.console)))

    def spans(self, trace_id: int) -> list:
        return [s for s in self.memory.get_finished_spans() if s.context.trace_id == trace_id]

    def printed(self) -> list[dict]:
        """The spans the console exporter wrote (JSON documents one after the other)."""
        text, docs, decoder, at = self.console.getvalue(), [], json.JSONDecoder(), 0
        while (at := _skip_space(text, at)) < len(text):
            doc, at = decoder.raw_decode(text, at)
            docs.append(doc)
        return docs


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _one(spans: list, kind: SpanKind, name_end: str):
    found = [s for s in spans if s.kind == kind and s.name.endswith(name_end)]
    assert len(found) == 1, (kind, name_end, [(s.kind.name, s.name) for s in spans])
    return found[0]


def _listing(spans: list) -> str:
    return "\n".join(f"{s.context.span_id:016x} parent={s.parent.span_id if s.parent else 0:016x} "
                     f"{s.kind.name:8} {s.name}" for s in sorted(spans, key=lambda s: s.start_time))


async def test_one_ballot_cast_over_http_is_one_trace_from_the_request_to_the_leaderboard(settings):
    voting, board = Traced(), Traced()
    async with running(lambda s: create_service(s, tracer_provider=voting.provider), settings) as (svc, client), \
            running(lambda s: create_leaderboard(s, tracer_provider=board.provider), settings) as (lb, _):
        w = world(units=1, per_unit=2, candidates=2)
        await seed(settings, svc, w)
        await open_round(settings, client)
        await eventually(lambda: lb.db.rounds.find_one({"_id": "r1"}), timeout=30)
        trace_id = secrets.token_hex(16)
        headers = auth(settings, "member", member_id="m0-0") | {"traceparent": f"00-{trace_id}-{'1' * 16}-01"}
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]}, headers=headers)
        assert r.status_code == 201, r.text
        tid = int(trace_id, 16)

        async def applied_on_the_board():
            return [s for s in board.spans(tid) if s.name == "TallyUpdated apply"]

        await eventually(applied_on_the_board, timeout=30)
        assert await lb.db.rounds.find_one({"_id": "r1", "ballots_cast": 1})

    mine = voting.spans(tid)
    listing = _listing(mine)
    request = _one(mine, SpanKind.SERVER, "POST /rounds/{round_id}/ballots")
    assert request.parent.span_id == 0x1111111111111111  # the caller's traceparent
    ballots = _one(mine, SpanKind.PRODUCER, "voting.ballots publish")
    counted = _one(mine, SpanKind.CONSUMER, "voting.ballots batch")
    tally = _one(mine, SpanKind.PRODUCER, "voting.events publish")
    assert ballots.attributes["messaging.destination.name"].endswith("voting.ballots"), listing
    # The counter's batch span: in the ballot's trace, linked to faststream's batch span (a trace of its own).
    batch = next(s for s in voting.memory.get_finished_spans() if s.name.endswith("voting.ballots process"))
    assert batch.context.trace_id != tid and [link.context.span_id for link in counted.links] == \
        [batch.context.span_id], listing
    assert request.start_time < ballots.start_time < counted.start_time < tally.start_time, listing
    applied = (await applied_on_the_board())[0]
    assert applied.kind == SpanKind.CONSUMER and applied.parent.span_id in {s.context.span_id for s in mine}
    # What OTEL_TRACES_EXPORTER=console prints: every one of those spans, readable as JSON.
    printed = {d["context"]["span_id"] for d in voting.printed() + board.printed()}
    for span in (request, ballots, counted, tally, applied):
        assert f"0x{span.context.span_id:016x}" in printed, (span.name, listing)
    # The ballots topic is keyed by the voter's mark: no span keeps it, printed or not.
    from services.voting.config import VotingConfig
    from services.voting.domain import voter_mark
    mark = voter_mark(VotingConfig().ballot_secret, "r1", "m0-0")
    spans_text = "".join(json.dumps(d) for d in voting.printed())
    keys = {str(s.attributes.get("messaging.kafka.message.key")) for s in voting.memory.get_finished_spans()
            if s.name.startswith(ballots.name.rsplit(" ", 1)[0])}
    assert keys <= {telemetry.MARK_WITHHELD, "None"}, keys
    assert mark not in spans_text and mark not in _listing(mine)
    print("\n" + listing + "\nleaderboard:\n" + _listing(board.spans(tid)))
