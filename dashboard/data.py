"""Read-model queries and the pure shaping of their documents into page data (testable without Streamlit).

The dashboard owns no data: it reads the leaderboard database `<prefix>_leaderboard` built by the projector in
services/leaderboard. Query functions take a pymongo Database; shaping functions take plain dicts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from . import i18n

# The featured boards come first, in this order; the rest follow by programme order.
BOARD_ORDER = ("model_organ", "red_flag_branch", "demonstration_site", "service_team", "excellent_member",
               "pacesetter", "other")
COMPONENT_ORDER = ("basic", "key_tasks", "business", "report", "peer_vote")
ENTRY_FIELDS = {"_id": 1, "programme_id": 1, "category_id": 1, "category_name": 1, "board": 1, "nominee_id": 1,
                "nominee_name": 1, "unit_id": 1, "unit_name": 1, "status": 1, "rank": 1, "composite": 1,
                "components": 1, "tie_break": 1, "vote": 1, "open_objections": 1, "notice_id": 1, "updated_at": 1}


@dataclass(frozen=True)
class Config:
    mongo_url: str
    db_prefix: str
    urls: dict[str, str]

    @property
    def database(self) -> str:
        return f"{self.db_prefix}_leaderboard"


def config_from_env(env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    urls = {name: env.get(f"EXEMPLAR_{name.upper()}_URL") or f"http://127.0.0.1:{port}"
            for name, port in (("nominations", 8101), ("voting", 8102), ("scoring", 8103), ("publicity", 8104),
                               ("leaderboard", 8105))}
    return Config(mongo_url=env.get("EXEMPLAR_MONGO_URL") or "mongodb://127.0.0.1:27027/?directConnection=true",
                  db_prefix=env.get("EXEMPLAR_DB_PREFIX") or "exemplar", urls=urls)


# ---- queries ---------------------------------------------------------------------------------------------------------

def programmes(db) -> list[dict]:
    return list(db.programmes.find({}, {"_id": 1, "name": 1, "year": 1, "categories": 1, "stages": 1, "version": 1})
                .sort([("year", -1), ("_id", 1)]).limit(200))


def entries(db, programme_id: str, category_id: str | None = None) -> list[dict]:
    q: dict[str, Any] = {"programme_id": programme_id}
    if category_id:
        q["category_id"] = category_id
    return attach_votes(db, list(db.entries.find(q, ENTRY_FIELDS).limit(20_000)))


def published(db, programme_id: str) -> dict[str, dict]:
    """The programme's categories whose 公示 list is published (frozen), by category id."""
    return {c["category_id"]: c for c in db.categories.find({"programme_id": programme_id, "published": True})}


def unit_entries(db, unit_id: str) -> list[dict]:
    return attach_votes(db, list(db.entries.find({"unit_id": unit_id}, ENTRY_FIELDS).sort("updated_at", -1).limit(500)))


def attach_votes(db, rows: list[dict]) -> list[dict]:
    """Each entry's peer vote, from its round's tally (the projection keeps a round's counts in the round's
    document: one write per tally). A nomination in several rounds shows the round counted last."""
    programmes = sorted({r["programme_id"] for r in rows if r.get("programme_id")})
    if not programmes:
        return rows
    votes: dict[str, dict] = {}
    for rnd in db.rounds.find({"programme_id": {"$in": programmes}, "candidates": {"$exists": True}},
                              {"candidates": 1, "updated_at": 1}).sort([("updated_at", 1), ("_id", 1)]):
        for c in rnd.get("candidates") or []:
            votes[c["nomination_id"]] = {"round_id": rnd["_id"], **{k: v for k, v in c.items() if k != "nomination_id"}}
    for r in rows:
        if r["_id"] in votes:
            r["vote"] = votes[r["_id"]]
    return rows


def arenas(db, programme_id: str | None = None) -> list[dict]:
    q = {"programme_id": programme_id} if programme_id else {}
    return list(db.arenas.find(q).sort("updated_at", -1).limit(50))


def arena(db, arena_id: str) -> dict | None:
    return db.arenas.find_one({"_id": arena_id})


def rounds(db, programme_id: str | None = None) -> list[dict]:
    q = {"programme_id": programme_id} if programme_id else {}
    return list(db.rounds.find(q).sort("opens_at", -1).limit(100))


def notices(db, programme_id: str | None = None) -> list[dict]:
    q = {"programme_id": programme_id} if programme_id else {}
    return list(db.notices.find(q).sort("starts_at", -1).limit(100))


