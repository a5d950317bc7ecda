"""The voting service against the real local Kafka and MongoDB: casting, secrecy, bulletin, tallies, abuse."""
from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from openpyxl import load_workbook
from pymongo import MongoClient

from dashboard import data as board_data
from services.voting import domain
from services.voting.app import create_service
from services.voting.config import VotingConfig
from shared.contracts import Envelope, topics
from shared.contracts.voting import CastBallot
from tests.support import auth, eventually, publish_raw, read_topic, running
from tests.voting.helpers import PID, seed, store, world


def later(**kw) -> str:
    return (datetime.now(UTC) + timedelta(**kw)).isoformat()


def round_body(**kw) -> dict:
    body = {"round_id": "r1", "programme_id": PID, "name": "模范机关推荐投票", "category_ids": ["organ"],
            "ballot_type": "approval", "closes_at": later(hours=1)}
    return body | kw


async def open_round(settings, client, **kw) -> dict:
    r = await client.post("/rounds", json=round_body(**kw), headers=auth(settings, "organiser"))
    assert r.status_code == 201, r.text
    return r.json()


async def tally_reaches(svc, round_id: str, check) -> dict | None:
    tally = await store(svc).read_tally(round_id)
    return tally if check(tally) else None


async def closed_round(svc, round_id: str) -> dict | None:
    rnd = await store(svc).get_round(round_id)
    return rnd if rnd and rnd.get("state") == "closed" else None


def member(settings, mid: str) -> dict:
    return auth(settings, "member", member_id=mid)


async def events_of(settings, kind: str, min_count: int = 1) -> list[dict]:
    raws = await read_topic(settings, topics.VOTING, min_count=min_count, timeout=20)
    envs = [Envelope.model_validate_json(r) for r in raws]
    return [e.payload for e in envs if e.type == kind]


