"""The refusals a user can meet, as the tests meet them: a pytest plugin that records every 4xx answer the tests'
HTTP clients receive (status, error code, field, message), and a table of the distinct ones.

    ./exemplar test tests/integrity -p devtools.refusals        # writes artifacts/refusals.jsonl
    .venv/bin/python -m devtools.refusals artifacts/refusals.jsonl   # one Markdown row per distinct refusal
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

OUT = Path(os.environ.get("EXEMPLAR_REFUSALS_OUT", "artifacts/refusals.jsonl"))


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:300]}
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {"message": json.dumps(body, ensure_ascii=False)[:300]}


def pytest_configure(config: Any) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    send = httpx.AsyncClient.send

    async def recorded(self: httpx.AsyncClient, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
        response = await send(self, request, *args, **kwargs)
        if 400 <= response.status_code < 500:
            await response.aread()
            row = {"method": request.method, "path": request.url.path, "status": response.status_code,
                   **_error(response)}
            with OUT.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return response

    httpx.AsyncClient.send = recorded  # type: ignore[method-assign]


def table(path: Path) -> str:
    seen: dict[tuple[Any, ...], str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        key = (r["status"], r.get("code"), r.get("field"), r.get("message"))
        seen.setdefault(key, f"{r['method']} {r['path']}")
    rows = ["| status | code | field | a request that met it | message |", "|---|---|---|---|---|"]
    for (status, code, field, message), where in seen.items():
        text = str(message or "").replace("|", "/")
        rows.append(f"| {status} | {code or ''} | {field or ''} | {where} | {text} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(Path(sys.argv[1] if len(sys.argv) > 1 else OUT)))
