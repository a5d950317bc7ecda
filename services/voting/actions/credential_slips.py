"""Issue the credentials of every unit of a round at once, as data for printed slips (投票凭证, 扫码投票).

Roles: organiser. Refusals: those of issuing one unit's credentials (unknown round 404, round closed 409).
Each slip carries a member's name and a credential shown this once. A member who voted, or whose credential was
issued before (and not reissued), gets no slip, and the answer counts them together per unit: the sheet printed
from it cannot tell who has voted."""
from __future__ import annotations

from pydantic import BaseModel

from ..uow import VotingUnitOfWork
from .common import load_round
from .credentials import issue_credentials

ROLES = ("organiser",)


class SlipsIn(BaseModel):
    reissue: bool = False


async def credential_slips(uow: VotingUnitOfWork, round_id: str, *, secret: bytes, reissue: bool = False) -> dict:
    rnd = await load_round(uow.store, round_id)
    units = []
    for unit in rnd.get("units") or []:
        sheet = await issue_credentials(uow, round_id, unit["unit_id"], secret=secret, reissue=reissue)
        slips = [{"name": line.name, "credential": line.credential} for line in sheet.lines if line.credential]
        units.append({"unit_id": unit["unit_id"], "unit_name": sheet.unit_name, "slips": slips,
                      "not_issued": len(sheet.lines) - len(slips)})
    return {"round_id": round_id, "round_name": rnd["name"], "units": units}
