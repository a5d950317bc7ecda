"""The units' page words every refusal of the nominations service in the chosen language, naming the field as the
form does. The refusals are the service's own: raised by its actions on the in-memory store (and one FastAPI 422)."""
from __future__ import annotations

import re

import pytest

from dashboard import refusals
from services.nominations import domain as d
from services.nominations.actions import attachments, review, submission
from shared.errors import DomainError
from tests.nominations.test_actions import CZJ, FGW, ORG, PID, nominate, programme

CRITERIA = {"political": "政治建设强"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")  # "MB", "PDF" and the like are fine in Chinese text


async def body_of(action) -> tuple[int, dict]:
    with pytest.raises(DomainError) as caught:
        await action
    return caught.value.status, caught.value.body()


def zh(status: int, body: dict) -> str:
    [(field, line)] = refusals.explain(status, body, "zh", form="unit", criteria=CRITERIA)
    assert field == body["error"].get("field", ""), line
    return line


@pytest.mark.parametrize("over, expected", [
    ({"nominee_id": "ghost"}, "参评对象：不在组织架构或党员名册中。"),
    ({"nominee_id": "u-czj-b1"}, "参评对象：与本类别不符，本类别只接受机关。"),
    ({"nominee_id": "u-fgw"}, "参评对象：不属于本单位及下属单位。"),
    ({"self_assessment": {"political": 30}}, "自评得分“政治建设强”：须在 0 到 20 分之间。"),
    ({"self_assessment": {"political": 10.3}}, "自评得分“政治建设强”：须为 0.5 分的整数倍。"),
    ({"self_assessment": {"bogus": 3}}, "自评得分“bogus”：不是本类别的评分项。"),
    ({"materials": "x" * (d.MAX_MATERIALS_CHARS + 1)}, "事迹材料：超过 20000 字。"),
    ({"category_id": "nope"}, "评选类别：不存在。"),
])
async def test_submission_refusals_in_chinese_naming_the_field(over, expected):
    uow = await programme()
    assert zh(*await body_of(nominate(uow, CZJ, **over))) == expected


async def test_a_repeat_the_limit_and_a_closed_stage():
    uow = await programme()
    await nominate(uow)
    assert zh(*await body_of(nominate(uow))) == "参评对象：已在本类别中被申报，不能重复申报。"
    closed = await programme(open_stage=False)
    line = zh(*await body_of(nominate(closed)))
    assert line.startswith("申报阶段：申报阶段未开放") and not ENGLISH_WORD.search(line), line


async def test_file_and_status_refusals():
    uow = await programme()
    n = await nominate(uow)
    assert zh(*await body_of(attachments.attach(uow, PID, n["_id"], CZJ, "x.exe", b"MZ"))) == \
        "附件：文件类型不允许，只接受 PDF、Word、Excel、JPG、PNG。"
    big = b"0" * (d.MAX_ATTACHMENT_BYTES + 1)
    assert zh(*await body_of(attachments.attach(uow, PID, n["_id"], CZJ, "big.pdf", big))) == \
        "附件：文件超过 10 MB，请压缩或拆分后重新上传。"
    assert zh(*await body_of(submission.withdraw(uow, PID, n["_id"], FGW))) == "申报：不属于本单位或不存在。"
    await review.approve(uow, PID, n["_id"], ORG)
    assert zh(*await body_of(submission.withdraw(uow, PID, n["_id"], CZJ))) == "申报状态：“审查通过”的申报不能撤回。"
    assert zh(*await body_of(submission.resubmit(uow, PID, n["_id"], CZJ, "x"))) == \
        "申报状态：“审查通过”的申报不能重新提交。"


def test_fastapi_validation_and_sign_in_are_worded_too():
    body = {"error": {"code": "invalid", "message": "nominee_id: String should have at least 1 character",
                      "field": "nominee_id", "problems": [
                          {"field": "nominee_id", "message": "String should have at least 1 character",
                           "check": "string_too_short", "limits": {"min_length": 1}},
                          {"field": "self_assessment.political", "message": "Input should be a valid number",
                           "check": "float_parsing"}]}}
    assert refusals.explain(422, body, "zh", form="unit", criteria=CRITERIA) == [
        ("nominee_id", "参评对象：请填写此项。"), ("self_assessment.political", "自评得分“政治建设强”：须为数字。")]
    # a service without checks in its answer: pydantic's English still never shows
    del body["error"]["problems"][0]["check"], body["error"]["problems"][1]["check"]
    assert refusals.explain(422, body, "zh", form="unit", criteria=CRITERIA) == [
        ("nominee_id", "参评对象：请填写此项。"), ("self_assessment.political", "自评得分“政治建设强”：格式不正确。")]
    assert refusals.explain(401, {"error": {"code": "unauthorized", "message": "token expired"}}, "zh",
                            form="unit") == [
        ("", "登录已失效，请重新打开组织者发给您的登录链接。")]


async def test_english_keeps_the_field_and_the_reason():
    uow = await programme()
    [(_, line)] = refusals.explain(*await body_of(nominate(uow, CZJ, nominee_id="ghost")), "en", form="unit")
    assert line == "Nominee: not in the organisation tree or roll."
