"""Programme setup: a new programme from the shipped criteria templates (五强五带头, 四强, 四好) with each category's
quota, 差额 ratio, per-unit limit and component weights (their sum shown as they change); a definition uploaded as
YAML or JSON; the chosen programme's definition downloaded as YAML or JSON, changed (programme_edit.py: the form
修改评选方案 and a changed definition uploaded) and its versions with what changed."""
from __future__ import annotations

import json
from datetime import datetime
from uuid import uuid4

import streamlit as st
import yaml

from .common import field_error, flash, get, submit
from .programme_edit import category_fields, edit_form, upload_change, versions_table
from .text import t

# The shipped templates and the category each one serves in the seed plan.
PRESETS = {
    "wuqiang_wudaitou": {"category_id": "model_organ", "name": "模范机关", "name_en": "Model organs",
                         "nominee_kind": "organ", "board": "model_organ"},
    "siqiang": {"category_id": "red_flag_branch", "name": "先锋红旗党支部", "name_en": "Vanguard red-flag branches",
                "nominee_kind": "branch", "board": "red_flag_branch"},
    "sihao": {"category_id": "excellent_member", "name": "四好优秀党员", "name_en": "Four-good members",
              "nominee_kind": "member", "board": "excellent_member"},
}
DEFAULT_WEIGHTS = {"basic": 0.3, "key_tasks": 0.2, "business": 0.1, "report": 0.1, "peer_vote": 0.3}
FIELDS = ("name", "year", "categories")


def setup_tab(prog: dict | None, token: str) -> None:
    st.markdown(f"#### {t('su.new')}")
    flash("setup", FIELDS)
    templates = get("nominations", "/criteria-templates", token) or []
    known = {x.get("template_id"): x for x in templates}
    by = {k: known[k] for k in PRESETS if k in known}
    name = st.text_input(t("su.name"), key="org_su_name", placeholder="2026年度市直机关创先争优评选")
    field_error("setup", "name")
    year = st.number_input(t("su.year"), min_value=2000, max_value=2100, value=datetime.now().year, key="org_su_year")
    field_error("setup", "year")
    chosen = st.multiselect(t("su.templates"), list(by), default=list(by)[:1], key="org_su_templates",
                            format_func=lambda k: f"{by[k]['name']} → {PRESETS[k]['name']}")
    field_error("setup", "categories")
    categories = [_category(i, key, by[key]) for i, key in enumerate(chosen)]
    if st.button(t("su.create"), key="org_su_create", type="primary"):
        body = {"programme_id": f"p{int(year)}-{uuid4().hex[:6]}", "name": name.strip(), "year": int(year),
                "categories": categories}
        if submit("setup", "nominations", "POST", "/programmes", token, json=body):
            st.session_state["_org_created"] = body["programme_id"]
        st.rerun()
    _upload(token)
    if prog is not None:
        _definition(prog, token)


def _category(i: int, key: str, template: dict) -> dict:
    preset = PRESETS[key]
    at = f"categories[{i}]"
    with st.container(border=True):
        st.markdown(f"**{preset['name']}** · {template['name']}（{len(template.get('criteria', []))}）")
        st.caption("、".join(f"{c['name']} {c['max_points']:g}" for c in template.get("criteria", [])))
        values = category_fields("setup", at, "org_su", key,
                                 {"quota": 5, "competitive_ratio": 1.2, "weights": DEFAULT_WEIGHTS})
    out = {**preset, "criteria_template": key} | values
    if not out["unit_limit"]:
        out.pop("unit_limit")
    return out


def _upload(token: str) -> None:
    with st.expander(t("su.upload")):
        flash("upload")
        f = st.file_uploader(t("su.upload_file"), type=["yaml", "yml", "json"], key="org_su_file")
        if f is not None and st.button(t("su.upload_go"), key="org_su_upload"):
            submit("upload", "nominations", "POST", "/programmes/upload", token,
                   files=[("file", (f.name, f.getvalue(), "application/octet-stream"))])
            st.rerun()


def _definition(prog: dict, token: str) -> None:
    detail = get("nominations", f"/programmes/{prog['_id']}", token)
    if not detail:
        return
    st.markdown(f"#### {t('su.current', name=detail.get('name', ''))}")
    keep = {k: detail[k] for k in ("programme_id", "name", "year", "stage_control", "categories", "stages")
            if k in detail}
    c1, c2 = st.columns(2)
    c1.download_button(t("su.dl", fmt="YAML"), yaml.safe_dump(keep, allow_unicode=True, sort_keys=False),
                       file_name=f"{prog['_id']}.yaml", mime="application/yaml", key="org_su_dl_yaml")
    c2.download_button(t("su.dl", fmt="JSON"), json.dumps(keep, ensure_ascii=False, indent=2, default=str),
                       file_name=f"{prog['_id']}.json", mime="application/json", key="org_su_dl_json")
    edit_form(detail, token)
    upload_change(detail, token)
    versions_table(prog["_id"], token)
