"""The voting HTTP API: each route parses, checks the role, calls its action and shapes the answer."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import Principal, require
from shared.ids import IdPath, IdQuery

from . import pages
from .actions import bulletin as bulletin_action
from .actions import candidates as candidates_action
from .actions import cast as casting
from .actions import close_round as closing
from .actions import credential_slips as slips_action
from .actions import credentials as credentials_action
from .actions import flags as flags_action
from .actions import open_round as opening
from .actions import publish_counts as publishing
from .actions import receipts as receipts_action
from .actions import resolve_credential as resolving
from .actions import roll_status as roll_action
from .actions import round_info
from .actions import tally as tally_action
from .actions.cast import BallotIn
from .actions.open_round import RoundIn
from .context import Voting
from .views import round_view

router = APIRouter()
_bearer = HTTPBearer(auto_error=False)


def ctx(request: Request) -> Voting:
    return request.app.state.voting


def public(request: Request) -> Voting:
    """The context of a public route, once the caller's address is within the public rate."""
    voting: Voting = request.app.state.voting
    voting.svc.check_public_rate(request)
    return voting


# ---- learned data, for the organiser ----------------------------------------------------------------------
@router.get("/programmes/{programme_id}/candidates", tags=["rounds"],
            summary="Approved nominations known to voting (候选对象)")
async def candidates(programme_id: IdPath, category_id: IdQuery = None,
                     _: Principal = Depends(require(*candidates_action.ROLES)), v: Voting = Depends(ctx)):
    return await candidates_action.candidates(v.uow, programme_id, category_id)


# ---- rounds -------------------------------------------------------------------------------------------------
@router.post("/rounds", status_code=201, tags=["rounds"], summary="Open a voting round (开启测评轮次)")
async def open_round(body: RoundIn, _: Principal = Depends(require(*opening.ROLES)), v: Voting = Depends(ctx)):
    rnd = await opening.open_round(v.uow, body, secret=v.config.ballot_secret, partitions=v.partitions,
                                   caches=v.edge)
    return round_view(rnd)


@router.get("/rounds", tags=["rounds"], summary="Voting rounds (测评轮次), public")
async def list_rounds(programme_id: IdQuery = None, v: Voting = Depends(public)):
    return await round_info.list_rounds(v.uow, programme_id)


@router.get("/rounds/{round_id}", tags=["rounds"], summary="A round with its candidates, public")
async def get_round_view(round_id: IdPath, v: Voting = Depends(public)):
    return await round_info.round_info(v.uow, round_id)


@router.post("/rounds/{round_id}/close", tags=["rounds"], summary="Close a round and publish its bulletin root")
async def close(round_id: IdPath, _: Principal = Depends(require(*closing.ROLES)), v: Voting = Depends(ctx)):
    return round_view(await closing.close_round(v.uow, round_id, secret=v.config.ballot_secret, caches=v.edge))


@router.post("/rounds/{round_id}/publish", tags=["rounds"], summary="Publish hidden counts (公布票数)")
async def publish(round_id: IdPath, _: Principal = Depends(require(*publishing.ROLES)), v: Voting = Depends(ctx)):
    return round_view(await publishing.publish_counts(v.uow, round_id, secret=v.config.ballot_secret))


# ---- tallies, turnout, exports -----------------------------------------------------------------------------
@router.get("/rounds/{round_id}/tally", tags=["tallies"], summary="Live tally and turnout (hidden counts omitted)")
async def tally(round_id: IdPath, v: Voting = Depends(public)):
    _, view = await tally_action.tally(v.uow, round_id)
    return view


