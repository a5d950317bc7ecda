"""Streamlit glue shared by the pages: language, the cached Mongo client and queries, service calls."""
from __future__ import annotations

from typing import Any

import httpx
import streamlit as st
from pymongo import MongoClient

from . import data, i18n, refusals, slips

SERVICE_TIMEOUT = 15.0


def lang() -> str:
    value = st.session_state.get("lang")
    if value not in i18n.LANGS:
        value = st.query_params.get("lang", i18n.DEFAULT_LANG)
        value = value if value in i18n.LANGS else i18n.DEFAULT_LANG
        st.session_state["lang"] = value
    return value


def tr(key: str, **kw) -> str:
    return i18n.t(key, lang(), **kw)


def streamlit_words() -> None:
    """Streamlit's own English on its widgets in the chosen language: a form's "Press Enter to submit form" is
    hidden, and on a Chinese page the uploader's "Upload" button reads 选择文件 and its "200MB per file" line (not
    the services' limit) gives way to the page's own caption of the limits."""
    css = "[data-testid='InputInstructions']{display:none}"
    if lang() == "zh":
        css += ("[data-testid='stFileUploaderDropzoneInstructions']{display:none}"
                "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p{font-size:0}"
                "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after"
                "{content:'选择文件';font-size:0.875rem}")
    st.html(f"<style>{css}</style>")


@st.cache_resource
def config() -> data.Config:
    return data.config_from_env()


@st.cache_resource
def _client(url: str) -> MongoClient:
    # One pooled client per process, shared by every session; short timeouts keep a page from hanging.
    return MongoClient(url, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000, socketTimeoutMS=10000,
                       appname="exemplar-dashboard", tz_aware=True)


def public_base() -> str:
    """The dashboard's public address for QR codes and receipt links: the setting, else this server's port."""
    return slips.base_url(port=st.get_option("server.port"))


def db():
    cfg = config()
    return _client(cfg.mongo_url)[cfg.database]


# ---- cached queries (short TTLs: the read model changes live) -------------------------------------------------------

@st.cache_data(ttl=5, show_spinner=False)
def programmes() -> list[dict]:
    return data.programmes(db())


@st.cache_data(ttl=2, show_spinner=False)
def entries(programme_id: str, category_id: str | None = None) -> list[dict]:
    return data.entries(db(), programme_id, category_id)


@st.cache_data(ttl=1, show_spinner=False)
def arenas(programme_id: str | None = None) -> list[dict]:
    return data.arenas(db(), programme_id)


@st.cache_data(ttl=0.5, show_spinner=False)
def arena(arena_id: str) -> dict | None:
    return data.arena(db(), arena_id)


@st.cache_data(ttl=3, show_spinner=False)
def rounds(programme_id: str | None = None) -> list[dict]:
    return data.rounds(db(), programme_id)


@st.cache_data(ttl=3, show_spinner=False)
def notices(programme_id: str | None = None) -> list[dict]:
    return data.notices(db(), programme_id)


@st.cache_data(ttl=3, show_spinner=False)
def entries_by_id(ids: tuple[str, ...]) -> dict[str, dict]:
    return data.entries_by_id(db(), list(ids))


@st.cache_data(ttl=5, show_spinner=False)
def honours(programme_id: str | None = None) -> list[dict]:
    return data.honours(db(), programme_id)


@st.cache_data(ttl=10, show_spinner=False)
def unit_names(programme_id: str | None = None) -> dict[str, str]:
    return data.unit_names(db(), programme_id)


@st.cache_data(ttl=2, show_spinner=False)
def unit_entries(unit_id: str) -> list[dict]:
    return data.unit_entries(db(), unit_id)


