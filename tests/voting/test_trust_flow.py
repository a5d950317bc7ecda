"""Issue 16 on the real local Kafka and MongoDB: what the stores keep links no member to a selection, a receipt is
checked during the round, the tally is recomputed from the published contents, and a tampered bulletin file is
rejected by `./exemplar verify`."""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from services.voting import domain
from services.voting.app import create_service
from shared import verify
from tests.support import auth, eventually, running
from tests.voting.helpers import PID, seed, store, world

REPO = Path(__file__).resolve().parents[2]
GRADES = ("excellent", "competent", "basically_competent", "incompetent")


def later(**kw) -> str:
    return (datetime.now(UTC) + timedelta(**kw)).isoformat()


async def open_round(settings, client, **kw) -> None:
    body = {"round_id": "r1", "programme_id": PID, "name": "模范机关民主测评", "category_ids": ["organ"],
            "ballot_type": "appraisal", "abstain_allowed": False, "closes_at": later(hours=1)} | kw
    r = await client.post("/rounds", json=body, headers=auth(settings, "organiser"))
    assert r.status_code == 201, r.text


async def _assigned(consumer: AIOKafkaConsumer, names: list[str]) -> bool:
    return {tp.topic for tp in consumer.assignment()} == set(names)


async def every_message(settings) -> list[dict]:
    """Every message of every topic of the broker: key, value, timestamp (what a reader of Kafka has)."""
    lister = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await lister.start()
    try:
        # Every topic of this installation (its prefix): the events, the ballots, the dead letters.
        names = sorted(t for t in await lister.topics() if t.startswith(settings.topic_prefix))
    finally:
        await lister.stop()
    assert names, "the installation has no topics"
    # Subscribed without a group, the consumer is given every partition of those topics (once their metadata is in).
    consumer = AIOKafkaConsumer(*names, bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    out: list[dict] = []
    try:
        await eventually(lambda: _assigned(consumer, names), timeout=15)
        parts = sorted(consumer.assignment())
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        deadline = time.monotonic() + 60
        # Until every partition is read to its end (positions, not record offsets: transaction markers count).
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]] and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                out.extend({"topic": tp.topic, "key": r.key, "value": r.value, "at": r.timestamp / 1000}
                           for r in records)
    finally:
        await consumer.stop()
    return out


def scalars(value) -> list:
    """Every scalar inside a document or a message (JSON text and bytes decoded when they are JSON)."""
    if isinstance(value, dict):
        return [value] + [s for k, v in value.items() for s in [k, *scalars(v)]]
    if isinstance(value, list):
        return [s for v in value for s in scalars(v)]
    if isinstance(value, (bytes, bytearray)):
        try:
            return [bytes(value)] + scalars(json.loads(value))
        except ValueError:
            return [bytes(value), bytes(value).decode("latin-1")]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return [value] + scalars(json.loads(value))
        except ValueError:
            pass
    return [value]


def links(doc_scalars: list, voters: dict[str, dict]) -> list[str]:
    """The member and ballot values of one voter this document holds together (an attacker's join)."""
    found = []
    hashable = {s for s in doc_scalars if isinstance(s, (str, bytes))}
    for mid, v in voters.items():
        kinds = {kind for kind, values in (("member", v["ids"]), ("mark", v["marks"]), ("receipt", {v["receipt"]}))
                 if hashable & values}
        if any(isinstance(s, dict) and s == v["grades"] for s in doc_scalars):
            kinds.add("contents")
        if len(kinds) > 1:
            found.append(f"{mid}: {sorted(kinds)}")
    return found


async def test_no_store_links_a_member_to_a_selection(settings):
    async with running(create_service, settings) as (svc, client):
        w = world(units=2, per_unit=4, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client)
        org = auth(settings, "organiser")
        sheet = await client.get("/rounds/r1/credentials/u0", headers=org)
        creds = re.findall(r"<td class=cred>([A-Z0-9-]{19})</td>", sheet.text)
        assert len(creds) == 4
        secret = svc.voting_config.ballot_secret
        # Every document that names a member, before any ballot: voting must not touch them.
        before = _naming_members(await store(svc).all_collections(), w["members"])
        # Each voter a different ballot, so that a ballot's contents identify it wherever they are found.
        combos = list(product(GRADES, repeat=3))[5:]
        voters: dict[str, dict] = {}
        cast_from = datetime.now(UTC).timestamp()
        for i, mid in enumerate(w["members"]):
            grades = dict(zip(w["nominations"][:3], combos[i * 7]))
            by_credential = mid.startswith("m0-")
            r = await client.post("/rounds/r1/ballots", json={"grades": grades} | (
                {"credential": creds[int(mid[-1])]} if by_credential else {}),
                headers={} if by_credential else auth(settings, "member", member_id=mid))
            assert r.status_code == 201, r.text
            mark = domain.voter_mark(secret, "r1", mid)
            voters[mid] = {"ids": {mid, f"r1:{mid}"}, "marks": {mark}, "receipt": r.json()["receipt"],
                           "grades": grades}
        assert (await client.post("/rounds/r1/close", headers=org)).status_code == 200
        await eventually(lambda: _released(svc), timeout=30)

        collections = await store(svc).all_collections()
        messages = await every_message(settings)
        # The marks' command tags join a mark to its command id: both count as the mark.
        for m in collections["marks"]:
            for v in voters.values():
                if m["_id"] in v["marks"]:
                    v["marks"].add(m["tag"])
        for v, roll in ((voters[m], next(d for d in collections["roll"] if d["member_id"] == m)) for m in voters):
            v["ids"] |= {x for x in (roll.get("cred"),) if x}
        # 1. Joins by value: no document nor message holds two of a voter's member / mark / receipt / contents.
        problems = [f"{name} {d.get('_id')}: {p}" for name, docs in collections.items() for d in docs
                    for p in links(scalars(d), voters)]
        problems += [f"{m['topic']}@{m['at']}: {p}" for m in messages
                     for p in links(scalars(m["key"]) + scalars(m["value"]), voters)]
        assert not problems, "\n".join(problems)
        # 2. Joins by time or order: what names a member was not touched by voting, and no message sent while
        # ballots were cast names a member, so no time or order of a ballot can be set beside a member.
        assert _naming_members(collections, w["members"]) == before
        assert not [m["topic"] for m in messages if m["at"] >= cast_from
                    and _names_a_member({"k": m["key"], "v": m["value"]}, w["members"])]
        # 3. Nothing holds the secret, and the roll no mark: a reader cannot recompute a member's mark.
        text = json.dumps(collections, default=str) + "".join(str(m["value"]) for m in messages)
        assert secret.decode() not in text and all("mark" not in d for d in collections["roll"])
        # ... while the ballots are all there, sealed on the topic, in the clear only on the bulletin.
        ballots = [m for m in messages if m["topic"].endswith("voting.ballots")]
        assert len(ballots) == 8 and all(set(json.loads(m["value"])) == {"command_id", "round_id", "sealed"}
                                         for m in ballots)


