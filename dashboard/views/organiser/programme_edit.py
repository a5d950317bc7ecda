"""Changing a programme after it was created: the form 修改评选方案 (each category's quota, 差额 ratio, per-unit limit
and component weights, and each stage's dates), a changed definition uploaded as YAML or JSON, and the programme's
versions with what changed in words. The nominations service decides (PUT /programmes/{id}); its refusals are shown
beside the fields they name. Criteria, weights and the peer-vote round rule cannot change once voting started: the
form says so before anyone tries."""
from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st
import yaml

from ... import data, i18n, refusals
from ...ui import lang
from .common import field_error, flash, get, local_error, submit
from .text import TEXT, t

COMPONENTS = ("basic", "key_tasks", "business", "report", "peer_vote")
STAGES = ("nomination", "review", "voting", "judging", "publicity")
DEFINED = ("name", "year", "stage_control", "categories", "stages")
FIELDS = ("name", "year", "categories", "stages", "stage_control")
_CATEGORY = re.compile(r"categories\[([^\]]+)\](.*)")
_STAGE = re.compile(r"stages\[([^\]]+)\](.*)")
_CRITERION = re.compile(r"\.criteria\[([^\]]+)\](.*)")


# ---- the fields both forms share (the create form of setup.py, and this one) ---------------------------------------
def category_fields(form: str, at: str, prefix: str, key: str, values: dict, locked: str = "") -> dict:
    """A category's quota, 差额 ratio, per-unit limit and component weights, the weights' sum shown as they change,
    each refusal under the field it names. `locked`: why the weights cannot change (they are shown disabled)."""
    c1, c2, c3 = st.columns(3)
    quota = c1.number_input(t("su.quota"), min_value=1, value=int(values.get("quota") or 1), step=1,
                            key=f"{prefix}_quota_{key}")
    with c1:
        field_error(form, f"{at}.quota")
    ratio = c2.number_input(t("su.ratio"), min_value=1.0, max_value=5.0, step=0.1,
                            value=float(values.get("competitive_ratio") or 1.0), key=f"{prefix}_ratio_{key}")
    with c2:
        field_error(form, f"{at}.competitive_ratio")
    limit = c3.number_input(t("su.limit"), min_value=0, value=int(values.get("unit_limit") or 0), step=1,
                            key=f"{prefix}_limit_{key}")
    with c3:
        field_error(form, f"{at}.unit_limit")
    given = values.get("weights") or {}
    cols = st.columns(len(COMPONENTS))
    weights = {comp: col.number_input(t(f"su.w.{comp}"), min_value=0.0, max_value=1.0, step=0.05,
                                      value=float(given.get(comp, 0.0)), key=f"{prefix}_w_{key}_{comp}",
                                      disabled=bool(locked))
               for col, comp in zip(cols, COMPONENTS)}
    total = round(sum(weights.values()), 6)
    (st.success if abs(total - 1) < 1e-6 else st.warning)(t("su.sum", total=f"{total:g}"))
    if locked:
        st.caption(locked)
    field_error(form, f"{at}.weights", prefix=True)
    return {"quota": int(quota), "competitive_ratio": float(ratio), "unit_limit": int(limit) or None,
            "weights": weights}


# ---- the programme as the service holds it -----------------------------------------------------------------------
def definition(detail: dict) -> dict:
    """The defined part of the programme detail, as PUT takes it (the stages without their shown words)."""
    out = {k: copy.deepcopy(detail[k]) for k in DEFINED if k in detail}
    out["stages"] = [{k: s[k] for k in ("stage", "opens_at", "closes_at")} for s in detail.get("stages") or []]
    return out


def voting_started(detail: dict, now: datetime | None = None) -> bool:
    """As the service decides it: the organiser opened voting, or (stages by dates) its window has opened."""
    if detail.get("voting_started"):
        return True
    voting = next((s for s in detail.get("stages") or [] if s.get("stage") == "voting"), None)
    opens = i18n.to_shanghai(voting.get("opens_at")) if voting else None
    return detail.get("stage_control") == "dates" and opens is not None and opens <= (now or datetime.now(UTC))


