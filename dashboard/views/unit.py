"""The units' page (申报单位) of the staff portal: nominate a nominee found by name in the unit's own subtree or roll,
with materials, attachments and a self-assessment per criterion; the unit's list with every status in words; withdraw;
read the reviewer's comment on a returned nomination and resubmit it. Each action refreshes the list.

Everything goes through the nominations service with the unit's session token (unit_calls); its refusals are shown
in the chosen language beside the field they name."""
from __future__ import annotations

import mimetypes

import pandas as pd
import streamlit as st

from .. import i18n, refusals
from ..ui import lang, tr
from .unit_calls import (
    FILE_TYPES,
    MAX_FILE_MB,
    MAX_FILES,
    MAX_MATERIALS,
    SHOWN,
    candidates,
    category_name,
    done,
    errors_for,
    my_nominations,
    nomination_stage_open,
    programme,
    refused,
    request,
    reviewer_note,
    size_words,
    status_words,
)


def unit_page(token: str, claims: dict, prog: dict) -> None:
    """A unit's whole job on one page, for the programme chosen in the portal."""
    unit_id = claims.get("unit_id")
    if not unit_id:
        st.error(tr("un.no_unit"))
        return
    pid = prog["_id"]
    detail = programme(pid) or prog
    criteria = {c["criterion_id"]: c["name"] for cat in detail.get("categories") or []
                for c in cat.get("criteria") or []}
    ok = st.session_state.pop("_un_ok", None)
    if ok:
        st.success(ok)
    if not nomination_stage_open(pid):
        st.warning(tr("un.stage_closed"))
    labels = [tr("un.tab_list"), tr("un.tab_new")]
    if st.session_state.pop("_un_to_list", False) or st.session_state.get("un_tabs") not in labels:
        st.session_state["un_tabs"] = labels[0]  # after an action, its effect in the list; or a language switch
    # Keyed, stateful tabs keep the unit's tab across reruns (a message above them comes and goes).
    listed, new = st.tabs(labels, key="un_tabs", on_change="rerun")
    if listed.open:
        with listed:
            items = my_nominations(pid, token)
            errors_for("list")
            nomination_list(pid, token, items or [], criteria)
    if new.open:
        with new:
            new_nomination(pid, token, unit_id, detail, criteria)


# ---- the list and one nomination ----------------------------------------------------------------------------------

def nomination_list(pid: str, token: str, items: list[dict], criteria: dict[str, str]) -> None:
    top = st.columns([5, 1])
    top[0].caption(tr("un.count", n=len(items)) + tr("un.list_help"))
    if top[1].button(tr("un.refresh"), key="un_refresh", use_container_width=True):
        st.rerun()  # the organiser's review shows at once: the list is read from the service on every run
    if not items:
        st.info(tr("un.none"))
        return
    # A plain table (not a canvas grid): every status and comment is text the unit can read, copy and print.
    st.table(pd.DataFrame([{
        tr("un.col.nominee"): n.get("nominee_name", ""), tr("un.col.category"): n.get("category_name", ""),
        tr("un.col.unit"): n.get("unit_name", ""), tr("un.col.status"): status_words(n),
        tr("un.col.comment"): reviewer_note(n), tr("un.col.files"): len(n.get("attachments") or []),
        tr("un.col.updated"): i18n.fmt_dt(n.get("updated_at"), lang())} for n in items]).set_index(
        tr("un.col.nominee")))
    by = {n["nomination_id"]: n for n in items}
    nid = st.selectbox(tr("un.pick"), list(by), key="un_pick",
                       format_func=lambda i: f"{by[i].get('nominee_name', '')} · {by[i].get('category_name', '')}")
    status, n = request("GET", f"/programmes/{pid}/nominations/{nid}", token)
    if status != 200:
        refused("list", status, n)
        errors_for("list")
        return
    with st.container(border=True):
        nomination_detail(pid, token, n, criteria)


