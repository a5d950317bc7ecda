"""devtools.trace_ballot lists one trace from the console spans in a demo's service logs."""
from __future__ import annotations

import json

from devtools.trace_ballot import listing, spans_of

T, OTHER = "a" * 32, "b" * 32


def span(name: str, trace_id: str, kind: str, start: str, links: tuple[str, ...] = ()) -> str:
    return json.dumps({"name": name, "context": {"trace_id": f"0x{trace_id}", "span_id": "0x1"},
                       "kind": f"SpanKind.{kind}", "start_time": f"2026-12-02T{start}Z",
                       "links": [{"context": {"trace_id": f"0x{t}"}} for t in links]}, indent=4)


def test_the_spans_of_a_trace_and_those_linked_to_it_in_start_order_across_services(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "voting.log").write_text("\n".join([
        '{"event": "service started", "level": "info"}',
        span("POST /rounds/{round_id}/ballots http receive", T, "INTERNAL", "09:51:29.447900"),
        span("POST /rounds/{round_id}/ballots", T, "SERVER", "09:51:29.447100"),
        "not JSON {",
        span("exemplar.voting.ballots create", OTHER, "CONSUMER", "09:51:29.467000", links=(T,)),
        span("exemplar_voting.find", OTHER, "CLIENT", "09:51:29.468000"),
    ]) + "\n")
    (logs / "leaderboard.log").write_text(span("TallyUpdated apply", T, "CONSUMER", "09:51:29.559000") + "\n")
    assert listing(T, spans_of(tmp_path, T)).splitlines() == [
        f"trace 0x{T}: 3 spans, 1 linked from other traces",
        "09:51:29.447 voting       SERVER    POST /rounds/{round_id}/ballots",  # started first, in the same ms
        "09:51:29.447 voting       INTERNAL  POST /rounds/{round_id}/ballots http receive",
        "09:51:29.467 voting       CONSUMER  exemplar.voting.ballots create (linked, own trace)",
        "09:51:29.559 leaderboard  CONSUMER  TallyUpdated apply",
    ]