# the service's code for criteria or weights changed after voting started ("conflict" in records made before it)
FIXED_CODES = ("criteria_fixed", "conflict")


def refusal_words(code: str | None, field: str, message: str, names: dict[str, str]) -> str:
    """A refused change's reason in words: the criteria or weights fixed once voting started in the console's own,
    every other code as the refusals' words have it; without a code (an older record), the generic words."""
    m = re.fullmatch(r"categories\.(.+)", field or "")
    if code in FIXED_CODES and m:
        return t("pe.locked_refused", name=names.get(m.group(1), m.group(1)))
    if not code:
        return t("pe.refused_generic")
    return refusals.why(code, field or "", message or "", lang())


def _word_refusals(form: str, categories: list[dict]) -> None:
    """A refusal naming a category (categories.<id>: its criteria or weights after voting started) is shown beside
    that category's weights, in words."""
    index = {c.get("category_id"): i for i, c in enumerate(categories)}
    names = {c.get("category_id"): c.get("name", "") for c in categories}
    out = []
    for field, text in st.session_state.get(f"_err_{form}") or []:
        m = re.fullmatch(r"categories\.(.+)", field or "")
        if m and m.group(1) in index:
            out.append((f"categories[{index[m.group(1)]}].weights", refusal_words("criteria_fixed", field, "", names)))
        else:
            out.append((field, text))
    if out:
        st.session_state[f"_err_{form}"] = out


# ---- the form ------------------------------------------------------------------------------------------------------
def edit_form(detail: dict, token: str) -> None:
    pid = detail["programme_id"]
    base = f"org_pe_{pid}_{detail.get('version', 1)}"  # a new version: the fields start from its values
    st.markdown(f"#### {t('pe.title')}")
    saved = flash("edit", FIELDS)
    if saved is not None and saved.get("version") == st.session_state.pop("_pe_sent_version", None):
        st.info(t("pe.unchanged"))
    locked = voting_started(detail)
    if locked:
        st.info(t("pe.locked"))
    body = definition(detail)
    body["name"] = st.text_input(t("su.name"), value=detail.get("name", ""), key=f"{base}_name").strip()
    field_error("edit", "name")
    body["year"] = int(st.number_input(t("su.year"), min_value=2000, max_value=2100, key=f"{base}_year",
                                       value=int(detail.get("year") or datetime.now().year)))
    field_error("edit", "year")
    for i, cat in enumerate(body["categories"]):
        with st.container(border=True):
            st.markdown(f"**{cat.get('name', '')}**")
            st.caption("、".join(f"{c['name']} {c['max_points']:g}" for c in cat.get("criteria") or []))
            cat.update(category_fields("edit", f"categories[{i}]", base, str(cat.get("category_id")), cat,
                                       locked=t("pe.locked_w") if locked else ""))
            _other_errors("edit", f"categories[{i}]")
    field_error("edit", "categories")
    body["stages"] = _stage_fields(detail, base)
    field_error("edit", "stages")
    field_error("edit", "stage_control")
    if st.button(t("pe.save"), key=f"{base}_save", type="primary"):
        st.session_state["_pe_sent_version"] = detail.get("version")
        if not submit("edit", "nominations", "PUT", f"/programmes/{pid}", token, json=body):
            _word_refusals("edit", body["categories"])
        st.rerun()


def _other_errors(form: str, at: str) -> None:
    """The refusals naming a field of the category the form has no widget for (its criteria, its kind), in its box."""
    shown = tuple(f"{at}.{k}" for k in ("quota", "competitive_ratio", "unit_limit", "weights"))
    for field, message in st.session_state.get(f"_err_{form}") or []:
        if field and (field == at or field.startswith((f"{at}.", f"{at}["))) and not field.startswith(shown):
            st.error(message)


