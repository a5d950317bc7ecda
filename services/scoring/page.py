"""The phone-sized arena scoring page (评委现场打分). It talks to the JSON API with the judge's bearer token."""
from __future__ import annotations

import html
import json

TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>评委打分 · __NAME__</title>
<style>
 body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;padding:12px;max-width:480px;background:#fafafa}
 h1{font-size:1.15rem;color:#b71c1c;margin:.2em 0 .6em}
 label{display:block;margin:.6em 0 .2em;font-weight:600}
 select,input,button{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.55em;border-radius:8px;border:1px solid #bbb}
 button{background:#c62828;color:#fff;border:0;margin-top:1em}
 #msg{margin:.8em 0;min-height:1.4em}
 .ok{color:#2e7d32}.err{color:#c62828}
 table{width:100%;border-collapse:collapse;margin-top:1em;font-size:.95rem}
 td,th{border-bottom:1px solid #ddd;padding:.35em;text-align:left}
 .frozen{color:#6a1b9a}
</style></head><body>
<h1>__NAME__<br><small>评委现场打分 Judge scoring</small></h1>
<p id="session" class="ok" hidden>已用工作人员入口的登录身份签入 signed in from the staff portal</p>
<div id="tokenbox"><label for="token">评委令牌 Judge token</label>
<input id="token" type="password" autocomplete="off" placeholder="粘贴评委令牌 paste your token"></div>
<label for="round">轮次 Round</label><select id="round"></select>
<label for="contestant">选手 Contestant</label><select id="contestant"></select>
<label for="score">分数 Score <span id="range"></span></label>
<input id="score" type="number" inputmode="decimal" min="0">
<button id="send">提交 Submit</button>
<div id="msg" role="status" aria-live="polite"></div>
<div id="state"></div>
<table><thead><tr><th>名次</th><th>选手</th><th>现场</th><th>最终</th></tr></thead><tbody id="board"></tbody></table>
<script>
const ARENA = __ARENA__;
const $ = id => document.getElementById(id);
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("token")) { sessionStorage.setItem("judge-token", hash.get("token")); history.replaceState(null, "", location.pathname); }
$("token").value = sessionStorage.getItem("judge-token") || "";
if ($("token").value) { $("tokenbox").hidden = true; $("session").hidden = false; }  // signed in by the portal's link
$("token").addEventListener("change", () => sessionStorage.setItem("judge-token", $("token").value.trim()));
let arena = null;
function say(text, ok) { $("msg").textContent = text; $("msg").className = ok ? "ok" : "err"; }
function fill(sel, items, key, label) {
  const keep = sel.value; sel.innerHTML = "";
  for (const it of items) { const o = document.createElement("option"); o.value = it[key]; o.textContent = label(it); sel.appendChild(o); }
  if (keep) sel.value = keep;
}
function showRange() {
  const r = arena.all_rounds.find(r => r.round_id === $("round").value);
  if (r) { $("score").max = r.max_points; $("score").step = r.step; $("range").textContent = `0–${r.max_points}，步长 ${r.step}`; }
}
async function load() {
  const r = await fetch(`../../arenas/${ARENA}`);
  if (!r.ok) { say("无法读取赛事 cannot load the contest", false); return; }
  arena = await r.json();
  fill($("round"), arena.all_rounds, "round_id", r => r.name);
  fill($("contestant"), arena.contestants, "contestant_id", c => `${c.order}. ${c.name}`);
  showRange();
  $("state").innerHTML = arena.frozen ? '<p class="frozen">榜单已封榜 the board is frozen</p>' : "";
  $("board").innerHTML = arena.rows.map(x => `<tr><td>${x.rank ?? "–"}</td><td>${esc(x.name)}</td><td>${x.live_total ?? "–"}</td><td>${x.final ?? "–"}</td></tr>`).join("");
}
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
$("round").addEventListener("change", showRange);
$("send").addEventListener("click", async () => {
  const token = $("token").value.trim();
  if (!token) { say("请先填写评委令牌 enter your judge token first", false); return; }
  sessionStorage.setItem("judge-token", token);
  const body = {round_id: $("round").value, contestant_id: $("contestant").value, score: Number($("score").value)};
  if ($("score").value === "") { say("请填写分数 enter a score", false); return; }
  const r = await fetch(`../../arenas/${ARENA}/scores`, {method: "POST", headers: {"Content-Type": "application/json", "Authorization": `Bearer ${token}`}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (r.ok) { say("已提交 submitted ✓", true); await load(); } else { say((data.error && data.error.message) || `error ${r.status}`, false); }
});
load(); setInterval(load, 3000);
</script></body></html>"""


def judge_page(arena_id: str, name: str) -> str:
    return TEMPLATE.replace("__NAME__", html.escape(name)).replace("__ARENA__", json.dumps(arena_id).replace("<", "\\u003c"))
