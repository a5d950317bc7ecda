"""Downloads of a notice: .docx (python-docx) and .xlsx (openpyxl). They carry only what the public notice shows."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
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
