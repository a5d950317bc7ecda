"""Fast stories of issue 16 on the fakes: sealed ballots, a roll without marks, receipts apart from contents, the
bulletin file and its verifier (shared/verify.py, `./exemplar verify`)."""
from __future__ import annotations

import copy
import json
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from deploy.cli import app
from services.voting import domain
from services.voting.actions import bulletin as bulletin_action
from services.voting.actions import receipts
from services.voting.actions.cast import BallotIn, cast
from services.voting.actions.close_round import close_round
from services.voting.actions.publish_counts import publish_counts
from services.voting.domain import sealing
from shared import verify
from shared.contracts.voting import CastBallot
from shared.errors import Closed, Conflict, NotFound
from tests.voting.stories import SECRET, opened


async def vote(uow, edge, mid: str, **ballot) -> str:
    return (await cast(uow, edge, "r1", BallotIn(**ballot), address="a", token=f"t-{mid}")).receipt


def command(mid: str = "m0-0", selections=("n0",)) -> CastBallot:
    return CastBallot(command_id=uuid4().hex, round_id="r1", mark=domain.voter_mark(SECRET, "r1", mid),
                      receipt=domain.new_receipt(), selections=list(selections))


async def closed_file(**round_kw) -> tuple[dict, list[str]]:
    uow, edge, w = await opened(**round_kw)
    got = [await vote(uow, edge, m, selections=[f"n{i % 3}"]) for i, m in enumerate(w["members"][:5])]
    await close_round(uow, "r1", secret=SECRET)
    return await bulletin_action.bulletin_file(uow, "r1", secret=SECRET), got


# ---- sealing ---------------------------------------------------------------------------------------------
class TestSealing:
    def test_a_sealed_command_keeps_only_its_ids_in_the_clear(self):
        plain = command()
        sealed = domain.seal_command(SECRET, plain)
        wire = sealed.model_dump_json(exclude_defaults=True)
        assert set(json.loads(wire)) == {"command_id", "round_id", "sealed"}
        # "n0" as a JSON string: the two letters alone turn up in the base64 ciphertext now and then (1 run in ~20)
        assert plain.mark not in wire and plain.receipt not in wire and '"n0"' not in wire
        assert domain.open_command(SECRET, CastBallot.model_validate_json(wire)) == plain

    @pytest.mark.parametrize("change", ["secret", "command_id", "round_id", "bytes"])
    def test_a_sealed_command_opens_only_with_its_secret_and_ids(self, change):
        sealed = domain.seal_command(SECRET, command())
        if change == "secret":
            with pytest.raises(domain.Unsealable):
                domain.open_command(b"another secret", sealed)
            return
        if change == "bytes":
            blob = bytearray(sealing.base64.b64decode(sealed.sealed))
            blob[-1] ^= 1
            moved = sealed.model_copy(update={"sealed": sealing.base64.b64encode(bytes(blob)).decode()})
        else:
            moved = sealed.model_copy(update={change: "other"})
        with pytest.raises(domain.Unsealable):
            domain.open_command(SECRET, moved)

    def test_a_plain_command_is_opened_as_it_is(self):
        plain = command()
        assert domain.open_command(SECRET, plain) is plain

    def test_a_sheet_keeps_receipts_sorted_and_contents_sealed_in_canonical_order(self):
        ballots = [{"receipt": "B", "selections": ["n1"], "grades": {}},
                   {"receipt": "A", "selections": ["n0"], "grades": {}}]
        sheet = domain.ballot_sheet(SECRET, "s1", "r1", ballots)
        assert set(sheet) == {"_id", "round_id", "receipts", "sealed"} and sheet["receipts"] == ["A", "B"]
        assert b"n0" not in sheet["sealed"] and b'"A"' not in sheet["sealed"]
        assert domain.sheet_contents(SECRET, sheet) == [{"selections": ["n0"], "grades": {}},
                                                        {"selections": ["n1"], "grades": {}}]
        with pytest.raises(domain.Unsealable):
            domain.sheet_contents(SECRET, sheet | {"_id": "s2"})  # a sheet's seal does not move to another

    def test_a_sheet_stored_before_issue_16_is_still_read(self):
        old = {"_id": "s0", "round_id": "r1", "receipts": ["A"],
               "ballots_json": json.dumps([{"receipt": "A", "selections": ["n2", "n0"], "grades": {}}]).encode()}
        assert domain.sheet_contents(SECRET, old) == [{"selections": ["n0", "n2"], "grades": {}}]


