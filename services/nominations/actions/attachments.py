"""Attach a file to a nomination (pdf, doc, docx, xlsx, jpg, png; at most 10 MB, stored in GridFS) and download it."""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

from shared.auth import Principal
from shared.contracts.nominations import AttachmentAdded
from shared.errors import Conflict, NotFound

from .. import domain as d
from ..lookups import get_nomination, now
from . import Work, roles


@roles("unit")
async def attach(uow: Work, pid: str, nid: str, who: Principal, filename: str, data: bytes) -> dict:
    """Refused: a nomination outside the unit's subtree or not submitted/returned, a file of a type not allowed,
    empty or too large, more than 10 files, a nomination that changed while the file was uploading."""
    doc = await get_nomination(uow.store, pid, nid, who)
    d.ensure_attachable(doc["status"])
    filename = Path(filename).name
    _, content_type = d.attachment_info(filename, len(data), len(doc.get("attachments", [])))
    # The file goes to GridFS outside any transaction; the nomination takes it only if it is still attachable.
    file_id = await uow.store.upload_attachment(filename, data, metadata={
        "programme_id": pid, "nomination_id": nid, "content_type": content_type})
    info = {"file_id": file_id, "filename": filename, "size": len(data), "content_type": content_type,
            "uploaded_at": now()}
    added = AttachmentAdded(nomination_id=nid, file_id=file_id, filename=filename, size=len(data),
                            content_type=content_type, sha256=hashlib.sha256(data).hexdigest())
    if not await uow.run(partial(_add, pid, info, added)):
        await uow.store.delete_attachment(file_id)
        raise Conflict("the nomination changed while the file was uploading; try again", field="status")
    return info


async def _add(pid: str, info: dict, added: AttachmentAdded, tx) -> bool:
    if not await tx.store.add_attachment(added.nomination_id, info):
        return False
    await tx.emit(added, programme_id=pid, key=added.nomination_id)
    return True


@roles("organiser", "unit", "judge")
async def download(uow: Work, pid: str, nid: str, who: Principal, file_id: str) -> tuple[dict, bytes]:
    """The attachment's record and its bytes. Refused: a nomination outside the unit's subtree or, for a judge, not
    assigned to them (or recused), an unknown file."""
    doc = await get_nomination(uow.store, pid, nid, who)
    info = next((a for a in doc.get("attachments", []) if a["file_id"] == file_id), None)
    if info is None:
        raise NotFound(f"attachment {file_id} does not exist on this nomination", field="file_id")
    data = await uow.store.read_attachment(file_id)
    if data is None:
        raise NotFound(f"attachment {file_id} is missing from storage", field="file_id")
    return info, data
