"""Fast stories of the organiser's and the public's actions on the fakes: credentials, receipts, bulletin, tally,
flags, and what voting learns from the nominations events."""
from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from services.voting import domain
from services.voting.actions import bulletin as bulletin_action
from services.voting.actions import flags as flags_action
from services.voting.actions import receipts
from services.voting.actions import tally as tally_action
from services.voting.actions.cast import BallotIn, cast
from services.voting.actions.close_round import close_round
from services.voting.actions.credentials import issue_credentials
from services.voting.actions.publish_counts import publish_counts
from services.voting.learning import LEARNING
from services.voting.pages import credential_page, tally_workbook
from shared.contracts.nominations import NominationApproved, NominationSubmitted, NominationWithdrawn
from shared.errors import Closed, NotFound
from tests.voting.helpers import PID
from tests.voting.stories import SECRET, opened


async def vote(uow, edge, mid: str, selections: list[str]) -> str:
    result = await cast(uow, edge, "r1", BallotIn(selections=selections), address="a", token=f"t-{mid}")
    return result.receipt


class TestIssueCredentials:
    async def test_shown_once_and_only_their_hash_kept(self):
        uow, edge, _ = await opened()
        sheet = await issue_credentials(uow, "r1", "u1", secret=SECRET)
        creds = [line.credential for line in sheet.lines]
        assert [line.member_id for line in sheet.lines] == ["m1-0", "m1-1", "m1-2"] and all(creds)
        assert {line.status for line in sheet.lines} == {"新发放 new"} and sheet.unit_name == "单位1"
        stored = [uow.store.roll[f"r1:{line.member_id}"]["cred"] for line in sheet.lines]
        assert stored == [domain.credential_hash("r1", c) for c in creds] and not set(stored) & set(creds)
        page = credential_page(sheet)
        assert all(c in page for c in creds) and page.count("data:image/png;base64,") == 3
        again = await issue_credentials(uow, "r1", "u1", secret=SECRET)
        assert [line.credential for line in again.lines] == [None] * 3
        assert {line.status for line in again.lines} == {"已发放 issued earlier (not shown again)"}

    async def test_reissue_replaces_and_a_voter_gets_none(self):
        uow, edge, _ = await opened()
        first = await issue_credentials(uow, "r1", "u0", secret=SECRET)
        await vote(uow, edge, "m0-0", ["n0"])
        sheet = await issue_credentials(uow, "r1", "u0", secret=SECRET, reissue=True)
        assert [line.status for line in sheet.lines] == ["已投票 voted", "重新发放 reissued", "重新发放 reissued"]
        assert sheet.lines[0].credential is None
        assert sheet.lines[1].credential != first.lines[1].credential

    async def test_refusals(self):
        uow, _, _ = await opened()
        with pytest.raises(NotFound) as unit:
            await issue_credentials(uow, "r1", "u9", secret=SECRET)
        assert unit.value.field == "unit_id"
        with pytest.raises(NotFound):
            await issue_credentials(uow, "r9", "u0", secret=SECRET)
        await close_round(uow, "r1", secret=SECRET)
        before = copy.deepcopy(uow.store.roll)
        with pytest.raises(Closed):
            await issue_credentials(uow, "r1", "u0", secret=SECRET)
        assert uow.store.roll == before


class TestCheckReceipt:
    async def test_a_counted_receipt_is_found_in_any_case(self):
        uow, edge, _ = await opened()
        receipt = await vote(uow, edge, "m0-0", ["n0"])
        found = await receipts.check_receipt(uow, "r1", f" {receipt.lower()} ")
        assert found["recorded"] is True and found["receipt"] == receipt and found["state"] == "open"
        missing = await receipts.check_receipt(uow, "r1", "0000000000000000")
        assert missing["recorded"] is False and missing["message"].startswith("未找到该回执")
        with pytest.raises(NotFound):
            await receipts.check_receipt(uow, "r9", receipt)


class TestBulletin:
    async def test_published_at_the_close_and_recomputable(self):
        uow, edge, w = await opened()
        got = [await vote(uow, edge, m, [f"n{i % 3}"]) for i, m in enumerate(w["members"][:4])]
        with pytest.raises(Closed):
            await bulletin_action.bulletin(uow, "r1", secret=SECRET)
        await close_round(uow, "r1", secret=SECRET)
        board = await bulletin_action.bulletin(uow, "r1", secret=SECRET)
        assert sorted(e["receipt"] for e in board["entries"]) == sorted(got) and not board["counts_hidden"]
        assert board["receipts"] == sorted(got) and all(set(e) == {"receipt"} for e in board["entries"])
        assert domain.bulletin_root("r1", board["receipts"], board["contents"]) == board["bulletin_root"]
        recomputed = domain.recompute_tally(board["ballot_type"], board["candidate_ids"], board["contents"],
                                            board["eligible"])
        assert recomputed["ballots_cast"] == 4

    async def test_hidden_counts_show_receipts_only_until_published(self):
        uow, edge, w = await opened(counts_hidden=True)
        await vote(uow, edge, w["members"][0], ["n0"])
        await close_round(uow, "r1", secret=SECRET)
        board = await bulletin_action.bulletin(uow, "r1", secret=SECRET)
        assert board["counts_hidden"] and all(set(e) == {"receipt"} for e in board["entries"])
        assert board["contents"] == []
        await publish_counts(uow, "r1", secret=SECRET)
        assert (await bulletin_action.bulletin(uow, "r1", secret=SECRET))["contents"][0]["selections"] == ["n0"]

    async def test_an_unknown_round(self):
        uow, _, _ = await opened()
        with pytest.raises(NotFound):
            await bulletin_action.bulletin(uow, "r9", secret=SECRET)


