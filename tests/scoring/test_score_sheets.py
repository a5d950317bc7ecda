"""Score sheets for signature (评分表) on the in-memory store, no server: one sheet per judge with the judge's
nominees, the criteria and their maximum points, the scores entered so far and the lines to sign; the .docx opened
with python-docx, the PDF read back with pdftotext (the CJK font embedded); the refusals name their field; the
route answers with an attachment to organisers only."""
from __future__ import annotations

import io
import re

import docx
import httpx
import pytest

from services.scoring.actions import assignment, score_sheets, scores
from services.scoring.app import create_service
from services.scoring.models import ScoresIn
from shared.errors import Conflict, NotFound
from shared.settings import Settings
from tests.publicity.test_documents import embedded_fonts, pdf_text
from tests.scoring.fixtures import CAT, NOMINEES, P, sheet
from tests.scoring.world import PANEL, judge, settle, with_panel
from tests.support import auth


async def assigned_and_scored():
    """Six judges, K=2, auto-assigned; 刘芳 (j-wjw, of 市卫健委) is kept off 市卫健委机关党支部 by the tree, and she
    scores her first nominee."""
    uow = await with_panel(min_judges=2)
    await uow.run(lambda tx: assignment.auto_assign(tx, P, PANEL, None))
    mine = sorted(a["nomination_id"] for a in uow.store.assignment_docs.values() if a["judge_id"] == "j-wjw")
    await uow.run(lambda tx: scores.enter_scores(tx, P, ScoresIn(nomination_id=mine[0], scores=sheet(90)),
                                                 judge("j-wjw")))
    return settle(uow), mine


def docx_text(content: bytes) -> tuple[str, list[list[list[str]]]]:
    d = docx.Document(io.BytesIO(content))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    return "\n".join(p.text for p in d.paragraphs), tables


class TestScoreSheets:
    async def test_the_docx_has_one_sheet_per_judge_with_her_nominees_and_scores(self):
        uow, mine = await assigned_and_scored()
        d = await score_sheets.score_sheets(uow.store, P, PANEL, "docx")
        assert d.filename == f"score-sheets-{PANEL}.docx" and d.media_type.endswith("wordprocessingml.document")
        text, tables = docx_text(d.content)
        assert text.count("2026年度创先争优评选 · 先锋红旗党支部 评分表") == 6  # six judges, each assigned
        assert "评委：刘芳" in text and text.count("评委签字：") == 6
        liu = tables[[i for i, line in enumerate(re.findall(r"评委：(\S+)", text))
                      if line.startswith("刘芳")][0]]
        assert liu[0] == ["序号", "名称", "所在单位", "政治功能强（20分）", "支部班子强（30分）", "党员队伍强（50分）",
                          "合计"]
        names = [row[1] for row in liu[1:]]
        assert names == [NOMINEES[n][2] for n in mine] and "市卫健委机关党支部" not in names  # recused by the tree
        assert liu[1][3:] == ["18", "27", "45", "90"]  # what she entered, and the total
        assert all(cell == "" for row in liu[2:] for cell in row[3:])  # blank where nothing was entered yet
        assert uow.events == []

    async def test_the_pdf_text_extracts_in_chinese(self):
        uow, mine = await assigned_and_scored()
        d = await score_sheets.score_sheets(uow.store, P, PANEL, "pdf", judge_id="j-wjw")
        text = pdf_text(d.content)
        assert d.filename == f"score-sheets-{PANEL}-j-wjw.pdf"
        assert "2026年度创先争优评选·先锋红旗党支部评分表" in text
        assert "评审组：先锋红旗党支部评审组" in text and "评委：刘芳" in text and "评委：张秀英" not in text
        assert "政治功能强（20分）" in text and "评委签字" in text and NOMINEES[mine[0]][2] in text
        assert "18274590" in text  # her scores and their total, in the row of her nominee
        fonts = embedded_fonts(d.content)
        assert not fonts or ("CJK" in fonts and " yes yes " in fonts)  # embedded, as a subset

    async def test_refusals_name_their_field(self):
        uow, _ = await assigned_and_scored()
        fresh = await with_panel()
        cases = [(uow.store, PANEL, "xlsx", None, NotFound, "fmt"),
                 (uow.store, "panel-none", "pdf", None, NotFound, "panel_id"),
                 (uow.store, PANEL, "docx", "j-none", NotFound, "judge_id"),
                 (fresh.store, PANEL, "docx", None, Conflict, "panel_id"),  # formed, not assigned yet
                 (fresh.store, PANEL, "docx", "j-fgw", Conflict, "judge_id")]
        for store, panel, fmt, who, error, field in cases:
            with pytest.raises(error) as info:
                await score_sheets.score_sheets(store, P, panel, fmt, who)
            assert info.value.field == field, (panel, fmt, who)

    async def test_without_a_cjk_font_pdf_is_declined(self, monkeypatch):
        uow, _ = await assigned_and_scored()
        monkeypatch.setenv("EXEMPLAR_PDF_FONT", "/nonexistent/font.otf")
        with pytest.raises(score_sheets.PdfUnavailable):
            await score_sheets.score_sheets(uow.store, P, PANEL, "pdf")


async def test_the_route_sends_an_attachment_to_organisers_only():
    uow, _ = await assigned_and_scored()
    settings = Settings()
    svc = create_service(settings)
    svc.api.state.scoring.store = uow.store  # the routes read through the context's store: the in-memory one
    path = f"/programmes/{P}/panels/{PANEL}/score-sheets"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.api), base_url="http://scoring") as http:
        ok = await http.get(f"{path}/docx", headers=auth(settings, "organiser"))
        bad = await http.get(f"{path}/odt", headers=auth(settings, "organiser"))
        other = await http.get(f"{path}/docx", headers=auth(settings, "judge"))
    assert ok.status_code == 200 and ok.headers["content-disposition"] == \
        f'attachment; filename="score-sheets-{PANEL}.docx"'
    assert "评委签字" in docx_text(ok.content)[0]
    assert (bad.status_code, bad.json()["error"]["field"]) == (404, "fmt")
    assert other.status_code == 403
    assert CAT in {a["category_id"] for a in uow.store.assignment_docs.values()}
