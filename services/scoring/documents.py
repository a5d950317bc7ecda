"""Score sheets for signature (评分表): one per judge of a panel, with the judge's nominees, the category's criteria
and their maximum points, the scores entered so far (blank where none), and the lines to sign. As .docx
(python-docx) and PDF (the CJK font embedded as a subset: shared.documents)."""
from __future__ import annotations

from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm

from shared.documents import CjkPdf, cjk_run, docx_bytes

SIGNATURE = "评委签字：____________________　　日期：______年____月____日"


@dataclass(frozen=True)
class JudgeSheet:
    judge_name: str
    judge_title: str
    rows: list[tuple[str, ...]]  # 序号, 名称, 所在单位, one score per criterion ("" when none), 合计


@dataclass(frozen=True)
class ScoreSheets:
    title: str  # e.g. 2026年度创先争优评选 · 模范机关 评分表
    panel_name: str
    criteria: list[str]  # 政治建设强（20分）, ...
    locked: bool
    judges: list[JudgeSheet]

    def headers(self) -> tuple[str, ...]:
        return ("序号", "名称", "所在单位", *self.criteria, "合计")

    def byline(self, sheet: JudgeSheet) -> str:
        title = f"（{sheet.judge_title}）" if sheet.judge_title else ""
        state = "　评审组已锁定" if self.locked else ""
        return f"评审组：{self.panel_name}　　评委：{sheet.judge_name}{title}{state}"


def score_sheets_docx(s: ScoreSheets) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for i, sheet in enumerate(s.judges):
        heading = doc.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if i:
            heading.add_run().add_break(WD_BREAK.PAGE)  # each judge's sheet on its own page, signed apart
        cjk_run(heading.add_run(s.title), 16, bold=True)
        cjk_run(doc.add_paragraph().add_run(s.byline(sheet)), 11)
        table = doc.add_table(rows=1, cols=len(s.headers()))
        table.style = "Table Grid"
        for cell, label in zip(table.rows[0].cells, s.headers()):
            cjk_run(cell.paragraphs[0].add_run(label), 10, bold=True)
        for row in sheet.rows:
            for cell, value in zip(table.add_row().cells, row):
                cjk_run(cell.paragraphs[0].add_run(value), 10)
        doc.add_paragraph()
        sign = doc.add_paragraph()
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        cjk_run(sign.add_run(SIGNATURE), 12)
    return docx_bytes(doc)


def score_sheets_pdf(s: ScoreSheets) -> bytes:
    pdf = CjkPdf(s.title, "exemplar scoring", orientation="L")
    n = len(s.criteria)
    # Landscape A4 leaves 257 mm: number, name and unit, then the criteria share what is left with the total.
    widths = (10, 48, 40, *([max(16, (257 - 10 - 48 - 40 - 18) // max(n, 1))] * n), 18)
    for i, sheet in enumerate(s.judges):
        if i:
            pdf.add_page()
        pdf.heading(s.title)
        pdf.para(s.byline(sheet), size=11)
        pdf.grid(s.headers(), sheet.rows, widths, size=9)
        pdf.ln(6)
        pdf.para(SIGNATURE, align="R")
    return pdf.bytes()
