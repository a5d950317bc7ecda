"""The scoring service's HTTP API: each route parses, checks the role, calls an action or a view, shapes the answer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from shared.auth import Principal, require
from shared.ids import IdPath, IdQuery
from shared.service import Service
from shared.tables import MAX_TABLE_BYTES
from shared.uow import UnitOfWork

from . import views
from .actions import arena as arenas
from .actions import (
    assignment,
    indicators,
    indicators_import,
    judges,
    panels,
    recusal,
    score_sheets,
    scores,
    scoring_config,
)
from .actions.common import scorer
from .models import (
    ArenaIn,
    ArenaScoreIn,
    AssignIn,
    AutoAssignIn,
    FreezeIn,
    IndicatorsIn,
    JudgeIn,
    PanelIn,
    PanelJudgesIn,
    RecusalIn,
    ScoresIn,
    ScoringConfigIn,
    SpotCommitIn,
    SpotDrawIn,
    SpotResultIn,
)
from .page import judge_page
from .store import MongoScoringStore, ScoringStore


@dataclass
class Context:
    svc: Service
    uow: UnitOfWork[ScoringStore]
    store: MongoScoringStore  # bound to no transaction: the views' reads
    stats: dict[str, int]


def ctx(request: Request) -> Context:
    return request.app.state.scoring


def may(action: Any):
    """The role check of an action: the roles stated beside it (actions.common.allowed)."""
    return require(*action.roles)


# The statuses a learned nomination can have (shared.learning): any other filter is a 422 naming "status".
NominationStatus = Literal["submitted", "approved", "returned", "rejected", "withdrawn"]
router = APIRouter()
ORGANISER = require("organiser")
JUDGE = require("judge")


# ---- configuration and what was learned ---------------------------------------------------------------------------
@router.get("/programmes/{programme_id}/config", tags=["config"], summary="How components are computed and ranked")
async def read_config(programme_id: IdPath, _: Principal = Depends(ORGANISER), c: Context = Depends(ctx)):
    return await views.read_config(c.store, programme_id)


@router.put("/programmes/{programme_id}/config", tags=["config"], summary="Set aggregation rules and tie-breaks")
async def write_config(programme_id: IdPath, body: ScoringConfigIn,
                       _: Principal = Depends(may(scoring_config.write_config)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: scoring_config.write_config(tx, programme_id, body))


@router.get("/programmes/{programme_id}/nominations", tags=["nominations"],
            summary="Nominations the scoring service knows (learned from events)")
async def known_nominations(programme_id: IdPath, status: NominationStatus | None = None,
                            category_id: IdQuery = None,
                            _: Principal = Depends(ORGANISER), c: Context = Depends(ctx)):
    return await views.known_nominations(c.store, programme_id, status, category_id)


@router.get("/programmes/{programme_id}/sync", tags=["nominations"],
            summary="What the scoring service has learned so far from the other services' events")
async def sync_state(programme_id: IdPath, _: Principal = Depends(ORGANISER), c: Context = Depends(ctx)):
    return await views.sync_state(c.store, programme_id)


# ---- judges and panels --------------------------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/judges", status_code=201, tags=["judges"], summary="Register a judge")
async def register_judge(programme_id: IdPath, body: JudgeIn, _: Principal = Depends(may(judges.register_judge)),
                         c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: judges.register_judge(tx, programme_id, body))


@router.get("/programmes/{programme_id}/judges", tags=["judges"], summary="Judges with their current load")
async def list_judges(programme_id: IdPath, _: Principal = Depends(ORGANISER), c: Context = Depends(ctx)):
    return await views.list_judges(c.store, programme_id)


@router.post("/programmes/{programme_id}/panels", status_code=201, tags=["panels"],
             summary="Form the judging panel of a category")
async def form_panel(programme_id: IdPath, body: PanelIn, _: Principal = Depends(may(panels.form_panel)),
                     c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: panels.form_panel(tx, programme_id, body))


@router.post("/programmes/{programme_id}/panels/{panel_id}/judges", tags=["panels"], summary="Add judges to a panel")
async def add_panel_judges(programme_id: IdPath, panel_id: IdPath, body: PanelJudgesIn,
                           _: Principal = Depends(may(panels.add_panel_judges)), c: Context = Depends(ctx)):
    await c.uow.run(lambda tx: panels.add_panel_judges(tx, programme_id, panel_id, body))
    return await views.panel_view(c.store, programme_id, panel_id)


@router.get("/programmes/{programme_id}/panels/{panel_id}", tags=["panels"], summary="A panel, its assignments, loads")
async def read_panel(programme_id: IdPath, panel_id: IdPath, _: Principal = Depends(ORGANISER),
                     c: Context = Depends(ctx)):
    return await views.panel_view(c.store, programme_id, panel_id)


@router.get("/programmes/{programme_id}/panels", tags=["panels"], summary="All panels of a programme")
async def list_panels(programme_id: IdPath, _: Principal = Depends(ORGANISER), c: Context = Depends(ctx)):
    return await views.list_panels(c.store, programme_id)


@router.post("/programmes/{programme_id}/panels/{panel_id}/auto-assign", tags=["panels"],
             summary="Assign judges so that each nominee has at least K, with even loads and no conflicts")
async def auto_assign(programme_id: IdPath, panel_id: IdPath, body: AutoAssignIn | None = None,
                      _: Principal = Depends(may(assignment.auto_assign)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: assignment.auto_assign(tx, programme_id, panel_id, body))


@router.post("/programmes/{programme_id}/panels/{panel_id}/assignments", status_code=201, tags=["panels"],
             summary="Assign a judge to a nominee by hand (a conflicting judge is recused at once)")
async def assign(programme_id: IdPath, panel_id: IdPath, body: AssignIn, _: Principal = Depends(may(assignment.assign)),
                 c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: assignment.assign(tx, programme_id, panel_id, body))


@router.post("/programmes/{programme_id}/panels/{panel_id}/lock", tags=["panels"],
             summary="Lock a panel: scores can no longer change")
async def lock_panel(programme_id: IdPath, panel_id: IdPath, _: Principal = Depends(may(panels.set_lock)),
                     c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: panels.set_lock(tx, programme_id, panel_id, True))


@router.post("/programmes/{programme_id}/panels/{panel_id}/unlock", tags=["panels"], summary="Reopen a locked panel")
async def unlock_panel(programme_id: IdPath, panel_id: IdPath, _: Principal = Depends(may(panels.set_lock)),
                       c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: panels.set_lock(tx, programme_id, panel_id, False))


@router.get("/programmes/{programme_id}/panels/{panel_id}/score-sheets/{fmt}", tags=["panels"],
            summary="Score sheets for signature (评分表), one per judge, as docx or pdf (CJK font embedded; 501 "
                    "when no CJK font is installed)")
async def download_score_sheets(programme_id: IdPath, panel_id: IdPath, fmt: str, judge_id: IdQuery = None,
                                _: Principal = Depends(may(score_sheets.score_sheets)), c: Context = Depends(ctx)):
    try:
        d = await score_sheets.score_sheets(c.store, programme_id, panel_id, fmt, judge_id)
    except score_sheets.PdfUnavailable:
        return JSONResponse({"error": {"code": "not_implemented", "field": "fmt", "message": (
            "PDF is not offered on this server: no CJK font to embed is installed (Debian: fonts-noto-cjk); "
            "download the score sheets as docx instead")}}, status_code=501)
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"'})


# ---- judges at work -----------------------------------------------------------------------------------------------
@router.get("/programmes/{programme_id}/my/assignments", tags=["scores"],
            summary="The calling judge's nominees, criteria and own scores")
async def my_assignments(programme_id: IdPath, who: Principal = Depends(JUDGE), c: Context = Depends(ctx)):
    return await views.my_assignments(c.store, programme_id, scorer(who))


@router.post("/programmes/{programme_id}/nominations/{nomination_id}/recusal", tags=["scores"],
             summary="A judge declares a conflict with a nominee (回避申报)")
async def declare_conflict(programme_id: IdPath, nomination_id: IdPath, body: RecusalIn,
                           who: Principal = Depends(may(recusal.declare_conflict)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: recusal.declare_conflict(tx, programme_id, nomination_id, body, who))


@router.post("/programmes/{programme_id}/scores", tags=["scores"],
             summary="A judge enters or revises scores for one nominee, one per criterion")
async def enter_scores(programme_id: IdPath, body: ScoresIn, who: Principal = Depends(may(scores.enter_scores)),
                       c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: scores.enter_scores(tx, programme_id, body, who))


@router.get("/programmes/{programme_id}/nominations/{nomination_id}/scores", tags=["scores"],
            summary="Every judge's scores for a nominee, with every revision")
async def nominee_scores(programme_id: IdPath, nomination_id: IdPath, _: Principal = Depends(ORGANISER),
                         c: Context = Depends(ctx)):
    return await views.nominee_scores(c.store, programme_id, nomination_id)


# ---- indicator points and 随机点验 ----------------------------------------------------------------------------------
@router.put("/programmes/{programme_id}/nominations/{nomination_id}/indicators", tags=["indicators"],
            summary="Enter indicator points: basic 基础, business 业务, key tasks 重点")
async def enter_indicators(programme_id: IdPath, nomination_id: IdPath, body: IndicatorsIn,
                           _: Principal = Depends(may(indicators.enter_indicators)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: indicators.enter_indicators(tx, programme_id, nomination_id, body))


@router.post("/programmes/{programme_id}/indicators/import", tags=["indicators"],
             summary="Import indicator points from CSV or XLSX, one row per item (Chinese or English headers)")
async def import_indicators(programme_id: IdPath, file: UploadFile = File(...),
                            _: Principal = Depends(may(indicators_import.import_indicators)),
                            c: Context = Depends(ctx)):
    data = await file.read(MAX_TABLE_BYTES + 1)
    return await c.uow.run(lambda tx: indicators_import.import_indicators(tx, programme_id, file.filename or "",
                                                                          data))


@router.get("/programmes/{programme_id}/categories/{category_id}/indicators", tags=["indicators"],
            summary="The indicator points of a category's approved nominations, with their breakdown")
async def category_indicators(programme_id: IdPath, category_id: IdPath, _: Principal = Depends(ORGANISER),
                              c: Context = Depends(ctx)):
    return await views.category_indicators(c.store, programme_id, category_id)


@router.post("/programmes/{programme_id}/categories/{category_id}/spot-checks/commitment", tags=["indicators"],
             summary="Publish a spot-check draw's inputs before its seed exists (随机点验, docs/verify.md)")
async def commit_spot_draw(programme_id: IdPath, category_id: IdPath, body: SpotCommitIn,
                           _: Principal = Depends(may(indicators.commit_spot_draw)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: indicators.commit_spot_draw(tx, programme_id, category_id, body))


@router.get("/programmes/{programme_id}/categories/{category_id}/spot-checks/draw", tags=["indicators"],
            summary="The spot-check draw's public record: inputs, algorithm, seed and picks (public)")
async def public_spot_draw(programme_id: IdPath, category_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.svc.check_public_rate(request)
    return await views.public_spot_draw(c.store, programme_id, category_id)


@router.get("/programmes/{programme_id}/categories/{category_id}/spot-checks/draw.json", tags=["indicators"],
            summary="Download the draw's public record, for ./exemplar verify (public)")
async def download_spot_draw(programme_id: IdPath, category_id: IdPath, request: Request,
                             c: Context = Depends(ctx)):
    c.svc.check_public_rate(request)
    record = await views.public_spot_draw(c.store, programme_id, category_id)
    return JSONResponse(record, headers={
        "Content-Disposition": f'attachment; filename="spot-check-draw-{programme_id}-{category_id}.json"'})


@router.post("/programmes/{programme_id}/categories/{category_id}/spot-checks", tags=["indicators"],
             summary="Make the committed 随机点验 draw by revealing its seed, the announced public value")
async def draw_spot_checks(programme_id: IdPath, category_id: IdPath, body: SpotDrawIn,
                           _: Principal = Depends(may(indicators.draw_spot_checks)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: indicators.draw_spot_checks(tx, programme_id, category_id, body))


@router.get("/programmes/{programme_id}/categories/{category_id}/spot-checks", tags=["indicators"],
            summary="The spot-check draw and its results")
async def read_spot_checks(programme_id: IdPath, category_id: IdPath, _: Principal = Depends(ORGANISER),
                           c: Context = Depends(ctx)):
    return await views.read_spot_checks(c.store, programme_id, category_id)


@router.post("/programmes/{programme_id}/categories/{category_id}/spot-checks/results", tags=["indicators"],
             summary="Record the result of one spot check")
async def record_spot_result(programme_id: IdPath, category_id: IdPath, body: SpotResultIn,
                             _: Principal = Depends(may(indicators.record_spot_result)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: indicators.record_spot_result(tx, programme_id, category_id, body))


# ---- standings ----------------------------------------------------------------------------------------------------
@router.get("/programmes/{programme_id}/categories/{category_id}/standings", tags=["standings"],
            summary="Composite standings of a category, each with its explanation (public)")
async def read_standings(programme_id: IdPath, category_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.svc.check_public_rate(request)
    return await views.read_standings(c.store, programme_id, category_id)


@router.post("/programmes/{programme_id}/categories/{category_id}/recompute", status_code=202, tags=["standings"],
             summary="Ask for the category's standings to be recomputed")
async def ask_recompute(programme_id: IdPath, category_id: IdPath,
                        _: Principal = Depends(may(scoring_config.ask_recompute)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: scoring_config.ask_recompute(tx, programme_id, category_id))


@router.get("/stats", tags=["health"], summary="Counters of this replica")
async def read_stats(c: Context = Depends(ctx)):
    return {"recomputations": c.stats["recomputations"], "processed": c.svc.processed}


# ---- arena contests (擂台赛 / 大比武) -------------------------------------------------------------------------------
@router.post("/programmes/{programme_id}/arenas", status_code=201, tags=["arenas"],
             summary="Create an arena contest with ordered contestants and rounds")
async def create_arena(programme_id: IdPath, body: ArenaIn, _: Principal = Depends(may(arenas.create_arena)),
                       c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: arenas.create_arena(tx, programme_id, body))


@router.get("/programmes/{programme_id}/arenas", tags=["arenas"], summary="Arena contests of a programme (public)")
async def list_arenas(programme_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.svc.check_public_rate(request)
    return await views.list_arenas(c.store, programme_id)


@router.get("/arenas/{arena_id}", tags=["arenas"], summary="The arena board (frozen rounds hidden) (public)")
async def read_arena(arena_id: IdPath, request: Request, c: Context = Depends(ctx)):
    c.svc.check_public_rate(request)
    return await arenas.read_board(c.store, arena_id)


@router.post("/arenas/{arena_id}/scores", tags=["arenas"], summary="A judge scores a contestant's round, live")
async def arena_score(arena_id: IdPath, body: ArenaScoreIn, who: Principal = Depends(may(arenas.arena_score)),
                      c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: arenas.arena_score(tx, arena_id, body, who))


@router.post("/arenas/{arena_id}/freeze", tags=["arenas"],
             summary="Freeze the board from a round on: it and later rounds are hidden until revealed")
async def freeze(arena_id: IdPath, body: FreezeIn, _: Principal = Depends(may(arenas.freeze)),
                 c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: arenas.freeze(tx, arena_id, body))


@router.post("/arenas/{arena_id}/reveal", tags=["arenas"], summary="Reveal the frozen rounds (揭晓)")
async def reveal(arena_id: IdPath, _: Principal = Depends(may(arenas.reveal)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: arenas.reveal(tx, arena_id))


@router.post("/arenas/{arena_id}/close", tags=["arenas"], summary="Close the contest: scores can no longer change")
async def close_arena(arena_id: IdPath, _: Principal = Depends(may(arenas.close_arena)), c: Context = Depends(ctx)):
    return await c.uow.run(lambda tx: arenas.close_arena(tx, arena_id))


@router.get("/arena/{arena_id}/judge", response_class=HTMLResponse, tags=["arenas"],
            summary="The phone-sized scoring page for arena judges")
async def judge_form(arena_id: IdPath, c: Context = Depends(ctx)):
    arena = await arenas.get_arena(c.store, arena_id)
    return judge_page(arena_id, arena["name"])
