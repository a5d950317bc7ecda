"""The printable downloads on the fakes, no server: the notice and the honours list as PDF with the CJK font embedded
(the text extracts with pdftotext), the honours list as .xlsx and .docx, and a clear refusal without a CJK font."""
from __future__ import annotations

import io
import shutil
import subprocess

import docx
import openpyxl
import pytest

from services.publicity.actions import closing, documents, honours
from services.publicity.commands import RevokeIn
from shared.errors import NotFound
from tests.publicity.helpers import PID
from tests.publicity.test_actions_honours import ORG, sh
from tests.publicity.test_actions_honours import world as world  # noqa: F401 (the fixture)

NAMES = ("市发展和改革委员会机关", "市财政局机关", "市教育局机关")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: install poppler-utils (.ci/run does)")
    out = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())  # a table cell may wrap a long name over two lines


def embedded_fonts(content: bytes) -> str:
    return subprocess.run(["pdffonts", "-"], input=content, capture_output=True).stdout.decode() if shutil.which(
        "pdffonts") else ""


async def confirmed_and_one_revoked(world) -> None:
    """Close the notice (nom-a and nom-c confirmed, nom-b blocked by its objection), then revoke nom-c's honour."""
    ctx, _, uow, clock = world
    clock.t = sh(2025, 10, 9, 17, 30)
    assert await closing.close_due(ctx) == 1
    await honours.revoke(ctx, ORG, "h-nom-c", RevokeIn(reason="复查发现弄虚作假"))
    uow.events.clear()


class TestNoticePdf:
    async def test_the_notice_prints_with_its_chinese_names_and_dates(self, world):
        ctx, store, uow, _ = world
        d = await documents.notice_document(ctx, next(iter(store.notice_docs)), "pdf")
        assert d.media_type == "application/pdf" and d.filename.endswith(".pdf")
        text = pdf_text(d.content)
        assert "关于2025年度“模范机关”评选结果的公示" in text
        assert all(name in text for name in NAMES)
        assert "2025年9月26日至2025年10月9日" in text
        fonts = embedded_fonts(d.content)
        assert not fonts or ("CJK" in fonts and " yes yes " in fonts)  # embedded, as a subset
        assert uow.events == []

    async def test_without_a_cjk_font_pdf_is_declined(self, world, monkeypatch):
        ctx, store, _, _ = world
        monkeypatch.setenv("EXEMPLAR_PDF_FONT", "/nonexistent/font.otf")
        with pytest.raises(documents.PdfUnavailable):
            await documents.notice_document(ctx, next(iter(store.notice_docs)), "pdf")


class TestHonoursList:
    async def test_pdf_lists_the_confirmed_and_the_revoked_with_its_reason(self, world):
        await confirmed_and_one_revoked(world)
        d = await documents.honours_document(world[0], PID, None, "pdf")
        text = pdf_text(d.content)
        assert "2025年度创先争优评选表彰名单" in text and "2025年度模范机关" in text
        assert "市发展和改革委员会机关" in text and "市教育局机关" in text and "市财政局机关" not in text
        assert "已撤销" in text and "复查发现弄虚作假" in text

    async def test_xlsx_and_docx_carry_the_same_rows(self, world):
        await confirmed_and_one_revoked(world)
        x = await documents.honours_document(world[0], PID, None, "xlsx")
        rows = list(openpyxl.load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
        assert rows[2][:5] == ("序号", "荣誉称号", "名称", "所在单位", "状态")
        assert [r[2] for r in rows[3:]] == ["市发展和改革委员会机关", "市教育局机关"]
        assert [r[4] for r in rows[3:]] == ["有效", "已撤销"] and rows[4][6] == "复查发现弄虚作假"
        w = await documents.honours_document(world[0], PID, "confirmed", "docx")
        cells = [c.text for row in docx.Document(io.BytesIO(w.content)).tables[0].rows for c in row.cells]
        assert "市发展和改革委员会机关" in cells and "市教育局机关" not in cells

    async def test_an_unknown_format_names_the_field(self, world):
        with pytest.raises(NotFound) as caught:
            await documents.honours_document(world[0], PID, None, "odt")
        assert caught.value.field == "fmt"
