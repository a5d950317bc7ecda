"""The audit trail (审计日志): one record per state change on every events topic, with its actor and reason.

Every event type is recorded, including types added later, except the few that are not changes someone made:
snapshots a service derives from other events (tallies, standings) and the ballots' own events
(a ballot is accounted for by the round's bulletin, and must not be listed next to anything that could name its
voter). A record is keyed by the event id, so a redelivered or replayed event writes the same record again.
"""
from __future__ import annotations

from typing import Any

from shared.contracts import EVENT_TYPES, Envelope, Event
from shared.uow import Transaction

from ..store import ReadModel
from . import Apply

Tx = Transaction[ReadModel]

# An arena's board (ArenaBoardUpdated) is recorded: each is emitted by a judge's score on stage or an organiser's
# freeze, reveal or close, and carries that actor.
NOT_AUDITED = frozenset({"TallyUpdated", "StandingsUpdated", "BallotAccepted", "BallotRejected"})
# payload fields naming what a change is about, by the kind of thing they name
ID_FIELDS = ("nomination_id", "nominee_id", "notice_id", "honour_id", "objection_id", "judge_id", "round_id",
             "arena_id", "category_id", "unit_id", "review_id", "panel_id", "file_id")
NAME_FIELDS = ("nominee_name", "unit_name", "name", "title", "judge_name", "filename")
REASON_FIELDS = ("reason", "comment", "comments", "note")
SUMMARY_SKIP = set(ID_FIELDS) | set(NAME_FIELDS) | set(REASON_FIELDS) | {"programme_id", "nomination_ids"}
MAX_SUMMARY = 240
MAX_LISTED = 50  # nominations named in one record (a notice lists its whole category)


def audited(event_type: str) -> bool:
    return event_type not in NOT_AUDITED


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


def summary(payload: dict[str, Any]) -> str:
    """The change's other scalar fields as `field=value`, and the sizes of its lists, in a line."""
    parts = []
    for k, v in payload.items():
        if k in SUMMARY_SKIP or v in (None, "", [], {}):
            continue
        if isinstance(v, (str, int, float, bool)):
            parts.append(f"{k}={v}")
        elif isinstance(v, (list, dict)):
            parts.append(f"{k}: {len(v)}")
    line = ", ".join(parts)
    return line if len(line) <= MAX_SUMMARY else line[:MAX_SUMMARY - 1] + "…"


def nomination_ids(payload: dict[str, Any]) -> list[str]:
    ids = [payload["nomination_id"]] if payload.get("nomination_id") else []
    ids += [i for i in payload.get("nomination_ids") or [] if isinstance(i, str)]
    return list(dict.fromkeys(ids))[:MAX_LISTED]


def record_of(env: Envelope, entries: list[dict]) -> dict[str, Any]:
    """The audit record of an event; `entries`: the read model's entries of the nominations it names."""
    p = env.payload
    ids = {f: p[f] for f in ID_FIELDS if isinstance(p.get(f), str) and p[f]}
    noms = nomination_ids(p)
    nominee_ids = [e.get("nominee_id") for e in entries] + [p.get("nominee_id")]
    names = [e.get("nominee_name") for e in entries] + [p.get("nominee_name")]
    actor = env.actor.model_dump(exclude_defaults=True) if env.actor else None
    return {
        "_id": env.event_id, "type": env.type, "at": env.occurred_at, "programme_id": env.programme_id,
        "key": env.key, "correlation_id": env.correlation_id, "actor": actor,
        "actor_label": _actor_label(actor),
        "ids": ids, "nomination_ids": noms, "nominee_ids": _present(nominee_ids),
        "nominee_names": _present(names),
        "names": [p[f] for f in NAME_FIELDS if isinstance(p.get(f), str) and p[f]],
        "reason": " / ".join(_text(p[f]) for f in REASON_FIELDS if _text(p.get(f))),
        "summary": summary(p),
    }


def _present(values: list) -> list[str]:
    """Sorted: the same record whatever order the nominations reached the read model in (a replay equals live)."""
    return sorted({v for v in values if isinstance(v, str) and v})


def _actor_label(actor: dict | None) -> str:
    if not actor:
        return ""
    who = actor.get("name") or actor.get("unit_id") or actor.get("judge_id") or actor.get("subject") or ""
    return f"{actor['role']}:{who}" if who else actor["role"]


async def record(tx: Tx, env: Envelope, e: Event) -> None:
    p = env.payload
    noms = nomination_ids(p)
    entries = await tx.store.entries_of(noms) if noms else []
    await tx.store.save_audit(record_of(env, entries))
    if p.get("nomination_id") and p.get("nominee_name"):
        # Events of other keys (a veto, a score) may have been recorded before the nomination reached the entries:
        # they take its nominee now, so a record names its nominee whatever order the partitions were read in.
        await tx.store.name_audit(p["nomination_id"], p.get("nominee_id") or "", p["nominee_name"])


class Audited:
    """A handler followed by the audit record, in the same transaction (and so applied once, by the inbox)."""

    def __init__(self, apply: Apply | None) -> None:
        self.apply = apply
        self.__name__ = getattr(apply, "__name__", "audit")

    async def __call__(self, tx: Tx, env: Envelope, e: Any) -> None:
        if self.apply is not None:
            await self.apply(tx, env, e)
        await record(tx, env, e)


def with_audit(routes: dict[type[Event], Apply]) -> dict[type[Event], Apply]:
    """The handler of every event type: the projection's (if any) then the audit record, for audited types."""
    out: dict[type[Event], Apply] = dict(routes)
    for cls in EVENT_TYPES.values():
        if audited(cls.event_type):
            out[cls] = Audited(routes.get(cls))
    return out
