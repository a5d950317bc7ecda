"""An in-memory ScoringStore on dicts (with MongoDB's semantics where the actions rely on them) for the fast tests."""
from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

from services.scoring.store import Doc
from shared.learning import scoped_id
from tests.fakes import FakeUnitOfWork, InMemoryLearnedStore


def _copy(doc: Doc | None) -> Doc | None:
    return copy.deepcopy(doc)


def _sorted(docs: list[Doc], key: str = "_id") -> list[Doc]:
    return [copy.deepcopy(x) for x in sorted(docs, key=lambda x: x[key])]


class InMemoryScoringStore(InMemoryLearnedStore):
    def __init__(self) -> None:
        super().__init__()
        self.config_docs: dict[str, Doc] = {}
        self.judge_docs: dict[str, Doc] = {}
        self.panel_docs: dict[str, Doc] = {}
        self.assignment_docs: dict[str, Doc] = {}
        self.score_docs: dict[str, Doc] = {}
        self.indicator_docs: dict[str, Doc] = {}
        self.spot_check_docs: dict[str, Doc] = {}
        self.tally_docs: dict[str, Doc] = {}
        self.round_docs: dict[str, Doc] = {}
        self.publication_docs: dict[str, Doc] = {}
        self.standing_docs: dict[str, Doc] = {}
        self.marks: dict[str, Doc] = {}
        self.claims: dict[str, Doc] = {}
        self.arena_docs: dict[str, Doc] = {}
        self.arena_score_docs: dict[str, Doc] = {}

    # ---- programmes, configuration, the tree and the roll
    async def programme(self, programme_id: str) -> Doc | None:
        return _copy(self.programmes.get(programme_id))

    async def config(self, programme_id: str) -> Doc | None:
        return _copy(self.config_docs.get(programme_id))

    async def save_config(self, programme_id: str, fields: Doc) -> None:
        self.config_docs.setdefault(programme_id, {"_id": programme_id}).update(copy.deepcopy(fields))

    async def parents(self, programme_id: str) -> dict[str, str | None]:
        return {u["unit_id"]: u.get("parent_id") for u in self.units.values() if u["programme_id"] == programme_id}

    async def unit_exists(self, programme_id: str, unit_id: str) -> bool:
        return scoped_id(programme_id, unit_id) in self.units

    async def member(self, programme_id: str, member_id: str) -> Doc | None:
        return _copy(self.members.get(scoped_id(programme_id, member_id)))

    # ---- nominations
    async def nomination(self, nomination_id: str, programme_id: str | None = None) -> Doc | None:
        doc = self.nominations.get(nomination_id)
        if doc is None or (programme_id is not None and doc.get("programme_id") != programme_id):
            return None
        return _copy(doc)

    async def approved_nominations(self, programme_id: str, category_id: str) -> list[Doc]:
        return [copy.deepcopy(n) for n in self.nominations.values() if n.get("programme_id") == programme_id
                and n.get("category_id") == category_id and n.get("status") == "approved"]

    async def nomination_categories(self, nomination_ids: list[str]) -> list[str]:
        return [self.nominations[n]["category_id"] for n in nomination_ids if n in self.nominations]

    # ---- judges
    async def judge(self, programme_id: str, judge_id: str) -> Doc | None:
        return _copy(self.judge_docs.get(scoped_id(programme_id, judge_id)))

    async def judges(self, programme_id: str, judge_ids: list[str]) -> list[Doc]:
        wanted = {scoped_id(programme_id, j) for j in judge_ids}
        return [copy.deepcopy(j) for j in self.judge_docs.values() if j["_id"] in wanted]

    async def registered_judge_ids(self, programme_id: str, judge_ids: list[str]) -> set[str]:
        return {j["judge_id"] for j in await self.judges(programme_id, judge_ids)}

    async def all_judges(self, programme_id: str) -> list[Doc]:
        return [copy.deepcopy(j) for j in self.judge_docs.values() if j["programme_id"] == programme_id]

    async def judges_of_members(self, programme_id: str, member_ids: list[str]) -> list[Doc]:
        return [{"_id": j["_id"], "judge_id": j["judge_id"], "member_id": j["member_id"]}
                for j in self.judge_docs.values()
                if j["programme_id"] == programme_id and j.get("member_id") in member_ids]

    async def insert_judge(self, doc: Doc) -> bool:
        return self._insert(self.judge_docs, doc)

    async def set_judge_branch(self, programme_id: str, judge_id: str, branch_id: str) -> None:
        doc = self.judge_docs.get(scoped_id(programme_id, judge_id))
        if doc is not None:
            doc["branch_id"] = branch_id

    # ---- panels
    async def panel(self, programme_id: str, panel_id: str) -> Doc | None:
        return _copy(self.panel_docs.get(scoped_id(programme_id, panel_id)))

    async def insert_panel(self, doc: Doc) -> bool:
        if any((p["programme_id"], p["category_id"]) == (doc["programme_id"], doc["category_id"])
               for p in self.panel_docs.values()):
            return False  # the unique index on (programme_id, category_id)
        return self._insert(self.panel_docs, doc)

    async def add_panel_judges(self, programme_id: str, panel_id: str, judge_ids: list[str]) -> None:
        panel = self.panel_docs.get(scoped_id(programme_id, panel_id))
        if panel is not None:
            panel["judge_ids"] += [j for j in dict.fromkeys(judge_ids) if j not in panel["judge_ids"]]

    async def update_panel(self, programme_id: str, panel_id: str, fields: Doc) -> None:
        panel = self.panel_docs.get(scoped_id(programme_id, panel_id))
        if panel is not None:
            panel.update(copy.deepcopy(fields))

    # ---- assignments
    async def assignment(self, assignment_id: str, programme_id: str | None = None) -> Doc | None:
        doc = self.assignment_docs.get(assignment_id)
        if doc is None or (programme_id is not None and doc["programme_id"] != programme_id):
            return None
        return _copy(doc)

    async def active_assignments(self, programme_id: str, category_id: str) -> list[Doc]:
        return [copy.deepcopy(a) for a in self.assignment_docs.values() if a["programme_id"] == programme_id
                and a["category_id"] == category_id and a["recused"] is False]

    async def all_active_assignments(self, programme_id: str) -> list[Doc]:
        return [copy.deepcopy(a) for a in self.assignment_docs.values()
                if a["programme_id"] == programme_id and a["recused"] is False]

    async def assignments_of_nomination(self, nomination_id: str) -> list[Doc]:
        return _sorted([a for a in self.assignment_docs.values() if a["nomination_id"] == nomination_id])

    async def assignments_of_panel(self, programme_id: str, panel_id: str) -> list[Doc]:
        return _sorted([a for a in self.assignment_docs.values()
                        if a["programme_id"] == programme_id and a["panel_id"] == panel_id])

    async def insert_assignment(self, doc: Doc) -> bool:
        return self._insert(self.assignment_docs, doc)

    async def insert_assignments(self, docs: list[Doc]) -> None:
        for doc in docs:
            if not self._insert(self.assignment_docs, doc):
                raise AssertionError(f"duplicate assignment {doc['_id']}")

    async def update_assignment(self, assignment_id: str, fields: Doc) -> None:
        if assignment_id in self.assignment_docs:
            self.assignment_docs[assignment_id].update(copy.deepcopy(fields))

    # ---- scores
    async def score(self, score_id: str) -> Doc | None:
        return _copy(self.score_docs.get(score_id))

    async def save_score(self, score_id: str, fields: Doc, entry: Doc) -> None:
        self._push(self.score_docs, score_id, fields, entry)

    async def category_scores(self, programme_id: str, category_id: str) -> list[Doc]:
        return [copy.deepcopy(s) for s in self.score_docs.values() if s["programme_id"] == programme_id
                and s["category_id"] == category_id]

    async def count_scores(self, score_ids: list[str]) -> int:
        return sum(1 for s in set(score_ids) if s in self.score_docs)

    # ---- indicators and spot checks
    async def indicators(self, nomination_id: str) -> Doc | None:
        return _copy(self.indicator_docs.get(nomination_id))

    async def save_indicators(self, nomination_id: str, fields: Doc) -> None:
        self.indicator_docs.setdefault(nomination_id, {"_id": nomination_id}).update(copy.deepcopy(fields))

    async def category_indicators(self, programme_id: str, category_id: str) -> list[Doc]:
        return [copy.deepcopy(i) for i in self.indicator_docs.values() if i["programme_id"] == programme_id
                and i["category_id"] == category_id]

    async def spot_checks(self, key: str) -> Doc | None:
        return _copy(self.spot_check_docs.get(key))

    async def save_spot_draw(self, key: str, fields: Doc) -> None:
        doc = self.spot_check_docs.setdefault(key, {"_id": key, "results": {}})
        doc.update(copy.deepcopy(fields))

    async def save_spot_result(self, key: str, slot: str, result: Doc) -> None:
        if key in self.spot_check_docs:
            self.spot_check_docs[key].setdefault("results", {})[slot] = copy.deepcopy(result)

    # ---- rounds, tallies and publications
    async def save_round(self, programme_id: str, round_id: str, fields: Doc) -> None:
        key = scoped_id(programme_id, round_id)
        self.round_docs.setdefault(key, {"_id": key}).update(copy.deepcopy(fields))

    async def category_rounds(self, programme_id: str, category_id: str) -> list[Doc]:
        docs = [r for r in self.round_docs.values()
                if r["programme_id"] == programme_id and category_id in r["category_ids"]]
        return [copy.deepcopy(r) for r in sorted(docs, key=lambda r: (r["opened_at"], r["round_id"]))]

    async def tally_sequence(self, programme_id: str, round_id: str) -> int | None:
        doc = self.tally_docs.get(scoped_id(programme_id, round_id))
        return None if doc is None else doc["sequence"]

    async def save_tally(self, programme_id: str, round_id: str, fields: Doc) -> None:
        key = scoped_id(programme_id, round_id)
        self.tally_docs.setdefault(key, {"_id": key}).update(copy.deepcopy(fields))

    async def programme_tallies(self, programme_id: str) -> list[Doc]:
        docs = [t for t in self.tally_docs.values() if t["programme_id"] == programme_id]
        return [{k: copy.deepcopy(t.get(k)) for k in ("_id", "round_id", "candidates", "updated_at") if k in t}
                for t in sorted(docs, key=lambda t: (t["updated_at"], t["_id"]))]

    async def save_publication(self, programme_id: str, category_id: str, fields: Doc) -> None:
        key = f"{programme_id}:{category_id}"
        self.publication_docs.setdefault(key, {"_id": key}).update(copy.deepcopy(fields))

    async def publication(self, programme_id: str, category_id: str) -> Doc | None:
        return _copy(self.publication_docs.get(f"{programme_id}:{category_id}"))

    async def published_categories(self, programme_id: str) -> list[str]:
        return sorted(p["category_id"] for p in self.publication_docs.values() if p["programme_id"] == programme_id)

    async def standings(self, key: str) -> Doc | None:
        return _copy(self.standing_docs.get(key))

    async def save_standings(self, key: str, fields: Doc) -> Doc:
        doc = self.standing_docs.setdefault(key, {"_id": key, "sequence": 0})
        doc["sequence"] += 1
        doc.update(copy.deepcopy(fields))
        return copy.deepcopy(doc)

    # ---- dirty marks and claims
    async def mark_dirty(self, programme_id: str, category_id: str, at: float) -> None:
        mark_id = uuid4().hex
        self.marks[mark_id] = {"_id": mark_id, "programme_id": programme_id, "category_id": category_id, "at": at}

    async def dirty_marks(self) -> list[Doc]:
        return [copy.deepcopy(m) for m in self.marks.values()]

    async def delete_marks(self, mark_ids: list[str]) -> None:
        for m in mark_ids:
            self.marks.pop(m, None)

    async def claim(self, key: str, now: float, until: float) -> bool:
        doc = self.claims.get(key)
        if doc is not None and not doc["claimed_until"] < now:
            return False
        self.claims[key] = {"_id": key, "claimed_until": until}
        return True

    async def release(self, key: str) -> None:
        if key in self.claims:
            self.claims[key]["claimed_until"] = 0

    # ---- arena contests
    async def arena(self, arena_id: str) -> Doc | None:
        return _copy(self.arena_docs.get(arena_id))

    async def insert_arena(self, doc: Doc) -> bool:
        return self._insert(self.arena_docs, doc)

    async def bump_arena(self, arena_id: str, change: Doc | None) -> Doc:
        doc = self.arena_docs[arena_id]
        doc["sequence"] += 1
        doc.update(copy.deepcopy(change or {}))
        return copy.deepcopy(doc)

    async def arena_scores(self, arena_id: str) -> list[Doc]:
        return [copy.deepcopy(s) for s in self.arena_score_docs.values() if s["arena_id"] == arena_id]

    async def arena_score(self, score_id: str) -> Doc | None:
        return _copy(self.arena_score_docs.get(score_id))

    async def save_arena_score(self, score_id: str, fields: Doc, entry: Doc) -> None:
        self._push(self.arena_score_docs, score_id, fields, entry)

    # ---- helpers
    @staticmethod
    def _insert(docs: dict[str, Doc], doc: Doc) -> bool:
        if doc["_id"] in docs:
            return False
        docs[doc["_id"]] = copy.deepcopy(doc)
        return True

    @staticmethod
    def _push(docs: dict[str, Doc], doc_id: str, fields: Doc, entry: Doc) -> None:
        doc = docs.setdefault(doc_id, {"_id": doc_id})
        doc.update(copy.deepcopy(fields))
        doc.setdefault("history", []).append(copy.deepcopy(entry))


def fake_uow(store: InMemoryScoringStore | None = None) -> FakeUnitOfWork[Any]:
    return FakeUnitOfWork(store or InMemoryScoringStore())
