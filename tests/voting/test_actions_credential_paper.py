"""Fast stories of voting-day paper on the fakes: every unit's slips issued at once, and a credential alone
resolving to its round's ballot, telling only its holder whether it was used."""
from __future__ import annotations

import pytest

from services.voting.actions.cast import BallotIn, cast
from services.voting.actions.close_round import close_round
from services.voting.actions.credential_slips import credential_slips
from services.voting.actions.credentials import issue_credentials
from services.voting.actions.resolve_credential import resolve_credential
from shared.contracts.voting import CredentialsIssued
from shared.errors import Closed, Forbidden, NotFound, TooManyRequests
from tests.voting.stories import SECRET, opened


def credentials(answer: dict) -> list[str]:
    return [s["credential"] for u in answer["units"] for s in u["slips"]]


class TestCredentialSlips:
    async def test_every_unit_at_once_each_credential_once(self):
        uow, _, _ = await opened()
        answer = await credential_slips(uow, "r1", secret=SECRET)
        assert answer["round_name"] == "模范机关推荐投票"
        assert [(u["unit_id"], len(u["slips"]), u["not_issued"]) for u in answer["units"]] == [("u0", 3, 0),
                                                                                             ("u1", 3, 0)]
        # Names as the one-unit credential sheet gives them (learned from the roll).
        sheet = await issue_credentials(uow, "r1", "u0", secret=SECRET, reissue=True)
        assert answer["units"][0]["unit_name"] == sheet.unit_name
        assert [s["name"] for s in answer["units"][0]["slips"]] == [line.name for line in sheet.lines]
        answer = await credential_slips(uow, "r1", secret=SECRET, reissue=True)
        assert len(set(credentials(answer))) == 6
        again = await credential_slips(uow, "r1", secret=SECRET)
        assert credentials(again) == [] and [u["not_issued"] for u in again["units"]] == [3, 3]
        # on the record: how many each time, never to whom (issue 16)
        assert [(e.unit_id, e.issued, e.reissue) for e in uow.of_type(CredentialsIssued)] == [
            ("u0", 3, False), ("u1", 3, False), ("u0", 3, True), ("u0", 3, True), ("u1", 3, True), ("u0", 0, False),
            ("u1", 0, False)]
        assert uow.types() == ["CredentialsIssued"] * 7
        assert set(CredentialsIssued.model_fields) == {"round_id", "unit_id", "issued", "reissue"}

    async def test_a_voter_gets_no_slip_and_is_counted_with_the_issued(self):
        uow, edge, _ = await opened()
        first = await credential_slips(uow, "r1", secret=SECRET)
        await cast(uow, edge, "r1", BallotIn(credential=first["units"][0]["slips"][0]["credential"],
                                              selections=["n0"]), address="a", token=None)
        answer = await credential_slips(uow, "r1", secret=SECRET, reissue=True)
        u0 = answer["units"][0]
        # Nothing in the answer says which of the three voted: a slip is missing, counted as not issued.
        assert len(u0["slips"]) == 2 and u0["not_issued"] == 1 and set(u0["slips"][0]) == {"name", "credential"}
        assert not set(credentials(answer)) & set(credentials(first))

    async def test_refusals(self):
        uow, _, _ = await opened()
        with pytest.raises(NotFound) as missing:
            await credential_slips(uow, "nope", secret=SECRET)
        assert missing.value.field == "round_id"
        await close_round(uow, "r1", secret=SECRET)
        with pytest.raises(Closed):
            await credential_slips(uow, "r1", secret=SECRET)


class TestResolveCredential:
    async def test_the_credential_alone_finds_the_round_and_its_ballot(self):
        uow, edge, _ = await opened()
        cred = credentials(await credential_slips(uow, "r1", secret=SECRET))[0]
        uow.events.clear()
        answer = await resolve_credential(uow, edge, cred.lower().replace("-", " "), address="a")
        assert answer["used"] is False and answer["window"] == "open"
        rnd = answer["round"]
        assert rnd["round_id"] == "r1" and rnd["ballot_type"] == "approval"
        assert [c["nomination_id"] for c in rnd["candidates"]] == ["n0", "n1", "n2"]
        assert "units" not in rnd and uow.events == []

    async def test_after_casting_its_holder_learns_it_was_used_and_nothing_is_recorded(self):
        uow, edge, _ = await opened()
        cred = credentials(await credential_slips(uow, "r1", secret=SECRET))[0]
        await cast(uow, edge, "r1", BallotIn(credential=cred, selections=["n1"]), address="a", token=None)
        uow.events.clear()
        before = (dict(uow.store.rejections), dict(uow.store.marks))
        assert (await resolve_credential(uow, edge, cred, address="a"))["used"] is True
        assert uow.events == [] and (dict(uow.store.rejections), dict(uow.store.marks)) == before

    async def test_a_closed_round_is_told_as_closed(self):
        uow, edge, _ = await opened()
        cred = credentials(await credential_slips(uow, "r1", secret=SECRET))[0]
        await close_round(uow, "r1", secret=SECRET)
        answer = await resolve_credential(uow, edge, cred, address="a")
        assert answer["window"] == "closed" and answer["round"]["state"] == "closed"

    async def test_refusals(self):
        uow, edge, _ = await opened()
        cred = credentials(await credential_slips(uow, "r1", secret=SECRET))[0]
        uow.events.clear()
        with pytest.raises(Forbidden) as unknown:
            await resolve_credential(uow, edge, "AAAA-BBBB-CCCC-DDDD", address="a")
        assert (unknown.value.code, unknown.value.field) == ("unknown_credential", "credential")
        edge.blocked_attempts.add("c:")
        with pytest.raises(TooManyRequests) as per_credential:
            await resolve_credential(uow, edge, cred, address="a")
        assert per_credential.value.field == "credential"
        edge.blocked_addresses.add("b")
        with pytest.raises(TooManyRequests):
            await resolve_credential(uow, edge, cred, address="b")
        assert uow.events == []
