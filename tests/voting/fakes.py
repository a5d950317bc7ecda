"""In-memory fakes of the voting store, its unit of work and the casting edge, for the fast tests of every action."""
from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pymongo.errors import DuplicateKeyError

from services.voting import domain
from services.voting.counting import Counter
from services.voting.config import VotingConfig
from services.voting.learning import LEARNING, category_published
from services.voting.store.tallies import merge, new_parts, part_id
from shared.auth import Principal
from shared.contracts import Envelope, Event
from shared.contracts.nominations import (
    MembersImported,
    NominationSubmitted,
    ProgrammeDefined,
    StageChanged,
    UnitsImported,
)
from shared.contracts.publicity import PublicityOpened
from shared.contracts.voting import CastBallot
from tests.fakes import FakeTransaction, FakeUnitOfWork, InMemoryLearnedStore

T = TypeVar("T")


def _project(doc: dict | None, fields: dict[str, int] | None) -> dict | None:
    """A copy of the document with MongoDB's projection applied (all-excluding or all-including)."""
    if doc is None:
        return None
    doc = copy.deepcopy(doc)
    if not fields:
        return doc
    if all(v == 0 for v in fields.values()):
        return {k: v for k, v in doc.items() if k not in fields}
    keep = {k for k, v in fields.items() if v} | ({"_id"} if fields.get("_id", 1) else set())
    return {k: v for k, v in doc.items() if k in keep}


def _inc(doc: dict, inc: dict[str, int]) -> None:
    for dotted, n in inc.items():
        *path, last = dotted.split(".")
        at = doc
        for key in path:
            at = at.setdefault(key, {})
        at[last] = at.get(last, 0) + n


