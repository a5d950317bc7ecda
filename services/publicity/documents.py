"""Downloads of a notice and of the honours list: .docx (python-docx), .xlsx (openpyxl) and PDF (fpdf2 with an
embedded CJK subset). They carry only what the public notice and the public honours list show."""
from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from shared.documents import CJK_FONT_FILES, CjkPdf, NoCjkFont, cjk_font, cjk_run

from .domain import NoticeText

__all__ = ["CJK_FONT_FILES", "NoCjkFont", "cjk_font"]  # re-exported: publicity's actions and deploy read them here


def notice_docx(text: NoticeText, extra_rows: list[tuple[int, str, str, str]] | None = None) -> bytes:
    doc = Document()
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cjk_run(heading.add_run(text.title), 18, bold=True)
    cjk_run(doc.add_paragraph().add_run(text.intro), 12)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("序号", "名称", "所在单位")):
        cjk_run(cell.paragraphs[0].add_run(label), 12, bold=True)
    for n, name, unit in text.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, (str(n), name, unit)):
            cjk_run(cell.paragraphs[0].add_run(value), 12)
    for para in (text.period, text.objections, text.warning, text.contact):
        if para:
            cjk_run(doc.add_paragraph().add_run(para), 12)
    for line in (text.issuer, text.dated):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        cjk_run(p.add_run(line), 12)
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
    cjk_run(heading.add_run(text.title), 18, bold=True)
    table = doc.add_table(rows=1, cols=len(HONOUR_HEADERS))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, HONOUR_HEADERS):
        cjk_run(cell.paragraphs[0].add_run(label), 11, bold=True)
    for row in text.rows:
        for cell, value in zip(table.add_row().cells, row):
            cjk_run(cell.paragraphs[0].add_run(value), 11)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---- PDF (the CJK font embedded: shared.documents) ---------------------------------------------------------

def notice_pdf(text: NoticeText) -> bytes:
    pdf = CjkPdf(text.title, "exemplar publicity")
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
    pdf = CjkPdf(text.title, "exemplar publicity")
    pdf.heading(text.title)
    pdf.grid(HONOUR_HEADERS[:6], [row[:6] for row in text.rows], (8, 28, 34, 30, 12, 20), size=10)
    revoked = [row for row in text.rows if row[6]]
    for row in revoked:
        pdf.para(f"{row[2]}（{row[1]}）已撤销：{row[6]}", size=10)
    return pdf.bytes()