class TestCountingSealedCommands:
    async def test_the_edge_sends_sealed_commands_that_the_counter_counts(self):
        uow, edge, _ = await opened()
        receipt = await vote(uow, edge, "m0-0", selections=["n1"])
        assert await uow.store.receipt_recorded("r1", receipt)
        assert (await uow.store.read_tally("r1"))["approvals"]  # counted from the sealed command
        assert "mark" not in json.dumps(list(uow.store.roll.values()), default=str)

    async def test_a_command_that_does_not_open_goes_to_the_dead_letters(self):
        uow, edge, _ = await opened()
        forged = domain.seal_command(b"not the ballot secret", command())
        outcomes = await edge.counter.handle([forged.model_dump_json().encode()])
        assert outcomes == {} and (await uow.store.read_tally("r1"))["ballots_cast"] == 0
        assert len(edge.service.dead_letters) == 1 and "sealed CastBallot" in edge.service.dead_letters[0][1]


# ---- receipts and the bulletin ---------------------------------------------------------------------------
class TestReceiptsDuringTheRound:
    async def test_a_receipt_is_counted_and_listed_while_the_round_is_open(self):
        uow, edge, w = await opened()
        receipt = await vote(uow, edge, "m0-0", selections=["n0"])
        other = await vote(uow, edge, "m0-1", selections=["n2"])
        found = await receipts.check_receipt(uow, "r1", receipt)
        assert found["state"] == "open" and found["recorded"] and found["counted"] and found["on_bulletin"]
        assert "n0" not in json.dumps(found)  # a receipt shows no selection
        live = await bulletin_action.live_receipts(uow, "r1")
        assert live["state"] == "open" and live["receipts"] == sorted([receipt, other]) and live["count"] == 2
        assert live["receipts_root"] == verify.receipts_root("r1", sorted([receipt, other]))
        assert set(live) == {"round_id", "state", "count", "receipts", "receipts_root"}
        with pytest.raises(NotFound):
            await bulletin_action.live_receipts(uow, "r9")


class TestBulletinFile:
    async def test_the_file_verifies_and_recounts_the_published_tally(self):
        doc, got = await closed_file()
        assert doc["kind"] == "voting.bulletin" and doc["receipts"] == sorted(got)
        assert all(set(c) == {"selections", "grades"} for c in doc["contents"])
        report = verify.verify(doc)
        assert report.ok, report.failed
        assert len(report.checked) == 9 and report.lines()[-1] == "VERIFIED"
        assert doc["tally"]["ballots_cast"] == 5
        assert {c["nomination_id"]: c["approvals"] for c in doc["tally"]["candidates"]} == {"n0": 2, "n1": 2, "n2": 1}

    async def test_refused_while_open_or_while_counts_are_hidden(self):
        uow, edge, w = await opened(counts_hidden=True)
        await vote(uow, edge, "m0-0", selections=["n0"])
        with pytest.raises(Closed):
            await bulletin_action.bulletin_file(uow, "r1", secret=SECRET)
        await close_round(uow, "r1", secret=SECRET)
        with pytest.raises(Conflict) as refused:
            await bulletin_action.bulletin_file(uow, "r1", secret=SECRET)
        assert refused.value.code == "counts_hidden"
        await publish_counts(uow, "r1", secret=SECRET)
        assert verify.verify(await bulletin_action.bulletin_file(uow, "r1", secret=SECRET)).ok

    @pytest.mark.parametrize("tamper, failure", [
        (lambda d: d["contents"][0].update(selections=["n2"]), "contents"),
        (lambda d: d["receipts"].pop(), "receipts list does not match"),
        (lambda d: d["tally"]["candidates"][0].update(approvals=9), "published tally of n0"),
        (lambda d: d["tally"].update(ballots_cast=6), "ballots cast"),
        (lambda d: d["contents"].reverse(), "canonical order"),
        (lambda d: d["commitments"].update(bulletin_root="0" * 64), "bulletin root"),
        (lambda d: d.update(kind="voting.other"), "unknown kind"),
        (lambda d: d.update(version=2), "unknown version"),
    ])
    async def test_a_tampered_file_is_rejected_saying_what_failed(self, tamper, failure):
        doc, _ = await closed_file()
        bad = copy.deepcopy(doc)
        tamper(bad)
        report = verify.verify(bad)
        assert not report.ok and failure in report.failed, report.failed
        assert report.lines()[-1] == "REJECTED"

    async def test_the_cli_prints_what_it_checked_and_fails_on_a_tampered_file(self, tmp_path):
        doc, _ = await closed_file()
        good, bad = tmp_path / "good.json", tmp_path / "bad.json"
        good.write_text(json.dumps(doc, ensure_ascii=False))
        doc["tally"]["candidates"][1]["approvals"] += 1
        bad.write_text(json.dumps(doc, ensure_ascii=False))
        ok = CliRunner().invoke(app, ["verify", str(good)])
        assert ok.exit_code == 0 and "contents root" in ok.output and "VERIFIED" in ok.output
        refused = CliRunner().invoke(app, ["verify", str(bad)])
        assert refused.exit_code == 1 and "FAIL the published tally of n1" in refused.output
        missing = CliRunner().invoke(app, ["verify", str(tmp_path / "none.json")])
        assert missing.exit_code == 1 and "cannot read" in missing.output