async def test_ballots_receipts_bulletin_and_recomputed_tally(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=3, per_unit=4, candidates=4, quota=2)
        await seed(settings, svc, w)
        opened = await open_round(settings, client)
        assert opened["eligible"] == 12 and len(opened["candidates"]) == 4
        assert opened["max_per_category"] == {"organ": 2}

        # Credentials for unit u1, printed once with QR codes; the second print shows none of them again.
        org = auth(settings, "organiser")
        sheet = await client.get("/rounds/r1/credentials/u1", headers=org)
        assert sheet.status_code == 200 and "data:image/png;base64," in sheet.text
        creds = re.findall(r"<td class=cred>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</td>", sheet.text)
        assert len(creds) == 4
        again = await client.get("/rounds/r1/credentials/u1", headers=org)
        assert not re.findall(r"<td class=cred>[A-Z0-9]{4}-", again.text) and "已发放" in again.text
        stored = await store(svc).unit_roll("r1", "u1")
        assert all(d["cred"] and d["cred"] not in creds for d in stored)  # only the hash is kept

        choices = {"m0-0": ["n0", "n1"], "m0-1": ["n0"], "m0-2": ["n2", "n0"], "m2-0": ["n3"], "m2-1": ["n1"]}
        receipts = []
        for mid, sel in choices.items():
            r = await client.post("/rounds/r1/ballots", json={"selections": sel}, headers=member(settings, mid))
            assert r.status_code == 201, r.text
            receipts.append(r.json()["receipt"])
        for cred, sel in zip(creds[:3], (["n0"], ["n1", "n3"], ["n2"]), strict=True):
            r = await client.post("/rounds/r1/ballots", json={"credential": cred.lower(), "selections": sel})
            assert r.status_code == 201, r.text
            receipts.append(r.json()["receipt"])
        # a used credential is refused
        r = await client.post("/rounds/r1/ballots", json={"credential": creds[0], "selections": ["n0"]})
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_voted"

        live = (await client.get("/rounds/r1/tally")).json()
        assert live["ballots_cast"] == 8 and live["turnout"] == round(8 / 12, 4)
        assert {u["unit_id"]: u["voted"] for u in live["turnout_by_unit"]} == {"u0": 3, "u1": 3, "u2": 2}
        counts = {c["nomination_id"]: c["approvals"] for c in live["candidates"]}
        assert counts == {"n0": 4, "n1": 3, "n2": 2, "n3": 2}
        n0 = next(c for c in live["candidates"] if c["nomination_id"] == "n0")
        assert n0["share_of_eligible"] == round(4 / 12, 4) and n0["share_of_cast"] == 0.5

        check = (await client.get(f"/rounds/r1/receipts/{receipts[0].lower()}")).json()
        assert check["recorded"] is True
        assert (await client.get("/rounds/r1/receipts/0000000000000000")).json()["recorded"] is False
        assert (await client.get("/rounds/r1/bulletin")).status_code == 409  # published at close

        closed = await client.post("/rounds/r1/close", headers=org)
        assert closed.status_code == 200 and closed.json()["bulletin_root"]
        bulletin = (await client.get("/rounds/r1/bulletin")).json()
        assert sorted(e["receipt"] for e in bulletin["entries"]) == sorted(receipts)
        # Anyone can recompute the root and the tally from the bulletin alone.
        assert bulletin["receipts"] == sorted(receipts) and all(set(e) == {"receipt"} for e in bulletin["entries"])
        assert domain.bulletin_root("r1", bulletin["receipts"], bulletin["contents"]) == bulletin["bulletin_root"]
        recomputed = domain.recompute_tally(bulletin["ballot_type"], bulletin["candidate_ids"], bulletin["contents"],
                                            bulletin["eligible"])
        published = (await client.get("/rounds/r1/tally")).json()
        assert recomputed["ballots_cast"] == published["ballots_cast"]
        assert recomputed["candidates"] == [{k: c[k] for k in ("nomination_id", "approvals", "grades",
                                                               "share_of_eligible", "share_of_cast")}
                                            for c in published["candidates"]]
        # ... and it matches the last TallyUpdated and RoundClosed on the bus; ballots travel without voters.
        tallies = await events_of(settings, "TallyUpdated", min_count=14)
        last = max(tallies, key=lambda t: t["sequence"])
        assert last["ballots_cast"] == 8 and not last["counts_hidden"]
        assert [t["sequence"] for t in tallies] == sorted(t["sequence"] for t in tallies)
        assert {c["nomination_id"]: c["approvals"] for c in last["candidates"]} == counts
        [round_closed] = await events_of(settings, "RoundClosed")
        assert round_closed["bulletin_root"] == bulletin["bulletin_root"]
        accepted = await events_of(settings, "BallotAccepted", min_count=20)
        # the contents go out without their receipts (issue 16): a receipt proves counting, not a choice
        assert [{"selections": a["selections"], "grades": a["grades"]} for a in accepted] == bulletin["contents"]
        assert len(accepted) == 8 and not any(r in json.dumps(accepted) for r in receipts)
        assert not any(mid in json.dumps(accepted) for mid in w["members"])
        # closed: no more ballots
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]}, headers=member(settings, "m1-3"))
        assert r.status_code == 409 and r.json()["error"]["code"] == "closed"