@st.cache_data(ttl=60, show_spinner=False)
def unit_tree(programme_id: str) -> dict[str, dict[str, str]]:
    """Unit names and parents from the organisation tree (public); empty when it cannot be read, so a chart
    falls back to the read model's names without grouping."""
    empty: dict[str, dict[str, str]] = {"names": {}, "parents": {}}
    if not programme_id:
        return empty
    ok, body = call("nominations", "GET", f"/programmes/{programme_id}/units", params={"flat": "true"})
    if not ok or not isinstance(body, list):
        return empty
    return {"names": {u["unit_id"]: u.get("name") or u["unit_id"] for u in body if u.get("unit_id")},
            "parents": {u["unit_id"]: u["parent_id"] for u in body if u.get("unit_id") and u.get("parent_id")}}


def guarded(fn, *args, **kw):
    """Run a read-model query; on a database failure show the error and stop the page (no exception box)."""
    try:
        return fn(*args, **kw)
    except Exception as exc:  # pymongo errors of every kind: the page explains instead of crashing
        st.error(tr("app.db_error", error=f"{type(exc).__name__}: {exc}"))
        st.stop()


def programme_picker(key: str = "programme") -> dict | None:
    progs = guarded(programmes)
    if not progs:
        st.info(tr("app.no_data"))
        return None
    labels = {p["_id"]: f"{p.get('name') or p['_id']}（{p.get('year', '')}）" if lang() == "zh"
              else f"{p.get('name') or p['_id']} ({p.get('year', '')})" for p in progs}
    ids = list(labels)
    wanted = st.query_params.get("programme")  # a deep link picks the programme: ?programme=<id>
    if wanted and wanted not in labels and not st.session_state.get(f"_refreshed_{wanted}"):
        st.session_state[f"_refreshed_{wanted}"] = True  # a programme newer than the cache: read once more
        programmes.clear()
        return programme_picker(key)
    index = ids.index(wanted) if wanted in ids else 0
    chosen = st.selectbox(tr("lb.programme"), ids, index=index, format_func=labels.get, key=key)
    return next(p for p in progs if p["_id"] == chosen)


# ---- service calls (staff portal and the objection form only; public pages never call services) ----------------------

def call(service: str, method: str, path: str, *, token: str | None = None, json: Any = None,
         data_: dict | None = None, files: list | None = None, params: dict | None = None,
         labels: dict[str, str] | None = None) -> tuple[bool, Any]:
    """Call a service; returns (True, body) or (False, the refusal in words, naming its fields as `labels` (the
    form's own labels by field) or the forms do)."""
    ok, body, _ = call_coded(service, method, path, token=token, json=json, data_=data_, files=files, params=params,
                             labels=labels)
    return ok, body


def call_coded(service: str, method: str, path: str, *, token: str | None = None, json: Any = None,
               data_: dict | None = None, files: list | None = None,
               params: dict | None = None, labels: dict[str, str] | None = None) -> tuple[bool, Any, str | None]:
    """Like call, with the refusal's stable code (None when the service gave none) so the page can word it."""
    url = config().urls[service].rstrip("/") + path
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        r = httpx.request(method, url, headers=headers, json=json, data=data_, files=files, params=params,
                          timeout=SERVICE_TIMEOUT)
    except httpx.HTTPError as exc:
        return False, tr("pt.unreachable", service=service, error=type(exc).__name__), "unreachable"
    try:
        body = r.json()
    except ValueError:
        body = r.text
    if r.status_code >= 400:
        words = refusals.summary(r.status_code, body, lang(), service=service, labels=labels)
        return False, words, data.error_code(body)
    return True, body, None


def refusal(message: str, code: str | None) -> str:
    """A voting refusal on a ballot page: the words of its code alone when it has its own, else the refusal's
    line (already in words) as a failure."""
    if code in refusals.VOTER:
        return refusals.sentence(refusals.code_words(code, "", lang(), "voting"), lang())
    return tr("pt.error", message=message)


def show_result(ok: bool, body: Any, success: str | None = None) -> bool:
    if ok:
        st.success(success or tr("pt.done"))
    else:
        st.error(tr("pt.error", message=body))
    return ok
