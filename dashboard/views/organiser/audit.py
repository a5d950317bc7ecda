"""Audit trail (审计日志): every change of the programme with who made it and why, newest first; filters by
nominee (a part of the name), actor and kind of change; the filtered list as .xlsx."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from .common import download, get
from .text import TEXT, t

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def audit_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    st.caption(t("au.help"))
    actors = (get("leaderboard", "/audit/actors", token, programme_id=pid) or {}).get("actors", [])
    cols = st.columns([3, 3, 3, 1])
    nominee = cols[0].text_input(t("au.nominee"), key="org_audit_nominee", max_chars=100).strip()
    choices = {"": t("au.anyone"), **{r: t(f"au.role.{r}") for r in ("organiser", "unit", "judge", "system")},
               **{a["label"]: f"{_who(a)}（{t('au.role.' + a['role'])}）" for a in actors
                  if a.get("role") in ("organiser", "unit", "judge")}}
    who = cols[1].selectbox(t("au.actor"), list(choices), format_func=choices.get, key="org_audit_actor")
    kinds = {"": t("au.any_kind"), **{k[3:]: t(k) for k in TEXT if k.startswith("ev.")}}
    kind = cols[2].selectbox(t("au.kind"), list(kinds), format_func=kinds.get, key="org_audit_kind")
    page = cols[3].number_input(t("au.page"), min_value=1, value=1, step=1, key="org_audit_page")
    params = {"programme_id": pid, "nominee": nominee or None, "actor": _actor_param(who, actors),
              "type": kind or None}
    body = get("leaderboard", "/audit", token, page=int(page), page_size=PAGE_SIZE, **params)
    if body is None:
        return
    records = body.get("records", [])
    pages = max(1, -(-int(body.get("total", 0)) // PAGE_SIZE))
    st.markdown(f"#### {t('au.list', n=body.get('total', 0), page=body.get('page', 1), pages=pages)}")
    if records:
        st.dataframe(pd.DataFrame([_row(r) for r in records]), hide_index=True, use_container_width=True,
                     column_config={t("au.col.reason"): st.column_config.TextColumn(width="medium"),
                                    t("au.col.summary"): st.column_config.TextColumn(width="medium")})
    else:
        st.caption(t("au.none"))
    download(t("au.xlsx"), "leaderboard", "/audit.xlsx", token, f"audit-{pid}.xlsx", XLSX, key="audit_xlsx",
             params={k: v for k, v in params.items() if v})


def _actor_param(choice: str, actors: list[dict]) -> str | None:
    """A role as it is; an actor's label as the most precise id it has (its name may be shared)."""
    if not choice or choice in ("organiser", "unit", "judge", "system"):
        return choice or None
    a = next((a for a in actors if a["label"] == choice), {})
    return a.get("unit_id") or a.get("judge_id") or a.get("subject") or a.get("name") or None


def _who(actor: dict) -> str:
    return actor.get("name") or actor.get("unit_id") or actor.get("judge_id") or actor.get("subject") or ""


def _row(r: dict) -> dict:
    actor = r.get("actor") or {}
    role = actor.get("role")
    return {t("au.col.at"): _local(r.get("at")), t("au.col.kind"): _kind(r.get("type", "")),
            t("au.col.actor"): _who(actor), t("au.col.role"): t(f"au.role.{role}") if role else t("au.role.none"),
            t("au.col.nominee"): "、".join(r.get("nominee_names") or r.get("names") or []),
            t("au.col.reason"): r.get("reason", ""), t("au.col.summary"): r.get("summary", "")}


def _kind(event_type: str) -> str:
    return t(f"ev.{event_type}") if f"ev.{event_type}" in TEXT else event_type


def _local(at) -> str:
    try:
        return datetime.fromisoformat(str(at)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(at or "")