@router.get("/rounds/{round_id}/tally.xlsx", tags=["tallies"], summary="Tally export (计票结果表)")
async def tally_xlsx(round_id: IdPath, _: Principal = Depends(require(*tally_action.EXPORT_ROLES)),
                     v: Voting = Depends(ctx)):
    rnd, view = await tally_action.tally(v.uow, round_id)
    return Response(pages.tally_workbook(rnd, view),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="tally-{round_id}.xlsx"'})


@router.get("/rounds/{round_id}/flags", tags=["abuse"], summary="Bursts of ballots from one unit (异常提示)")
async def flags(round_id: IdPath, _: Principal = Depends(require(*flags_action.ROLES)), v: Voting = Depends(ctx)):
    return await flags_action.burst_flags(v.uow, round_id)


# ---- bulletin ---------------------------------------------------------------------------------------------
@router.get("/rounds/{round_id}/bulletin", tags=["bulletin"],
            summary="The public bulletin: receipts and, apart and once counts are public, ballot contents, with roots")
async def bulletin(round_id: IdPath, v: Voting = Depends(public)):
    return await bulletin_action.bulletin(v.uow, round_id, secret=v.config.ballot_secret)


@router.get("/rounds/{round_id}/bulletin/file", tags=["bulletin"],
            summary="The bulletin as a file to check with `./exemplar verify FILE` (kind voting.bulletin)")
async def bulletin_file(round_id: IdPath, v: Voting = Depends(public)):
    doc = await bulletin_action.bulletin_file(v.uow, round_id, secret=v.config.ballot_secret)
    return JSONResponse(doc, headers={"Content-Disposition": f'attachment; filename="bulletin-{round_id}.json"'})


@router.get("/rounds/{round_id}/receipts", tags=["bulletin"],
            summary="The receipts counted so far, open rounds too, with their root (no contents)")
async def live_receipts(round_id: IdPath, v: Voting = Depends(public)):
    return await bulletin_action.live_receipts(v.uow, round_id)


@router.get("/rounds/{round_id}/receipts/{receipt}", tags=["bulletin"], summary="Check a receipt (核验回执)")
async def check_receipt(round_id: IdPath, receipt: IdPath, v: Voting = Depends(public)):
    return await receipts_action.check_receipt(v.uow, round_id, receipt)


# ---- credentials ------------------------------------------------------------------------------------------
@router.get("/rounds/{round_id}/credentials/{unit_id}", tags=["credentials"], response_class=HTMLResponse,
            summary="Print the one-time ballot credentials of one unit, with QR codes (shown once)")
async def credential_sheet(round_id: IdPath, unit_id: IdPath, reissue: bool = Query(False),
                           _: Principal = Depends(require(*credentials_action.ROLES)), v: Voting = Depends(ctx)):
    sheet = await credentials_action.issue_credentials(v.uow, round_id, unit_id, secret=v.config.ballot_secret,
                                                       reissue=reissue)
    return HTMLResponse(pages.credential_page(sheet), headers={"Cache-Control": "no-store"})


@router.post("/rounds/{round_id}/credential-slips", tags=["credentials"],
             summary="Issue the credentials of every unit of a round at once, for printed slips (shown once)")
async def credential_slips(round_id: str, body: slips_action.SlipsIn,
                           _: Principal = Depends(require(*slips_action.ROLES)), v: Voting = Depends(ctx)):
    answer = await slips_action.credential_slips(v.uow, round_id, secret=v.config.ballot_secret,
                                                 reissue=body.reissue)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.post("/credentials/resolve", tags=["credentials"],
             summary="The round and public ballot of a ballot credential, and whether it was used (to its holder)")
async def resolve_credential(body: resolving.CredentialIn, request: Request, v: Voting = Depends(ctx)):
    # Limited by the casting edge's per-address and per-credential limits, not the public rate: on voting day
    # every phone reaches voting through the dashboard, from one address.
    answer = await resolving.resolve_credential(v.uow, v.edge, body.credential,
                                                address=request.client.host if request.client else "unknown")
    return JSONResponse(jsonable_encoder(answer), headers={"Cache-Control": "no-store"})


# ---- casting ----------------------------------------------------------------------------------------------
@router.get("/rounds/{round_id}/me", tags=["casting"], summary="Am I on the roll, have I voted (member token)")
async def me(round_id: IdPath, who: Principal = Depends(require(*roll_action.ROLES)), v: Voting = Depends(ctx)):
    return await roll_action.roll_status(v.uow, round_id, who, secret=v.config.ballot_secret)


@router.post("/rounds/{round_id}/ballots", status_code=201, tags=["casting"],
             summary="Cast a ballot with a one-time credential or a member token; returns a receipt",
             responses={202: {"description": "accepted for counting; the receipt is checked on the bulletin"}})
async def cast(round_id: IdPath, body: BallotIn, request: Request,
               credentials: HTTPAuthorizationCredentials | None = Depends(_bearer), v: Voting = Depends(ctx)):
    result = await casting.cast(v.uow, v.edge, round_id, body,
                                address=request.client.host if request.client else "unknown",
                                token=credentials.credentials if credentials is not None else None)
    check = f"/rounds/{round_id}/receipts/{result.receipt}"
    if result.pending:
        return JSONResponse(status_code=202, content={
            "status": "pending", "receipt": result.receipt, "round_id": round_id,
            "message": "投票已提交，正在计票 your ballot is queued for counting; check the receipt", "check": check})
    return {"status": "accepted", "receipt": result.receipt, "round_id": round_id,
            "message": "投票成功，请保存回执 ballot counted; keep the receipt to check it on the bulletin",
            "check": check}
