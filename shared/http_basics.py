"""The HTTP routes every service has: /healthz, /readyz, /metrics, the AsyncAPI document, and the request context."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .asyncapi import asyncapi_document, asyncapi_html
from .consumer import subscriber_state
from .http_context import RequestContext

MAX_BODY_BYTES = 12 * 1024 * 1024

router = APIRouter()


def _service(request: Request) -> Any:
    return request.app.state.service


@router.get("/healthz", tags=["health"], summary="The process is alive", response_model=None)
async def healthz(request: Request) -> dict[str, Any]:
    return {"status": "ok", "service": _service(request).name}


@router.get("/readyz", tags=["health"], summary="Kafka and MongoDB are reachable and the events consumer works")
async def readyz(request: Request) -> JSONResponse:
    svc = _service(request)
    checks: dict[str, str] = {}
    if svc.consumer.routes:
        checks["consumer"] = svc.consumer.health(svc.settings.readiness_grace_seconds)
    # A service's other subscribers (the voting counter's ballots consumer): running, their fetch task alive.
    for sub in svc.broker.subscribers:
        if sub is not svc.consumer.subscriber:
            checks[f"subscriber {','.join(getattr(sub, 'topic_names', ()))}"] = subscriber_state(sub)
    try:
        await svc.mongo.admin.command("ping")
        checks["mongodb"] = "ok"
    except Exception as exc:
        checks["mongodb"] = f"unreachable: {type(exc).__name__}"
    try:
        checks["kafka"] = "ok" if await svc.broker.ping(timeout=3) else "unreachable"
    except Exception as exc:
        checks["kafka"] = f"unreachable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "service": svc.name, "checks": checks},
                        status_code=200 if ok else 503)


@router.get("/metrics", tags=["health"], summary="Prometheus metrics (text format)")
async def metrics(request: Request) -> Response:
    body, content_type = _service(request).metrics.render()
    return Response(body, media_type=content_type)


@router.get("/asyncapi.json", tags=["docs"], summary="The event API (AsyncAPI 3.0)", response_model=None)
async def asyncapi_json(request: Request) -> dict[str, Any]:
    svc = _service(request)
    return asyncapi_document(svc.settings.topic_prefix, service=svc.name)


@router.get("/asyncapi", tags=["docs"], response_class=HTMLResponse, summary="The event API, readable",
            response_model=None)
async def asyncapi_page(request: Request) -> str:
    svc = _service(request)
    return asyncapi_html(asyncapi_document(svc.settings.topic_prefix, service=svc.name))


def install_http_basics(api: FastAPI, log: Any, metrics: Any = None) -> None:
    """The request context middleware and the basic routes; they find the service in `api.state.service`."""
    api.add_middleware(RequestContext, log=log, max_body_bytes=MAX_BODY_BYTES, metrics=metrics)
    api.include_router(router)
