"""Read-side queries of publicity and the shapes its answers take (public notices and honours, the organiser's
view of objections and reviews)."""
from __future__ import annotations

from datetime import date, datetime

from shared.errors import NotFound
from shared.verify_draw import PUBLISHED_LIST_KIND, canonical, sha256

from . import domain
from .store import PublicityStore


def public_notice(n: dict, now: datetime) -> dict:
    return {
        "notice_id": n["_id"], "programme_id": n["programme_id"], "category_id": n["category_id"],
        "category_name": n.get("category_name", ""), "title": n["title"], "state": n["state"],
        "window": domain.window_state(now, domain.as_utc(n["starts_at"]), domain.as_utc(n["ends_at"])),
        "starts_at": domain.as_utc(n["starts_at"]).isoformat(), "ends_at": domain.as_utc(n["ends_at"]).isoformat(),
        "working_days": n["working_days"], "days": n["days"], "calendar_warning": n.get("calendar_warning", ""),
        "supplementary": bool(n.get("replaces")),
        "entries": [{"nomination_id": e["nomination_id"], "nominee_name": e["nominee_name"],
                     "unit_name": e["unit_name"], "rank": e.get("rank"), "status": e["status"],
                     "status_label": domain.ENTRY_LABELS.get(e["status"], e["status"])} for e in n["entries"]],
        "text": n["text"],
        # the frozen list as published, the inputs' versions it was drawn from, and every later change
        "listing": n.get("listing", []), "standings_sequence": n.get("standings_sequence"),
        "programme_version": n.get("programme_version"), "version": n.get("version", 1),
        "versions": [_iso(v) for v in n.get("versions", [])],
        "record": [_iso(r) for r in n.get("record", [])],
    }


def published_list(n: dict) -> dict:
    """A notice's published list with its inputs, for anyone to recompute (docs/verify.md, Published lists): each
    line's components with their weights, as frozen when the notice opened, and every later change on the record."""
    listing = n.get("listing", [])
    return {
        "kind": PUBLISHED_LIST_KIND, "version": 1, "notice_id": n["_id"], "programme_id": n["programme_id"],
        "category_id": n["category_id"], "category_name": n.get("category_name", ""), "title": n["title"],
        "starts_at": domain.as_utc(n["starts_at"]).isoformat(), "ends_at": domain.as_utc(n["ends_at"]).isoformat(),
        "standings_sequence": n.get("standings_sequence"), "programme_version": n.get("programme_version"),
        "method": "composite = sum(normalised * weight) / sum(positive weights), rounded to 4 decimals; ranks "
                  "follow the composite, ties broken by the configured components",
        "listing": listing, "listing_sha256": sha256(canonical(listing)),
        "record": [_iso(r) for r in n.get("record", [])],
    }


def _iso(doc: dict) -> dict:
    """A version or record line as the public sees it: who made the change stays with the organiser."""
    return {k: (domain.as_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in doc.items()
            if k not in ("by",)}


def public_honour(h: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in h.items()
            if k not in ("_id",)} | {"honour_id": h["_id"]}


def review_view(r: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "_id"} | {
        "review_id": r["_id"]}


def organiser_view(o: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in o.items() if k != "_id"} | {
        "objection_id": o["_id"],
        "history": [{**h, "at": domain.as_utc(h["at"]).isoformat()} for h in o.get("history", [])],
        "findings": [{**f, "at": domain.as_utc(f["at"]).isoformat()} for f in o.get("findings", [])]}


async def calendar(store: PublicityStore, year: int) -> dict:
    """A year's calendar: the uploaded override, else the package's data; NotFound when neither knows the year."""
    doc = await store.calendar(year)
    if doc:
        return {"year": year, "source": "upload", "holidays": doc["holidays"], "workdays": doc["workdays"]}
    try:
        days = domain.package_year(year)
    except domain.CalendarUnknown as exc:
        raise NotFound(str(exc), field="year", code="calendar_unknown", params={"year": exc.year}) from None
    return {"year": year, "source": "chinese-calendar", **days}


async def shortlists(store: PublicityStore, programme_id: str) -> dict:
    programme = await store.programme(programme_id)
    out = []
    for doc in await store.boards_of(programme_id):
        cat = next((c for c in (programme or {}).get("categories", []) if c["category_id"] == doc["category_id"]),
                   {})
        names = await store.nominations_of([x["nomination_id"] for x in doc["standings"]])
        out.append({"category_id": doc["category_id"], "category_name": cat.get("name", ""),
                    "quota": cat.get("quota"), "sequence": doc["sequence"],
                    "standings": [x | {"nominee_name": names.get(x["nomination_id"], {}).get("nominee_name", ""),
                                       "unit_name": names.get(x["nomination_id"], {}).get("unit_name", "")}
                                  for x in sorted(doc["standings"], key=lambda x: x["rank"])]})
    return {"programme_id": programme_id, "known": programme is not None, "categories": out}


async def notices(store: PublicityStore, now: datetime, programme_id: str | None, state: str | None) -> dict:
    return {"notices": [public_notice(n, now) for n in await store.notices(programme_id, state)]}


async def notice(store: PublicityStore, now: datetime, notice_id: str) -> dict:
    n = await store.notice(notice_id)
    if n is None:
        raise NotFound(f"notice {notice_id} does not exist", field="notice_id")
    return public_notice(n, now)


async def published_list_of(store: PublicityStore, notice_id: str) -> dict:
    n = await store.notice(notice_id)
    if n is None:
        raise NotFound(f"notice {notice_id} does not exist", field="notice_id")
    return published_list(n)


async def objections(store: PublicityStore, notice_id: str | None, state: str | None) -> dict:
    return {"objections": [organiser_view(o) for o in await store.objections(notice_id, state)]}


async def objection(store: PublicityStore, objection_id: str) -> dict:
    o = await store.objection(objection_id)
    if o is None:
        raise NotFound(f"objection {objection_id} does not exist", field="objection_id")
    return organiser_view(o)


async def honours(store: PublicityStore, programme_id: str | None, status: str | None) -> dict:
    return {"honours": [public_honour(h) for h in await store.honours(programme_id, status)]}


async def honour(store: PublicityStore, honour_id: str) -> dict:
    h = await store.honour(honour_id)
    if h is None:
        raise NotFound(f"honour {honour_id} does not exist", field="honour_id")
    return public_honour(h) | {"reviews": [review_view(r) for r in await store.reviews_of(honour_id)]}


async def vetoes(store: PublicityStore, programme_id: str | None) -> dict:
    return {"vetoes": [{k: v for k, v in d.items() if k != "_id"} for d in await store.vetoes(programme_id)]}


async def reviews(store: PublicityStore, due_by: date | None, pending: bool) -> dict:
    return {"reviews": [review_view(r) for r in await store.reviews(due_by, pending)]}
