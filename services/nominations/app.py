"""Wiring of the nominations service (walking skeleton: programmes and nominations)."""
from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from fastapi import Depends
from pydantic import BaseModel, Field
from pymongo.errors import DuplicateKeyError

from shared.auth import Principal, require
from shared.contracts.nominations import CategoryInfo, NominationSubmitted, ProgrammeDefined, StageWindow
from shared.errors import Conflict, NotFound
from shared.service import Service
from shared.settings import Settings


class ProgrammeIn(BaseModel):
    programme_id: str = Field(default_factory=lambda: uuid4().hex[:12])
    name: str
    year: int
    categories: list[CategoryInfo]
    stages: list[StageWindow] = []


class NominationIn(BaseModel):
    category_id: str
    nominee_id: str
    nominee_name: str = Field(min_length=1, max_length=200)
    unit_name: str = ""


def create_service(settings: Settings | None = None) -> Service:
    svc = Service("nominations", settings, title="Nominations service (申报与资格审查)")
    api = svc.api

    @svc.on_startup
    async def indexes() -> None:
        await svc.db.nominations.create_index([("programme_id", 1), ("category_id", 1), ("nominee_id", 1)], unique=True)

    @api.post("/programmes", status_code=201, tags=["programmes"])
    async def define_programme(body: ProgrammeIn, _: Principal = Depends(require("organiser"))):
        async def txn(s):
            if await svc.db.programmes.find_one({"_id": body.programme_id}, session=s):
                raise Conflict(f"programme {body.programme_id} already exists", field="programme_id")
            doc = body.model_dump(mode="json") | {"_id": body.programme_id, "version": 1}
            await svc.db.programmes.insert_one(doc, session=s)
            await svc.emit(s, ProgrammeDefined(version=1, **body.model_dump()), programme_id=body.programme_id,
                           key=body.programme_id)
            return doc

        return await svc.transact(txn)

    @api.post("/programmes/{programme_id}/nominations", status_code=201, tags=["nominations"])
    async def submit(programme_id: str, body: NominationIn, who: Principal = Depends(require("unit"))):
        programme = await svc.db.programmes.find_one({"_id": programme_id})
        if programme is None:
            raise NotFound(f"programme {programme_id} does not exist")
        category = next((c for c in programme["categories"] if c["category_id"] == body.category_id), None)
        if category is None:
            raise NotFound(f"category {body.category_id} does not exist in this programme", field="category_id")
        nomination_id = uuid4().hex[:16]

        async def txn(s):
            doc = {"_id": nomination_id, "programme_id": programme_id, "category_id": body.category_id,
                   "nominee_id": body.nominee_id, "nominee_name": body.nominee_name, "unit_id": who.unit_id,
                   "unit_name": body.unit_name, "status": "submitted", "submitted_at": datetime.now(UTC)}
            try:
                await svc.db.nominations.insert_one(doc, session=s)
            except DuplicateKeyError:
                raise Conflict("this nominee is already nominated in this category", field="nominee_id") from None
            await svc.emit(s, NominationSubmitted(
                nomination_id=nomination_id, category_id=body.category_id, nominee_id=body.nominee_id,
                nominee_name=body.nominee_name, nominee_kind=category["nominee_kind"], unit_id=who.unit_id or "",
                unit_name=body.unit_name), programme_id=programme_id, key=nomination_id)
            return doc

        doc = await svc.transact(txn)
        return {"nomination_id": doc["_id"], "status": doc["status"]}

    return svc