class InMemoryVotingStore(InMemoryLearnedStore):
    """services.voting.store.VotingStore on dicts."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds: dict[str, dict] = {}
        self.roll: dict[str, dict] = {}
        self.marks: dict[str, dict] = {}
        self.sheets_by_id: dict[str, dict] = {}
        self.rejections: dict[str, dict] = {}
        self.flag_docs: dict[str, dict] = {}
        self.tallies: dict[str, dict] = {}
        self.tally_parts: dict[str, dict] = {}

    # ---- rounds ----------------------------------------------------------------------------------------------
    async def get_round(self, round_id: str, fields: dict[str, int] | None = None) -> dict | None:
        return _project(self.rounds.get(round_id), fields)

    async def round_exists(self, round_id: str) -> bool:
        return round_id in self.rounds

    async def insert_round(self, rnd: dict) -> None:
        if rnd["_id"] in self.rounds:
            raise DuplicateKeyError("rounds._id")
        self.rounds[rnd["_id"]] = copy.deepcopy(rnd)

    async def set_round(self, round_id: str, fields: dict[str, Any]) -> None:
        if round_id in self.rounds:
            self.rounds[round_id].update(copy.deepcopy(fields))

    async def due_rounds(self, now: datetime) -> list[str]:
        return [r["_id"] for r in self.rounds.values() if r.get("state") == "open" and r["closes_at"] <= now]

    async def list_rounds(self, programme_id: str | None) -> list[dict]:
        docs = [r for r in self.rounds.values() if not programme_id or r["programme_id"] == programme_id]
        return copy.deepcopy(sorted(docs, key=lambda r: r["created_at"]))

    async def feeding_rounds(self, programme_id: str, category_ids: list[str]) -> list[dict]:
        docs = [r for r in self.rounds.values() if r["programme_id"] == programme_id
                and set(r["category_ids"]) & set(category_ids) and r.get("feeds_peer_vote") is not False]
        return [{k: r[k] for k in ("_id", "name", "category_ids", "created_at")}
                for r in sorted(docs, key=lambda r: r["created_at"], reverse=True)]

    async def set_voting_stage(self, programme_id: str, snapshot: dict) -> None:
        for rnd in self.rounds.values():
            if rnd["programme_id"] == programme_id and rnd.get("state") != "closed":
                rnd["voting_stage"] = copy.deepcopy(snapshot)

    async def mark_withdrawn(self, programme_id: str, nomination_id: str) -> None:
        for rnd in self.rounds.values():
            if rnd.get("state") == "open" and rnd["programme_id"] == programme_id:
                for c in rnd["candidates"]:
                    if c["nomination_id"] == nomination_id:
                        c["withdrawn"] = True

    # ---- learned -----------------------------------------------------------------------------------------------
    async def programme(self, programme_id: str) -> dict | None:
        return copy.deepcopy(self.programmes.get(programme_id))

    async def set_published(self, programme_id: str, category_ids: list[str]) -> None:
        self.programmes.setdefault(programme_id, {"_id": programme_id})["published_categories"] = list(category_ids)

    def _approved(self, programme_id: str) -> list[dict]:
        return sorted((n for n in self.nominations.values()
                       if n.get("programme_id") == programme_id and n.get("status") == "approved"),
                      key=lambda n: n["_id"])

    async def approved_nominations(self, programme_id: str, category_ids: list[str]) -> list[dict]:
        return copy.deepcopy([n for n in self._approved(programme_id) if n.get("category_id") in category_ids])

    async def candidates(self, programme_id: str, category_id: str | None) -> list[dict]:
        return copy.deepcopy([n for n in self._approved(programme_id)
                              if not category_id or n.get("category_id") == category_id])

    def _of(self, docs: dict[str, dict], programme_id: str | None) -> list[dict]:
        return [d for d in docs.values() if programme_id is None or d.get("programme_id") == programme_id]

    async def count_members(self, programme_id: str | None = None) -> int:
        return len(self._of(self.members, programme_id))

    async def members_in(self, programme_id: str, *, unit_ids: list[str] | None = None,
                         member_ids: list[str] | None = None) -> list[dict]:
        return [{"member_id": m["member_id"], "unit_id": m["unit_id"]} for m in self._of(self.members, programme_id)
                if (unit_ids is None or m["unit_id"] in unit_ids)
                and (unit_ids is not None or member_ids is None or m["member_id"] in member_ids)]

    async def known_units(self, programme_id: str, unit_ids: list[str]) -> set[str]:
        return {u["unit_id"] for u in self._of(self.units, programme_id) if u["unit_id"] in unit_ids}

    async def unit_names(self, programme_id: str, unit_ids: list[str]) -> dict[str, str]:
        return {u["unit_id"]: u.get("name", "") for u in self._of(self.units, programme_id) if u["unit_id"] in unit_ids}

    async def member_names(self, programme_id: str, member_ids: list[str]) -> dict[str, str]:
        return {m["member_id"]: m.get("name", "") for m in self._of(self.members, programme_id)
                if m["member_id"] in member_ids}

    # ---- roll ------------------------------------------------------------------------------------------------
    async def insert_roll(self, entries: list[dict]) -> None:
        for e in entries:
            self.roll.setdefault(e["_id"], copy.deepcopy(e))

    async def roll_by_credential(self, round_id: str, credential_hash: str) -> dict | None:
        return next(({"_id": r["_id"], "member_id": r["member_id"]} for r in self.roll.values()
                     if r["round_id"] == round_id and r.get("cred") == credential_hash), None)

    async def roll_entry(self, round_id: str, member_id: str) -> dict | None:
        r = self.roll.get(f"{round_id}:{member_id}")
        return None if r is None else {"_id": r["_id"], "member_id": r["member_id"]}

    async def unit_roll(self, round_id: str, unit_id: str) -> list[dict]:
        return copy.deepcopy(sorted((r for r in self.roll.values()
                                     if r["round_id"] == round_id and r["unit_id"] == unit_id),
                                    key=lambda r: r["member_id"]))

    async def roll_members(self, round_id: str) -> list[dict]:
        return [{"member_id": r["member_id"], "unit_id": r["unit_id"]} for r in self.roll.values()
                if r["round_id"] == round_id]

    async def set_credentials(self, issued: list[tuple[str, str, datetime]]) -> None:
        for rid, chash, at in issued:
            self.roll[rid].update(cred=chash, cred_issued_at=at)

    # ---- marks -------------------------------------------------------------------------------------------------
    async def voted(self, marks: list[str]) -> set[str]:
        return {m for m in marks if m in self.marks}

    async def has_voted(self, mark: str) -> bool:
        return mark in self.marks

    async def mark(self, mark: str) -> dict | None:
        return copy.deepcopy(self.marks.get(mark))

    async def mark_tags(self, marks: list[str]) -> dict[str, str | None]:
        return {m: self.marks[m].get("tag") for m in marks if m in self.marks}

    async def insert_marks(self, marks: list[dict]) -> None:
        for m in marks:
            if m["_id"] in self.marks:
                raise DuplicateKeyError("marks._id")
        for m in marks:
            self.marks[m["_id"]] = copy.deepcopy(m)

    # ---- sheets and refusals -----------------------------------------------------------------------------------
    async def insert_sheet(self, sheet: dict) -> None:
        self.sheets_by_id[sheet["_id"]] = copy.deepcopy(sheet)

    async def sheets(self, round_id: str) -> list[dict]:
        return copy.deepcopy([s for s in self.sheets_by_id.values() if s["round_id"] == round_id])

    async def round_receipts(self, round_id: str) -> list[str]:
        return sorted(r for s in self.sheets_by_id.values() if s["round_id"] == round_id for r in s["receipts"])

    async def receipt_recorded(self, round_id: str, receipt: str) -> bool:
        return any(s["round_id"] == round_id and receipt in s["receipts"] for s in self.sheets_by_id.values())

    async def insert_rejection(self, doc: dict) -> None:
        self.rejections[doc["_id"]] = copy.deepcopy(doc)

    async def insert_rejections(self, docs: list[dict]) -> None:
        for d in docs:
            self.rejections[d["_id"]] = copy.deepcopy(d)

    async def rejection(self, command_id: str) -> dict | None:
        return copy.deepcopy(self.rejections.get(command_id))

    async def recorded_rejections(self, command_ids: list[str]) -> set[str]:
        return {c for c in command_ids if c in self.rejections}

    async def flags(self, round_id: str) -> list[dict]:
        return copy.deepcopy(sorted((f for f in self.flag_docs.values() if f["round_id"] == round_id),
                                    key=lambda f: f["minute_start"]))

    async def save_flag(self, flag_id: str, fields: dict[str, Any]) -> None:
        self.flag_docs.setdefault(flag_id, {"_id": flag_id}).update(copy.deepcopy(fields))

    # ---- tallies -----------------------------------------------------------------------------------------------
    async def create_tally(self, round_id: str, partitions: int) -> None:
        self.tallies[round_id] = {"_id": round_id, "sequence": 1, "ballots_cast": 0, "invalid": 0}
        for p in new_parts(round_id, partitions):
            self.tally_parts[p["_id"]] = p

    def _parts(self, round_id: str) -> list[dict]:
        return [p for p in self.tally_parts.values() if p["round_id"] == round_id]

    async def read_tally(self, round_id: str, *, bump: bool = False) -> dict:
        head = self.tallies.get(round_id)
        if head is None:
            return {}
        if bump:
            head["sequence"] = head.get("sequence", 0) + 1
        return merge(copy.deepcopy(head), copy.deepcopy(self._parts(round_id)))

    async def ballots_cast(self, round_id: str) -> int:
        return sum(int(d.get("ballots_cast", 0)) for d in [self.tallies.get(round_id) or {}, *self._parts(round_id)])

    async def add_counts(self, round_id: str, partition: int | None, inc: dict[str, int]) -> None:
        part = self.tally_parts.get(part_id(round_id, partition)) if partition is not None else None
        target = part if part is not None else self.tallies.get(round_id)
        if target is not None:
            _inc(target, inc)

    async def count_refusal(self, round_id: str, counter: str) -> None:
        if round_id in self.tallies:
            _inc(self.tallies[round_id], {counter: 1})

    async def seal_parts(self, round_id: str) -> None:
        for p in self._parts(round_id):
            p["closed"] = True


@dataclass
class FakeVotingTransaction(FakeTransaction[InMemoryVotingStore]):
    async def emit_many(self, events: list[tuple[Event, str, str]]) -> None:
        for event, programme_id, key in events:
            await self.emit(event, programme_id=programme_id, key=key)


class FakeVotingUnitOfWork(FakeUnitOfWork[InMemoryVotingStore]):
    """The shared fake unit of work, with the voting transaction (emit_many) and reads outside a transaction."""

    async def run(self, fn: Callable[[FakeVotingTransaction], Awaitable[T]]) -> T:
        draft = copy.deepcopy(self.store)
        tx = FakeVotingTransaction(draft)
        result = await fn(tx)
        self.store.__dict__.update(draft.__dict__)
        self.events.extend(tx.emitted)
        self.commits += 1
        return result

    def for_session(self, _session: Any = None) -> FakeVotingTransaction:
        return FakeVotingTransaction(self.store, self.events)


class RecordingLog:
    """A structlog-like logger that keeps what was logged."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict]] = []

    def _log(self, level: str, message: str, **kw: Any) -> None:
        self.lines.append((level, message, kw))

    def debug(self, message: str, **kw: Any) -> None:
        self._log("debug", message, **kw)

    def info(self, message: str, **kw: Any) -> None:
        self._log("info", message, **kw)

    def warning(self, message: str, **kw: Any) -> None:
        self._log("warning", message, **kw)

    def error(self, message: str, **kw: Any) -> None:
        self._log("error", message, **kw)

    def messages(self, message: str) -> list[dict]:
        return [kw for _, m, kw in self.lines if m == message]


