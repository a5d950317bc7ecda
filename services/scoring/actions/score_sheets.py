"""Score sheets for signature (评分表) of a panel: each judge's nominees, criteria and the scores entered so far,
as .docx or PDF."""
from __future__ import annotations

from shared.documents import DOCX, PDF, Download, NoCjkFont
from shared.errors import Conflict, NotFound

from ..documents import JudgeSheet, ScoreSheets, score_sheets_docx, score_sheets_pdf
from ..store import Doc, ScoringStore
from .common import allowed, get_category, get_judge, get_panel, get_programme

FORMATS = {"docx": (score_sheets_docx, DOCX), "pdf": (score_sheets_pdf, PDF)}


class PdfUnavailable(Exception):
    """PDF is not offered: no CJK font to embed is installed (the route answers 501)."""


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


async def _sheet(store: ScoringStore, judge: Doc, assignments: list[Doc], criteria: list[Doc]) -> JudgeSheet:
    rows = []
    for n, a in enumerate(assignments, start=1):
        nom = await store.nomination(a["nomination_id"], judge["programme_id"]) or {}
        scores = []
        for c in criteria:
            found = await store.score(f"{a['nomination_id']}:{judge['judge_id']}:{c['criterion_id']}")
            scores.append(found["score"] if found else None)
        total = sum(scores) if scores and None not in scores else None
        rows.append((str(n), nom.get("nominee_name", a["nomination_id"]), nom.get("unit_name", ""),
                     *(_points(v) for v in scores), _points(total)))
    return JudgeSheet(judge["name"], judge.get("title", ""), rows)


@allowed("organiser")
async def score_sheets(store: ScoringStore, programme_id: str, panel_id: str, fmt: str,
                       judge_id: str | None = None) -> Download:
    """One sheet per judge of the panel with nominees assigned (recused ones left out), or only `judge_id`'s.

    Refused: format not docx or pdf (404, fmt), unknown programme or panel (404), judge not on the panel (404,
    judge_id), no nominee assigned yet (409, panel_id); PdfUnavailable without a CJK font."""
    if fmt not in FORMATS:
        raise NotFound(f"fmt: score sheets come as docx or pdf, not {fmt}", field="fmt")
    prog = await get_programme(store, programme_id)
    panel = await get_panel(store, programme_id, panel_id)
    cat = get_category(prog, panel["category_id"])
    if judge_id is not None:
        await get_judge(store, programme_id, judge_id)
        if judge_id not in panel["judge_ids"]:
            raise NotFound(f"judge {judge_id} is not on panel {panel['name']}", field="judge_id")
    active = [a for a in await store.assignments_of_panel(programme_id, panel_id) if not a["recused"]]
    judges = [j for j in await store.judges(programme_id, panel["judge_ids"]) if judge_id in (None, j["judge_id"])]
    judges.sort(key=lambda j: panel["judge_ids"].index(j["judge_id"]))
    sheets = []
    for j in judges:
        mine = [a for a in active if a["judge_id"] == j["judge_id"]]
        if mine:
            sheets.append(await _sheet(store, j, mine, cat["criteria"]))
    if not sheets:
        raise Conflict(f"no nominee is assigned to {'this judge' if judge_id else 'panel ' + panel['name']} yet: "
                       "assign the panel first", field="judge_id" if judge_id else "panel_id", code="nothing_assigned")
    text = ScoreSheets(title=f"{prog.get('name', programme_id)} · {cat['name']} 评分表", panel_name=panel["name"],
                       criteria=[f"{c['name']}（{c['max_points']:g}分）" for c in cat["criteria"]],
                       locked=bool(panel.get("locked")), judges=sheets)
    render, media_type = FORMATS[fmt]
    try:
        content = render(text)
    except NoCjkFont as missing:
        raise PdfUnavailable(str(missing)) from missing
    suffix = f"-{judge_id}" if judge_id else ""
    return Download(content, media_type, f"score-sheets-{panel_id}{suffix}.{fmt}")
