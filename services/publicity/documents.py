"""Downloads of a notice and of the honours list: .docx (python-docx), .xlsx (openpyxl) and PDF (fpdf2 with an
embedded CJK subset). They carry only what the public notice and the public honours list show."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl.styles import Alignment, Font

from .domain import NoticeText

CJK_FONT = "宋体"


def _cjk(run, size: float | None = None, bold: bool = False) -> None:
    run.font.name = CJK_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def notice_docx(text: NoticeText, extra_rows: list[tuple[int, str, str, str]] | None = None) -> bytes:
    doc = Document()
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _cjk(heading.add_run(text.title), 18, bold=True)
    _cjk(doc.add_paragraph().add_run(text.intro), 12)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("序号", "名称", "所在单位")):
        _cjk(cell.paragraphs[0].add_run(label), 12, bold=True)
    for n, name, unit in text.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, (str(n), name, unit)):
            _cjk(cell.paragraphs[0].add_run(value), 12)
    for para in (text.period, text.objections, text.warning, text.contact):
        if para:
            _cjk(doc.add_paragraph().add_run(para), 12)
    for line in (text.issuer, text.dated):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _cjk(p.add_run(line), 12)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def notice_xlsx(text: NoticeText, *, starts: str, ends: str, statuses: dict[str, str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "公示名单"
    ws.append([text.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:D1")
    ws.append(["公示开始", starts, "公示截止", ends])
    ws.append([])
    ws.append(["序号", "名称", "所在单位", "状态"])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    statuses = statuses or {}
    for n, name, unit in text.rows:
        ws.append([n, name, unit, statuses.get(name, "公示中")])
    ws.append([])
    for para in (text.period, text.objections, text.warning, text.contact, text.issuer, text.dated):
        if para:
            ws.append([para])
            ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 36
    ws.column_dimensions["D"].width = 16
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- honours list ---------------------------------------------------------------------------------------------

HONOUR_HEADERS = ("序号", "荣誉称号", "名称", "所在单位", "状态", "确认日期", "撤销原因")


@dataclass(frozen=True)
class HonoursText:
    title: str
    rows: list[tuple[str, ...]]  # one per honour, in HONOUR_HEADERS order


def honours_xlsx(text: HonoursText) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "表彰名单"
    ws.append([text.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(list(HONOUR_HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in text.rows:
        ws.append(list(row))
    for col, width in zip("ABCDEFG", (8, 30, 30, 30, 10, 16, 30)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def honours_docx(text: HonoursText) -> bytes:
    doc = Document()
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _cjk(heading.add_run(text.title), 18, bold=True)
    table = doc.add_table(rows=1, cols=len(HONOUR_HEADERS))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, HONOUR_HEADERS):
        _cjk(cell.paragraphs[0].add_run(label), 11, bold=True)
    for row in text.rows:
        for cell, value in zip(table.add_row().cells, row):
            _cjk(cell.paragraphs[0].add_run(value), 11)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---- PDF --------------------------------------------------------------------------------------------------------

# Debian's fonts-noto-cjk (.ci/run installs it): (file, face of the collection). Face 2 is Simplified Chinese (SC).
# Serif first: official notices are set in a Song face (宋体). EXEMPLAR_PDF_FONT names another OpenType/TrueType file.
CJK_FONT_FILES = (("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
                  ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
                  ("/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc", 2),
                  ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2))


class NoCjkFont(Exception):
    """No CJK font is installed to embed in a PDF."""


def cjk_font() -> tuple[str, int]:
    """The CJK font to embed: (path, face). Raises NoCjkFont when none is installed."""
    chosen = os.environ.get("EXEMPLAR_PDF_FONT")
    candidates = ((chosen, 0),) if chosen else CJK_FONT_FILES
    for path, face in candidates:
        if Path(path).is_file():
            return path, face
    raise NoCjkFont(chosen or "fonts-noto-cjk")


class _Pdf(FPDF):
    """A4 portrait with the CJK font embedded as a subset (only the glyphs used), page numbers in the footer."""

    def __init__(self, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        path, face = cjk_font()
        # ~2-3 s on this 2-core machine: fontTools reads the collection's cmap (65k glyphs) once per document.
        self.add_font("cjk", "", path, collection_font_number=face)
        self.set_title(title)
        self.set_creator("exemplar publicity")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(20, 20, 20)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=9)
        self.cell(0, 6, f"第 {self.page_no()} 页", align="C")

    def heading(self, text: str) -> None:
        self.set_font("cjk", size=18)
        self.multi_cell(0, 11, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def para(self, text: str, align: str = "J", size: float = 12) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(0, 7.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def grid(self, headers: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...],
             size: float = 11) -> None:
        self.set_font("cjk", size=size)
        # One face embedded (no bold: a second CJK face doubles the time), so headings are shaded, not bold.
        heading = FontFace(emphasis="", fill_color=(235, 235, 235))
        with self.table(col_widths=widths, text_align="LEFT", line_height=7, headings_style=heading) as table:
            table.row(headers)
            for row in rows:
                table.row(tuple(str(v) for v in row))
        self.ln(3)

    def bytes(self) -> bytes:
        return bytes(self.output())


def notice_pdf(text: NoticeText) -> bytes:
    pdf = _Pdf(text.title)
    pdf.heading(text.title)
    pdf.para(text.intro)
    pdf.grid(("序号", "名称", "所在单位"), [(str(n), name, unit) for n, name, unit in text.rows], (12, 44, 44))
    for para in (text.period, text.objections, text.warning, text.contact):
        if para:
            pdf.para(para)
    pdf.ln(6)
    for line in (text.issuer, text.dated):
        pdf.para(line, align="R")
    return pdf.bytes()


def honours_pdf(text: HonoursText) -> bytes:
    pdf = _Pdf(text.title)
    pdf.heading(text.title)
    pdf.grid(HONOUR_HEADERS[:6], [row[:6] for row in text.rows], (8, 28, 34, 30, 12, 20), size=10)
    revoked = [row for row in text.rows if row[6]]
    for row in revoked:
        pdf.para(f"{row[2]}（{row[1]}）已撤销：{row[6]}", size=10)
    return pdf.bytes()