@dataclass
class FakeService:
    """What the counter needs of the Service: a log and the dead-letter topic."""

    log: RecordingLog = field(default_factory=RecordingLog)
    dead_letters: list[tuple[bytes, str]] = field(default_factory=list)

    async def send_dead_letter(self, topic: str, record: Any, raw: bytes, reason: str, attempts: int) -> None:
        self.dead_letters.append((raw, reason))


class FakeEdge:
    """actions.cast.CastingEdge and RoundCaches: the limits say yes unless told, and submit() runs a real Counter
    on the fake unit of work (or answers what `answer` says)."""

    def __init__(self, uow: FakeVotingUnitOfWork, config: VotingConfig | None = None, *,
                 tokens: dict[str, Principal] | None = None) -> None:
        self.config = config or VotingConfig()
        self.secret = self.config.ballot_secret
        self.service = FakeService()
        self.log = self.service.log
        self.counter = Counter(self.service, self.config, uow)
        self.tokens = tokens or {}
        self.blocked_addresses: set[str] = set()
        self.blocked_attempts: set[str] = set()
        self.answer: tuple[str, str] | None | str = "count"  # "count": the counter decides
        self.submitted: list[CastBallot] = []
        self.closed_rounds: list[str] = []
        self.uow = uow

    def allow_address(self, address: str) -> bool:
        return address not in self.blocked_addresses

    def allow_attempt(self, key: str) -> bool:
        return key[:2] not in self.blocked_attempts and key not in self.blocked_attempts

    async def round(self, round_id: str) -> dict | None:
        return await self.uow.store.get_round(round_id, {"units": 0, "eligibility": 0})

    def verify(self, token: str) -> Principal:
        return self.tokens[token]

    async def roll_of(self, round_id: str) -> dict[str, str]:
        return await self.counter.roll_of(round_id)

    def counted_here(self, mark: str) -> bool:
        return mark in self.counter.known

    async def submit(self, command: CastBallot) -> tuple[str, str] | None:
        self.submitted.append(command)
        if self.answer != "count":
            return self.answer  # type: ignore[return-value]
        sealed = domain.seal_command(self.secret, command)  # as the real edge sends it
        outcomes = await self.counter.handle([sealed.model_dump_json(exclude_defaults=True).encode()])
        return outcomes.get(command.command_id)

    def opened(self, round_id: str, units: list[dict], roll: dict[str, str]) -> None:
        self.counter.units[round_id] = units
        self.counter.rolls[round_id] = roll

    def closed(self, round_id: str) -> None:
        self.closed_rounds.append(round_id)
        self.counter.rolls.pop(round_id, None)


async def learn(uow: FakeVotingUnitOfWork, envelopes: list[Envelope]) -> None:
    """Apply the nominations events to the fake store as the consumer would, through voting's learning."""
    handlers = {ProgrammeDefined: LEARNING.programme_defined, UnitsImported: LEARNING.units_imported,
                MembersImported: LEARNING.members_imported, NominationSubmitted: LEARNING.nomination_submitted,
                StageChanged: LEARNING.stage_changed, PublicityOpened: category_published}
    for env in envelopes:
        event = env.event()
        handler = handlers.get(type(event), LEARNING.nomination_reviewed)
        await uow.deliver(handler, event, programme_id=env.programme_id, key=env.key)
    uow.events.clear()
