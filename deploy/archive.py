"""`exemplar archive`: a programme's whole record in one .zip, for keeping after the programme ends.

The zip holds, for one programme:
- events/<topic>.jsonl: every envelope of that events topic whose programme id is the programme's, in the order of
  their time (each line one envelope as it travelled, with its actor);
- documents/: what the services publish about it, fetched over their HTTP APIs: the programme's definition, the
  nominations list, each notice (.docx, .xlsx, .pdf where a CJK font is installed) with its published list (.json),
  the honours list, the audit trail (.xlsx), and each nomination's attachments (checked against the sha256 their
  AttachmentAdded event recorded);
- manifest.json: the counts (events by topic and by type, documents) and the size and sha256 of every other part,
  and what could not be fetched, with why.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from shared.contracts import Envelope, topics
from shared.settings import Settings

from .ops import read_all
from .status import SERVICE_PORTS

FORMAT = "exemplar-archive/1"
DOC_FORMATS = ("docx", "xlsx", "pdf")
TIMEOUT = 60.0


@dataclass
class Archive:
    """What goes into the zip: its parts by path, and the manifest's counts."""

    programme_id: str
    parts: dict[str, bytes] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    types: Counter = field(default_factory=Counter)
    unreachable: list[dict[str, str]] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "programme_id": self.programme_id, "created_at": datetime.now(UTC).isoformat(),
            "events": {"total": sum(self.events.values()), "by_topic": self.events, "by_type": dict(sorted(
                self.types.items()))},
            "documents": sum(1 for p in self.parts if p.startswith("documents/")),
            "parts": [{"path": p, "bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                      for p, b in sorted(self.parts.items())],
            "unreachable": self.unreachable,
        }

    def write(self, out: Path) -> dict[str, Any]:
        manifest = self.manifest()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for path, data in sorted(self.parts.items()):
                z.writestr(path, data)
            z.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        tmp.replace(out)
        return manifest


def service_urls(env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    return {name: (env.get(f"EXEMPLAR_{name.upper()}_URL") or f"http://127.0.0.1:{port}").rstrip("/")
            for name, port in SERVICE_PORTS.items()}


async def collect_events(settings: Settings, archive: Archive) -> None:
    """Every events topic read from its beginning; the programme's envelopes kept, by topic, in time order."""
    for topic in topics.EVENT_TOPICS:
        kept: list[Envelope] = []
        for record in await read_all(settings, topics.qualified(settings.topic_prefix, topic)):
            try:
                env = Envelope.model_validate_json(record.value or b"")
            except ValidationError:
                continue  # not an envelope (it was dead-lettered where it was consumed)
            if env.programme_id == archive.programme_id:
                kept.append(env)
        kept.sort(key=lambda e: (e.occurred_at, e.event_id))
        archive.events[topic] = len(kept)
        archive.types.update(e.type for e in kept)
        archive.envelopes += kept
        archive.parts[f"events/{topic}.jsonl"] = "".join(e.model_dump_json() + "\n" for e in kept).encode()


class Fetcher:
    """GETs of the services' documents with an organiser's token; a refusal or an unreachable service is noted."""

    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str], token: str | None, archive: Archive) -> None:
        self.client, self.urls, self.archive = client, urls, archive
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def get(self, service: str, path: str, params: dict | None = None) -> httpx.Response | None:
        url = self.urls[service] + path
        try:
            r = await self.client.get(url, params=params, headers=self.headers, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            self.archive.unreachable.append({"url": url, "why": f"{type(exc).__name__}: {exc}"[:300]})
            return None
        if r.status_code >= 400:
            self.archive.unreachable.append({"url": url, "why": f"HTTP {r.status_code}: {r.text[:200]}"})
            return None
        return r

    async def keep(self, part: str, service: str, path: str, params: dict | None = None) -> bytes | None:
        r = await self.get(service, path, params)
        if r is not None:
            self.archive.parts[f"documents/{part}"] = r.content
        return None if r is None else r.content


async def collect_documents(fetch: Fetcher, archive: Archive) -> None:
    pid = archive.programme_id
    await fetch.keep("programme.json", "nominations", f"/programmes/{pid}")
    await fetch.keep("nominations.xlsx", "nominations", f"/programmes/{pid}/nominations/export.xlsx")
    notices = await fetch.get("publicity", "/notices", {"programme_id": pid})
    for n in (notices.json().get("notices", []) if notices is not None else []):
        nid = n.get("notice_id") or n.get("_id")
        await fetch.keep(f"notices/{nid}/published-list.json", "publicity", f"/notices/{nid}/published-list.json")
        for fmt in DOC_FORMATS:
            await fetch.keep(f"notices/{nid}/notice.{fmt}", "publicity", f"/notices/{nid}/download/{fmt}")
    for fmt in DOC_FORMATS:
        await fetch.keep(f"honours.{fmt}", "publicity", f"/honours/download/{fmt}", {"programme_id": pid})
    await fetch.keep("audit.xlsx", "leaderboard", "/audit.xlsx", {"programme_id": pid})
    await collect_attachments(fetch, archive)


async def collect_attachments(fetch: Fetcher, archive: Archive) -> None:
    """Each attachment its AttachmentAdded event names, checked against the sha256 the event recorded."""
    pid = archive.programme_id
    for env in archive.envelopes:
        if env.type != "AttachmentAdded":
            continue
        p = env.payload
        path = f"/programmes/{pid}/nominations/{p['nomination_id']}/attachments/{p['file_id']}"
        data = await fetch.keep(f"attachments/{p['nomination_id']}/{p['file_id']}-{quote(p['filename'])}",
                                "nominations", path)
        if data is not None and p.get("sha256") and hashlib.sha256(data).hexdigest() != p["sha256"]:
            archive.unreachable.append({"url": fetch.urls["nominations"] + path,
                                        "why": "the file's sha256 differs from the one its AttachmentAdded recorded"})


async def archive_programme(settings: Settings, programme_id: str, out: Path, *, token: str | None,
                            urls: dict[str, str] | None = None,
                            client: httpx.AsyncClient | None = None) -> dict[str, Any]:
    """Write the programme's archive to `out`; returns its manifest. `urls`: the services' (default: the
    EXEMPLAR_<SERVICE>_URL settings or the well-known ports); `client`: the HTTP client to fetch with."""
    archive = Archive(programme_id)
    await collect_events(settings, archive)
    async with client or httpx.AsyncClient() as http:
        await collect_documents(Fetcher(http, urls or service_urls(), token, archive), archive)
    return archive.write(out)