async def test_no_stored_ballot_can_be_linked_to_its_voter(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=2, per_unit=5, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        for mid in w["members"]:
            r = await client.post("/rounds/r1/ballots", json={"selections": ["n1"]}, headers=member(settings, mid))
            assert r.status_code == 201, r.text
        roll = await store(svc).round_roll("r1")
        secret = svc.voting_config.ballot_secret
        assert all("mark" not in d for d in roll)  # the roll keeps no mark (issue 16)
        voter_keys = ({d["member_id"] for d in roll} | {domain.voter_mark(secret, "r1", d["member_id"]) for d in roll}
                      | {d["_id"] for d in roll})
        sheets = await store(svc).all_sheets()
        assert sum(len(domain.sheet_contents(secret, s)) for s in sheets) == len(w["members"])
        text = json.dumps(sheets, default=str)
        assert not any(k in text for k in voter_keys), "a ballot document holds a voter key"
        for s in sheets:
            assert set(s) == {"_id", "round_id", "receipts", "sealed"}  # no time, no voter, no mark
            assert b'"n1"' not in s["sealed"]  # sealed: no selection as JSON (the two bytes n1 may occur by chance)
            for b in domain.sheet_contents(secret, s):
                assert set(b) == {"selections", "grades"}  # and apart from the receipts
        marks = await store(svc).all_marks()
        assert len(marks) == len(w["members"])
        receipts = {r for s in sheets for r in s["receipts"]}
        for m in marks:
            assert set(m) == {"_id", "tag"} and m["_id"] not in receipts
        # The marks are HMACs keyed by a secret outside the database: a reader cannot recompute them.
        assert domain.voter_mark(b"guess", "r1", w["members"][0]) not in {m["_id"] for m in marks}
        assert not await store(svc).collection_names("secret")


async def test_concurrent_double_vote_counts_once(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=1, per_unit=3, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        sheet = await client.get("/rounds/r1/credentials/u0", headers=auth(settings, "organiser"))
        cred = re.findall(r"<td class=cred>([A-Z0-9-]{19})</td>", sheet.text)[0]
        # m0-0's credential is the first row (sorted by member id): cast with the token and the credential at once.
        posts = [client.post("/rounds/r1/ballots", json={"selections": [f"n{i % 3}"]},
                             headers=member(settings, "m0-0")) for i in range(4)]
        posts += [client.post("/rounds/r1/ballots", json={"credential": cred, "selections": ["n2"]}) for _ in range(2)]
        results = await asyncio.gather(*posts)
        codes = sorted(r.status_code for r in results)
        assert codes.count(201) == 1, [r.text for r in results]
        assert all(c == 409 for c in codes if c != 201)
        # a refused request may be answered before the counter records its refusal: wait for all five
        await eventually(lambda: tally_reaches(svc, "r1", lambda t: t.get("refused", {}).get("already_voted") == 5),
                         timeout=30)
        tally = (await client.get("/rounds/r1/tally")).json()
        assert tally["ballots_cast"] == 1
        assert sum(c["approvals"] for c in tally["candidates"]) == 1
        assert await store(svc).count_marks() == 1


async def test_a_round_closed_while_ballots_are_counted_accounts_for_every_accepted_ballot(settings):
    """Ballots keep arriving while the organiser closes the round: every ballot counted before the close is in the
    close's count, its bulletin and the final tally, and none is counted after it (the close writes every tally
    part, so a batch counting at that moment conflicts with it)."""
    async with running(create_service, settings) as (svc, client):
        w = world(units=4, per_unit=100, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        secret = svc.voting_config.ballot_secret
        commands = [CastBallot(command_id=uuid4().hex, round_id="r1", mark=domain.voter_mark(secret, "r1", m),
                               receipt=domain.new_receipt(), selections=[f"n{i % 3}"]).model_dump_json().encode()
                    for i, m in enumerate(w["members"])]

        async def feed():
            for i in range(0, len(commands), 8):
                await publish_raw(settings, topics.BALLOTS, commands[i:i + 8], key=f"k{i}".encode())
                await asyncio.sleep(0.01)

        feeding = asyncio.create_task(feed())
        await eventually(lambda: tally_reaches(svc, "r1", lambda t: t.get("ballots_cast", 0) >= 60), timeout=60)
        closed = await client.post("/rounds/r1/close", headers=auth(settings, "organiser"))
        assert closed.status_code == 200, closed.text
        await feeding
        # every command answered: counted before the close, or refused as closed after it
        await eventually(lambda: tally_reaches(svc, "r1", lambda t: t.get("ballots_cast", 0)
                                               + t.get("refused", {}).get("closed", 0) == len(commands)), timeout=60)
        counted = await store(svc).count_marks()
        assert 60 <= counted < len(commands), counted
        rnd = await store(svc).get_round("r1")
        assert rnd["entries"] == counted
        assert (await store(svc).read_tally("r1"))["ballots_cast"] == counted
        final = (await client.get("/rounds/r1/tally")).json()
        assert final["ballots_cast"] == counted and final["state"] == "closed"


async def test_redelivered_ballot_counts_once(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=1, per_unit=4, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        secret = svc.voting_config.ballot_secret

        def command(mid: str, sel: list[str]) -> bytes:
            return CastBallot(command_id=uuid4().hex, round_id="r1", mark=domain.voter_mark(secret, "r1", mid),
                              receipt=domain.new_receipt(), selections=sel).model_dump_json().encode()

        a, b = command("m0-0", ["n0"]), command("m0-1", ["n1"])
        # The same commands delivered twice by Kafka, and a whole batch applied twice (a redelivered batch).
        await publish_raw(settings, topics.BALLOTS, [a, a, b])
        await eventually(lambda: tally_reaches(svc, "r1", lambda t: t.get("ballots_cast") == 2), timeout=30)
        await svc.counter.handle([a, b])
        await publish_raw(settings, topics.BALLOTS, [b, a])

        # A batch whose first attempt fails after its writes began is redelivered by Kafka and counts once.
        c = command("m0-2", ["n2"])
        original = svc.counter._apply_round
        failed = []

        async def fail_once(*args, **kw):
            result = await original(*args, **kw)
            if not failed:
                failed.append(True)
                raise RuntimeError("simulated crash before commit")
            return result

        svc.counter._apply_round = fail_once
        await publish_raw(settings, topics.BALLOTS, [c, c])
        await eventually(lambda: tally_reaches(svc, "r1", lambda t: t.get("ballots_cast") == 3), timeout=30)
        assert failed
        await asyncio.sleep(1.0)
        tally = (await client.get("/rounds/r1/tally")).json()
        assert tally["ballots_cast"] == 3
        assert {c["nomination_id"]: c["approvals"] for c in tally["candidates"]} == {"n0": 1, "n1": 1, "n2": 1}
        assert tally["refused"] == {}
        sheets = await store(svc).all_sheets()
        assert sum(len(domain.sheet_contents(svc.voting_config.ballot_secret, s)) for s in sheets) == 3


async def test_each_kind_of_invalid_ballot_is_refused_with_its_reason(settings):
    lenient = VotingConfig(rate_per_credential=1000)
    async with running(lambda s: create_service(s, lenient), settings) as (svc, client):
        w = world(units=2, per_unit=6, candidates=4, quota=2)
        await seed(settings, svc, w)
        await open_round(settings, client)
        # each round replaces the peer vote of the one before (confirmed): the refusals are what this test is about
        await open_round(settings, client, round_id="r2", ballot_type="appraisal", excellent_cap=1,
                         confirm_replace=True)
        await open_round(settings, client, round_id="r3", opens_at=later(hours=1), closes_at=later(hours=2),
                         confirm_replace=True)
        await open_round(settings, client, round_id="r4", eligibility={"mode": "units", "unit_ids": ["u0"]},
                         confirm_replace=True)
        cases = [
            ("r1", "m0-0", {"selections": []}, 422, "empty", "selections"),
            ("r1", "m0-0", {"selections": ["nope"]}, 422, "unknown_candidate", "selections"),
            ("r1", "m0-0", {"selections": ["n0", "n0"]}, 422, "duplicate_selection", "selections"),
            ("r1", "m0-0", {"selections": ["n0", "n1", "n2"]}, 422, "too_many_selections", "selections"),
            ("r1", "m0-0", {"grades": {"n0": "excellent"}}, 422, "wrong_ballot_type", "selections"),
            ("r2", "m0-0", {"grades": {"n0": "superb"}}, 422, "unknown_grade", "grades"),
            ("r2", "m0-0", {"grades": {"n0": "excellent", "n1": "excellent"}}, 422, "too_many_excellent", "grades"),
            ("r2", "m0-0", {"selections": ["n0"]}, 422, "wrong_ballot_type", "grades"),
            ("r3", "m0-0", {"selections": ["n0"]}, 409, "not_open", "round_id"),
            ("r4", "m1-0", {"selections": ["n0"]}, 403, "not_eligible", None),
            ("r1", None, {"credential": "AAAA-BBBB-CCCC-DDDD", "selections": ["n0"]}, 403, "unknown_credential",
             "credential"),
            ("r9", "m0-0", {"selections": ["n0"]}, 404, "unknown_round", "round_id"),
        ]
        for rid, mid, body, status, code, field in cases:
            headers = member(settings, mid) if mid else {}
            r = await client.post(f"/rounds/{rid}/ballots", json=body, headers=headers)
            assert r.status_code == status, (code, r.text)
            err = r.json()["error"]
            assert err["code"] == code and err["message"], err
            assert err.get("field") == field, err
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]})
        assert r.status_code == 401 and r.json()["error"]["field"] == "credential"
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]}, headers=auth(settings, "judge"))
        assert r.status_code == 403
        # The refused voter was not marked: a valid ballot is still accepted.
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]}, headers=member(settings, "m0-0"))
        assert r.status_code == 201, r.text
        r1 = (await client.get("/rounds/r1/tally")).json()
        assert r1["ballots_cast"] == 1 and r1["invalid"] == 5 and r1["refused"] == {"unknown_credential": 1}
        r2 = (await client.get("/rounds/r2/tally")).json()
        assert r2["ballots_cast"] == 0 and r2["invalid"] == 3
        rejected = await events_of(settings, "BallotRejected", min_count=25)
        reasons = [e["reason"].split(":")[0] for e in rejected]
        for code in ("empty", "unknown_candidate", "duplicate_selection", "too_many_selections", "unknown_grade",
                     "too_many_excellent", "wrong_ballot_type", "not_open", "not_eligible", "unknown_credential"):
            assert code in reasons
        assert not any(m in json.dumps(rejected) for m in w["members"])
        # Spoiled ballots are stored apart, with their reason and no voter.
        spoiled = await store(svc).spoiled_rejections()
        assert len(spoiled) == 8 and all(set(d) == {"_id", "round_id", "code", "reason", "spoiled"} for d in spoiled)
        # Round definitions are checked field by field.
        org = auth(settings, "organiser")
        for body, status, field in [
            (round_body(round_id="r1"), 409, "round_id"),
            (round_body(round_id="x1", category_ids=["nope"]), 422, "category_ids"),
            (round_body(round_id="x2", category_ids=["branch"]), 422, "category_ids"),
            (round_body(round_id="x3", closes_at=later(hours=-1)), 422, "closes_at"),
            (round_body(round_id="x4", programme_id="nope"), 404, "programme_id"),
            (round_body(round_id="x5", eligibility={"mode": "units", "unit_ids": ["zz"]}), 422,
             "eligibility.unit_ids"),
            (round_body(round_id="x6", excellent_cap=1), 422, "excellent_cap"),
            (round_body(round_id="x7", ballot_type="appraisal", max_selections=2), 422, "max_selections"),
        ]:
            r = await client.post("/rounds", json=body, headers=org)
            assert r.status_code == status, (field, r.text)
            assert r.json()["error"]["field"] == field
        assert len(await store(svc).list_rounds(None)) == 4
        assert (await client.post("/rounds", json=round_body(round_id="x9"), headers=member(settings, "m0-0"))
                ).status_code == 403


