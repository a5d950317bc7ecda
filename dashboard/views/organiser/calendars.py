"""节假日安排 (shown in the 公示 tab): the years whose holiday arrangement the publicity service knows, from the
shipped `chinese_calendar` data or an upload, and the upload of a new year's arrangement (JSON or YAML: year,
holidays, workdays — the State Council's notice each winter) that the notices' working days are then counted on."""
from __future__ import annotations

from datetime import date

import streamlit as st

from ... import refusals
from ...ui import lang
from .common import field_error, flash, local_error, request, submit
from .text import t

FIELDS = ("file", "year", "holidays", "workdays")
MIMES = {"json": "application/json", "yaml": "application/yaml", "yml": "application/yaml"}
EXAMPLE = """year: 2027
holidays:            # 放假日期：单日、"起..止" 或 {from, to}
  - 2027-01-01
  - 2027-02-05..2027-02-11
workdays:            # 调休上班的周六、周日
  - 2027-02-13
"""


def years_shown(today: date) -> list[int]:
    """The years a notice opened now could fall in, and the one before for reference."""
    return list(range(today.year - 1, today.year + 3))


def calendars_section(token: str) -> None:
    st.markdown(f"#### {t('pb.cal')}")
    rows = []
    for year in years_shown(date.today()):
        ok, body, _ = request("publicity", "GET", f"/calendars/{year}", token)
        source = t("pb.cal.upload" if body.get("source") == "upload" else "pb.cal.package") if ok else t(
            "pb.cal.unknown")
        rows.append({t("pb.cal.year"): year, t("pb.cal.source"): source,
                     t("pb.cal.holidays"): len(body.get("holidays", [])) if ok else "",
                     t("pb.cal.workdays"): len(body.get("workdays", [])) if ok else ""})
    st.dataframe(rows, hide_index=True, use_container_width=True)
    _upload(token)


def _upload(token: str) -> None:
    result = flash("calendar", FIELDS)
    if result:
        st.info(t("pb.cal.loaded", year=result.get("year"), holidays=result.get("holidays"),
                  workdays=result.get("workdays")))
    with st.expander(t("pb.cal.format")):
        st.code(EXAMPLE, language="yaml")
    up = st.file_uploader(t("pb.cal.file"), type=list(MIMES), key="org_cal_file")
    for field in FIELDS:
        field_error("calendar", field)
    if st.button(t("pb.cal.go"), key="org_cal_go"):
        if up is None:
            local_error("calendar", "file", refusals.local("file", "check.missing", lang()))
            st.rerun()
        ext = up.name.rsplit(".", 1)[-1].lower()
        submit("calendar", "publicity", "POST", "/calendars", token,
               files=[("file", (up.name, up.getvalue(), MIMES.get(ext, "application/octet-stream")))])
        st.rerun()