def _stage_fields(detail: dict, base: str) -> list[dict]:
    """Each stage's window (Asia/Shanghai date and time), ticked to have one; in the stages' order, as sent."""
    have = {s.get("stage"): s for s in detail.get("stages") or []}
    st.markdown(f"**{t('pe.stages')}**")
    st.caption(t("pe.stages_hint"))
    out: list[dict] = []
    for stage in STAGES:
        given = have.get(stage)
        label = i18n.t(f"pt.stage.{stage}", lang())
        if not st.checkbox(label, value=given is not None, key=f"{base}_st_{stage}"):
            continue
        at = f"stages[{len(out)}]"
        window = {}
        cols = st.columns(4)
        for j, (end, hour) in enumerate((("opens_at", time(9, 0)), ("closes_at", time(17, 30)))):
            local = i18n.to_shanghai(given.get(end)) if given else None
            day = local.date() if local else date.today() + timedelta(days=7 * j)
            clock = local.time().replace(tzinfo=None) if local else hour
            d = cols[2 * j].date_input(t(f"pe.{end}.date"), value=day, key=f"{base}_st_{stage}_{end}_d")
            c = cols[2 * j + 1].time_input(t(f"pe.{end}.time"), value=clock, key=f"{base}_st_{stage}_{end}_t")
            window[end] = datetime.combine(d, c).isoformat(timespec="minutes")  # naive: Asia/Shanghai
            with cols[2 * j]:
                field_error("edit", f"{at}.{end}")
        field_error("edit", f"{at}.stage")
        out.append({"stage": stage} | window)
    return out


# ---- a changed definition uploaded ---------------------------------------------------------------------------------
def parse_file(name: str, content: bytes) -> tuple[dict | None, str]:
    """(the definition, "") or (None, why it cannot be read, in words): JSON when named .json, YAML otherwise."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, t("pe.bad_utf8")
    try:
        raw = json.loads(text) if name.lower().endswith(".json") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        return None, t("pe.bad_file", line=exc.lineno)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        return None, t("pe.bad_file", line=mark.line + 1 if mark else "?")
    if not isinstance(raw, dict):
        return None, t("pe.not_mapping")
    # YAML reads an unquoted date as a date: sent as its ISO text, as the service reads it
    return json.loads(json.dumps(raw, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))), ""


def upload_change(detail: dict, token: str) -> None:
    pid = detail["programme_id"]
    with st.expander(t("pe.upload")):
        flash("edit_upload")
        st.caption(t("pe.upload_hint"))
        f = st.file_uploader(t("su.upload_file"), type=["yaml", "yml", "json"], key=f"org_pe_file_{pid}")
        if f is not None and st.button(t("pe.upload_go"), key=f"org_pe_upload_{pid}"):
            raw, problem = parse_file(f.name, f.getvalue())
            if raw is None:
                local_error("edit_upload", "file", problem)
            elif not submit("edit_upload", "nominations", "PUT", f"/programmes/{pid}", token, json=raw):
                _word_refusals("edit_upload", detail.get("categories") or [])
            st.rerun()


# ---- the versions, with what changed ------------------------------------------------------------------------------
def versions_table(pid: str, token: str) -> None:
    history = get("nominations", f"/programmes/{pid}/versions", token) or {}
    if isinstance(history, list):
        history = {"versions": history, "changes": []}
    versions, changes = history.get("versions") or [], history.get("changes") or []
    names, criteria = _names(versions + [c.get("attempted") or {} for c in changes])
    rows = [_row(f"v{v['version']}", v.get("recorded_at"), v.get("by"), t("pe.out.defined"), "—", "—")
            for v in versions if v.get("version") == 1]
    for c in changes:
        refused = c.get("outcome") == "refused"
        what = describe(c["changed"], names, criteria) if "changed" in c else t("pe.no_detail")
        why = refusal_words(c.get("code"), c.get("field", ""), c.get("reason", ""), names) if refused else "—"
        rows.append(_row(f"v{c['version']}" if c.get("version") else "—", c.get("at"), c.get("by"),
                         t(f"pe.out.{'refused' if refused else 'new_version'}"), what or "—", why))
    st.markdown(f"**{t('su.versions')}**")
    if rows:
        st.markdown(data.markdown_table(rows))


def _row(version: str, at: Any, by: Any, outcome: str, what: str, why: str) -> dict:
    return {t("pe.col.version"): version, t("pe.col.at"): i18n.fmt_dt(at, lang()) if at else "—",
            t("pe.col.by"): by or "—", t("pe.col.outcome"): outcome, t("pe.col.what"): what, t("pe.col.why"): why}


def _names(definitions: list[dict]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Each category's name and each criterion's, by id (the latest definition's words win)."""
    names: dict[str, str] = {}
    criteria: dict[str, dict[str, str]] = {}
    for d in definitions:
        for c in d.get("categories") or []:
            names[c.get("category_id")] = c.get("name") or c.get("category_id")
            for cr in c.get("criteria") or []:
                criteria.setdefault(c.get("category_id"), {})[cr.get("criterion_id")] = cr.get("name")
    return names, criteria