def _naming_members(collections: dict[str, list[dict]], members: list[str]) -> dict[str, list[dict]]:
    named = {n: [d for d in docs if _names_a_member(d, members)] for n, docs in collections.items()}
    return {n: docs for n, docs in named.items() if docs}


def _names_a_member(doc, members: list[str]) -> bool:
    values = {s for s in scalars(doc) if isinstance(s, (str, bytes))}
    return any(m in values or f"r1:{m}" in values or m.encode() in values for m in members)


async def _released(svc) -> bool:
    rnd = await store(svc).get_round("r1")
    return bool(rnd and rnd.get("bulletin_released"))


async def test_receipts_during_the_round_and_a_bulletin_anyone_can_check(settings, tmp_path):
    async with running(create_service, settings) as (svc, client):
        w = world(units=2, per_unit=3, candidates=3)
        await seed(settings, svc, w)
        await open_round(settings, client, ballot_type="approval")
        receipts = []
        for i, mid in enumerate(w["members"]):
            r = await client.post("/rounds/r1/ballots", json={"selections": [f"n{i % 3}"]},
                                  headers=auth(settings, "member", member_id=mid))
            assert r.status_code == 201, r.text
            receipts.append(r.json()["receipt"])
            # During the round: the receipt is counted and on the live list, and shows no selection.
            check = (await client.get(f"/rounds/r1/receipts/{receipts[-1]}")).json()
            assert check["state"] == "open" and check["recorded"] and check["counted"] and check["on_bulletin"]
            assert "selections" not in check and f"n{i % 3}" not in json.dumps(check)
        live = (await client.get("/rounds/r1/receipts")).json()
        assert live["receipts"] == sorted(receipts) and live["receipts_root"] == verify.receipts_root(
            "r1", sorted(receipts))
        assert (await client.get("/rounds/r1/bulletin/file")).status_code == 409  # contents wait for the close

        closed = (await client.post("/rounds/r1/close", headers=auth(settings, "organiser"))).json()
        download = await client.get("/rounds/r1/bulletin/file")
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        doc = download.json()
        assert doc["commitments"]["bulletin_root"] == closed["bulletin_root"]
        # Anyone recomputes the tally from the published contents: it is the tally the service publishes.
        published = (await client.get("/rounds/r1/tally")).json()
        again = verify.recount(doc["ballot_type"], doc["candidate_ids"], doc["contents"])
        assert again["ballots_cast"] == published["ballots_cast"] == 6
        assert again["candidates"] == [{k: c[k] for k in ("nomination_id", "approvals", "grades")}
                                       for c in published["candidates"]]
        assert doc["receipts"] == sorted(receipts) and all("receipt" not in c for c in doc["contents"])

        # `./exemplar verify FILE` (the CLI, as a process) accepts the file and rejects each tampering.
        good = tmp_path / "bulletin.json"
        good.write_text(download.text)
        ok = _verify(good)
        assert ok.returncode == 0 and "VERIFIED" in ok.stdout and "tally of 3 candidates" in ok.stdout, ok.stdout
        for name, tamper, failure in [
            ("content", lambda d: d["contents"][0].update(selections=["n2"]), "contents"),
            ("receipt", lambda d: d["receipts"].pop(2), "receipts list does not match its root"),
            ("tally", lambda d: d["tally"]["candidates"][1].update(approvals=5), "published tally of n1")]:
            bad = copy.deepcopy(doc)
            tamper(bad)
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(bad, ensure_ascii=False))
            refused = _verify(path)
            assert refused.returncode == 1 and "REJECTED" in refused.stdout, refused.stdout
            assert failure in refused.stdout, refused.stdout


def _verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
