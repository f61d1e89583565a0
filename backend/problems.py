"""Every refusal the backend gives: a status, a stable code, one line of detail."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from wire.sync import Problem


class Refused(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that can refuse with these statuses."""
    return {status: {"model": Problem, "description": DESCRIPTIONS[status]} for status in statuses}


DESCRIPTIONS = {
    400: "malformed request",
    401: "unsigned, forged, replayed or expired request, or a revoked terminal",
    403: "the operator token is missing or wrong",
    404: "no such thing",
    409: "conflicts with what is stored (idempotency key reused with another body)",
    410: "gone: the enrolment code was used or has expired",
    422: "the body does not match the schema",
    429: "too many requests: retry after the Retry-After header",
    503: "overloaded: retry after the Retry-After header",
}


def document(app: FastAPI) -> None:
    """The OpenAPI document says what the handlers below really send: a 422 is a
    Problem, not FastAPI's default validation error list."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = default_openapi()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["description"] = DESCRIPTIONS[422]
                    invalid["content"] = {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Problem"}}}  # fmt: skip
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> JSONResponse:
        # a refusal to be held (the gateway simulator's lost answer) waits here, on the
        # event loop, never in a worker thread that other requests need
        hold = exc.extra.pop("hold_s", 0)
        if hold:
            await asyncio.sleep(hold)
        headers = (
            {"Retry-After": str(exc.extra.pop("retry_after"))}
            if "retry_after" in exc.extra
            else None
        )
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        # the framework's own refusals (no such route, a method not allowed, a body
        # it cannot parse): Problems like ours
        codes = {400: "malformed", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse({"code": codes.get(exc.status_code, str(exc.status_code)),
                             "detail": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return JSONResponse(
            {"code": "invalid", "detail": f"{where}: {first.get('msg', 'invalid')}"},
            status_code=422,
        )
