"""Sign-in links: the organiser issues, lists and revokes them; anyone holding one redeems it, once, for a session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from shared.auth import issue_token
from shared.contracts.nominations import SigninLinkInfo, SigninLinkRevoked, SigninLinksIssued
from shared.settings import Settings
from shared.signin_links import (
    DEFAULT_LINK_HOURS,
    SESSION_SECONDS,
    SUBJECT_CLAIM,
    LinkExpired,
    LinkClaims,
    LinkInvalid,
    mint_link_token,
    read_link_token,
)
from shared.uow import Transaction

from .. import domain as d
from ..domain import signin as rules
from ..lookups import get_programme, now
from ..store import Store
from . import Work, roles


@dataclass(frozen=True)
class LinkRequest:
    role: str
    subject_id: str | None
    name: str = ""


def public_link(record: dict, at: datetime | None = None) -> dict:
    out = {k: v for k, v in record.items() if k != "_id"}
    out["link_id"] = record["_id"]
    out[SUBJECT_CLAIM[record["role"]]] = record["subject_id"]
    out["state"] = d.link_state(record, at or now())
    return out


@roles("organiser")
async def issue_links(uow: Work, settings: Settings, pid: str, wanted: list[LinkRequest], by: str,
                      hours: float = DEFAULT_LINK_HOURS) -> list[dict]:
    """Refused: an unknown programme (404), no links or too many, a role other than unit/judge/member, a missing
    id, hours out of range, a unit or member not in the programme (422, naming the field). A judge id is taken
    as given: judges live in the scoring service. Answers each link with its token, which is never stored."""
    if not wanted or len(wanted) > d.MAX_LINKS_PER_REQUEST:
        d.ensure(d.Refusal("invalid", "links", f"give 1 to {d.MAX_LINKS_PER_REQUEST} links", "links_count",
                           {"max": d.MAX_LINKS_PER_REQUEST}))
    for w in wanted:
        d.ensure(d.check_link_request(w.role, w.subject_id, hours))
    await get_programme(uow.store, pid)
    units, members = await uow.store.known_units(pid), await uow.store.known_members(pid)
    names: list[str] = []
    for w in wanted:
        known = {"unit": units, "member": members}.get(w.role)
        if known is not None and w.subject_id not in known:
            d.ensure(d.unknown_subject(w.role, w.subject_id, pid))
        names.append((w.name or "").strip()[:rules.MAX_NAME_CHARS]
                     or (known[w.subject_id].get("name", "") if known is not None else "") or w.subject_id)
    at = now()
    minted = [mint_link_token(settings, role=w.role, subject_id=w.subject_id, name=n, programme_id=pid, hours=hours,
                              now=at.timestamp()) for w, n in zip(wanted, names, strict=True)]
    records = [d.link_record(claims, by, at) for _, claims in minted]
    await uow.run(partial(_insert, pid, records))
    return [public_link(r, at) | {"token": token} for r, (token, _) in zip(records, minted, strict=True)]


@roles("organiser")
async def list_links(store: Store, pid: str) -> list[dict]:
    await get_programme(store, pid)
    at = now()
    return [public_link(r, at) for r in await store.list_signin_links(pid)]


async def _insert(pid: str, records: list[dict], tx: Transaction[Store]) -> None:
    await tx.store.insert_signin_links(records)
    links = [SigninLinkInfo(link_id=r["_id"], role=r["role"], **({} if r["role"] == "member" else {
        "subject_id": r["subject_id"], "name": r["name"]})) for r in records]
    await tx.emit(SigninLinksIssued(links=links, expires_at=records[0]["expires_at"]), programme_id=pid, key=pid)


@roles("organiser")
async def revoke_link(uow: Work, pid: str, link_id: str, by: str) -> dict:
    """Refused: an unknown programme or link (404), a link already used (409 signin_link_used). Revoking twice
    keeps the first revocation."""
    return await uow.run(lambda tx: _revoke(tx, pid, link_id, by))


async def _revoke(tx: Transaction[Store], pid: str, link_id: str, by: str) -> dict:
    await get_programme(tx.store, pid)
    record = await tx.store.get_signin_link(link_id)
    record = record if record and record.get("programme_id") == pid else None
    d.ensure(d.revoke_refusal(record, link_id))
    if not record.get("revoked_at"):
        record |= {"revoked_at": now(), "revoked_by": by}
        await tx.store.set_signin_link(link_id, {"revoked_at": record["revoked_at"], "revoked_by": by})
        await tx.emit(SigninLinkRevoked(link_id=link_id, role=record["role"]), programme_id=pid, key=pid)
    return public_link(record)


async def _redeem(tx: Transaction[Store], claims: LinkClaims, at: datetime) -> None:
    d.ensure(d.redemption_refusal(await tx.store.get_signin_link(claims.link_id)))
    if not await tx.store.record_redemption({"_id": claims.link_id, "role": claims.role, "at": at,
                                             "subject_id": claims.subject_id, "programme_id": claims.programme_id}):
        d.ensure(rules.USED)
    await tx.store.set_signin_link(claims.link_id, {"used_at": at})


@roles()  # public: holding the link is the credential
async def redeem(uow: Work, settings: Settings, token: str, at: datetime | None = None) -> dict:
    """Refused: not a link of this installation (422 signin_link_invalid), expired (410 signin_link_expired),
    revoked (410 signin_link_revoked), used before (409 signin_link_used). Answers a role session token."""
    at = at or now()
    try:
        claims = read_link_token(settings, token or "", now=at.timestamp())
    except LinkExpired:
        raise d.refuse(rules.EXPIRED) from None
    except LinkInvalid:
        raise d.refuse(rules.INVALID) from None

    await uow.run(lambda tx: _redeem(tx, claims, at))
    ids = {SUBJECT_CLAIM[claims.role]: claims.subject_id} if claims.subject_id else {}
    session = issue_token(settings, role=claims.role, subject=claims.subject, name=claims.name,
                          ttl_seconds=SESSION_SECONDS, **ids)
    return {"token": session, "role": claims.role, "name": claims.name, "programme_id": claims.programme_id,
            "expires_at": datetime.fromtimestamp(int(at.timestamp()) + SESSION_SECONDS, UTC)} | ids
