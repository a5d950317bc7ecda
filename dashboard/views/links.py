"""The organiser's sign-in links tab: issue links for the programme's units, members and judges, picked by name;
print them with QR codes, export them (.xlsx, CSV), list and revoke them."""
from __future__ import annotations

import base64
import csv
import html
import io
from datetime import datetime
from typing import Any

import openpyxl
import pandas as pd
import qrcode
import streamlit as st

from .. import signin, ui
from ..ui import call, lang, tr

TEXT: dict[str, tuple[str, str]] = {
    "links.tab": ("登录链接", "Sign-in links"),
    "links.units": ("申报单位联系人", "Unit contacts"),
    "links.members": ("党员", "Members"),
    "links.judges": ("评委", "Judges"),
    "links.hours": ("有效期（小时）", "Valid for (hours)"),
    "links.issue": ("生成登录链接", "Issue sign-in links"),
    "links.none_picked": ("请至少选择一人。", "Pick at least one person."),
    "links.issued": ("已生成 {n} 个登录链接，每个链接只能使用一次。请现在打印或导出：链接本身不会保存。",
                     "{n} sign-in links issued, each usable once. Print or export them now: the links themselves "
                     "are not stored."),
    "links.print": ("下载打印页（含二维码）", "Download the print sheet (with QR codes)"),
    "links.csv": ("导出 CSV", "Export CSV"),
    "links.xlsx": ("导出 Excel", "Export Excel"),
    "links.all": ("已发放的登录链接", "Issued sign-in links"),
    "links.revoke": ("撤销所选链接", "Revoke the chosen link"),
    "links.revoked": ("链接已撤销。", "The link is revoked."),
    "links.pick_revoke": ("选择要撤销的链接", "The link to revoke"),
    "links.no_judges": ("评审服务暂不可用，无法列出评委：{message}", "The judges cannot be listed: {message}"),
    "links.base": ("链接地址前缀：`{url}`（设置 `EXEMPLAR_DASHBOARD_URL` 可修改）",
                   "Links start with `{url}` (set `EXEMPLAR_DASHBOARD_URL` to change it)"),
    "links.choose": ("请选择（可输入名称搜索）", "Choose (type a name to search)"),
    "links.sheet_title": ("登录链接", "Sign-in links"),
    "links.sheet_hint": ("请用手机扫描二维码或在浏览器中打开链接登录；链接仅可使用一次，有效期至 {expires}。",
                         "Scan the QR code or open the link to sign in; it works once, until {expires}."),
    "col.name": ("姓名/单位", "Name"), "col.role": ("角色", "Role"), "col.expires": ("有效期至", "Valid until"),
    "col.url": ("登录链接", "Link"), "col.state": ("状态", "State"), "col.issued": ("发放时间", "Issued"),
    "state.open": ("未使用", "open"), "state.used": ("已使用", "used"), "state.expired": ("已过期", "expired"),
    "state.revoked": ("已撤销", "revoked"),
}


def t(key: str, language: str | None = None, **kw: Any) -> str:
    zh, en = TEXT[key]
    s = en if (language or lang()) == "en" else zh
    return s.format(**kw) if kw else s


# ---- pure shaping (tested without Streamlit) ----------------------------------------------------------------------

def _when(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value or "")


def link_rows(issued: list[dict], base_url: str, role_label, language: str) -> list[dict]:
    from shared.signin_links import link_url

    return [{t("col.name", language): x["name"], t("col.role", language): role_label(x["role"]),
             t("col.expires", language): _when(x["expires_at"]), t("col.url", language): link_url(base_url, x["token"])}
            for x in issued]


def export_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel opens UTF-8 CSV as GBK without it


