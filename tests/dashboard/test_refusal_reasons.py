"""Every refusal a user can cause tells them why: a raise of Invalid, Conflict or Closed in the services (or a
Refusal of those kinds) carries its own stable code, or its message has a fixed wording that a rule of the dashboard
words; never only the generic "填写的内容不符合要求。" or "与当前状态不符，未执行。". A code whose words need a number
or a name is raised with those params, and the words show them in both languages."""
from __future__ import annotations

import ast
import string
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dashboard import refusals
from shared.errors import Invalid

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")])
KINDS = {"Invalid": "invalid", "Conflict": "conflict", "Closed": "closed"}
# Raise sites whose generic words are enough, or whose message a rule words though the scan cannot read it
# (path, function): why.
ALLOWED = {
    ("services/publicity/domain/objections.py", "check_identity"):
        "the objector's name, phone and email: contact_problem's fixed messages are worded by CONTACT_RULES "
        "(test_the_objectors_contact_refusals_say_what_is_valid_not_the_pattern); a code would add nothing",
}


def _text(node: ast.AST | None) -> str | None:
    """A message as written, its f-string parts as "1"; None when it is not written out at the raise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "1" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp):
        return _text(node.body)
    return None


def _called(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _functions(tree: ast.AST) -> dict[ast.AST, str]:
    """Each node inside a function, by the innermost function's name (ast.walk meets the outer one first)."""
    inside: dict[ast.AST, str] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update((node, fn.name) for node in ast.walk(fn))
    return inside


def raise_sites():
    """(where, function, kind, field, message, code node, params node) of each Invalid/Conflict/Closed call and each
    Refusal of those kinds in services/ and shared/."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = _functions(tree)
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            where = f"{rel}:{node.lineno}"
            if name in KINDS:
                message = node.args[0] if node.args else _keyword(node, "message")
                yield (where, inside.get(node, ""), KINDS[name], _text(_keyword(node, "field")) or "", message,
                       _keyword(node, "code"), _keyword(node, "params"))
            elif name == "Refusal" and len(node.args) >= 3 and _text(node.args[0]) in KINDS.values():
                code = node.args[3] if len(node.args) > 3 else _keyword(node, "code")
                params = node.args[4] if len(node.args) > 4 else _keyword(node, "params")
                yield (where, inside.get(node, ""), _text(node.args[0]), _text(node.args[1]) or "", node.args[2],
                       code, params)


def _service(where: str) -> str | None:
    parts = where.split("/")
    return parts[1] if parts[0] == "services" else None


def test_the_scan_finds_the_raise_sites():
    sites = list(raise_sites())
    assert len(sites) > 120
    assert {kind for _, _, kind, *_ in sites} == {"invalid", "conflict", "closed"}
    assert any(code is None for *_, code, _ in sites) and any(code is not None for *_, code, _ in sites)


def test_every_refusal_has_its_own_code_or_words_from_its_message():
    """A raise without a code of its own must have a message a rule words; else give it a code (and words)."""
    vague = []
    for where, function, kind, field, message, code, _ in raise_sites():
        if code is not None or (where.rsplit(":", 1)[0], function) in ALLOWED:
            continue
        text = _text(message)
        generic = refusals.words(f"code.{kind}", "zh")
        if text is None or refusals.why(kind, field, text, "zh", service=_service(where)) == generic:
            vague.append(f"{where} {kind} {field}: {text if text is not None else '(message not written out)'}")
    assert not vague, "refusals worded only by their generic code:\n" + "\n".join(vague)


def test_the_allow_list_is_short_and_current():
    functions = {(where.rsplit(":", 1)[0], function) for where, function, *_ in raise_sites()}
    assert len(ALLOWED) <= 3 and set(ALLOWED) <= functions


def _placeholders(key: str) -> set[str]:
    return {name for lang in (0, 1) for _, name, _, _ in string.Formatter().parse(refusals.TEXT[key][lang]) if name}


def test_a_code_whose_words_need_params_is_raised_with_them():
    """Each raise of a code whose words have {placeholders} passes params, with those keys when written out."""
    missing = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            code, params = _keyword(node, "code"), _keyword(node, "params")
            if _called(node) == "Refusal" and len(node.args) > 3:
                code, params = node.args[3], node.args[4] if len(node.args) > 4 else params
            codes = {c for c in (_text(code), _text(getattr(code, "orelse", None))) if c}
            for c in codes:
                key = f"code.{c}"
                if c == "stage_closed" or key not in refusals.TEXT or not _placeholders(key):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno} {c}"
                if params is None:
                    missing.append(f"{where}: no params")
                elif isinstance(params, ast.Dict):
                    given = {k.value for k in params.keys if isinstance(k, ast.Constant)}
                    if _placeholders(key) - given:
                        missing.append(f"{where}: no {sorted(_placeholders(key) - given)}")
    assert not missing, "\n".join(missing)


def test_a_refusal_with_params_is_worded_with_them_in_both_languages():
    """A notice of 0 working days: the service's refusal carries the limit, the page says it in either language."""
    from services.publicity.domain.calendar import MAX_WORKING_DAYS, period_for

    with pytest.raises(Invalid) as caught:
        period_for(datetime(2026, 3, 2, 1, tzinfo=timezone.utc), 0, {}, False)
    body = caught.value.body()
    assert body == {"error": {"code": "working_days_range", "message": "working_days: must be between 1 and 30",
                              "field": "working_days", "params": {"max": MAX_WORKING_DAYS}}}
    assert refusals.explain(422, body, "zh") == [("working_days", "公示工作日数：须在 1 到 30 个工作日之间。")]
    assert refusals.explain(422, body, "en") == [("working_days", "Working days: must be from 1 to 30 working days.")]


