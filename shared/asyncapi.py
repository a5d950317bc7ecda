"""The event API as an AsyncAPI 3.0 document, generated from the one contracts package."""
from __future__ import annotations

import html
from typing import Any

from .contracts import EVENT_TYPES, Envelope, topics


def asyncapi_document(prefix: str = "exemplar", *, service: str | None = None,
                      title: str = "Exemplar events") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    envelope = Envelope.model_json_schema(ref_template="#/components/schemas/{model}")
    # the envelope's parts (its Actor) beside it, as the events' parts are
    schemas: dict[str, Any] = {**envelope.pop("$defs", {}), "Envelope": envelope}
    for name, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub, sub_schema in schema.pop("$defs", {}).items():
            schemas.setdefault(sub, sub_schema)
        schemas[name] = schema
        messages[name] = {
            "name": name,
            "title": name,
            "summary": (cls.__doc__ or "").strip() or f"{name} on {cls.topic}",
            "contentType": "application/json",
            "headers": {"type": "object", "properties": {"event_type": {"const": name}}},
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/Envelope"},
                    {"type": "object", "properties": {
                        "type": {"const": name},
                        "schema_version": {"const": cls.schema_version},
                        "payload": {"$ref": f"#/components/schemas/{name}"},
                    }},
                ]
            },
        }
        channel = channels.setdefault(
            cls.topic.replace(".", "_"),
            {"address": topics.qualified(prefix, cls.topic), "messages": {}, "description": f"Kafka topic {cls.topic}"},
        )
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    channels["deadletter"] = {
        "address": topics.qualified(prefix, topics.DEAD_LETTER),
        "description": "Messages a consumer could not process, with the reason",
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
    }
    from .contracts import DeadLetter
    from .contracts.voting import CastBallot

    schemas["CastBallot"] = CastBallot.model_json_schema()
    messages["CastBallot"] = {"name": "CastBallot", "title": "CastBallot (command)",
                              "summary": (CastBallot.__doc__ or "").strip().splitlines()[0],
                              "contentType": "application/json", "payload": {"$ref": "#/components/schemas/CastBallot"}}
    channels["voting_ballots"] = {
        "address": topics.qualified(prefix, topics.BALLOTS),
        "description": "Ballot commands, keyed by the voter's mark, counted in batches by the voting service",
        "messages": {"CastBallot": {"$ref": "#/components/messages/CastBallot"}},
    }
    schemas["DeadLetter"] = DeadLetter.model_json_schema()
    messages["DeadLetter"] = {"name": "DeadLetter", "payload": {"$ref": "#/components/schemas/DeadLetter"}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title + (f" — {service}" if service else ""), "version": "1.0.0",
                 "description": "Events are keyed by aggregate id; delivery is at least once; consumers are idempotent "
                                "by event_id."},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def asyncapi_html(doc: dict[str, Any]) -> str:
    rows = []
    for ch in doc["channels"].values():
        for name in ch["messages"]:
            msg = doc["components"]["messages"][name]
            rows.append(
                f"<tr><td><code>{html.escape(ch['address'])}</code></td><td><b>{html.escape(name)}</b></td>"
                f"<td>{html.escape(msg.get('summary', ''))}</td></tr>"
            )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>AsyncAPI</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:.4em}</style></head>"
        f"<body><h1>{html.escape(doc['info']['title'])}</h1><p>{html.escape(doc['info']['description'])}</p>"
        "<p>Full document: <a href='asyncapi.json'>asyncapi.json</a></p>"
        "<table><tr><th>topic</th><th>event</th><th>summary</th></tr>" + "".join(rows) + "</table></body></html>"
    )