def entries_by_id(db, ids: list[str]) -> dict[str, dict]:
    return {e["_id"]: e for e in attach_votes(db, list(db.entries.find({"_id": {"$in": ids}}, ENTRY_FIELDS)))}


def honours(db, programme_id: str | None = None) -> list[dict]:
    q = {"programme_id": programme_id} if programme_id else {}
    return list(db.honours.find(q).sort("confirmed_at", -1).limit(2000))


def unit_names(db, programme_id: str | None = None) -> dict[str, str]:
    q = {"programme_id": programme_id} if programme_id else {}
    return {e["unit_id"]: e.get("unit_name") or e["unit_id"]
            for e in db.entries.find(q, {"unit_id": 1, "unit_name": 1}).limit(20_000) if e.get("unit_id")}


# ---- shaping ---------------------------------------------------------------------------------------------------------

def board_rank(board: str | None) -> int:
    try:
        return BOARD_ORDER.index(board or "other")
    except ValueError:
        return len(BOARD_ORDER)


def ordered_categories(programme: dict) -> list[dict]:
    """A programme's categories with the model-organ and red-flag-branch boards first, then programme order."""
    cats = list(programme.get("categories", []))
    return [c for _, c in sorted(enumerate(cats), key=lambda ic: (board_rank(ic[1].get("board")), ic[0]))]


def sort_entries(rows: list[dict]) -> list[dict]:
    """Ranked entries by rank, then unranked ones by name; a rank tie keeps the name order."""
    return sorted(rows, key=lambda e: (e.get("rank") is None, e.get("rank") or 0, e.get("nominee_name") or "",
                                       e.get("_id", "")))


def votes_of(entry: dict) -> int | None:
    vote = entry.get("vote") or {}
    if not vote:
        return None
    if vote.get("approvals"):
        return int(vote["approvals"])
    grades = vote.get("grades") or {}
    if grades:
        return int(grades.get("excellent", 0))
    return int(vote.get("approvals") or 0)


def leaderboard_rows(rows: list[dict], lang: str = i18n.DEFAULT_LANG, search: str = "") -> list[dict]:
    """Table rows for one category: rank, nominee, unit, composite, one contribution column per component, status."""
    needle = search.strip().lower()
    out = []
    comps = component_columns(rows)
    for e in sort_entries(rows):
        if needle and needle not in (e.get("nominee_name") or "").lower() and needle not in (
                e.get("unit_name") or "").lower():
            continue
        row = {
            i18n.t("lb.rank", lang): e.get("rank"),
            i18n.t("lb.nominee", lang): e.get("nominee_name") or e.get("_id"),
            i18n.t("lb.unit", lang): unit_label(e),
            i18n.t("lb.composite", lang): None if e.get("composite") is None else round(float(e["composite"]), 2),
        }
        by = {c["component"]: c for c in e.get("components") or []}
        for comp in comps:
            c = by.get(comp)
            row[i18n.component(comp, lang)] = None if c is None else round(float(c.get("contribution", 0.0)), 2)
        row[i18n.t("lb.votes", lang)] = votes_of(e)
        row[i18n.t("lb.status", lang)] = i18n.status(e.get("status"), lang)
        if e.get("open_objections"):
            row[i18n.t("lb.status", lang)] += f" ({i18n.t('lb.objections', lang)} {e['open_objections']})"
        row["id"] = e["_id"]
        out.append(row)
    return out


PUBLISHED_LINE = {"zh": "公示名单（已冻结，{date} 发布）", "en": "Published notice list (frozen, published {date})"}


def published_line(category: dict | None, lang: str = i18n.DEFAULT_LANG) -> str:
    """The line over a published category's list (its ranks are the notice's frozen list); "" when not published."""
    if not category or not category.get("published"):
        return ""
    return PUBLISHED_LINE.get(lang, PUBLISHED_LINE["zh"]).format(date=i18n.fmt_date(category.get("published_at"), lang))


def unit_label(entry: dict) -> str:
    """The nominee's unit, or nothing when the nominee is that unit itself (a model organ): shown once."""
    unit = (entry.get("unit_name") or "").strip()
    return "" if unit == (entry.get("nominee_name") or "").strip() else unit


def nominee_label(entry: dict) -> str:
    """Name — unit, the unit left out when it is the nominee."""
    name = entry.get("nominee_name") or entry.get("_id", "")
    unit = unit_label(entry)
    return f"{name} — {unit}" if unit else name


