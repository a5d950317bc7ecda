"""Indicators and spot checks (指标与点验): the basic, business and key-task indicators per nominee with their
breakdown, imported from CSV / XLSX or entered by hand; the key-task list; the 随机点验 draw, committed before it is
made and never redrawn, and the checks' results; the 述职评议 results."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ... import data, i18n
from ...ui import lang
from .common import ask, confirmed, field_error, flash, get, import_result, local_error, request, submit
from .imports import preview
from .text import t

PARTS = ("basic", "business")


def indicators_tab(prog: dict, token: str) -> None:
    pid = prog["_id"]
    cats = {c["category_id"]: c["name"] for c in data.ordered_categories(prog)}
    if not cats:
        st.caption(t("none"))
        return
    cid = st.selectbox(t("in.category"), list(cats), format_func=cats.get, key="org_ind_cat")
    _import(pid, token)
    rows = get("scoring", f"/programmes/{pid}/categories/{cid}/indicators", token) or []
    st.markdown(f"#### {t('in.table')}")
    if not rows:
        st.caption(t("in.none"))
    else:
        st.markdown(data.markdown_table(overview(rows)))
        _entry(pid, rows, token)
        _tasks(rows)
    _draw(pid, cid, token, sum(len(r.get("key_tasks") or []) for r in rows))
    _report(pid, cid, token)


def _fmt(part: dict | None) -> str:
    return "—" if not part else f"{part['points']:g} / {part['max_points']:g}"


def overview(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        tasks = r.get("key_tasks") or []
        out.append({t("in.col.nominee"): r["nominee_name"] or r["nomination_id"],
                    t("in.col.basic"): _fmt(r.get("basic")), t("in.col.business"): _fmt(r.get("business")),
                    t("in.col.tasks"): _fmt({"points": sum(x["points"] for x in tasks),
                                             "max_points": sum(x["max_points"] for x in tasks)}) if tasks else "—"})
    return out


# ---- import -------------------------------------------------------------------------------------------------------

def _import(pid: str, token: str) -> None:
    st.markdown(f"#### {t('in.import')}")
    st.caption(t("in.import.help"))
    result = flash("ind_import", ("file",)) or st.session_state.get("_last_ind_import")
    f = st.file_uploader(t("in.file"), type=["csv", "xlsx"], key="org_ind_file")
    if f is not None:
        rows = preview(f.name, f.getvalue())
        if rows:
            st.dataframe(pd.DataFrame(rows[1:6], columns=[str(h) for h in rows[0]]), hide_index=True)
            st.caption(t("im.rows", n=len(rows) - 1))
        if st.button(t("in.go"), key="org_ind_import_go", type="primary"):
            if submit("ind_import", "scoring", "POST", f"/programmes/{pid}/indicators/import", token,
                      files=[("file", (f.name, f.getvalue(), "application/octet-stream"))]):
                st.session_state["_last_ind_import"] = st.session_state.get("_ok_ind_import")
            st.rerun()
    field_error("ind_import", "file")
    if result:
        import_result(result, "in")


# ---- entry by hand ------------------------------------------------------------------------------------------------

def _items_frame(part: dict | None) -> pd.DataFrame:
    items = (part or {}).get("items") or ([{"name": "", **part}] if part else [])
    return pd.DataFrame([{t("in.col.item"): i.get("name", ""), t("in.col.points"): i["points"],
                          t("in.col.max"): i["max_points"]} for i in items],
                        columns=[t("in.col.item"), t("in.col.points"), t("in.col.max")])


def _entry(pid: str, rows: list[dict], token: str) -> None:
    st.markdown(f"#### {t('in.enter')}")
    flash("ind_enter", ("basic", "business", "key_tasks"))
    by = {r["nomination_id"]: r for r in rows}
    nid = st.selectbox(t("in.nominee"), list(by), key="org_ind_nominee",
                       format_func=lambda n: by[n]["nominee_name"] or n)
    cur = by[nid]
    cfg = {"num_rows": "dynamic", "width": "stretch"}
    with st.form(f"org_ind_enter_{nid}"):
        edited = {}
        for part in PARTS:
            st.caption(t(f"in.{part}_items"))
            edited[part] = st.data_editor(_items_frame(cur.get(part)), key=f"org_ind_{part}_{nid}", **cfg)
            field_error("ind_enter", part, prefix=True)
        st.caption(t("in.tasks_items"))
        edited["key_tasks"] = st.data_editor(pd.DataFrame(
            [{t("in.col.item"): x["name"], t("in.col.points"): x["points"], t("in.col.max"): x["max_points"]}
             for x in cur.get("key_tasks") or []], columns=[t("in.col.item"), t("in.col.points"), t("in.col.max")]),
            key=f"org_ind_tasks_{nid}", **cfg)
        field_error("ind_enter", "key_tasks", prefix=True)
        go = st.form_submit_button(t("in.save"), type="primary")
    if go:
        body = entry_body({k: v.to_dict("records") for k, v in edited.items()}, cur.get("key_tasks") or [])
        if isinstance(body, tuple):
            local_error("ind_enter", *body)
        else:
            submit("ind_enter", "scoring", "PUT", f"/programmes/{pid}/nominations/{nid}/indicators", token,
                   json=body)
        st.rerun()


def _clean_items(records: list[dict], part: str) -> list[dict] | tuple[str, str]:
    out = []
    for n, r in enumerate(records, 1):
        name, pts, top = str(r.get(t("in.col.item")) or "").strip(), r.get(t("in.col.points")), r.get(t("in.col.max"))
        if not name and pd.isna(pts) and pd.isna(top):
            continue
        if not name or pd.isna(pts) or pd.isna(top) or float(top) <= 0 or not 0 <= float(pts) <= float(top):
            return part, t("in.bad_item", n=n)
        out.append({"name": name, "points": float(pts), "max_points": float(top)})
    return out


def entry_body(edited: dict[str, list[dict]], old_tasks: list[dict]) -> dict | tuple[str, str]:
    """The PUT body from the editors (each part's items add up to its points), or (field, message)."""
    body: dict = {}
    for part in PARTS:
        items = _clean_items(edited[part], part)
        if isinstance(items, tuple):
            return items
        if items:
            body[part] = {"points": round(sum(i["points"] for i in items), 6),
                          "max_points": round(sum(i["max_points"] for i in items), 6), "items": items}
    tasks = _clean_items(edited["key_tasks"], "key_tasks")
    if isinstance(tasks, tuple):
        return tasks
    ids = {x["name"]: x["task_id"] for x in old_tasks}  # a renamed or new task gets a new id
    used = set(ids.values())
    for i, task in enumerate(tasks, 1):
        task_id = ids.get(task["name"])
        if task_id is None:
            task_id = next(f"t{k}" for k in range(i, i + len(tasks) + len(used) + 1) if f"t{k}" not in used)
            used.add(task_id)
        task["task_id"] = task_id
    if tasks or old_tasks:
        body["key_tasks"] = tasks
    if not body:
        return "basic", t("in.nothing")
    return body


def _tasks(rows: list[dict]) -> None:
    st.markdown(f"#### {t('in.tasks')}")
    tasks = [{t("in.col.nominee"): r["nominee_name"], t("in.col.task"): x["name"],
              t("in.col.points"): f"{x['points']:g}", t("in.col.max"): f"{x['max_points']:g}"}
             for r in rows for x in r.get("key_tasks") or []]
    if not tasks:
        st.caption(t("in.no_tasks"))
        return
    st.markdown(data.markdown_table(tasks))


# ---- 随机点验 --------------------------------------------------------------------------------------------------------

def _when(value: str | None) -> str:
    return i18n.fmt_dt(value, lang(), seconds=True)


def _draw(pid: str, cid: str, token: str, n_tasks: int) -> None:
    st.markdown(f"#### {t('in.draw')}")
    st.caption(t("in.draw.how"))
    flash("spot", ("sample_size", "seed_source", "seed", "category_id"))
    ok, rec, _ = request("scoring", "GET", f"/programmes/{pid}/categories/{cid}/spot-checks/draw", token)
    if not ok:
        _commit_form(pid, cid, token, n_tasks)
        return
    inputs = rec["inputs"]
    st.success(t("in.committed", at=_when(inputs["committed_at"])))
    st.markdown(f"- {t('in.sample')}：**{inputs['sample_size']}**\n- {t('in.source')}：{inputs['seed_source']}\n"
                f"- {t('in.inputs_sha')}：`{rec['inputs_sha256']}`")
    with st.expander(t("in.candidates", n=len(inputs["candidates"])), expanded=rec["state"] == "committed"):
        st.markdown(data.markdown_table([{t("in.col.nominee"): c["nominee_name"], t("in.col.task"): c["task_name"]}
                                         for c in inputs["candidates"]]))
    if rec["state"] == "committed":
        _draw_form(pid, cid, token)
        return
    st.success(t("in.drawn", at=_when(rec.get("drawn_at")), seed=rec["seed"]))
    st.markdown(f"**{t('in.picks')}**")
    st.markdown(data.markdown_table([{t("in.col.nominee"): p["nominee_name"], t("in.col.task"): p["task_name"],
                                      t("in.col.ticket"): p["ticket"][:16]} for p in rec["picks"]]))
    st.download_button(t("in.record"), json.dumps(rec, ensure_ascii=False, indent=1).encode("utf-8"),
                       f"spot-check-draw-{pid}-{cid}.json", "application/json", key=f"org_spot_record_{cid}")
    _results(pid, cid, rec["picks"], token)


def _commit_form(pid: str, cid: str, token: str, n_tasks: int) -> None:
    with st.form(f"org_spot_commit_{cid}"):
        size = st.number_input(t("in.sample"), min_value=1, max_value=500, value=2, step=1, key="org_spot_size")
        field_error("spot", "sample_size")
        source = st.text_input(t("in.source"), key="org_spot_source", placeholder=t("in.source.ph"))
        field_error("spot", "seed_source")
        go = st.form_submit_button(t("in.commit"))
    field_error("spot", "category_id")
    if go:
        if not source.strip():
            local_error("spot", "seed_source", t("rv.required"))
            st.rerun()
        st.session_state["_spot_commit"] = {"sample_size": int(size), "seed_source": source.strip()}
        ask(f"spot_commit_{cid}")
    body = st.session_state.get("_spot_commit")
    if body and confirmed(f"spot_commit_{cid}", t("in.commit_q", n=n_tasks, k=body["sample_size"])):
        submit("spot", "scoring", "POST", f"/programmes/{pid}/categories/{cid}/spot-checks/commitment", token,
               json=body)
        st.rerun()


def _draw_form(pid: str, cid: str, token: str) -> None:
    with st.form(f"org_spot_draw_{cid}"):
        seed = st.text_input(t("in.seed"), key="org_spot_seed")
        field_error("spot", "seed")
        go = st.form_submit_button(t("in.draw_go"))
    if go:
        if not seed.strip():
            local_error("spot", "seed", t("rv.required"))
            st.rerun()
        st.session_state["_spot_seed"] = seed.strip()
        ask(f"spot_draw_{cid}")
    seed = st.session_state.get("_spot_seed")
    if seed and confirmed(f"spot_draw_{cid}", t("in.draw_q", seed=seed)):
        submit("spot", "scoring", "POST", f"/programmes/{pid}/categories/{cid}/spot-checks", token,
               json={"seed": seed})
        st.rerun()


def _results(pid: str, cid: str, picks: list[dict], token: str) -> None:
    st.markdown(f"**{t('in.results')}**")
    flash("spot_result", ("task_id", "verified_points", "nomination_id"))
    doc = get("scoring", f"/programmes/{pid}/categories/{cid}/spot-checks", token) or {}
    names = {(p["nomination_id"], p["task_id"]): f"{p['nominee_name']} · {p['task_name']}" for p in picks}
    done = (doc.get("results") or {}).values()
    if done:
        st.markdown(data.markdown_table([{
            t("in.col.task"): names.get((r["nomination_id"], r["task_id"]), r["task_id"]),
            t("in.col.passed"): t("in.yes") if r["passed"] else t("in.no"),
            t("in.col.verified"): r.get("verified_points"), t("in.note"): r.get("note", "")} for r in done]))
    with st.form(f"org_spot_result_{cid}"):
        key = st.selectbox(t("in.pick"), list(names), format_func=names.get, key="org_spot_pick")
        passed = st.checkbox(t("in.passed"), value=True, key="org_spot_passed")
        verified = st.number_input(t("in.verified"), min_value=0.0, value=None, step=0.5, key="org_spot_verified")
        field_error("spot_result", "verified_points")
        note = st.text_input(t("in.note"), key="org_spot_note")
        go = st.form_submit_button(t("in.record_go"))
    if go and key:
        submit("spot_result", "scoring", "POST", f"/programmes/{pid}/categories/{cid}/spot-checks/results", token,
               json={"nomination_id": key[0], "task_id": key[1], "passed": passed, "verified_points": verified,
                     "note": note})
        st.rerun()


# ---- 述职评议 --------------------------------------------------------------------------------------------------------

def _report(pid: str, cid: str, token: str) -> None:
    st.markdown(f"#### {t('in.report')}")
    st.caption(t("in.report.how"))
    ok, doc, _ = request("scoring", "GET", f"/programmes/{pid}/categories/{cid}/standings", token)
    lines = []
    for s in (doc.get("standings") or []) if ok else []:
        rep = next((c for c in s.get("components") or [] if c.get("component") == "report"), None)
        if rep is not None:
            lines.append({t("in.col.nominee"): s.get("nominee_name") or s["nomination_id"],
                          t("in.col.report"): "—" if rep.get("raw") is None else f"{rep['normalised']:.2f}",
                          t("in.col.report_detail"): rep.get("detail", "")})
    if not lines:
        st.caption(t("in.no_standings"))
        return
    st.markdown(data.markdown_table(lines))
