"""`exemplar archive` on the real servers: a small programme's events, from every events topic and only its own,
and its documents (definition, nominations list, audit trail, an attachment) in one zip whose manifest counts them
and gives the sha256 of each part."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import httpx
from typer.testing import CliRunner

from deploy.archive import archive_programme
from deploy.cli import app
from services.leaderboard.app import create_service as create_leaderboard
from services.nominations.app import create_service as create_nominations
from services.publicity.app import create_service as create_publicity
from shared.auth import issue_token
from tests.integration.test_walking_skeleton import PROGRAMME
from tests.support import auth, eventually, fresh_settings, running

UNITS = "unit_id,name,parent_id,kind\nu-fgw,市发展和改革委员会机关,,organ\n".encode()
PDF = b"%PDF-1.4 archive demo"


async def _small_programme(settings, nominations) -> str:
    org = auth(settings, "organiser", name="张主任")
    assert (await nominations.post("/programmes", json=PROGRAMME, headers=org)).status_code == 201
    other = {**PROGRAMME, "programme_id": "p2027", "name": "2027年度创先争优评选", "year": 2027}
    assert (await nominations.post("/programmes", json=other, headers=org)).status_code == 201
    r = await nominations.post("/programmes/p2026/units/import", files={"file": ("units.csv", UNITS)}, headers=org)
    assert r.status_code == 200, r.text
    assert (await nominations.post("/programmes/p2026/stages/nomination/open", headers=org)).status_code == 200
    unit = auth(settings, "unit", unit_id="u-fgw", name="市发展和改革委员会")
    r = await nominations.post("/programmes/p2026/nominations", headers=unit, json={
        "category_id": "model-organ", "nominee_id": "u-fgw", "nominee_name": "市发展和改革委员会机关"})
    assert r.status_code == 201, r.text
    nid = r.json()["nomination_id"]
    r = await nominations.post(f"/programmes/p2026/nominations/{nid}/attachments", headers=unit,
                               files={"file": ("事迹材料.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return nid


async def test_a_small_programme_is_archived_with_its_events_and_documents(settings, tmp_path: Path):
    async with running(create_nominations, settings) as (noms, nominations), \
            running(create_publicity, settings) as (pub, _), \
            running(create_leaderboard, settings) as (board, leaderboard):
        nid = await _small_programme(settings, nominations)
        org = auth(settings, "organiser")
        # every event relayed and projected: the audit trail has the attachment
        await eventually(lambda: _listed(leaderboard, org, "AttachmentAdded"), timeout=30)
        mounts = {f"http://{name}.test": httpx.ASGITransport(app=svc.api)
                  for name, svc in (("nominations", noms), ("publicity", pub), ("leaderboard", board))}
        urls = {name: f"http://{name}.test" for name in ("nominations", "publicity", "leaderboard", "voting",
                                                         "scoring", "dashboard")}
        out = tmp_path / "p2026.zip"
        manifest = await archive_programme(settings, "p2026", out, urls=urls, client=httpx.AsyncClient(mounts=mounts),
                                           token=issue_token(settings, role="organiser", subject="archiver"))

    with zipfile.ZipFile(out) as z:
        stored = json.loads(z.read("manifest.json"))
        assert stored["programme_id"] == "p2026" and stored["events"] == manifest["events"]
        for part in stored["parts"]:  # each part is as the manifest says
            data = z.read(part["path"])
            assert (len(data), hashlib.sha256(data).hexdigest()) == (part["bytes"], part["sha256"]), part["path"]
        assert {p["path"] for p in stored["parts"]} | {"manifest.json"} == set(z.namelist())
        lines = {t: z.read(f"events/{t}.jsonl").decode().splitlines()
                 for t in ("nominations.events", "voting.events", "scoring.events", "publicity.events")}
        attachment = z.read(next(n for n in z.namelist() if n.startswith(f"documents/attachments/{nid}/")))
        programme = json.loads(z.read("documents/programme.json"))
        assert z.read("documents/nominations.xlsx")[:2] == b"PK" and z.read("documents/audit.xlsx")[:2] == b"PK"

    events = stored["events"]
    assert events["by_type"] == {"ProgrammeDefined": 1, "UnitsImported": 1, "StageChanged": 1,
                                 "NominationSubmitted": 1, "AttachmentAdded": 1}
    assert events["by_topic"] == {t: len(v) for t, v in lines.items()} and events["total"] == 5
    envelopes = [json.loads(line) for line in lines["nominations.events"]]
    assert {e["programme_id"] for e in envelopes} == {"p2026"}  # p2027 is not in it
    assert [e["actor"]["name"] for e in envelopes if e["type"] == "ProgrammeDefined"] == ["张主任"]
    assert attachment == PDF and programme["programme_id"] == "p2026"
    assert not [u for u in stored["unreachable"] if "attachments" in u["url"]]


def test_the_command_refuses_a_programme_with_no_events(servers, tmp_path: Path):
    s = fresh_settings(servers)
    env = {"EXEMPLAR_KAFKA_BOOTSTRAP": s.kafka_bootstrap, "EXEMPLAR_MONGO_URL": s.mongo_url,
           "EXEMPLAR_TOPIC_PREFIX": s.topic_prefix, "EXEMPLAR_DB_PREFIX": s.db_prefix,
           **{f"EXEMPLAR_{n}_URL": "http://127.0.0.1:9" for n in ("NOMINATIONS", "PUBLICITY", "LEADERBOARD")}}
    result = CliRunner().invoke(app, ["archive", "nope", "--out", str(tmp_path / "nope.zip")], env=env)
    assert result.exit_code == 1, result.output
    assert "no event of programme nope" in result.output and "not archived: http://127.0.0.1:9" in result.output
    with zipfile.ZipFile(tmp_path / "nope.zip") as z:
        assert json.loads(z.read("manifest.json"))["events"]["total"] == 0


async def _listed(client, headers, event_type: str):
    r = await client.get("/audit", params={"programme_id": "p2026", "type": event_type}, headers=headers)
    return r.status_code == 200 and r.json()["total"] > 0
