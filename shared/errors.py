"""Errors a user can cause, each with a clear message and the right HTTP status."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


Params = dict[str, str | int | float]


class DomainError(Exception):
    """A refusal: its stable code (what a client words it by), the English message, the field it concerns and the
    params its words need (a limit, a count, a stage; never a personal detail such as a contact or an identity)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 params: Params | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = dict(params) if params else None
        if code:
            self.code = code

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            err["field"] = self.field
        if self.params:
            err["params"] = self.params
        return {"error": err}


class Invalid(DomainError):
    status, code = 422, "invalid"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class TooManyRequests(DomainError):
    status, code = 429, "rate_limited"


class Closed(DomainError):
    """The stage or window this action belongs to is not open."""

    status, code = 409, "closed"


# The limits of a failed check that a client may word (pydantic's ctx); a pattern is the service's business only.
CHECK_LIMITS = ("min_length", "max_length", "ge", "gt", "le", "lt", "expected")


def validation_problem(e: dict[str, Any]) -> dict[str, Any]:
    """One problem of a 422: the field, pydantic's message, and its stable check (pydantic's error type, e.g.
    string_too_short) with the limits, so a client words it in its own language instead of showing the message."""
    parts = list(e.get("loc", ()))
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    problem: dict[str, Any] = {"field": ".".join(str(p) for p in parts), "message": e.get("msg", "invalid value"),
                               "check": str(e.get("type") or "value_error")}
    ctx = e.get("ctx") or {}
    limits = {k: ctx[k] for k in CHECK_LIMITS if isinstance(ctx.get(k), (int, float, str))}
    if limits:
        problem["limits"] = limits
    return problem


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Framework-raised errors (undecodable body, unknown path, wrong method) in the same shape as ours.
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
                 415: "unsupported_media_type"}
        message = exc.detail if isinstance(exc.detail, str) else "invalid request"
        return JSONResponse({"error": {"code": codes.get(exc.status_code, "error"), "message": message}},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [validation_problem(e) for e in exc.errors()]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return JSONResponse(
            {"error": {"code": "invalid", "message": message, "field": first["field"], "problems": problems}},
            status_code=422,
        )
