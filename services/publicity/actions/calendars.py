"""Upload a year's holiday calendar (organiser), and compute a period on the calendars the service knows."""
from __future__ import annotations

from datetime import datetime
from functools import partial

from shared.auth import Principal
from shared.contracts.publicity import CalendarUploaded
from shared.errors import Invalid

from .. import domain
from .context import Context, Tx

UPLOAD_CALENDAR_ROLES = ("organiser",)
MAX_CALENDAR_BYTES = 256 * 1024


async def upload_calendar(ctx: Context, who: Principal, content: bytes, filename: str) -> dict:
    """Refusals: Invalid (larger than 256 KB; not JSON/YAML; a bad year, date or range)."""
    if len(content) > MAX_CALENDAR_BYTES:
        raise Invalid("file: a calendar file is at most 256 KB", field="file", code="calendar_too_large",
                      params={"kb": MAX_CALENDAR_BYTES // 1024})
    try:
        cal = domain.parse_calendar_file(content, filename)
    except domain.CalendarFileError as exc:
        raise Invalid(str(exc), field=exc.field, code=exc.code, params=exc.params) from None
    doc = {"_id": cal.year, "holidays": sorted(d.isoformat() for d in cal.holidays),
           "workdays": sorted(d.isoformat() for d in cal.workdays), "filename": filename,
           "uploaded_by": who.subject, "uploaded_at": ctx.clock()}
    await ctx.uow.run(partial(_save, doc))
    return {"year": cal.year, "holidays": len(cal.holidays), "workdays": len(cal.workdays),
            "source": "upload", "replaces_package_data": True}


async def _save(doc: dict, tx: Tx) -> None:
    await tx.store.save_calendar(doc)
    await tx.emit(CalendarUploaded(year=doc["_id"], holidays=len(doc["holidays"]), workdays=len(doc["workdays"]),
                                   filename=doc["filename"]), programme_id="", key=f"calendar:{doc['_id']}")


async def period(ctx: Context, start: datetime, working_days: int, fallback: bool) -> domain.Period:
    """The period from `start`, with the uploaded calendars over the package's. Refusals: Invalid."""
    return domain.period_for(start, working_days, domain.overrides_of(await ctx.store.calendars()), fallback)
