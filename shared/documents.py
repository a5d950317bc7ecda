"""What the services' printable documents share: Chinese text in python-docx runs, and PDFs (fpdf2) with a CJK
font embedded as a subset so their text extracts and prints. Publicity's notices and honours lists and scoring's
score sheets (评分表) are built on these."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn
from docx.shared import Pt
from fpdf import FPDF
from fpdf.fonts import FontFace

CJK_FONT = "宋体"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


@dataclass(frozen=True)
class Download:
    """A document to send as an attachment."""
    content: bytes
    media_type: str
    filename: str

# Debian's fonts-noto-cjk (.ci/run installs it): (file, face of the collection). Face 2 is Simplified Chinese (SC).
# Serif first: official documents are set in a Song face (宋体). EXEMPLAR_PDF_FONT names another OpenType/TrueType file.
CJK_FONT_FILES = (("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
                  ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
                  ("/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc", 2),
                  ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2))


def cjk_run(run: Any, size: float | None = None, bold: bool = False) -> None:
    """A python-docx run set in the CJK face (Word needs the East Asian font named apart)."""
    run.font.name = CJK_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def docx_bytes(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


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


class CjkPdf(FPDF):
    """A4 with the CJK font embedded as a subset (only the glyphs used), page numbers in the footer."""

    def __init__(self, title: str, creator: str = "exemplar", orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        path, face = cjk_font()
        # ~2-3 s on this 2-core machine: fontTools reads the collection's cmap (65k glyphs) once per document.
        self.add_font("cjk", "", path, collection_font_number=face)
        self.set_title(title)
        self.set_creator(creator)
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
