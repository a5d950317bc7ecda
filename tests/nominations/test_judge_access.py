"""A judge reads the nominees assigned to them: materials, self-assessment and attachments, learned from the scoring
service's JudgesAssigned, withdrawn by its JudgeRecused; any other nominee is refused, naming nomination_id."""
from __future__ import annotations

import pytest

from services.nominations import learning, views
from services.nominations.actions import attachments, review
from shared.auth import Principal
from shared.contracts.scoring import JudgeRecused, JudgesAssigned
from shared.errors import Forbidden
from tests.nominations.helpers import PID
from tests.nominations.test_actions import CZJ, ORG, nominate, programme

JUDGE = Principal("j-li", "judge", judge_id="j-li")
OTHER = Principal("j-wang", "judge", judge_id="j-wang")


async def assigned_nomination():
    """An approved nomination with materials, a self-assessment and one attachment, assigned to judge j-li."""
    uow = await programme()
    n = await nominate(uow, materials="坚持党建引领，服务群众成效显著。", self_assessment={})
    info = await attachments.attach(uow, PID, n["_id"], CZJ, "事迹材料.pdf", b"%PDF-1.4 judge")
    await review.approve(uow, PID, n["_id"], ORG)
    await uow.deliver(learning.judges_assigned, JudgesAssigned(
        nomination_id=n["_id"], category_id="model-organ", panel_id="pan", judge_ids=["j-li"]), programme_id=PID,
        key=n["_id"])
    return uow, n, info


async def test_an_assigned_judge_reads_materials_and_attachments_not_the_review():
    uow, n, info = await assigned_nomination()
    got = await views.nomination_detail(uow.store, PID, n["_id"], JUDGE)
    assert got["materials"] == "坚持党建引领，服务群众成效显著。" and got["nominee_name"] == n["nominee_name"]
    assert got["attachments"] == [info] and "history" not in got and "active_key" not in got
    meta, data = await attachments.download(uow, PID, n["_id"], JUDGE, info["file_id"])
    assert meta["filename"] == "事迹材料.pdf" and data == b"%PDF-1.4 judge"


@pytest.mark.parametrize("who", [OTHER, Principal("j-none", "judge")])
async def test_a_judge_not_assigned_is_refused_naming_the_field(who):
    uow, n, info = await assigned_nomination()
    with pytest.raises(Forbidden) as caught:
        await views.nomination_detail(uow.store, PID, n["_id"], who)
    assert caught.value.field in ("nomination_id", "judge_id")
    with pytest.raises(Forbidden):
        await attachments.download(uow, PID, n["_id"], who, info["file_id"])


async def test_a_recused_judge_can_no_longer_read():
    uow, n, info = await assigned_nomination()
    await uow.deliver(learning.judge_recused, JudgeRecused(
        nomination_id=n["_id"], judge_id="j-li", reason="本人曾在该单位工作", declared=True), programme_id=PID,
        key=n["_id"])
    with pytest.raises(Forbidden) as caught:
        await views.nomination_detail(uow.store, PID, n["_id"], JUDGE)
    assert caught.value.field == "nomination_id" and caught.value.code == "not_assigned"
    assert "recused" in caught.value.message


async def test_access_is_per_programme():
    uow, n, _ = await assigned_nomination()
    assert await uow.store.judge_may_read(PID, n["_id"], "j-li")
    assert not await uow.store.judge_may_read("another", n["_id"], "j-li")