def nomination_detail(pid: str, token: str, n: dict, criteria: dict[str, str]) -> None:
    st.markdown(f"**{n.get('nominee_name', '')}** · {n.get('category_name', '')} · {n.get('unit_name', '')}")
    st.markdown(tr("un.status_is", status=status_words(n)))
    note = reviewer_note(n)
    if n["status"] == "returned":
        st.warning(tr("un.returned_comment", comment=note))
    elif n["status"] == "rejected":
        st.error(tr("un.rejected_reason", reason=note))
    elif n["status"] == "approved":
        st.success(tr("un.approved_comment", comment=note))
    st.markdown(f"**{tr('un.materials')}**")
    st.write(n.get("materials") or tr("un.no_materials"))
    if n.get("self_assessment"):
        st.markdown(f"**{tr('un.self')}**")
        rows = [{tr("un.criterion_col"): criteria.get(k, k), tr("un.self"): f"{float(v):g}"}
                for k, v in n["self_assessment"].items()]
        total = sum(float(v) for v in n["self_assessment"].values())
        rows.append({tr("un.criterion_col"): tr("un.total"), tr("un.self"): f"{total:g}"})
        st.table(pd.DataFrame(rows).set_index(tr("un.criterion_col")))
    st.markdown(f"**{tr('un.files')}**")
    files = [f"- {tr('un.file_line', name=a.get('filename', ''), size=size_words(int(a.get('size') or 0)))}"
             for a in n.get("attachments") or []]
    st.markdown("\n".join(files) if files else tr("un.no_files"))
    history(n)
    if n["status"] == "returned":
        resubmit_form(pid, token, n, criteria)
    elif n["status"] == "submitted":
        more_files(pid, token, n)
    if n["status"] in ("submitted", "returned"):
        withdraw_button(pid, token, n)


def more_files(pid: str, token: str, n: dict) -> None:
    """Attach more files to a submitted nomination (or one refused at submission, again)."""
    nid = n["nomination_id"]
    gen = st.session_state.get("_un_gen", 0)
    with st.form(f"un_more_{nid}_{gen}"):
        st.markdown(f"**{tr('un.more_files')}**")
        files = files_input(f"un_more_files_{nid}_{gen}", "more")
        go = st.form_submit_button(tr("un.upload"))
    if not go or not files:
        return
    st.session_state.pop("_un_err_more", None)
    if files_ok("more", files, len(n.get("attachments") or [])):
        uploaded = upload_all(pid, token, nid, files, "more")
        if uploaded == len(files):
            done(tr("un.attached", n=uploaded))
            st.session_state["_un_gen"] = gen + 1
    st.rerun()


def history(n: dict) -> None:
    """Each step of the nomination, oldest first: when, what, and the reviewer's words."""
    st.markdown(f"**{tr('un.history')}**")
    lines = []
    for h in n.get("history") or []:
        key = f"un.act.{h.get('action')}"
        what = tr(key) if key in i18n.STRINGS else str(h.get("action", ""))
        comment = ("：" if lang() == "zh" else ": ") + h["comment"] if h.get("comment") else ""
        lines.append(f"- {i18n.fmt_dt(h.get('at'), lang())} · {what}{comment}")
    st.markdown("\n".join(lines))


def withdraw_button(pid: str, token: str, n: dict) -> None:
    nid, asked = n["nomination_id"], f"_un_ask_withdraw_{n['nomination_id']}"
    if not st.session_state.get(asked):
        if st.button(tr("un.withdraw"), key=f"un_withdraw_{nid}"):
            st.session_state[asked] = True
            st.rerun()
        return
    st.warning(tr("un.withdraw_q", nominee=n.get("nominee_name", "")))
    yes, no = st.columns(2)
    if yes.button(tr("un.confirm"), key=f"un_withdraw_yes_{nid}", type="primary"):
        st.session_state.pop(asked, None)
        status, body = request("POST", f"/programmes/{pid}/nominations/{nid}/withdraw", token)
        if status == 200:
            done(tr("un.withdrawn", nominee=n.get("nominee_name", "")))
        else:
            refused("list", status, body)
        st.rerun()
    if no.button(tr("un.cancel"), key=f"un_withdraw_no_{nid}"):
        st.session_state.pop(asked, None)
        st.rerun()


