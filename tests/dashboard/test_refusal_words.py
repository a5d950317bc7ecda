"""Every refusal a service can raise has its words in the dashboard, in Chinese and in English, and every field a
service names has the label the forms give it. The codes and the fields are found in the services' own code (the
error constructors, the refusals, the request models), so a new code or field without words fails here."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from dashboard import i18n, refusals
from dashboard.views import public
from services.voting import domain as voting
from shared.errors import validation_problem

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")])
SERVICES = ("nominations", "voting", "scoring", "publicity", "leaderboard")
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
NAME = re.compile(r"^[a-z][a-z_]*$")


def _const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _consts(node: ast.AST | None) -> set[str]:
    """The strings a value can be: a constant, or either branch of `a if cond else b`."""
    if isinstance(node, ast.IfExp):
        return _consts(node.body) | _consts(node.orelse)
    c = _const(node)
    return {c} if c else set()


def _called(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _codes_in(tree: ast.AST) -> set[str]:
    """code="x" in a call, Refusal(kind, field, message, "x"), a class's code = "x" (or status, code = 4xx, "x"),
    {"code": "x"} in an answer, and the framework's codes by status."""
    codes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            codes.update(c for k in node.keywords if k.arg == "code" for c in _consts(k.value))
            if _called(node) == "Refusal" and len(node.args) > 3 and (c := _const(node.args[3])):
                codes.add(c)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], (ast.Name, ast.Tuple)):
            target, value = node.targets[0], node.value
            names = [target] if isinstance(target, ast.Name) else target.elts
            values = [value] if isinstance(target, ast.Name) else getattr(value, "elts", [])
            codes.update(c for n, v in zip(names, values) if getattr(n, "id", "") == "code" and (c := _const(v)))
            if getattr(target, "id", "") == "codes" and isinstance(value, ast.Dict):
                codes.update(c for v in value.values if (c := _const(v)))
        elif isinstance(node, ast.Dict):
            codes.update(c for k, v in zip(node.keys, node.values) if _const(k) == "code" and (c := _const(v)))
    return codes


def service_codes() -> set[str]:
    codes = set(voting.SPOILED) | set(voting.REFUSED)  # a ballot's refusals take their code from these tables
    for path in SOURCES:
        codes |= _codes_in(ast.parse(path.read_text(encoding="utf-8")))
    return codes


def _names(node: ast.AST | None) -> set[str]:
    """The names of a field path: "categories[0].quota" and f"{at}.quota" give categories, quota."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    else:
        text = _const(node) or ""
    return {p for p in re.split(r"[.\[\]]+", text) if NAME.match(p)}


def _fields_in(tree: ast.AST) -> set[str]:
    """field="x" (or an f-string) in a call, Refusal(kind, "x", ...) and Problem("x", ...)."""
    fields: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for k in node.keywords:
            if k.arg == "field":
                fields |= _names(k.value)
        position = {"Refusal": 1, "Problem": 0}.get(_called(node))
        if position is not None and len(node.args) > position:
            fields |= _names(node.args[position])
    return fields


def request_fields() -> set[str]:
    """Every field a 422 can name: the request bodies' and the query parameters' names, from the services' APIs."""
    fields: set[str] = set()
    for svc in SERVICES:
        app = FastAPI()
        app.router.routes.extend(importlib.import_module(f"services.{svc}.http").router.routes)
        spec = app.openapi()
        schemas = spec.get("components", {}).get("schemas", {})
        for op in (op for ops in spec["paths"].values() for op in ops.values()):
            fields |= {p["name"] for p in op.get("parameters", []) if p["in"] in ("query", "path")}
            for content in op.get("requestBody", {}).get("content", {}).values():
                schema = schemas.get(content["schema"].get("$ref", "").rsplit("/", 1)[-1], content["schema"])
                fields |= set(schema.get("properties", {}))
    return fields


def service_fields() -> set[str]:
    fields = request_fields()
    for path in SOURCES:
        fields |= _fields_in(ast.parse(path.read_text(encoding="utf-8")))
    return fields


def test_the_scan_finds_the_codes_and_fields_it_should():
    """The scan is not empty: it finds codes of each kind of raise and fields of each kind of refusal."""
    codes = service_codes()
    assert {"invalid", "not_found", "conflict", "stage_closed", "category_published", "signin_link_used",
            "already_voted", "too_many_excellent", "too_large", "not_implemented", "rate_limited", "gone",
            "file_empty", "working_days_range", "score_range", "calendar_bad_date", "publicity_ended",
            "criteria_fixed"} <= codes
    fields = service_fields()
    assert {"nominee_id", "phone", "email", "reason", "quota", "weights", "max_points", "tracking_no",
            "scores", "self_assessment", "credential", "grades", "starts_at", "seed_source"} <= fields


@pytest.mark.parametrize("code", sorted(service_codes()))
def test_every_code_a_service_raises_has_words_in_both_languages(code):
    zh = refusals.code_words(code, "the judging stage (评审打分) is not open", "zh")
    en = refusals.code_words(code, "the judging stage (评审打分) is not open", "en")
    assert zh != refusals.words("code.other", "zh", code=code), f"no words for the code {code}"
    assert CJK.search(zh) and not ENGLISH_WORD.search(zh), zh
    assert en != zh and ENGLISH_WORD.search(en), en