def component_columns(rows: list[dict]) -> list[str]:
    seen: list[str] = []
    for e in rows:
        for c in e.get("components") or []:
            if c["component"] not in seen:
                seen.append(c["component"])
    known = [c for c in COMPONENT_ORDER if c in seen]
    return known + [c for c in seen if c not in known]


def explanation_rows(entry: dict, lang: str = i18n.DEFAULT_LANG) -> list[dict]:
    """The full explanation of a composite: each component's raw, normalised value, weight and contribution."""
    out = []
    for c in entry.get("components") or []:
        out.append({
            i18n.t("lb.component", lang): i18n.component(c["component"], lang),
            i18n.t("lb.raw", lang): i18n.fmt_num(c.get("raw"), 2) if c.get("raw") is not None else "—",
            i18n.t("lb.normalised", lang): i18n.fmt_num(c.get("normalised"), 2),
            i18n.t("lb.weight", lang): i18n.fmt_num(c.get("weight"), 2),
            i18n.t("lb.contribution", lang): i18n.fmt_num(c.get("contribution"), 2),
            i18n.t("lb.detail", lang): i18n.detail(c.get("detail"), lang),
        })
    return out


def featured_summary(programme: dict, all_entries: list[dict], top: int = 3) -> list[dict]:
    """For the featured boards (model organs, red-flag branches): each category's leaders."""
    out = []
    for cat in ordered_categories(programme):
        if cat.get("board") not in ("model_organ", "red_flag_branch"):
            continue
        rows = sort_entries([e for e in all_entries if e.get("category_id") == cat["category_id"]
                             and e.get("rank") is not None])
        out.append({"category": cat, "leaders": rows[:top]})
    return out


def arena_view(doc: dict, lang: str = i18n.DEFAULT_LANG) -> dict:
    """An arena board as shown: its visible round names, rows in rank order, and whether it is frozen."""
    rows = sorted(doc.get("rows") or [], key=lambda r: (r.get("rank") is None, r.get("rank") or 0, r.get("order", 0)))
    return {"arena_id": doc.get("_id") or doc.get("arena_id"), "name": doc.get("name", ""),
            "rounds": list(doc.get("rounds") or []), "frozen": bool(doc.get("frozen")),
            "frozen_from": doc.get("frozen_from"), "frozen_round": frozen_round(doc, lang),
            "live_weight": doc.get("live_weight", 1.0), "rows": rows,
            "sequence": doc.get("sequence", 0), "updated_at": doc.get("updated_at")}


def frozen_round(doc: dict, lang: str = i18n.DEFAULT_LANG) -> str:
    """The round a frozen board hides from, by name. The board carries only the visible rounds' names; the hidden
    round is the one after them, so without its name it is told by its number ("第 3 轮"), never by its id."""
    frozen = doc.get("frozen_from")
    if not frozen:
        return ""
    names = {c.get("round_id"): c.get("name") for r in doc.get("rows") or [] for c in r.get("rounds") or []}
    if names.get(frozen):
        return names[frozen]
    if frozen in (doc.get("rounds") or []) or not _looks_like_id(frozen):
        return frozen
    return i18n.t("arena.round_no", lang, n=len(doc.get("rounds") or []) + 1)


def _looks_like_id(text: str) -> bool:
    return text.isascii() and " " not in text and any(ch.isdigit() for ch in text)


def arena_table(view: dict, lang: str = i18n.DEFAULT_LANG) -> list[dict]:
    out = []
    for r in view["rows"]:
        row = {i18n.t("lb.rank", lang): "—" if r.get("rank") is None else r["rank"],
               i18n.t("arena.contestant", lang): r.get("name", "")}
        cells = {c.get("name"): c for c in r.get("rounds") or []}
        for name in view["rounds"]:
            c = cells.get(name) or {}
            row[name] = i18n.fmt_num(c.get("score"), 2) if c.get("score") is not None else "—"
        row[i18n.t("arena.live_total", lang)] = i18n.fmt_num(r.get("live_total"), 2)
        if view.get("live_weight", 1.0) < 1.0:
            row[i18n.t("arena.prior", lang)] = i18n.fmt_num(r.get("prior"), 2)
        row[i18n.t("arena.final", lang)] = i18n.fmt_num(r.get("final"), 2)
        out.append(row)
    return out


