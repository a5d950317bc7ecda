"""The console's glue: service calls that keep the field an error names, errors shown beside that field,
confirmations before what cannot be undone, and downloads of the services' documents."""
from __future__ import annotations

from typing import Any

import httpx
import streamlit as st

from ... import data, refusals
from ...ui import config, lang
from ...ui import tr as ui_tr
from .text import t

TIMEOUT = 30.0  # a PDF with an embedded CJK subset takes a few seconds on a loaded 2-core machine


def request(service: str, method: str, path: str, token: str, *, json: Any = None, params: dict | None = None,
            files: list | None = None) -> tuple[bool, Any, list[tuple[str | None, str]]]:
    """(ok, body or the refusal in one line, the problems as (field, line): every field the service's error
    names, each line in words naming the field as the console's forms do)."""
    url = config().urls[service].rstrip("/") + path
    try:
        r = httpx.request(method, url, headers={"Authorization": f"Bearer {token}"}, json=json, params=params,
                          files=files, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        message = ui_tr("pt.unreachable", service=service, error=type(exc).__name__)
        return False, message, [(None, message)]
    try:
        body = r.json() if r.content else {}
    except ValueError:
        body = r.text
    if r.status_code < 400:
        return True, body, []
    lines = refusals.explain(r.status_code, body, lang())
    return False, refusals.summary(r.status_code, body, lang()), [(f or None, text) for f, text in lines]


def get(service: str, path: str, token: str, **params) -> Any:
    ok, body, _ = request(service, "GET", path, token, params={k: v for k, v in params.items() if v is not None})
    if not ok:
        st.error(body)
        return None
    return body


def submit(form: str, service: str, method: str, path: str, token: str, *, json: Any = None,
           params: dict | None = None, files: list | None = None) -> bool:
    """Send a command; remember its outcome for the next run of the page (shown by flash / field_error)."""
    ok, body, problems = request(service, method, path, token, json=json, params=params, files=files)
    if ok:
        st.session_state.pop(f"_err_{form}", None)
        st.session_state[f"_ok_{form}"] = body
        st.cache_data.clear()
    else:
        st.session_state[f"_err_{form}"] = problems
    return ok


def local_error(form: str, field: str, message: str) -> None:
    st.session_state[f"_err_{form}"] = [(field, message)]


def field_error(form: str, field: str, prefix: bool = False) -> None:
    """The errors of the last submission of `form` that name `field` (or, with prefix, a field inside it), shown
    right under that field's widget."""
    for f, message in st.session_state.get(f"_err_{form}") or []:
        if f == field or (prefix and f and f.startswith(field)):
            st.error(message)


def flash(form: str, fields: tuple[str, ...] = ()) -> Any:
    """After a submission: the success message once, or the errors that name none of the form's own fields."""
    body = st.session_state.pop(f"_ok_{form}", None)
    if body is not None:
        st.success(t("done"))
    for f, message in st.session_state.get(f"_err_{form}") or []:
        if not f or not any(f == x or f.startswith(x + ".") or f.startswith(x + "[") for x in fields):
            st.error(message)
    return body


def import_result(r: dict, words: str) -> None:
    """An import's answer: how many rows were imported and unchanged, each bad row by its line with the reason, and
    what was left out because of them. `words`: the texts' prefix (im: the tree and the roll, in: indicators)."""
    if r.get("imported", 0) == 0 and not r.get("bad_rows"):
        st.info(t(f"{words}.unchanged", n=r.get("unchanged", 0)))
    else:
        st.success(t(f"{words}.result", imported=r.get("imported", 0), unchanged=r.get("unchanged", 0),
                     bad=len(r.get("bad_rows", []))))
    if r.get("bad_rows"):
        st.markdown(data.markdown_table([{t("im.line"): b["line"], t("im.reason"): b["reason"]}
                                         for b in r["bad_rows"]]))
    if r.get("left_out"):
        st.warning(t("in.left_out", names="、".join(x["nominee_name"] or x["nomination_id"] for x in r["left_out"])))


def confirmed(key: str, question: str) -> bool:
    """A two-step confirmation: call with the action's key after its button was pressed once (`ask`)."""
    if not st.session_state.get(f"_ask_{key}"):
        return False
    st.warning(question)
    c1, c2 = st.columns(2)
    if c1.button(t("confirm"), key=f"_yes_{key}", type="primary"):
        st.session_state.pop(f"_ask_{key}", None)
        return True
    if c2.button(t("confirm.cancel"), key=f"_no_{key}"):
        st.session_state.pop(f"_ask_{key}", None)
        st.rerun()
    return False


def ask(key: str) -> None:
    st.session_state[f"_ask_{key}"] = True


def download(label: str, service: str, path: str, token: str, filename: str, mime: str, key: str,
             params: dict | None = None) -> None:
    """Fetch a document from its service on request (PDFs take seconds), then offer it to save."""
    if st.button(t("dl.fetch", what=label), key=f"_fetch_{key}"):
        url = config().urls[service].rstrip("/") + path
        try:
            r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, params=params, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            st.error(ui_tr("pt.unreachable", service=service, error=type(exc).__name__))
            return
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = r.text
            st.error(refusals.summary(r.status_code, body, lang()))
            return
        st.session_state[f"_doc_{key}"] = r.content
    content = st.session_state.get(f"_doc_{key}")
    if content:
        st.download_button(label, content, file_name=filename, mime=mime, key=f"_save_{key}", type="primary")


def options(items: list[dict], key: str, label) -> dict[str, str]:
    return {x[key]: label(x) for x in items}