class TestTally:
    async def test_live_tally_and_turnout(self):
        uow, edge, w = await opened()
        for m in ("m0-0", "m0-1", "m1-0"):
            await vote(uow, edge, m, ["n0"])
        rnd, view = await tally_action.tally(uow, "r1")
        assert rnd["_id"] == "r1" and view["ballots_cast"] == 3 and view["turnout"] == 0.5
        assert {u["unit_id"]: u["voted"] for u in view["turnout_by_unit"]} == {"u0": 2, "u1": 1}
        assert {c["nomination_id"]: c["approvals"] for c in view["candidates"]} == {"n0": 3, "n1": 0, "n2": 0}

    async def test_hidden_counts_are_left_out(self):
        uow, edge, _ = await opened(counts_hidden=True)
        await vote(uow, edge, "m0-0", ["n0"])
        _, view = await tally_action.tally(uow, "r1")
        assert view["counts_hidden"] and view["candidates"] == [] and view["ballots_cast"] == 1
        with pytest.raises(NotFound):
            await tally_action.tally(uow, "r9")


    async def test_the_export_omits_hidden_counts(self):
        import io

        from openpyxl import load_workbook

        def cells(data: bytes) -> list:
            return [c for row in load_workbook(io.BytesIO(data))["计票 Tally"].iter_rows(values_only=True) for c in row]

        uow, edge, _ = await opened(counts_hidden=True)
        await vote(uow, edge, "m0-0", ["n0"])
        hidden = cells(tally_workbook(*await tally_action.tally(uow, "r1")))
        assert "机关0" not in hidden and any("hidden" in str(c) for c in hidden)
        await close_round(uow, "r1", secret=SECRET)
        await publish_counts(uow, "r1", secret=SECRET)
        assert "机关0" in cells(tally_workbook(*await tally_action.tally(uow, "r1")))


class TestBurstFlags:
    async def test_lists_the_flags_of_a_round(self):
        uow, _, _ = await opened()
        await uow.store.save_flag("r1:u0:1", {"round_id": "r1", "unit_id": "u0", "kind": "burst",
                                              "minute_start": datetime(2026, 6, 1, tzinfo=UTC)})
        got = await flags_action.burst_flags(uow, "r1")
        assert got["flags"] == [{"round_id": "r1", "unit_id": "u0", "kind": "burst",
                                 "minute_start": datetime(2026, 6, 1, tzinfo=UTC), "flag_id": "r1:u0:1"}]
        with pytest.raises(NotFound):
            await flags_action.burst_flags(uow, "r9")


class TestLearning:
    async def test_a_withdrawn_nominee_is_marked_on_open_rounds_only(self):
        uow, _, _ = await opened()
        uow.store.rounds["old"] = copy.deepcopy(uow.store.rounds["r1"]) | {"_id": "old", "state": "closed"}
        await uow.deliver(LEARNING.nomination_reviewed, NominationWithdrawn(nomination_id="n1", category_id="organ"),
                          programme_id=PID)
        assert [c.get("withdrawn") for c in uow.store.rounds["r1"]["candidates"]] == [False, True, False]
        assert not any(c.get("withdrawn") for c in uow.store.rounds["old"]["candidates"])
        assert uow.store.nominations["n1"]["status"] == "withdrawn"

    async def test_a_late_submission_does_not_undo_an_approval(self):
        uow, _, _ = await opened()
        await uow.deliver(LEARNING.nomination_reviewed, NominationApproved(nomination_id="n9", category_id="organ"),
                          programme_id=PID)
        await uow.deliver(LEARNING.nomination_submitted, NominationSubmitted(
            nomination_id="n9", category_id="organ", nominee_id="o9", nominee_name="机关9", nominee_kind="organ",
            unit_id="u0", unit_name="单位0"), programme_id=PID)
        assert uow.store.nominations["n9"]["status"] == "approved"
        assert uow.store.nominations["n9"]["nominee_name"] == "机关9"