async def test_hidden_counts_appear_nowhere_until_published(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=2, per_unit=3, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client, ballot_type="appraisal", counts_hidden=True, abstain_allowed=True)
        grades = [{"n0": "excellent", "n1": "competent", "n2": "incompetent"},
                  {"n0": "competent", "n1": "basically_competent"},
                  {"n0": "excellent", "n2": "competent"}]
        for mid, g in zip(w["members"], grades, strict=False):
            r = await client.post("/rounds/r1/ballots", json={"grades": g}, headers=member(settings, mid))
            assert r.status_code == 201, r.text
        org = auth(settings, "organiser")
        tally = (await client.get("/rounds/r1/tally")).json()
        assert tally["counts_hidden"] and tally["candidates"] == [] and tally["ballots_cast"] == 3
        xlsx = await client.get("/rounds/r1/tally.xlsx", headers=org)
        cells = [c for row in load_workbook(io.BytesIO(xlsx.content))["计票 Tally"].iter_rows(values_only=True)
                 for c in row]
        assert "机关0" not in cells and any("hidden" in str(c) for c in cells)
        assert (await client.post("/rounds/r1/close", headers=org)).status_code == 200
        bulletin = (await client.get("/rounds/r1/bulletin")).json()
        assert bulletin["counts_hidden"] and all(set(e) == {"receipt"} for e in bulletin["entries"])
        tallies = await events_of(settings, "TallyUpdated", min_count=5)
        assert tallies and all(t["counts_hidden"] and t["candidates"] == [] for t in tallies)
        assert not await events_of(settings, "BallotAccepted")

        assert (await client.post("/rounds/r1/publish", headers=org)).status_code == 200
        assert (await client.post("/rounds/r1/publish", headers=org)).status_code == 409
        tally = (await client.get("/rounds/r1/tally")).json()
        n0 = next(c for c in tally["candidates"] if c["nomination_id"] == "n0")
        assert n0["grades"] == {"excellent": 2, "competent": 1, "basically_competent": 0, "incompetent": 0}
        assert n0["approvals"] == 3  # favourable: 优秀 + 称职
        bulletin = (await client.get("/rounds/r1/bulletin")).json()
        recomputed = domain.recompute_tally("appraisal", bulletin["candidate_ids"], bulletin["contents"], 6)
        assert recomputed["candidates"][0]["grades"] == n0["grades"]
        accepted = await events_of(settings, "BallotAccepted", min_count=11)
        assert len(accepted) == 3
        xlsx = await client.get("/rounds/r1/tally.xlsx", headers=org)
        sheet = load_workbook(io.BytesIO(xlsx.content))["计票 Tally"]
        assert "机关0" in [c for row in sheet.iter_rows(values_only=True) for c in row]