def markdown_table(rows: list[dict]) -> str:
    """A small table as Markdown (stage displays and notices: real text, every column shown, no index)."""
    if not rows:
        return ""

    def cell(v: Any) -> str:
        text = "—" if v is None else str(v)
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    cols = list(rows[0])
    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def honour_cards(docs: list[dict], lang: str = i18n.DEFAULT_LANG) -> list[dict]:
    """Honours for the wall: confirmed first (newest first), revoked after, each with its reason and history."""
    cards = []
    for h in docs:
        revoked = h.get("status") == "revoked"
        reviews = []
        for rid, r in sorted((h.get("reviews") or {}).items(), key=lambda kv: kv[1].get("due_date", "")):
            reviews.append(i18n.t("hon.review", lang, due=i18n.fmt_date(r.get("due_date"), lang),
                                  outcome=i18n.status(r.get("outcome"), lang) if r.get("outcome")
                                  else i18n.t("hon.pending", lang)))
        cards.append({
            "id": h.get("_id"), "title": h.get("title", ""), "nominee_name": h.get("nominee_name", ""),
            "unit_name": h.get("unit_name", ""), "revoked": revoked, "status": i18n.status(h.get("status"), lang),
            "reason": h.get("revoked_reason", "") if revoked else "",
            "confirmed_at": i18n.fmt_date(h.get("confirmed_at"), lang),
            "revoked_at": i18n.fmt_date(h.get("revoked_at"), lang) if revoked else "",
            "history": [f"{i18n.fmt_dt(x.get('at'), lang)} {i18n.status(x.get('status'), lang)}"
                        + (f"：{x['reason']}" if x.get("reason") and lang == "zh" else
                           f": {x['reason']}" if x.get("reason") else "") for x in h.get("history") or []],
            "reviews": reviews, "category_id": h.get("category_id"), "nomination_id": h.get("nomination_id"),
        })
    cards.sort(key=lambda c: (c["revoked"],))
    return cards


def turnout_by_unit(round_doc: dict, names: dict[str, str], parents: dict[str, str] | None = None,
                    other: str = "") -> list[dict]:
    """Each unit's turnout with its name and its parent's name, grouped by parent (then highest turnout first)."""
    parents = parents or {}
    rows = [{"unit": names.get(u, u), "parent": names.get(parents[u], parents[u]) if parents.get(u) else other,
             "turnout": float(v)} for u, v in (round_doc.get("turnout_by_unit") or {}).items()]
    return sorted(rows, key=lambda r: (r["parent"] == other, r["parent"], -r["turnout"], r["unit"]))


def history_points(round_doc: dict) -> list[dict]:
    out = []
    for h in round_doc.get("history") or []:
        at = i18n.to_shanghai(h.get("at"))
        if at is not None:
            out.append({"at": at.replace(tzinfo=None), "ballots_cast": int(h.get("ballots_cast", 0))})
    return out


def round_summary(round_doc: dict) -> dict:
    eligible = int(round_doc.get("eligible") or 0)
    cast = int(round_doc.get("ballots_cast") or 0)
    return {"eligible": eligible, "cast": cast, "invalid": int(round_doc.get("invalid") or 0),
            "turnout": (cast / eligible) if eligible else None, "hidden": bool(round_doc.get("counts_hidden"))}


def nominations_by_unit(rows: list[dict]) -> list[dict]:
    counts: dict[str, int] = {}
    for e in rows:
        name = e.get("unit_name") or e.get("unit_id") or "—"
        counts[name] = counts.get(name, 0) + 1
    return sorted(({"unit": k, "nominations": v} for k, v in counts.items()), key=lambda r: -r["nominations"])


def notice_is_open(n: dict, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    start, end = i18n.to_shanghai(n.get("starts_at")), i18n.to_shanghai(n.get("ends_at"))
    return n.get("state") == "open" and start is not None and end is not None and start <= now <= end


# ---- tokens and service errors ---------------------------------------------------------------------------------------

def token_claims(token: str) -> dict:
    """The claims of a role token, read WITHOUT verifying it (the services verify); only to show who is logged in."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    claims = jwt.decode(token, options={"verify_signature": False, "verify_aud": False, "verify_exp": False})
    if claims.get("role") not in ("organiser", "unit", "member", "judge"):
        raise ValueError("the token carries no known role")
    return claims


def token_expired(claims: dict, now: float | None = None) -> bool:
    import time
    exp = claims.get("exp")
    return exp is not None and float(exp) < (now if now is not None else time.time())


def error_code(body: Any) -> str | None:
    """The stable code of a service's JSON error, if it has one."""
    err = body.get("error") if isinstance(body, dict) else None
    return str(err["code"]) if isinstance(err, dict) and err.get("code") else None
