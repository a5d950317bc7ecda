"""Reading an uploaded table (CSV in UTF-8 or GB18030, or the first sheet of an XLSX workbook) into rows, and
finding the known columns by their English or Chinese header names. Refusals name the field `file`."""
from __future__ import annotations

import csv
import io
from typing import Any

from shared.errors import Invalid

MAX_TABLE_BYTES = 12 * 1024 * 1024
MAX_TABLE_MB = MAX_TABLE_BYTES // (1024 * 1024)


def read_table(filename: str, data: bytes) -> list[list[Any]]:
    if len(data) > MAX_TABLE_BYTES:
        raise Invalid(f"the file is larger than {MAX_TABLE_MB} MB", field="file", code="file_too_large",
                      params={"mb": MAX_TABLE_MB})
    name = filename.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise Invalid("the file is not a readable XLSX workbook", field="file", code="file_unreadable") from None
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        return rows
    if name.endswith(".csv"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.reader(io.StringIO(data.decode(enc))))
            except UnicodeDecodeError:
                continue
        raise Invalid("the CSV file must be UTF-8 or GB18030 text", field="file", code="csv_encoding")
    raise Invalid("the file must be .csv or .xlsx", field="file", code="table_type")


def normal_header(h: Any) -> str:
    """A header as typed: without a byte-order mark, spaces, underscores, brackets or a trailing colon; lower case."""
    text = str(h or "").replace("\ufeff", "").strip().lower()
    for ch in " _\u3000()（）[]【】:：*":
        text = text.replace(ch, "")
    return text


def header_positions(header: list[Any], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Column positions of the wanted fields found in the header row (the first alias present wins)."""
    names = [normal_header(h) for h in header]
    pos: dict[str, int] = {}
    for field_name, aliases in wanted.items():
        for a in aliases:
            if normal_header(a) in names:
                pos[field_name] = names.index(normal_header(a))
                break
    return pos


def cell(row: list[Any], pos: dict[str, int], key: str) -> str:
    """A cell as text (an integral float as an integer), '' when the column or the value is missing."""
    i = pos.get(key)
    if i is None or i >= len(row) or row[i] is None:
        return ""
    v = row[i]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()