def export_xlsx(rows: list[dict]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "signin-links"
    if rows:
        ws.append(list(rows[0]))
        for r in rows:
            ws.append(list(r.values()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def qr_data_uri(url: str) -> str:
    img = qrcode.make(url, box_size=4, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def print_sheet(rows: list[dict], title: str, hint: str, language: str) -> str:
    """One cut-out card per person (name, role, QR code, the link), A4, page breaks between cards kept whole."""
    cards = []
    for r in rows:
        url = r[t("col.url", language)]
        cards.append(
            f'<div class="card"><img src="{qr_data_uri(url)}" alt="QR"><div>'
            f'<h2>{html.escape(r[t("col.name", language)])}'
            f'</h2><p>{html.escape(r[t("col.role", language)])} · {html.escape(r[t("col.expires", language)])}</p>'
            f'<p class="hint">{html.escape(hint.format(expires=r[t("col.expires", language)]))}</p>'
            f'<p class="url">{html.escape(url)}</p></div></div>')
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title><style>"
            "@page{size:A4;margin:12mm}body{font-family:sans-serif}"
            ".card{display:flex;gap:12px;border:1px dashed #888;padding:10px;margin:0 0 8mm;break-inside:avoid}"
            ".card img{width:38mm;height:38mm}.card h2{margin:0 0 4px;font-size:16pt}.hint{font-size:10pt}"
            ".url{font-family:monospace;font-size:7pt;word-break:break-all;color:#444}"
            "</style></head><body><h1>" + html.escape(title) + "</h1>" + "".join(cards) + "</body></html>")


# ---- the tab ------------------------------------------------------------------------------------------------------

def _people(token: str, pid: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    ok, units = call("nominations", "GET", f"/programmes/{pid}/units", params={"flat": "true"})
    units = {u["unit_id"]: u.get("name") or u["unit_id"] for u in units} if ok else {}
    ok, page = call("nominations", "GET", f"/programmes/{pid}/members", token=token, params={"page_size": 1000})
    members = {m["member_id"]: m.get("name") or m["member_id"] for m in page["items"]} if ok else {}
    ok, judges = call("scoring", "GET", f"/programmes/{pid}/judges", token=token)
    if not ok:
        st.caption(t("links.no_judges", message=judges))
        judges = []
    judges = {(j.get("judge_id") or j["_id"]): j.get("name") or j.get("judge_id") or j["_id"] for j in judges}
    return units, members, judges


def _issue_form(token: str, pid: str) -> None:
    units, members, judges = _people(token, pid)
    with st.form("issue_links"):
        picked = {
            "unit": st.multiselect(t("links.units"), list(units), format_func=units.get, key="links_units",
                                   placeholder=t("links.choose")),
            "member": st.multiselect(t("links.members"), list(members), format_func=members.get, key="links_members",
                                   placeholder=t("links.choose")),
            "judge": st.multiselect(t("links.judges"), list(judges), format_func=judges.get, key="links_judges",
                                   placeholder=t("links.choose")),
        }
        hours = st.number_input(t("links.hours"), min_value=1, max_value=24 * 30, value=72, step=1, key="links_hours")
        go = st.form_submit_button(t("links.issue"), type="primary")
    if not go:
        return
    issue_links(token, pid, picked, {"unit": units, "member": members, "judge": judges}, hours)


def issue_links(token: str, pid: str, picked: dict[str, list[str]], names: dict[str, dict[str, str]], hours: int,
                key: str = "issued_links") -> None:
    """Issue sign-in links for the people picked ({role: [subject ids]}); kept for show_issued under `key`."""
    wanted = [{"role": role, signin.SUBJECT_CLAIMS[role]: sid, "name": names[role][sid]}
              for role, ids in picked.items() for sid in ids]
    if not wanted:
        st.warning(t("links.none_picked"))
        return
    ok, body = call("nominations", "POST", f"/programmes/{pid}/signin-links", token=token,
                    json={"links": wanted, "hours": hours})
    if ok:
        st.session_state[key] = body
    else:
        st.error(tr("pt.error", message=body))


def show_issued(language: str, key: str = "issued_links", prefix: str = "links") -> None:
    """The links just issued: shown once, to print (with QR codes) or export; widget keys start with `prefix`."""
    issued = st.session_state.get(key)
    if not issued:
        return
    rows = link_rows(issued, signin.dashboard_url(), signin.role_name, language)
    st.success(t("links.issued", n=len(rows)))
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
    cols = st.columns(3)
    sheet = print_sheet(rows, t("links.sheet_title"), t("links.sheet_hint"), language)
    cols[0].download_button(t("links.print"), sheet.encode("utf-8"), "signin-links.html", "text/html",
                            key=f"{prefix}_print")
    cols[1].download_button(t("links.csv"), export_csv(rows), "signin-links.csv", "text/csv", key=f"{prefix}_csv")
    cols[2].download_button(t("links.xlsx"), export_xlsx(rows), "signin-links.xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{prefix}_xlsx")
    with st.expander(t("links.sheet_title"), expanded=True):
        st.html(sheet)


def _list_and_revoke(token: str, pid: str) -> None:
    ok, links = call("nominations", "GET", f"/programmes/{pid}/signin-links", token=token)
    if not ok:
        st.error(tr("pt.error", message=links))
        return
    st.subheader(t("links.all"))
    if not links:
        st.caption(tr("app.no_data"))
        return
    st.dataframe(pd.DataFrame([{t("col.name"): x["name"], t("col.role"): signin.role_name(x["role"]),
                                t("col.state"): t(f"state.{x['state']}"), t("col.issued"): _when(x["issued_at"]),
                                t("col.expires"): _when(x["expires_at"])} for x in links]),
                 hide_index=True, use_container_width=True)
    open_links = {x["link_id"]: f"{x['name']}（{signin.role_name(x['role'])}，{_when(x['issued_at'])}）"
                  for x in links if x["state"] == "open"}
    if not open_links:
        return
    chosen = st.selectbox(t("links.pick_revoke"), list(open_links), format_func=open_links.get, key="links_revoke")
    if st.button(t("links.revoke"), key="links_revoke_go"):
        ok, body = call("nominations", "POST", f"/programmes/{pid}/signin-links/{chosen}/revoke", token=token)
        ui.show_result(ok, body, t("links.revoked"))


def links_tab(token: str) -> None:
    prog = ui.programme_picker("links_programme")
    if prog is None:
        return
    st.caption(t("links.base", url=signin.dashboard_url()))
    _issue_form(token, prog["_id"])
    show_issued(lang())
    _list_and_revoke(token, prog["_id"])

