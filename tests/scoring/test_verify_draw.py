"""The public record of a 随机点验 draw, redone by shared.verify_draw (which shares no code with the service)."""
from __future__ import annotations

import copy
import json

import pytest

from services.scoring import domain as d
from services.scoring import views
from services.scoring.actions import indicators
from services.scoring.models import IndicatorsIn, SpotCommitIn, SpotDrawIn
from shared import verify_draw as v
from tests.scoring.fixtures import CAT, P
from tests.scoring.world import learned, settle

SOURCE = "中国福利彩票3D 2026-12-05 开奖号码"


async def record(draw: bool = True) -> dict:
    uow = await learned()
    for nid in ("n1", "n2", "n3", "n4"):
        body = IndicatorsIn.model_validate({"key_tasks": [
            {"task_id": f"t{i}", "name": f"重点任务{i}", "points": 8, "max_points": 10} for i in (1, 2, 3)]})
        await uow.run(lambda tx, nid=nid, body=body: indicators.enter_indicators(tx, P, nid, body))
    settle(uow)
    await uow.run(lambda tx: indicators.commit_spot_draw(tx, P, CAT, SpotCommitIn(sample_size=4, seed_source=SOURCE)))
    if draw:
        await uow.run(lambda tx: indicators.draw_spot_checks(tx, P, CAT, SpotDrawIn(seed="371")))
    return views.spot_draw_record(P, CAT, await uow.store.spot_checks(f"{P}:{CAT}"))


def test_the_service_and_the_verifier_agree_on_tickets_and_digests():
    ids = [d.candidate_id(f"n{i}", f"t{j}") for i in range(5) for j in range(4)]
    for seed, size in (("371", 4), ("2026-12-05 01 02 03", 7), ("种子", 30)):
        assert [(t.candidate_id, t.ticket) for t in d.draw_tickets(seed, P, CAT, ids, size)] == v.redraw(
            seed, P, CAT, ids, size)
    assert d.candidates_sha256(ids) == v.candidates_digest(reversed(ids))
    # the worked example of docs/verify.md: anyone can redo it with any HMAC-SHA256
    example = ["n1/t1", "n1/t2", "n2/t1", "n3/t1"]
    assert v.candidates_digest(example) == "213883b7cdd5eb2d76ef7d9b950dfbd1c246bb08c33a64811d2fef3380652ab2"
    assert [c for c, _ in v.redraw("371", "p-2026", "red-flag", example, 2)] == ["n1/t1", "n1/t2"]
    assert v.ticket("371", "p-2026", "red-flag", "n3/t1") == (
        "3c85cdae2ace3bd18f56560f20eb268c9f9224bdf1e75232b8ce52711d5f511e")


async def test_a_draw_redone_from_its_public_record():
    doc = await record()
    lines = v.verify_spot_check_draw(doc)
    assert doc["kind"] == "spot_check_draw" and doc["state"] == "drawn" and len(doc["picks"]) == 4
    assert any("4 picks of 4 redone from the seed '371'" in x for x in lines)
    assert any(SOURCE in x for x in lines)
    assert v.verify_document(doc) == lines


async def test_a_committed_draw_checks_its_commitment_and_waits_for_the_seed():
    doc = await record(draw=False)
    assert doc["state"] == "committed" and doc["seed"] is None
    assert v.verify_spot_check_draw(doc)[-1] == f"not drawn yet: the seed is to be {SOURCE}"


def tampered(doc: dict, change) -> dict:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


@pytest.mark.parametrize("change, words", [
    (lambda x: x.__setitem__("seed", "372"), "the picks are not the draw of the seed '372'"),
    (lambda x: x["inputs"]["candidates"].pop(), "the candidates list does not match its digest"),
    (lambda x: x["inputs"].__setitem__("candidates_sha256", v.candidates_digest(
        c["candidate_id"] for c in x["inputs"]["candidates"][:-1])) or x["inputs"]["candidates"].pop(),
     "the inputs do not match the commitment"),
    (lambda x: x["inputs"].__setitem__("sample_size", 3), "the inputs do not match the commitment"),
    (lambda x: x["picks"].reverse(), "the picks are not the draw"),
    (lambda x: x["picks"][0].__setitem__("task_name", "另一项"), "a pick's names differ"),
    (lambda x: x["algorithm"].__setitem__("version", 2), "unknown algorithm"),
    (lambda x: x.__setitem__("drawn_at", "2000-01-01T00:00:00+00:00"), "dated before its commitment"),
])
async def test_a_tampered_draw_is_rejected(change, words):
    doc = tampered(await record(), change)
    with pytest.raises(v.VerificationFailed) as caught:
        v.verify_spot_check_draw(doc)
    assert words in caught.value.failure and caught.value.checked


def test_the_command_line(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text('{"kind": "nothing"}', encoding="utf-8")
    assert v.main([str(bad)]) == 1 and "unknown kind 'nothing'" in capsys.readouterr().out
    bad.write_text('{"kind": "spot_check_draw", "version": 1}', encoding="utf-8")
    assert v.main([str(bad)]) == 1 and "malformed file" in capsys.readouterr().out
    assert v.main([]) == 2


async def test_the_verify_command_checks_a_draw_file_and_rejects_a_forged_seed(tmp_path):
    from shared.verify import load_and_verify

    doc = await record()
    good, forged = tmp_path / "draw.json", tmp_path / "forged.json"
    good.write_text(json.dumps(doc))
    forged.write_text(json.dumps(doc | {"seed": "372"}))
    report = load_and_verify(good)
    assert report.ok and report.lines()[-1] == "VERIFIED" and report.checked == v.verify_spot_check_draw(doc)
    report = load_and_verify(forged)
    assert not report.ok and report.lines()[-1] == "REJECTED" and "seed '372'" in report.failed
