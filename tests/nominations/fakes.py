"""An in-memory nominations store on dicts (services.nominations.store.Store), for the fast tests of the actions.

Nominations learns only which judges may read which nominee (from the scoring service's events)."""
from __future__ import annotations

import copy
from typing import Any

from services.nominations.domain import ACTIVE
from services.nominations.store import NominationFilter
from tests.fakes import FakeUnitOfWork


def _copy(doc: dict | None) -> dict | None:
    return copy.deepcopy(doc)


def _sorted(docs: list[dict], sort: list[tuple[str, int]]) -> list[dict]:
    for key, direction in reversed(sort):
        docs = sorted(docs, key=lambda x: x.get(key), reverse=direction < 0)
    return docs


class InMemoryStore:
    def __init__(self) -> None:
        self.programmes: dict[str, dict] = {}
        self.programme_versions: dict[str, dict] = {}
        self.programme_changes: list[dict] = []
        self.units: dict[str, dict] = {}
        self.members: dict[str, dict] = {}
        self.vetoes: dict[str, dict] = {}
        self.nominations: dict[str, dict] = {}
        self.unit_slots: dict[str, int] = {}
        self.signin_links: dict[str, dict] = {}
        self.signin_redemptions: dict[str, dict] = {}
        self.files: dict[str, tuple[bytes, dict]] = {}
        self.file_seq = 0
        self.judge_access: dict[str, dict] = {}

    # ---- programmes ---------------------------------------------------------------------------------------
    async def get_programme(self, pid: str) -> dict | None:
        return _copy(self.programmes.get(pid))

    async def programme_exists(self, pid: str) -> bool:
        return pid in self.programmes

    async def insert_programme(self, doc: dict) -> None:
        assert doc["_id"] not in self.programmes
        self.programmes[doc["_id"]] = _copy(doc)

    async def replace_programme(self, doc: dict) -> None:
        self.programmes[doc["_id"]] = _copy(doc)

    async def set_programme(self, pid: str, fields: dict) -> None:
        doc = self.programmes[pid]
        for key, value in fields.items():
            target = doc
            *parents, last = key.split(".")
            for p in parents:
                target = target.setdefault(p, {})
            target[last] = copy.deepcopy(value)

    async def add_programme_version(self, doc: dict) -> None:
        assert doc["_id"] not in self.programme_versions
        self.programme_versions[doc["_id"]] = _copy(doc)

    async def add_programme_change(self, doc: dict) -> None:
        self.programme_changes.append(_copy(doc))

    async def list_programmes(self) -> list[dict]:
        docs = [{k: p[k] for k in ("_id", "name", "year", "version")} for p in self.programmes.values()]
        return _sorted(docs, [("year", -1)])

    async def programme_history(self, pid: str) -> tuple[list[dict], list[dict]]:
        versions = [_copy(v) for v in self.programme_versions.values() if v["programme_id"] == pid]
        changes = [_copy(c) for c in self.programme_changes if c["programme_id"] == pid]
        return _sorted(versions, [("version", 1)]), _sorted(changes, [("at", 1)])

    # ---- the organisation tree and the roll -------------------------------------------------------------
    def _rows(self, coll: dict[str, dict], pid: str) -> list[dict]:
        return [r for k, r in sorted(coll.items()) if k.startswith(f"{pid}:")]

    async def unit_parents(self, pid: str) -> dict[str, str | None]:
        return {u["unit_id"]: u.get("parent_id") for u in self._rows(self.units, pid)}

    async def list_units(self, pid: str) -> list[dict]:
        rows = [{k: v for k, v in u.items() if k not in ("_id", "programme_id")} for u in self._rows(self.units, pid)]
        return _sorted(rows, [("unit_id", 1)])

    async def known_units(self, pid: str) -> dict[str, dict]:
        return {u["unit_id"]: {k: u[k] for k in ("unit_id", "name", "parent_id", "kind")}
                for u in self._rows(self.units, pid)}

    async def known_members(self, pid: str) -> dict[str, dict]:
        return {m["member_id"]: {k: m[k] for k in ("member_id", "name", "unit_id")}
                for m in self._rows(self.members, pid)}

    async def write_units(self, pid: str, new: list[dict], updated: list[dict]) -> None:
        for r in new + updated:
            self.units[f"{pid}:{r['unit_id']}"] = copy.deepcopy(r) | {"_id": f"{pid}:{r['unit_id']}",
                                                                      "programme_id": pid}

    async def write_members(self, pid: str, new: list[dict], updated: list[dict]) -> None:
        for r in new + updated:
            self.members[f"{pid}:{r['member_id']}"] = copy.deepcopy(r) | {"_id": f"{pid}:{r['member_id']}",
                                                                          "programme_id": pid}

    async def get_unit(self, pid: str, unit_id: str) -> dict | None:
        return _copy(self.units.get(f"{pid}:{unit_id}"))

    async def get_member(self, pid: str, member_id: str) -> dict | None:
        return _copy(self.members.get(f"{pid}:{member_id}"))

    async def members_page(self, pid: str, unit_id: str | None, unit_ids: frozenset[str] | None, skip: int,
                           limit: int, text: str | None = None) -> tuple[int, list[dict]]:
        rows = [m for m in self._rows(self.members, pid)
                if (m["unit_id"] == unit_id if unit_id else unit_ids is None or m["unit_id"] in unit_ids)
                and (not text or text in m["name"])]
        rows = _sorted([{k: v for k, v in m.items() if k not in ("_id", "programme_id")} for m in rows],
                       [("member_id", 1)])
        return len(rows), rows[skip:skip + limit]

    # ---- veto flags -------------------------------------------------------------------------------------
    async def get_veto(self, pid: str, subject_id: str) -> dict | None:
        return _copy(self.vetoes.get(f"{pid}:{subject_id}"))

    async def put_veto(self, doc: dict) -> None:
        self.vetoes[doc["_id"]] = _copy(doc)

    async def list_vetoes(self, pid: str) -> list[dict]:
        return [{k: v for k, v in x.items() if k != "_id"} for x in self.vetoes.values() if x["programme_id"] == pid]

    async def nominee_nominations(self, pid: str, nominee_id: str) -> list[dict]:
        docs = _sorted([n for n in self.nominations.values()
                        if n["programme_id"] == pid and n["nominee_id"] == nominee_id], [("submitted_at", 1)])
        return [{k: n[k] for k in ("_id", "category_id", "status")} for n in docs]

    # ---- nominations --------------------------------------------------------------------------------------
    async def get_nomination(self, nid: str, pid: str | None = None) -> dict | None:
        doc = self.nominations.get(nid)
        return None if doc is None or (pid is not None and doc["programme_id"] != pid) else _copy(doc)

    async def count_active(self, pid: str, category_id: str, unit_id: str) -> int:
        return sum(1 for n in self.nominations.values() if n["programme_id"] == pid and n["category_id"] == category_id
                   and n["unit_id"] == unit_id and n["status"] in ACTIVE)

    async def active_key_taken(self, active_key: str) -> bool:
        return any(n["active_key"] == active_key for n in self.nominations.values())

    async def claim_unit_slot(self, pid: str, category_id: str, unit_id: str) -> None:
        key = f"{pid}|{category_id}|{unit_id}"
        self.unit_slots[key] = self.unit_slots.get(key, 0) + 1

    async def insert_nomination(self, doc: dict) -> bool:
        if await self.active_key_taken(doc["active_key"]):
            return False
        self.nominations[doc["_id"]] = _copy(doc)
        return True

    async def update_nomination(self, nid: str, from_status: str, fields: dict, entry: dict) -> None:
        doc = self.nominations.get(nid)
        if doc is not None and doc["status"] == from_status:
            doc.update(copy.deepcopy(fields))
            doc.setdefault("history", []).append(copy.deepcopy(entry))

    async def add_attachment(self, nid: str, info: dict) -> bool:
        doc = self.nominations.get(nid)
        if doc is None or doc["status"] not in ("submitted", "returned"):
            return False
        doc["attachments"].append(copy.deepcopy(info))
        return True

    def _matching(self, f: NominationFilter) -> list[dict]:
        def ok(n: dict) -> bool:
            return (n["programme_id"] == f.programme_id
                    and (not f.category_id or n["category_id"] == f.category_id)
                    and (not f.status or n["status"] == f.status)
                    and (n["unit_id"] == f.unit_id if f.unit_id else f.unit_ids is None or n["unit_id"] in f.unit_ids)
                    and (not f.text or f.text in n["nominee_name"] or f.text in n["unit_name"]))

        return [n for n in self.nominations.values() if ok(n)]

    async def find_nominations(self, f: NominationFilter, sort: list[tuple[str, int]], skip: int = 0,
                               limit: int = 0) -> list[dict]:
        docs = [{k: v for k, v in n.items() if k not in ("materials", "history")} for n in self._matching(f)]
        docs = _sorted(copy.deepcopy(docs), sort)[skip:]
        return docs[:limit] if limit else docs

    async def count_nominations(self, f: NominationFilter) -> int:
        return len(self._matching(f))

    async def public_unit_nominations(self, pid: str, unit_id: str) -> list[dict]:
        hidden = ("materials", "history", "self_assessment", "attachments", "review_comments", "reject_reason")
        docs = [{k: v for k, v in n.items() if k not in hidden} for n in self.nominations.values()
                if n["programme_id"] == pid and n["unit_id"] == unit_id and n["status"] != "withdrawn"]
        return _sorted(copy.deepcopy(docs), [("submitted_at", 1)])

    async def approved_counts(self, pid: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nominations.values():
            if n["programme_id"] == pid and n["status"] == "approved":
                out[n["category_id"]] = out.get(n["category_id"], 0) + 1
        return out

    # ---- sign-in links -------------------------------------------------------------------------------------
    async def insert_signin_links(self, docs: list[dict]) -> None:
        for doc in docs:
            assert doc["_id"] not in self.signin_links
            self.signin_links[doc["_id"]] = _copy(doc)

    async def get_signin_link(self, link_id: str) -> dict | None:
        return _copy(self.signin_links.get(link_id))

    async def list_signin_links(self, pid: str) -> list[dict]:
        return _sorted([_copy(x) for x in self.signin_links.values() if x["programme_id"] == pid], [("issued_at", 1)])

    async def set_signin_link(self, link_id: str, fields: dict) -> None:
        if link_id in self.signin_links:
            self.signin_links[link_id].update(copy.deepcopy(fields))

    async def record_redemption(self, doc: dict) -> bool:
        if doc["_id"] in self.signin_redemptions:
            return False
        self.signin_redemptions[doc["_id"]] = _copy(doc)
        return True

    # ---- attachments ----------------------------------------------------------------------------------------
    async def upload_attachment(self, filename: str, data: bytes, metadata: dict) -> str:
        self.file_seq += 1
        file_id = f"{self.file_seq:024x}"
        self.files[file_id] = (data, {"filename": filename} | metadata)
        return file_id

    async def delete_attachment(self, file_id: str) -> None:
        self.files.pop(file_id, None)

    async def read_attachment(self, file_id: str) -> bytes | None:
        entry = self.files.get(file_id)
        return None if entry is None else entry[0]

    # ---- judges' access ---------------------------------------------------------------------------------------
    async def set_judge_access(self, pid: str, nid: str, judge_ids: list[str], active: bool) -> None:
        for jid in judge_ids:
            self.judge_access[f"{nid}:{jid}"] = {"programme_id": pid, "nomination_id": nid, "judge_id": jid,
                                                 "active": active}

    async def judge_may_read(self, pid: str, nid: str, judge_id: str) -> bool:
        doc = self.judge_access.get(f"{nid}:{judge_id}")
        return bool(doc and doc["programme_id"] == pid and doc["active"])


def fake_uow(store: InMemoryStore | None = None) -> FakeUnitOfWork[InMemoryStore]:
    return FakeUnitOfWork(store or InMemoryStore())


def snapshot(store: InMemoryStore) -> dict[str, Any]:
    """Everything the store holds, to assert that a refused action changed nothing."""
    return copy.deepcopy(store.__dict__)