async def test_rate_limits_and_burst_flags(settings, capsys):
    config = VotingConfig(rate_per_credential=4, rate_per_address=12000, burst_min_ballots=2, burst_share=0.1)
    async with running(lambda s: create_service(s, config), settings) as (svc, client):
        w = world(units=2, per_unit=5, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        statuses = [(await client.post("/rounds/r1/ballots", json={"credential": "AAAA-BBBB-CCCC-DDDD",
                                                                   "selections": ["n0"]})).status_code
                    for _ in range(4)]
        assert statuses[:2] == [403, 403] and statuses[-1] == 429
        for mid in w["members"][:4]:  # unit u0 votes in a burst
            assert (await client.post("/rounds/r1/ballots", json={"selections": ["n0"]},
                                      headers=member(settings, mid))).status_code == 201
        flags = (await client.get("/rounds/r1/flags", headers=auth(settings, "organiser"))).json()["flags"]
        assert [f["unit_id"] for f in flags] == ["u0"] and flags[0]["ballots_in_minute"] >= 3
        assert (await client.get("/rounds/r1/flags")).status_code == 401

    tight = VotingConfig(rate_per_address=6)
    verbose = settings.model_copy(update={"log_level": "INFO"})
    async with running(lambda s: create_service(s, tight), verbose) as (_, client2):
        codes = [(await client2.post("/rounds/r1/ballots", json={"selections": ["zz"]},
                                     headers=member(settings, "m1-0"))).status_code for _ in range(3)]
        assert 429 in codes
        logged = capsys.readouterr().err
        assert "ballot refused" in logged and "rate_limited" in logged
        assert "m1-0" not in logged and "m0-0" not in logged


async def test_a_round_closes_by_itself_at_its_closing_time(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=1, per_unit=3, candidates=2)
        await seed(settings, svc, w)
        await open_round(settings, client, closes_at=later(seconds=3))
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n1"]}, headers=member(settings, "m0-1"))
        assert r.status_code == 201, r.text
        closed = await eventually(lambda: closed_round(svc, "r1"), timeout=30)
        bulletin = (await client.get("/rounds/r1/bulletin")).json()
        assert bulletin["bulletin_root"] == closed["bulletin_root"] == domain.bulletin_root(
            "r1", bulletin["receipts"], bulletin["contents"])
        assert [e["selections"] for e in bulletin["contents"]] == [["n1"]]
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n1"]}, headers=member(settings, "m0-2"))
        assert r.status_code == 409 and r.json()["error"]["code"] == "closed"


async def test_the_leaderboard_projects_turnout_and_only_published_counts(settings):
    from services.leaderboard.app import create_service as create_leaderboard

    async with running(create_service, settings) as (svc, client), \
            running(create_leaderboard, settings) as (board, _):
        w = world(units=2, per_unit=3, candidates=2)
        await seed(settings, svc, w)
        await open_round(settings, client, counts_hidden=True)
        for mid in w["members"][:4]:
            r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]}, headers=member(settings, mid))
            assert r.status_code == 201
        rnd = await eventually(lambda: board.db.rounds.find_one({"_id": "r1", "ballots_cast": 4}), timeout=30)
        assert rnd["counts_hidden"] and rnd["turnout_by_unit"] == {"u0": 1.0, "u1": round(1 / 3, 4)}
        assert "candidates" not in rnd
        assert await board.db.entries.count_documents({"vote": {"$exists": True}}) == 0
        await client.post("/rounds/r1/close", headers=auth(settings, "organiser"))
        await client.post("/rounds/r1/publish", headers=auth(settings, "organiser"))
        rnd = await eventually(lambda: board.db.rounds.find_one({"_id": "r1", "candidates.approvals": 4}), timeout=30)
        assert {c["nomination_id"]: (c["approvals"], c["share_of_cast"]) for c in rnd["candidates"]} == \
            {"n0": (4, 1.0), "n1": (0, 0.0)}
        # What the dashboard shows: the vote attached to each entry of the board.
        with MongoClient(settings.mongo_url) as sync:
            shown = {e["_id"]: e.get("vote") for e in board_data.attach_votes(
                sync[board.db.name], [{"_id": "n0", "programme_id": rnd["programme_id"]}, {"_id": "x"}])}
        assert shown["n0"]["approvals"] == 4 and shown["n0"]["round_id"] == "r1" and shown["x"] is None
        closed = await eventually(lambda: board.db.rounds.find_one({"_id": "r1", "state": "closed"}), timeout=30)
        assert closed["bulletin_root"]