@pytest.mark.parametrize("field", sorted(service_fields()))
def test_every_field_a_service_names_has_a_label_in_both_languages(field):
    zh, en = refusals.label(field, "zh"), refusals.label(field, "en")
    assert zh and en, f"no label for the field {field}"
    assert CJK.search(zh) and not ENGLISH_WORD.search(zh), zh
    assert en != zh and not CJK.search(en), en


def test_the_objection_form_names_each_field_as_its_widget_does():
    """A refusal of the public objection form names the field by the label the form shows above it."""
    for lang in i18n.LANGS:
        labels = {f: i18n.t(key, lang) for f, key in public.OBJECTION_LABELS.items()}
        body = {"error": {"code": "invalid", "field": "phone", "message": "phone: not a valid mainland mobile (11 "
                          "digits, 1[3-9]…) or landline (0area-number)"}}
        [(field, line)] = refusals.explain(422, body, lang, labels=labels)
        assert field == "phone" and line.startswith(i18n.t("ntc.phone", lang))
        assert "1[3-9]" not in line and "area-number" not in line, line


def test_the_units_and_judges_forms_name_fields_as_their_widgets_do():
    for lang in i18n.LANGS:
        for field, key in {"category_id": "un.category", "nominee_id": "un.nominee", "materials": "un.materials",
                           "self_assessment": "un.self", "file": "un.files"}.items():
            assert refusals.field_label(field, lang, form="unit") == i18n.t(key, lang)
        assert refusals.field_label("reason", lang, form="judge") == i18n.t("jd.reason", lang)


@pytest.mark.parametrize("check, limits, zh, en", [
    ("missing", {}, "请填写此项。", "this field is required."),
    ("string_too_short", {"min_length": 1}, "请填写此项。", "this field is required."),
    ("string_too_short", {"min_length": 10}, "至少填写 10 个字。", "at least 10 characters."),
    ("string_too_long", {"max_length": 500}, "最多 500 个字。", "at most 500 characters."),
    ("less_than_equal", {"le": 100}, "不能大于 100。", "must be at most 100."),
    ("string_pattern_mismatch", {}, "格式不正确（只能含字母、数字和 _ . : -）。",
     "the format is not valid (letters, digits and _ . : - only)."),
    ("some_new_pydantic_type", {}, "格式不正确。", "the value is not valid."),
])
def test_a_validation_check_is_worded_without_pydantic_text(check, limits, zh, en):
    problem = {"field": "reason", "message": "String should match pattern '^[0-9]{11}$'", "check": check,
               "limits": limits}
    assert refusals.check_words(problem, "zh") == zh and refusals.check_words(problem, "en") == en


def test_a_422_from_fastapi_reaches_the_page_as_label_and_words():
    """The service's 422 answer (its check and limits) becomes "<label>：<words>", never pydantic's text."""
    from pydantic import BaseModel, Field, ValidationError

    class Recusal(BaseModel):
        reason: str = Field(min_length=2, max_length=500)
        nominee_id: str = Field(min_length=1)

    with pytest.raises(ValidationError) as caught:
        Recusal(reason="x", nominee_id="")
    problems = [validation_problem(e | {"loc": ("body", *e["loc"])}) for e in caught.value.errors()]
    assert [(p["field"], p["check"], p.get("limits")) for p in problems] == [
        ("reason", "string_too_short", {"min_length": 2}), ("nominee_id", "string_too_short", {"min_length": 1})]
    body = {"error": {"code": "invalid", "field": "reason", "message": "reason: String should have at least 2 "
                      "characters", "problems": problems}}
    assert refusals.explain(422, body, "zh") == [("reason", "理由：至少填写 2 个字。"),
                                                 ("nominee_id", "参评对象：请填写此项。")]
    assert refusals.explain(422, body, "en") == [("reason", "Reason: at least 2 characters."),
                                                 ("nominee_id", "Nominee: this field is required.")]


@pytest.mark.parametrize("field, message, zh", [
    ("phone", "phone: not a valid mainland mobile (11 digits, 1[3-9]…) or landline (0area-number)",
     "电话：请填写有效的手机号（11 位）或固定电话（区号-号码），或改填电子邮箱。"),
    ("phone", "phone or email: give at least one way to contact you", "电话：请至少填写电话或电子邮箱中的一项。"),
    ("email", "email: not a valid e-mail address", "电子邮箱：请填写有效的电子邮箱地址。"),
    ("name", "name: give your real name (2–40 characters, letters or Chinese characters); anonymous objections "
             "are not accepted", "名称：请填写真实姓名（2–40 个字，汉字或字母），不受理匿名异议。"),
])
def test_the_objectors_contact_refusals_say_what_is_valid_not_the_pattern(field, message, zh):
    from services.publicity.domain.objections import contact_problem

    assert contact_problem("王" if field == "name" else "王伟", "12" if "valid mainland" in message else "",
                           "x@" if field == "email" else "") == (field, message)
    assert refusals.explain(422, {"error": {"code": "invalid", "field": field, "message": message}}, "zh") == \
        [(field, zh)]


def test_no_line_of_a_chinese_page_carries_the_services_english():
    """Every code and a field of each kind, worded in Chinese: no English word from the service's message."""
    message = "nomination n1 of programme p1 cannot be changed because the stage is closed"
    for code in sorted(service_codes()):
        for field in ("", "nomination_id", "categories[0].quota", "scores.c1"):
            for _, text in refusals.explain(409, {"error": {"code": code, "field": field, "message": message}},
                                            "zh", criteria={"c1": "政治建设"}):
                assert not ENGLISH_WORD.search(text.replace(code, "")), (code, field, text)
