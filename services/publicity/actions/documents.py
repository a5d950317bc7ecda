"""Downloads: a notice and the honours list as .docx, .xlsx or PDF (public); an objection's attachment and its
sealed contact (organiser)."""
from __future__ import annotations

from functools import partial

from shared.auth import Principal
from shared.documents import DOCX, PDF, XLSX, Download
from shared.errors import NotFound

from .. import domain
from ..documents import (
    HonoursText,
    NoCjkFont,
    honours_docx,
    honours_pdf,
    honours_xlsx,
    notice_docx,
    notice_pdf,
    notice_xlsx,
)
from .context import Context
from .investigation import objection_of
from .notices import notice_of

NOTICE_DOCUMENT_ROLES = ()  # public
ATTACHMENT_ROLES = ("organiser",)
CONTACT_ROLES = ("organiser",)


class PdfUnavailable(Exception):
    """PDF is not offered: no CJK font to embed is installed (the route answers 501)."""


def _pdf(render, *args) -> bytes:
    try:
        return render(*args)
    except NoCjkFont as missing:
        raise PdfUnavailable(str(missing)) from missing


async def notice_document(ctx: Context, notice_id: str, fmt: str) -> Download:
    """Refusals: NotFound (notice, format), PdfUnavailable (pdf)."""
    n = await notice_of(ctx, notice_id)
    text = domain.rebuild_text(n)
    filename = f"publicity-{notice_id}.{fmt}"
    if fmt == "docx":
        return Download(notice_docx(text), DOCX, filename)
    if fmt == "xlsx":
        statuses = {e["nominee_name"]: domain.ENTRY_LABELS.get(e["status"], e["status"]) for e in n["entries"]}
        body = notice_xlsx(text, starts=domain.cn_moment(domain.as_utc(n["starts_at"])),
                           ends=domain.cn_moment(domain.as_utc(n["ends_at"])), statuses=statuses)
        return Download(body, XLSX, filename)
    if fmt == "pdf":
        return Download(_pdf(notice_pdf, text), PDF, filename)
    raise NotFound("fmt: choose docx, xlsx or pdf", field="fmt")


async def honours_document(ctx: Context, programme_id: str | None, status: str | None, fmt: str) -> Download:
    """The honours list (confirmed and revoked, with reasons) of a programme. Refusals: NotFound (format),
    PdfUnavailable (pdf)."""
    renderers = {"docx": (honours_docx, DOCX), "xlsx": (honours_xlsx, XLSX), "pdf": (partial(_pdf, honours_pdf), PDF)}
    if fmt not in renderers:
        raise NotFound("fmt: choose docx, xlsx or pdf", field="fmt")
    found = await ctx.store.honours(programme_id, status)
    notice = await ctx.store.notice(found[0]["notice_id"]) if found else None
    title = domain.honours_list_title((notice or {}).get("programme_name", ""), (notice or {}).get("year"))
    text = HonoursText(title=title, rows=domain.honours_rows(found))
    filename = f"honours-{programme_id or 'all'}.{fmt}"
    render, media_type = renderers[fmt]
    return Download(render(text), media_type, filename)


async def attachment(ctx: Context, objection_id: str, file_id: str) -> Download:
    """Refusals: NotFound (objection, attachment)."""
    o = await objection_of(ctx.store, objection_id)
    meta = next((a for a in o["attachments"] if a["file_id"] == file_id), None)
    if meta is None:
        raise NotFound("file_id: no such attachment on this objection", field="file_id")
    return Download(await ctx.attachments.read(file_id), meta["content_type"], f"attachment-{file_id}")


async def contact(ctx: Context, objection_id: str, who: Principal | None = None) -> dict:
    """The objector's contact details, for the investigator; the viewing, by whom and when, is kept in the
    objection's history (step contact_viewed). Refusals: NotFound."""
    sealed = await ctx.store.sealed_contact(objection_id)
    if sealed is None:
        raise NotFound(f"objection {objection_id} does not exist", field="objection_id")
    opened = ctx.vault.open(objection_id, sealed)
    if who is not None:
        await ctx.store.update_objection(objection_id, {}, history={"at": ctx.clock(), "step": "contact_viewed",
                                                                     "by": who.subject})
    return {"objection_id": objection_id, **opened}