async def test_a_malformed_cast_command_goes_to_the_dead_letter_topic_and_the_rest_count(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=1, per_unit=2, candidates=2)
        await seed(settings, svc, w)
        await open_round(settings, client)
        good = CastBallot(command_id=uuid4().hex, round_id="r1",
                          mark=domain.voter_mark(svc.voting_config.ballot_secret, "r1", "m0-0"),
                          receipt=domain.new_receipt(), selections=["n0"]).model_dump_json().encode()
        await publish_raw(settings, topics.BALLOTS, [b'{"not": "a command"}', good])
        await eventually(lambda: tally_reaches(svc, "r1", lambda t: t.get("ballots_cast") == 1), timeout=30)
        letters = [json.loads(x) for x in await read_topic(settings, topics.DEAD_LETTER, min_count=1)]
        assert letters and letters[0]["consumer"] == "voting" and "CastBallot" in letters[0]["reason"]


async def test_a_nomination_withdrawn_during_the_round_can_no_longer_be_chosen(settings):
    from shared.contracts.nominations import NominationWithdrawn
    from tests.support import publish_envelopes

    async with running(create_service, settings) as (svc, client):
        w = world(units=1, per_unit=2, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        await publish_envelopes(settings, [Envelope.wrap(NominationWithdrawn(nomination_id="n1", category_id="organ"),
                                                         programme_id=PID, key="n1")])

        async def withdrawn():
            rnd = (await client.get("/rounds/r1")).json()
            return any(c["withdrawn"] for c in rnd["candidates"] if c["nomination_id"] == "n1")

        await eventually(withdrawn, timeout=30)
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n1"]}, headers=member(settings, "m0-0"))
        assert r.status_code == 422 and r.json()["error"]["code"] == "withdrawn_candidate"
        r = await client.post("/rounds/r1/ballots", json={"selections": ["n0"]}, headers=member(settings, "m0-0"))
        assert r.status_code == 201


async def test_two_replicas_count_the_ballots_cast_through_them_and_a_voter_still_counts_once(settings):
    """Each replica sends a ballot cast through it to a partition it counts itself (its answer needs no polling);
    a voter who casts through both replicas at once lands on two partitions and still counts once."""
    a_settings = settings.model_copy(update={"instance_id": "voting-a"})
    b_settings = settings.model_copy(update={"instance_id": "voting-b"})
    async with running(create_service, a_settings) as (a, client_a), \
            running(create_service, b_settings) as (b, client_b):
        w = world(units=2, per_unit=10, candidates=3)
        await seed(settings, a, w)

        def owned(svc) -> set[int]:
            consumer = svc.ballots_subscriber.consumer
            return {tp.partition for tp in consumer.assignment()} if consumer else set()

        await eventually(lambda: asyncio.sleep(0, result=owned(a) and owned(b)
                                               and len(owned(a) | owned(b)) == settings.kafka_partitions),
                         timeout=60)
        assert not owned(a) & owned(b)
        # The round's TallyUpdated rate is split between them by the partitions each counts.
        assert a.counter.share() + b.counter.share() == pytest.approx(1.0)
        assert a.counter.share() == pytest.approx(len(owned(a)) / settings.kafka_partitions)
        await open_round(settings, client_a)
        voters = w["members"][:16]
        replicas = [(a, client_a), (b, client_b)]
        results = await asyncio.gather(*(
            replicas[i % 2][1].post("/rounds/r1/ballots", json={"selections": ["n0"]},
                                    headers=member(settings, m)) for i, m in enumerate(voters)))
        assert [r.status_code for r in results] == [201] * len(voters), [r.text for r in results]
        for i, m in enumerate(voters):  # counted by the replica it was cast through
            mark = domain.voter_mark(VotingConfig().ballot_secret, "r1", m)
            svc = replicas[i % 2][0]
            assert svc.own_partition(mark) in owned(svc)
            assert mark in svc.counter.known, f"{m} cast through replica {'ab'[i % 2]} was counted elsewhere"

        twice = w["members"][16]
        both = await asyncio.gather(*(c.post("/rounds/r1/ballots", json={"selections": ["n1"]},
                                             headers=member(settings, twice)) for c in (client_a, client_b)))
        assert sorted(r.status_code for r in both) == [201, 409], [r.text for r in both]
        tally = (await client_b.get("/rounds/r1/tally")).json()
        assert tally["ballots_cast"] == len(voters) + 1
        assert {c["nomination_id"]: c["approvals"] for c in tally["candidates"]} == {"n0": 16, "n1": 1, "n2": 0}
        assert await store(a).count_marks() == len(voters) + 1
        # Each replica counted into the tally parts of its own partitions, never into the other's or the head.
        parts = await store(a).part_counts("r1")
        for svc in (a, b):
            mine = sum(parts[f"r1:{p}"] for p in owned(svc))
            assert mine == sum(1 for m in svc.counter.known), (svc.settings.instance_id, parts)
        assert (await store(a).tally_head("r1"))["ballots_cast"] == 0
        assert await store(a).ballots_cast("r1") == len(voters) + 1
        # The close sees every ballot; the TallyUpdated events have one order: a higher sequence never shows fewer.
        closed = (await client_a.post("/rounds/r1/close", headers=auth(settings, "organiser"))).json()
        assert closed["state"] == "closed"

        async def relayed_close():
            raws = await read_topic(settings, topics.VOTING, min_count=1, timeout=5)
            envs = [Envelope.model_validate_json(r) for r in raws]
            return envs if any(e.type == "RoundClosed" for e in envs) else None

        envs = await eventually(relayed_close, timeout=30)
        assert [e.payload["ballots_cast"] for e in envs if e.type == "RoundClosed"] == [len(voters) + 1]
        tallies = [e.payload for e in envs if e.type == "TallyUpdated"]
        seqs = [t["sequence"] for t in tallies]
        assert len(set(seqs)) == len(seqs), seqs
        by_seq = [t["ballots_cast"] for t in sorted(tallies, key=lambda t: t["sequence"])]
        assert by_seq == sorted(by_seq) and by_seq[-1] == len(voters) + 1, by_seq


def test_a_replica_emits_its_share_of_the_tally_rate(monkeypatch):
    """Replicas' TallyUpdated all carry the one shared tally: together they keep to tally_events_per_second."""
    from services.voting import counting

    clock = [0.0]
    monkeypatch.setattr(counting.time, "monotonic", lambda: clock[0])
    cfg = VotingConfig()
    alone, half = counting.Counter(None, cfg), counting.Counter(None, cfg)
    half.share = lambda: 0.5
    emitted = {"alone": 0, "half": 0}
    for _ in range(1000):  # 10 s of batches, one every 10 ms
        clock[0] += 0.01
        emitted["alone"] += alone._may_emit("r1")
        emitted["half"] += half._may_emit("r1")
    burst, rate = cfg.tally_events_burst, cfg.tally_events_per_second
    assert emitted["alone"] == pytest.approx(burst + 10 * rate, abs=1)
    assert emitted["half"] == pytest.approx(burst + 10 * rate / 2, abs=1)