def test_params_name_a_stage_a_status_and_columns_in_the_chosen_language():
    stage = {"error": {"code": "stage_already_open", "field": "stage", "message": "the voting stage is already open",
                       "params": {"stage": "voting"}}}
    assert refusals.summary(409, stage, "zh") == "阶段：民主测评阶段已开启，无需重复操作。"
    assert refusals.summary(409, stage, "en") == "Stage: the peer voting stage is already open."
    status = {"error": {"code": "wrong_status", "field": "status", "message": "cannot approve a nomination that is "
                        "withdrawn; it must be submitted", "params": {"action": "approve", "status": "withdrawn"}}}
    assert refusals.summary(409, status, "zh") == "状态：“已撤回”的申报不能审核通过。"
    assert refusals.summary(409, status, "en") == "Status: a nomination that is withdrawn cannot be approved."
    columns = {"error": {"code": "missing_columns", "field": "file", "message": "line 1: missing column(s) "
                         "nomination_id or nominee, points", "params": {"columns": "nomination_id/nominee, points"}}}
    assert refusals.summary(422, columns, "zh").endswith("缺少必需的列：申报编号或被推荐对象、得分。请补上后重新上传。")
    assert "nomination_id or nominee, points;" in refusals.summary(422, columns, "en")


def test_a_refusal_without_params_keeps_its_body_and_its_words_never_break():
    assert Invalid("x", field="f").body() == {"error": {"code": "invalid", "message": "x", "field": "f"}}
    assert Invalid("x", code="file_empty", params={}).body() == {"error": {"code": "file_empty", "message": "x"}}
    # a client that drops the params (or an older service) still gets words, with an ellipsis for the number
    assert refusals.why("working_days_range", "working_days", "", "zh") == "须在 1 到 … 个工作日之间。"


def test_a_code_of_its_own_is_worded_by_its_code_not_by_a_rule_of_its_message():
    """"at most 256 KB" of a calendar file is not the attachment limit a rule of the message's wording says."""
    body = {"error": {"code": "calendar_too_large", "field": "file", "message": "file: a calendar file is at most "
                      "256 KB", "params": {"kb": 256}}}
    assert refusals.summary(422, body, "zh") == "文件：日历文件不能超过 256 KB。"
    generic = {"error": dict(body["error"], code="invalid")}
    assert refusals.summary(422, generic, "zh") != refusals.summary(422, body, "zh")
