"""Voting-day paper: the links a QR code opens and the print-ready A4 sheet of cut-out credential slips."""
from __future__ import annotations

import base64
import html
import io
import os
from urllib.parse import urlencode

import qrcode

SLIPS_PER_PAGE = 8  # 2 x 4 on A4 portrait: each slip about 95 x 68 mm, a QR code a phone reads at arm's length
DEFAULT_BASE_URL = "http://127.0.0.1:8501"

INSTRUCTIONS = ("用手机扫描右侧二维码，打开投票页面；",
                "逐一评定或选择后，核对无误再确认提交；",
                "提交后保存回执链接，可随时核验是否计入。",
                "本凭证仅限本人使用一次，请妥善保管，勿转借他人。")


def base_url(env: dict[str, str] | None = None, port: int | None = None) -> str:
    """The public address of the dashboard that slips and receipts link to (EXEMPLAR_DASHBOARD_PUBLIC_URL)."""
    env = os.environ if env is None else env
    value = (env.get("EXEMPLAR_DASHBOARD_PUBLIC_URL") or "").strip()
    if value:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"EXEMPLAR_DASHBOARD_PUBLIC_URL must be an http(s) URL, got {value!r}")
        return value.rstrip("/")
    return f"http://127.0.0.1:{port}" if port else DEFAULT_BASE_URL


def ballot_url(base: str, credential: str) -> str:
    return f"{base.rstrip('/')}/?{urlencode({'page': 'ballot', 'c': credential})}"


def receipt_url(base: str, round_id: str, receipt: str) -> str:
    return f"{base.rstrip('/')}/?{urlencode({'page': 'receipt', 'r': round_id, 'k': receipt})}"


def qr_png(text: str, box_size: int = 6) -> bytes:
    img = qrcode.make(text, box_size=box_size, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def qr_data_uri(text: str, box_size: int = 6) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(text, box_size)).decode()


CSS = """
@page { size: A4 portrait; margin: 10mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; color: #000; }
.screen-note { padding: 8px 12px; background: #fff8d6; border: 1px solid #e0c000; margin: 8px; font-size: 14px; }
@media print { .screen-note { display: none; } }
.sheet { width: 190mm; height: 277mm; display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: repeat(4, 1fr);
         break-after: page; page-break-after: always; margin: 0 auto; }
.sheet:last-child { break-after: auto; page-break-after: auto; }
.slip { border: 1px dashed #777; padding: 4mm; display: grid; grid-template-columns: 1fr 32mm; gap: 2mm;
        overflow: hidden; }
.slip h2 { font-size: 11pt; margin: 0 0 1mm 0; line-height: 1.25; }
.slip .who { font-size: 10pt; margin: 0 0 1.5mm 0; }
.slip ol { font-size: 8pt; margin: 0; padding-left: 4mm; line-height: 1.35; }
.slip .cred { font-family: "DejaVu Sans Mono", monospace; font-size: 12pt; font-weight: bold; letter-spacing: .5pt;
              margin-top: 2mm; white-space: nowrap; }
.slip .cred small { display: block; font-family: sans-serif; font-weight: normal; font-size: 7pt; letter-spacing: 0; }
.slip .qr img { width: 32mm; height: 32mm; image-rendering: pixelated; }
.slip .qr a { display: block; }
"""


def _slip(round_name: str, unit_name: str, name: str, credential: str, base: str) -> str:
    url = ballot_url(base, credential)
    steps = "".join(f"<li>{html.escape(s)}</li>" for s in INSTRUCTIONS)
    return (f'<div class="slip"><div><h2>{html.escape(round_name)}</h2>'
            f'<p class="who">{html.escape(unit_name)} · {html.escape(name)}</p><ol>{steps}</ol>'
            f'<p class="cred"><small>投票凭证</small>{html.escape(credential)}</p></div>'
            f'<div class="qr"><a href="{html.escape(url)}"><img alt="投票二维码" src="{qr_data_uri(url)}"></a></div>'
            f"</div>")


def slips_html(round_name: str, units: list[dict], base: str) -> str:
    """Every unit's slips, each unit from a new A4 page, eight cut-out slips a page. No slip says who has voted:
    the sheet carries only the credentials issued now."""
    sheets = []
    for unit in units:
        slips = [_slip(round_name, unit.get("unit_name") or unit.get("unit_id", ""), s["name"], s["credential"], base)
                 for s in unit.get("slips") or []]
        for i in range(0, len(slips), SLIPS_PER_PAGE):
            sheets.append(f'<section class="sheet">{"".join(slips[i:i + SLIPS_PER_PAGE])}</section>')
    total = sum(len(u.get("slips") or []) for u in units)
    return (f"<!doctype html><html lang=zh-CN><head><meta charset=utf-8>"
            f"<title>{html.escape(round_name)} · 投票凭证</title><style>{CSS}</style></head><body>"
            f'<p class="screen-note">共 {total} 张凭证、{len(sheets)} 页 A4。打印时选择“实际大小”，沿虚线裁开后发放；'
            f"凭证只显示这一次，请妥善保管本文件，打印后删除。</p>"
            f"{''.join(sheets)}</body></html>")
