"""The documents voting hands out: the printed credential sheet (HTML with QR codes) and the tally workbook."""
from __future__ import annotations

import base64
import html
import io

import qrcode

from . import domain
from .actions.credentials import CredentialSheet


def _qr(round_id: str, credential: str) -> str:
    img = qrcode.make(f"exemplar-ballot:{round_id}:{credential}", box_size=4, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return f'<img alt="QR" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def credential_page(sheet: CredentialSheet) -> str:
    cells = []
    for line in sheet.lines:
        qr = _qr(sheet.round_id, line.credential) if line.credential else ""
        cells.append(f"<tr><td>{html.escape(line.name)}</td><td>{html.escape(line.member_id)}</td>"
                     f"<td class=cred>{html.escape(line.credential or '—')}</td><td>{qr}</td>"
                     f"<td>{html.escape(line.status)}</td></tr>")
    return (f"<!doctype html><html lang=zh><meta charset=utf-8><title>投票凭证 Ballot credentials</title>"
            f"<style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;padding:4px}}"
            f".cred{{font-family:monospace;font-size:1.2em}}table{{border-collapse:collapse}}</style>"
            f"<h1>{html.escape(sheet.round_name)} · 投票凭证 Ballot credentials</h1>"
            f"<p>单位 Unit: {html.escape(sheet.unit_name or sheet.unit_id)} · 每张凭证仅限一次使用，本页仅显示一次 "
            f"Each credential works once and is shown on this page only once.</p>"
            f"<table><tr><th>姓名 Name</th><th>编号 Member</th><th>凭证 Credential</th><th>二维码 QR</th>"
            f"<th>状态 Status</th></tr>{''.join(cells)}</table></html>")


def tally_workbook(rnd: dict, view: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "计票 Tally"
    ws.append(["轮次 Round", rnd["name"], "状态 State", view["state"]])
    ws.append(["应参评人数 Eligible", view["eligible"], "实收有效票 Ballots", view["ballots_cast"],
               "废票 Invalid", view["invalid"]])
    if view["counts_hidden"]:
        ws.append(["票数暂不公开 Counts are hidden until the organiser publishes them"])
    else:
        ws.append(["候选对象 Nominee", "类别 Category", "得票 Votes", *[domain.GRADE_LABELS[g] for g in domain.GRADES],
                   "得票率(应参评) Share of eligible", "得票率(实参评) Share of cast"])
        for c in view["candidates"]:
            ws.append([c["nominee_name"], c["category_id"], c["approvals"],
                       *[c["grades"].get(g, "") for g in domain.GRADES], c["share_of_eligible"], c["share_of_cast"]])
    wt = wb.create_sheet("参评率 Turnout")
    wt.append(["单位 Unit", "应参评 Eligible", "已投票 Voted", "参评率 Turnout"])
    for u in view["turnout_by_unit"]:
        wt.append([u["unit_name"] or u["unit_id"], u["eligible"], u["voted"], u["turnout"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
