"""The nominations service's refusals, as a unit reads them: "<the field as the form names it>: <why>", in the
chosen language. The service answers {"error": {"code", "message", "field", "problems"?}} in English; here the
code, the field and the message's fixed wording pick the sentence, so no English reaches the Chinese page."""
from __future__ import annotations

import re
from typing import Any

from .. import i18n

ACTIONS = {"withdraw": "withdraw", "resubmit": "resubmit", "attach files to": "attach"}
_BAD_STATUS = re.compile(r"cannot (withdraw|resubmit|attach files to) a nomination that is (\w+)")
_NUMBER = r"(\d+(?:\.\d+)?)"


def problems(status: int, body: Any) -> list[tuple[str, str]]:
    """(field, message) of every problem of a service's error answer; the field is "" when it names none."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        if status == 401:
            return [("token", "unauthorized")]
        return [("", str(body)[:300] if body else f"HTTP {status}")]
    listed = [(str(p.get("field") or ""), str(p.get("message") or "")) for p in err.get("problems") or []
              if isinstance(p, dict)]
    return listed or [(str(err.get("field") or ""), str(err.get("message") or ""))]


def code_of(status: int, body: Any) -> str:
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("code"):
        return str(err["code"])
    return {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large", 429: "rate_limited"}.get(
        status, "error")


def field_label(field: str, lang: str, criteria: dict[str, str] | None = None) -> str:
    """The field as the form names it: self_assessment.<criterion> is that criterion's name."""
    head, _, rest = field.partition(".")
    if head == "self_assessment" and rest:
        name = (criteria or {}).get(rest, rest)
        return f"{i18n.t('un.f.self_assessment', lang)}“{name}”" if lang == "zh" \
            else f"{i18n.t('un.f.self_assessment', lang)} “{name}”"
    key = f"un.f.{head}"
    return i18n.t(key, lang) if key in i18n.STRINGS else field


def _kind_words(message: str, lang: str) -> str:
    m = re.search(r"takes nominees of kind (\w+)", message)
    kind = m.group(1) if m else ""
    key = f"un.kind.{kind}"
    return i18n.t(key, lang) if key in i18n.STRINGS else kind


def why(code: str, field: str, message: str, lang: str) -> str:
    """Why the service refused, in the chosen language, from its code, its field and its message's wording."""
    def t(key: str, **kw: Any) -> str:
        return i18n.t(f"un.why.{key}", lang, **kw)

    head = field.partition(".")[0]
    rules: list[tuple[bool, Any]] = [
        (code in ("closed", "stage_closed") or head == "stage", lambda: t("stage_closed")),
        (code == "unauthorized" or head == "token", lambda: t("signed_out")),
        (code == "rate_limited", lambda: t("rate_limited")),
        ("not in the organisation tree" in message, lambda: t("not_in_tree")),
        ("takes nominees of kind" in message, lambda: t("wrong_kind", kind=_kind_words(message, lang))),
        ("outside" in message and head in ("nominee_id", "unit_id"), lambda: t("outside")),
        ("veto" in message, lambda: t("veto")),
        ("already nominated" in message, lambda: t("already")),
        ("limit of" in message, lambda: t("limit", n=_first_number(r"limit of " + _NUMBER, message))),
        ("unknown criterion" in message, lambda: t("unknown_criterion")),
        ("from 0 to" in message, lambda: t("range", max=_first_number(r"from 0 to " + _NUMBER, message))),
        ("multiple of" in message, lambda: t("step", step=_first_number(r"multiple of " + _NUMBER, message))),
        ("longer than" in message, lambda: t("too_long", n=_first_number(r"longer than " + _NUMBER, message))),
        ("file type" in message, lambda: t("file_type")),
        ("file is empty" in message, lambda: t("file_empty")),
        ("larger than" in message or code == "too_large",
         lambda: t("file_size", mb=_first_number(r"larger than " + _NUMBER, message) or "10")),
        ("at most" in message and head == "file", lambda: t("file_count", n=_first_number(r"at most " + _NUMBER,
                                                                                         message))),
        ("while the file was uploading" in message, lambda: t("file_race")),
        (bool(_BAD_STATUS.search(message)), lambda: _bad_status(message, lang)),
        (head == "nomination_id" and code in ("forbidden", "not_found"), lambda: t("not_yours")),
        (code == "forbidden", lambda: t("forbidden")),
        (code == "not_found", lambda: t("not_found")),
        (code == "invalid" and ("at least 1" in message or "required" in message.lower()), lambda: t("missing")),
        (code == "invalid", lambda: t("bad_value")),
    ]
    for matched, words in rules:
        if matched:
            return words()
    return t("other", code=code)


def _first_number(pattern: str, message: str) -> str:
    m = re.search(pattern, message)
    return m.group(1) if m else ""


def _bad_status(message: str, lang: str) -> str:
    m = _BAD_STATUS.search(message)
    action, status = ACTIONS[m.group(1)], m.group(2)
    status_key = f"un.status.{status}"
    status_words = i18n.t(status_key, lang) if status_key in i18n.STRINGS else status
    return i18n.t("un.why.bad_status", lang, status=status_words, action=i18n.t(f"un.action.{action}", lang))


def explain(status: int, body: Any, lang: str, criteria: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Every problem of a refusal as (field, the sentence a unit reads), the field named as the form names it."""
    code = code_of(status, body)
    out = []
    for field, message in problems(status, body):
        words = why(code, field, message, lang)
        out.append((field, i18n.t("un.err.line", lang, field=field_label(field, lang, criteria), why=words)
                    if field else words))
    return out
