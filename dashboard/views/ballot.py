"""Ballots that cannot mislead, for the phone page (扫码投票, credential only) and the portal (signed-in member).

One component serves both: nothing preselected, every candidate answered or abstained, the caps counted live and
enforced, then a confirmation step before the ballot is cast, then the receipt with a link that checks it later.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from .. import ballot as rules
from .. import i18n, slips
from ..ui import call, call_coded, lang, refusal, tr

Cast = Callable[[dict], tuple[bool, Any, str | None]]

PHONE_CSS = """
<style>
header[data-testid="stHeader"] { display: none; }
.block-container { max-width: 560px; padding-top: 1rem; padding-left: .9rem; padding-right: .9rem; }
.st-key-bl_status { position: sticky; top: 0; z-index: 99; background: var(--background-color, #fff);
                    padding: .35rem 0; border-bottom: 1px solid #ddd; }
</style>
"""
RECEIPT_CSS = ("<style>.bl-receipt { font-family: monospace; font-size: 1.6rem; font-weight: 700; "
               "letter-spacing: .08em; }</style>")


# ---- the shared ballot component -------------------------------------------------------------------------------------

def ballot_form(rnd: dict, key: str, cast: Cast) -> dict | None:
    """Fill in, confirm, cast. Returns the service's answer once the ballot is cast, else None."""
    step = st.session_state.get(f"{key}:step", "fill")
    if step == "done":
        return st.session_state[f"{key}:result"]
    if step == "confirm":
        _confirm(rnd, key, cast)
        return st.session_state.get(f"{key}:result")
    if rnd.get("ballot_type") == "appraisal":
        _fill_grades(rnd, key)
    else:
        _fill_selections(rnd, key)
    return None


def _candidate_label(i: int, c: dict) -> str:
    return f"{i}. {c.get('nominee_name') or c['nomination_id']}"


def _status_bar(check: rules.BallotCheck, rnd: dict) -> None:
    with st.container(key="bl_status"):
        if check.ballot_type == "appraisal":
            cap = tr("bl.cap", n=check.excellent, cap=check.excellent_cap) if check.excellent_cap is not None \
                else tr("bl.excellent_count", n=check.excellent)
            over = check.excellent_cap is not None and check.excellent > check.excellent_cap
            st.markdown(f"**{tr('bl.progress_grades', answered=check.answered, total=check.total)}** · "
                        + (f":red[**{cap}**]" if over else f"**{cap}**"))
        else:
            names = _category_names(rnd)
            parts = []
            for cat, limit in check.limits.items():
                k = check.selected.get(cat, 0)
                text = tr("bl.selected", k=k, n=limit) if len(check.limits) == 1 else \
                    tr("bl.selected_in", category=names.get(cat, cat), k=k, n=limit)
                parts.append(f":red[**{text}**]" if k > limit else f"**{text}**")
            st.markdown(" · ".join(parts) or tr("bl.selected", k=check.selected_total, n=check.total))


def _category_names(rnd: dict) -> dict[str, str]:
    return {c: c for c in rnd.get("category_ids") or []} | dict(rnd.get("category_names") or {})


def _restore(key: str, saved: dict, widget_keys: dict[str, str]) -> None:
    """Back from the confirmation step: the widgets were not drawn there, so Streamlit forgot them; seed them."""
    for nid, wk in widget_keys.items():
        if wk not in st.session_state and nid in saved:
            st.session_state[wk] = saved[nid]


def _fill_grades(rnd: dict, key: str) -> None:
    cands = rules.candidates(rnd)
    widget = {c["nomination_id"]: f"{key}:g:{c['nomination_id']}" for c in cands}
    _restore(key, st.session_state.get(f"{key}:choices", {}), widget)
    choices = {nid: st.session_state.get(wk) for nid, wk in widget.items()}
    check = rules.check_grades(rnd, choices)
    help_text = tr("bl.how_grades" if rules.abstain_allowed(rnd) else "bl.how_grades_all") + (
        " " + tr("bl.how_cap", cap=check.excellent_cap) if check.excellent_cap is not None else "")
    st.caption(help_text)
    _status_bar(check, rnd)
    options = rules.grade_options(rnd)
    for i, c in enumerate(cands, start=1):
        with st.container(border=True):
            st.markdown(f"**{_candidate_label(i, c)}**")
            if rules.unit_of(c):
                st.caption(rules.unit_of(c))
            st.radio(_candidate_label(i, c), options, index=None, key=widget[c["nomination_id"]], horizontal=True,
                     label_visibility="collapsed",
                     format_func=lambda g: tr("bl.abstain") if g == rules.ABSTAIN else i18n.grade(g, lang()))
    _next(check, key, choices)


def _fill_selections(rnd: dict, key: str) -> None:
    cands = rules.candidates(rnd)
    widget = {c["nomination_id"]: f"{key}:s:{c['nomination_id']}" for c in cands}
    _restore(key, {nid: True for nid in st.session_state.get(f"{key}:choices", {}).get("selected", [])}, widget)
    selected = [nid for nid, wk in widget.items() if st.session_state.get(wk)]
    check = rules.check_selections(rnd, selected)
    limit = max(check.limits.values()) if check.limits else check.total
    st.caption(tr("bl.how_select", n=limit))
    _status_bar(check, rnd)
    for i, c in enumerate(cands, start=1):
        with st.container(border=True):
            st.checkbox(f"**{_candidate_label(i, c)}**", key=widget[c["nomination_id"]])
            if rules.unit_of(c):
                st.caption(rules.unit_of(c))
    _next(check, key, {"selected": selected})


def _next(check: rules.BallotCheck, key: str, choices: dict) -> None:
    for p in check.problems:
        st.warning(tr(p.key, **p.values))
    if st.button(tr("bl.next"), type="primary", disabled=not check.ok, use_container_width=True, key=f"{key}:next"):
        st.session_state[f"{key}:choices"] = choices
        st.session_state[f"{key}:step"] = "confirm"
        st.rerun()


def _confirm(rnd: dict, key: str, cast: Cast) -> None:
    choices = st.session_state.get(f"{key}:choices", {})
    appraisal = rnd.get("ballot_type") == "appraisal"
    st.subheader(tr("bl.confirm_title"))
    st.caption(tr("bl.confirm_help"))
    lines = []
    for i, c in enumerate(rules.candidates(rnd), start=1):
        nid = c["nomination_id"]
        if appraisal:
            g = choices.get(nid)
            choice = tr("bl.abstain") if g == rules.ABSTAIN else i18n.grade(g, lang())
            choice = f"**{choice}**" if g == "excellent" else choice
        else:
            choice = f"**✓ {tr('bl.selected_mark')}**" if nid in choices.get("selected", []) else tr("bl.not_selected")
        unit = rules.unit_of(c)
        lines.append(f"| {_candidate_label(i, c)}{'<br><small>' + unit + '</small>' if unit else ''} | {choice} |")
    st.markdown(f"| {tr('lb.nominee')} | {tr('bl.choice')} |\n|---|---|\n" + "\n".join(lines),
                unsafe_allow_html=True)
    body = rules.payload(rnd, choices=choices if appraisal else None,
                         selected=None if appraisal else choices.get("selected", []))
    error = st.session_state.pop(f"{key}:error", None)
    if error:
        st.error(error)
    left, right = st.columns(2)
    if left.button(tr("bl.back"), use_container_width=True, key=f"{key}:back"):
        st.session_state[f"{key}:step"] = "fill"
        st.rerun()
    if right.button(tr("bl.cast"), type="primary", use_container_width=True, key=f"{key}:cast"):
        ok, answer, code = cast(body)
        if ok:
            st.session_state[f"{key}:result"] = answer
            st.session_state[f"{key}:step"] = "done"
            st.cache_data.clear()
        else:
            st.session_state[f"{key}:error"] = refusal(answer, code)
        st.rerun()


def receipt_block(result: dict, base: str) -> None:
    """The receipt, and a link (and its QR code) that checks it later with nothing to type."""
    st.success(tr("bl.done") if result.get("status") == "accepted" else tr("bl.pending"))
    st.caption(tr("bl.receipt"))
    st.markdown(f'{RECEIPT_CSS}<p class="bl-receipt">{result.get("receipt", "")}</p>', unsafe_allow_html=True)
    url = slips.receipt_url(base, result.get("round_id", ""), result.get("receipt", ""))
    st.link_button(tr("bl.check_link"), url, type="primary", use_container_width=True)
    st.caption(tr("bl.keep"))
    st.image(slips.qr_png(url, box_size=5), width=180)


# ---- the phone pages (no sign-in: the credential is the ballot's only key) ------------------------------------------

def _phone_header(title: str) -> None:
    st.markdown(PHONE_CSS, unsafe_allow_html=True)
    st.markdown(f"### {title}")


def _language_switch() -> None:
    """At the foot of a phone page: the ballot comes first, the other language one tap away."""
    st.divider()
    if st.button(tr("bl.lang"), key="phone_lang", type="tertiary"):
        new = "en" if lang() == "zh" else "zh"
        st.session_state["lang"] = new
        st.query_params["lang"] = new
        st.rerun()


def _resolve(credential: str) -> tuple[bool, Any, str | None]:
    """The credential's round and whether it was used, asked once per session (each widget click reruns the page)."""
    cache = st.session_state.setdefault("resolved", {})
    if credential not in cache:
        answer = call_coded("voting", "POST", "/credentials/resolve", json={"credential": credential})
        if not answer[0] and answer[2] in ("unreachable", "rate_limited"):
            return answer
        cache[credential] = answer
    return cache[credential]


def phone_ballot_page(base: str) -> None:
    _phone_header(tr("bl.title"))
    _ballot_body(base)
    _language_switch()


def _ballot_body(base: str) -> None:
    credential = (st.query_params.get("c") or "").strip()
    if not credential:
        st.info(tr("bl.no_credential"))
        with st.form("typed_credential"):
            typed = st.text_input(tr("bl.type_credential"), key="typed_credential")
            if st.form_submit_button(tr("bl.open"), type="primary") and typed.strip():
                st.query_params["c"] = typed.strip().upper()
                st.rerun()
        return
    key = "phone:" + hashlib.sha256(credential.encode()).hexdigest()[:12]
    if st.session_state.get(f"{key}:step") == "done":
        st.markdown(f"**{st.session_state.get(f'{key}:round_name', '')}**")
        receipt_block(st.session_state[f"{key}:result"], base)
        return
    ok, answer, code = _resolve(credential)
    if not ok:
        st.error(refusal(answer, code))
        return
    rnd = answer["round"]
    st.markdown(f"**{rnd.get('name', '')}**")
    if answer.get("used"):
        st.warning(tr("bl.used"))
        return
    window = answer.get("window") or rnd.get("state")
    if window == "closed":
        st.warning(tr("bl.round_closed"))
        return
    if window == "not_open":
        st.info(tr("bl.round_not_open"))
        return
    st.session_state[f"{key}:round_name"] = rnd.get("name", "")
    ballot_form(rnd, key, lambda body: call_coded(
        "voting", "POST", f"/rounds/{rnd['round_id']}/ballots", json={"credential": credential, **body}))


def phone_receipt_page() -> None:
    _phone_header(tr("bl.receipt_title"))
    _receipt_body()
    _language_switch()


def _receipt_body() -> None:
    round_id, receipt = (st.query_params.get("r") or "").strip(), (st.query_params.get("k") or "").strip()
    if not round_id or not receipt:
        st.warning(tr("bl.receipt_bad_link"))
        return
    ok, body, code = call_coded("voting", "GET", f"/rounds/{round_id}/receipts/{receipt}")
    if not ok:
        st.error(refusal(body, code))
        return
    ok, rnd = call("voting", "GET", f"/rounds/{round_id}")
    name = rnd.get("name", "") if ok and isinstance(rnd, dict) else ""
    if name:
        st.markdown(f"**{name}**")
    st.caption(tr("bl.receipt"))
    st.markdown(f'{RECEIPT_CSS}<p class="bl-receipt">{body.get("receipt", receipt)}</p>', unsafe_allow_html=True)
    if body.get("recorded"):
        st.success(tr("bl.receipt_found", receipt=body.get("receipt", receipt), round=name or round_id))
    else:
        st.warning(tr("bl.receipt_missing", receipt=body.get("receipt", receipt)))
        if body.get("state") != "closed":
            st.caption(tr("bl.receipt_wait"))
    if body.get("bulletin_root"):
        st.caption(tr("bl.bulletin_root", root=body["bulletin_root"]))
    if st.button(tr("bl.check_again"), use_container_width=True):
        st.rerun()
