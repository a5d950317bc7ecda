"""File a real-name objection (实名异议) during the period: public, rate-limited, the contact sealed apart."""
from __future__ import annotations

from functools import partial
from uuid import uuid4

from shared.contracts.publicity import ObjectionFiled
from shared.errors import NotFound, TooManyRequests

from .. import domain
from ..commands import ObjectionIn
from .context import Context, Tx
from .notices import notice_of

FILE_OBJECTION_ROLES = ()  # public: anyone may object, under their real name
OBJECTION_STATUS_ROLES = ()  # public: the state only, by tracking number
FILED_MESSAGE = "您的异议已受理，请凭受理编号查询办理状态。"


async def file_objection(ctx: Context, notice_id: str, form: ObjectionIn, files: list[tuple[str, bytes]], *,
                         client: str) -> dict:
    """The tracking number, after ObjectionFiled. Refusals: TooManyRequests (address, contact), Invalid (identity,
    attachments), NotFound (notice, nominee not listed), Closed (outside the period), Conflict (nominee removed)."""
    if not ctx.address_limiter.allow(f"addr:{client}"):
        raise TooManyRequests("too many objections from this address; try again later")
    contacts = domain.check_identity(form.name, form.phone, form.email)
    n = await notice_of(ctx, notice_id)
    current = ctx.clock()
    entry = domain.entry_open_to_objection(n, form.nomination_id, current)
    for c in contacts:
        if not ctx.contact_limiter.allow(ctx.vault.key_of(c)):
            raise TooManyRequests("too many objections from this contact; try again later")
    accepted = domain.check_attachments(files)
    objection_id = "o" + uuid4().hex[:15]
    stored: list[dict] = []
    try:
        for fname, ctype, data in accepted:
            fid = await ctx.attachments.put(fname, data, {"objection_id": objection_id, "content_type": ctype})
            stored.append({"file_id": fid, "filename": fname, "content_type": ctype, "size": len(data)})
        tracking = domain.tracking_number(current.astimezone(domain.SHANGHAI).year)
        doc = {"_id": objection_id, "tracking_no": tracking, "notice_id": notice_id,
               "programme_id": n["programme_id"], "category_id": n["category_id"],
               "nomination_id": form.nomination_id, "nominee_name": entry["nominee_name"],
               "reason": form.reason.strip(), "attachments": stored, "state": "filed", "filed_at": current,
               "findings": [], "history": [{"at": current, "step": "filed"}]}
        phone = domain.normalise_phone(form.phone) if form.phone.strip() else ""
        sealed = ctx.vault.seal(objection_id, {"name": form.name.strip(), "phone": phone, "email": form.email.strip()})
        await ctx.uow.run(partial(_insert, doc, sealed))
    except BaseException:
        # the files went in outside the transaction: take them out again when the objection is not stored
        for a in stored:
            await ctx.attachments.delete(a["file_id"])
        raise
    return {"tracking_no": tracking, "state": "filed", "state_label": domain.OBJECTION_LABELS["filed"],
            "message": FILED_MESSAGE}


async def _insert(doc: dict, sealed: str, tx: Tx) -> None:
    await tx.store.insert_objection(doc, sealed)
    await tx.emit(ObjectionFiled(objection_id=doc["_id"], notice_id=doc["notice_id"],
                                 nomination_id=doc["nomination_id"], tracking_no=doc["tracking_no"]),
                  programme_id=doc["programme_id"], key=doc["notice_id"])


async def objection_status(ctx: Context, tracking_no: str, *, client: str) -> dict:
    """The state of an objection by its tracking number. Refusals: TooManyRequests (address), NotFound."""
    if not ctx.address_limiter.allow(f"lookup:{client}"):
        raise TooManyRequests("too many look-ups from this address; try again later")
    number = tracking_no.strip().upper()
    o = await ctx.store.objection_by_tracking(number)
    if o is None:
        raise NotFound("tracking_no: no objection has this tracking number", field="tracking_no")
    return {"tracking_no": number, "state": o["state"], "state_label": domain.OBJECTION_LABELS[o["state"]]}