def describe(changed: list[dict], names: dict[str, str], criteria: dict[str, dict[str, str]]) -> str:
    """What changed in words: "模范机关 名额 5 → 6；权重 民主测评 0.3 → 0.25" (a category named once for its run)."""
    parts: list[str] = []
    last = None
    for x in changed:
        path, before, after = x.get("path", ""), x.get("before"), x.get("after")
        cat, stage = _CATEGORY.fullmatch(path), _STAGE.fullmatch(path)
        if cat:
            cid, rest = cat.groups()
            name = names.get(cid, cid)
            if not rest:
                parts.append(t("pe.cat.added" if before is None else "pe.cat.removed", name=name))
                last = None
                continue
            text = _category_change(rest, before, after, criteria.get(cid, {}))
            parts.append(text if last == cid else f"{name} {text}")
            last = cid
            continue
        last = None
        if stage:
            label = i18n.t(f"pt.stage.{stage.group(1)}", lang())
            end = stage.group(2).lstrip(".")
            if not end:
                parts.append(t("pe.stage.removed", stage=label) if after is None else
                             t("pe.stage.added", stage=label, opens=_value("opens_at", after.get("opens_at")),
                               closes=_value("closes_at", after.get("closes_at"))))
            else:
                parts.append(f"{label} {t('pe.f.' + end)} {_value(end, before)} → {_value(end, after)}")
        else:
            parts.append(f"{t('pe.f.' + path)} {_value(path, before)} → {_value(path, after)}")
    return t("pe.joined").join(parts)


def _category_change(rest: str, before: Any, after: Any, criteria: dict[str, str]) -> str:
    if rest.startswith(".weights."):
        comp = rest.removeprefix(".weights.")
        return f"{t('pe.f.weights')} {t('su.w.' + comp)} {_value('w', before)} → {_value('w', after)}"
    m = _CRITERION.fullmatch(rest)
    if m:
        crid, key = m.group(1), m.group(2).lstrip(".")
        if not key:
            item = after or before or {}
            return t("pe.cr.added" if before is None else "pe.cr.removed", name=item.get("name") or crid,
                     points=_value("max_points", item.get("max_points")))
        return t("pe.cr.changed", name=criteria.get(crid) or crid, what=t(f"pe.f.cr.{key}"),
                 before=_value(key, before), after=_value(key, after))
    key = rest.lstrip(".")
    return f"{t('pe.f.' + key)} {_value(key, before)} → {_value(key, after)}"


def _value(key: str, v: Any) -> str:
    if v is None:
        return t("pe.v.none_limit") if key == "unit_limit" else "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:g}"
    if key in ("opens_at", "closes_at"):
        return i18n.fmt_dt(v, lang())
    if key in ("stage_control", "peer_vote_round") and f"pe.v.{v}" in TEXT:
        return t(f"pe.v.{v}")
    return str(v)