def resubmit_form(pid: str, token: str, n: dict, criteria: dict[str, str]) -> None:
    st.markdown(f"#### {tr('un.resubmit_title')}")
    errors_for("resubmit")
    cat = next((c for c in (programme(pid) or {}).get("categories") or []
                if c["category_id"] == n["category_id"]), {"criteria": []})
    nid = n["nomination_id"]
    with st.form(f"un_resubmit_{nid}"):
        materials = materials_input(f"un_re_materials_{nid}", n.get("materials") or "", "resubmit")
        scores = self_assessment_inputs(cat, f"un_re_{nid}", n.get("self_assessment") or {}, "resubmit")
        files = files_input(f"un_re_files_{nid}", "resubmit")
        go = st.form_submit_button(tr("un.resubmit"), type="primary")
    if not go:
        return
    st.session_state.pop("_un_err_resubmit", None)
    if not files_ok("resubmit", files, len(n.get("attachments") or [])) or \
            upload_all(pid, token, nid, files, "resubmit") < len(files):
        st.rerun()  # the refused files are said beside the uploader; the nomination stays returned
    status, body = request("PUT", f"/programmes/{pid}/nominations/{nid}", token,
                           json={"materials": materials.strip(), "self_assessment": scores})
    if status == 200:
        done(tr("un.resubmitted", nominee=n.get("nominee_name", "")))
    else:
        refused("resubmit", status, body, criteria)
    st.rerun()


# ---- the form's parts, shared by a new nomination and a resubmission ----------------------------------------------

def materials_input(key: str, value: str, form: str) -> str:
    text = st.text_area(tr("un.materials"), value=value, key=key, height=160, max_chars=MAX_MATERIALS,
                        help=tr("un.materials_help", n=MAX_MATERIALS))
    errors_for(form, "materials")
    return text


def self_assessment_inputs(cat: dict, key: str, current: dict, form: str) -> dict[str, float]:
    crits = cat.get("criteria") or []
    if not crits:
        return {}
    st.markdown(f"**{tr('un.self')}**")
    steps = sorted({float(c.get("step") or 0.5) for c in crits})
    st.caption(tr("un.self_help", step=" / ".join(f"{s:g}" for s in steps)))
    values: dict[str, float] = {}
    cols = st.columns(min(len(crits), 4))
    for i, c in enumerate(crits):
        top = float(c["max_points"])
        with cols[i % len(cols)]:
            v = st.number_input(tr("un.criterion", name=c["name"], max=f"{top:g}"), min_value=0.0, max_value=top,
                                step=float(c.get("step") or 0.5), value=current.get(c["criterion_id"]),
                                key=f"{key}_sa_{c['criterion_id']}", placeholder=f"0–{top:g}")
        if v is not None:
            values[c["criterion_id"]] = float(v)
    errors_for(form, "self_assessment")
    return values


def files_input(key: str, form: str) -> list:
    st.caption(tr("un.files_rule", mb=MAX_FILE_MB, n=MAX_FILES))
    files = st.file_uploader(tr("un.files"), type=FILE_TYPES, accept_multiple_files=True, key=key,
                             max_upload_size=MAX_FILE_MB)
    errors_for(form, "file")
    return list(files or [])


def files_ok(form: str, files: list, already: int) -> bool:
    """Checked before anything is sent, as the service checks them: nothing changes when one is refused."""
    lines = []
    for f in files:
        if f.size > MAX_FILE_MB * 1024 * 1024:
            too_big = refusals.words("why.file_size", lang(), n=MAX_FILE_MB)
            lines.append(("file", tr("un.file_failed", name=f.name, why=too_big)))
        elif f.size == 0:
            lines.append(("file", tr("un.file_failed", name=f.name, why=refusals.words("why.file_empty", lang()))))
    if already + len(files) > MAX_FILES:
        lines.append(("file", refusals.local("file", "why.file_count", lang(), form="unit", n=MAX_FILES)))
    if lines:
        st.session_state[f"_un_err_{form}"] = lines
    return not lines


