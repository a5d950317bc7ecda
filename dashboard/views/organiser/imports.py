"""Imports of the organisation tree and the roll from CSV or XLSX (Chinese or English headers, UTF-8 or GB18030):
a preview of the first rows, then the service's answer with the bad rows listed by line."""
from __future__ import annotations

import csv
import io

import pandas as pd
import streamlit as st

from .common import flash, import_result, submit
from .text import t

KINDS = {"units": "im.units", "members": "im.members"}


def imports_tab(prog: dict, token: str) -> None:
    for kind, label in KINDS.items():
        st.markdown(f"#### {t(label)}")
        st.caption(t(f"{label}.help"))
        result = flash(f"import_{kind}", ("file",))
        if result is None:
            result = st.session_state.get(f"_last_import_{kind}")
        f = st.file_uploader(t("im.file"), type=["csv", "xlsx"], key=f"org_im_{kind}")
        if f is not None:
            rows = preview(f.name, f.getvalue())
            if rows:
                st.dataframe(pd.DataFrame(rows[1:6], columns=[str(h) for h in rows[0]]), hide_index=True)
                st.caption(t("im.rows", n=len(rows) - 1))
            if st.button(t("im.go"), key=f"org_im_go_{kind}", type="primary"):
                ok = submit(f"import_{kind}", "nominations", "POST", f"/programmes/{prog['_id']}/{kind}/import",
                            token, files=[("file", (f.name, f.getvalue(), "application/octet-stream"))])
                if ok:
                    st.session_state[f"_last_import_{kind}"] = st.session_state.get(f"_ok_import_{kind}")
                st.rerun()
        if result:
            import_result(result, "im")


def preview(filename: str, content: bytes) -> list[list]:
    """The table as the service will read it (the service decides; this only shows the first rows)."""
    try:
        if filename.lower().endswith(".xlsx"):
            import openpyxl

            ws = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
            return [list(r) for _, r in zip(range(50), ws.iter_rows(values_only=True))]
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.reader(io.StringIO(content.decode(enc))))
            except UnicodeDecodeError:
                continue
    except Exception as exc:  # a broken file: the service's refusal says why; the preview only says it cannot show
        st.warning(t("im.no_preview", error=type(exc).__name__))
    return []