def upload_all(pid: str, token: str, nid: str, files: list, form: str) -> int:
    """Attach each file to the nomination; the refused ones are said by name. Returns how many went through."""
    lines = []
    for f in files:
        mime = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        status, body = request("POST", f"/programmes/{pid}/nominations/{nid}/attachments", token,
                               files={"file": (f.name, f.getvalue(), mime)})
        if status != 201:
            code = refusals.code_of(status, body)
            why = "；".join(refusals.why(code, p["field"], p["message"], lang(), form="unit", problem=p)
                           for p in refusals.problems(status, body))
            lines.append(("file", tr("un.file_failed", name=f.name, why=why)))
    if lines:
        st.session_state[f"_un_err_{form}"] = lines
    return len(files) - len(lines)


# ---- a new nomination ---------------------------------------------------------------------------------------------

def new_nomination(pid: str, token: str, unit_id: str, prog: dict, criteria: dict[str, str]) -> None:
    errors_for("new")
    cats = prog.get("categories") or []
    if not cats:
        st.info(tr("un.no_categories"))
        return
    gen = st.session_state.setdefault("_un_gen", 0)  # a new generation of keys empties the form after a submission
    by = {c["category_id"]: c for c in cats}
    cid = st.selectbox(tr("un.category"), list(by), format_func=lambda c: category_name(by[c]), key="un_cat")
    errors_for("new", "category_id")
    cat = by[cid]
    nominee_id = nominee_picker(pid, token, unit_id, cat, gen)
    with st.form(f"un_new_{gen}"):
        materials = materials_input(f"un_materials_{gen}", "", "new")
        scores = self_assessment_inputs(cat, f"un_new_{cid}_{gen}", {}, "new")
        files = files_input(f"un_files_{gen}", "new")
        go = st.form_submit_button(tr("un.submit"), type="primary")
    if go:
        submit_new(pid, token, cat, nominee_id, materials, scores, files, criteria)


def nominee_picker(pid: str, token: str, unit_id: str, cat: dict, gen: int) -> str | None:
    kind = cat["nominee_kind"]
    what = "member" if kind == "member" else "unit"
    st.caption(tr("un.takes", kind=tr(f"un.kind.{kind}") if f"un.kind.{kind}" in i18n.STRINGS else kind))
    q = st.text_input(tr(f"un.search_{what}"), key=f"un_q_{what}_{gen}", help=tr("un.search_help"),
                      max_chars=100).strip()
    found, total = candidates(pid, token, unit_id, kind, q)
    if not found:
        st.info(tr("un.not_found", q=q, what=tr(f"un.what.{what}")))
    elif q:
        st.caption(tr("un.found_more", n=total, shown=SHOWN) if total > len(found) else tr("un.found", n=total))
    nominee = st.selectbox(tr("un.nominee"), list(found), index=None, format_func=found.get,
                           placeholder=tr("un.choose"), key=f"un_nominee_{cat['category_id']}_{gen}")
    errors_for("new", "nominee_id")
    return nominee


def submit_new(pid: str, token: str, cat: dict, nominee_id: str | None, materials: str, scores: dict,
               files: list, criteria: dict[str, str]) -> None:
    st.session_state.pop("_un_err_new", None)
    if not nominee_id:
        st.session_state["_un_err_new"] = [("nominee_id", refusals.local("nominee_id", "check.missing", lang(),
                                                                            form="unit"))]
        st.rerun()
    if not files_ok("new", files, 0):
        st.rerun()
    status, body = request("POST", f"/programmes/{pid}/nominations", token, json={
        "category_id": cat["category_id"], "nominee_id": nominee_id, "materials": materials.strip(),
        "self_assessment": scores})
    if status != 201:
        refused("new", status, body, criteria)
        st.rerun()
    done("")
    # The nomination stands whatever happens to its files; a refused file is said above the list, by its name.
    uploaded = upload_all(pid, token, body["nomination_id"], files, "list")
    st.session_state["_un_ok"] = tr("un.submitted", nominee=body.get("nominee_name", ""),
                                    category=category_name(cat), files=uploaded)
    st.session_state["_un_gen"] += 1
    st.session_state["_un_to_list"] = True
    st.rerun()
