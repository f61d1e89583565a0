"""Every refusal the backend gives: a status, a stable code, one line of detail."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from backend.guard import DEFAULT_LIMIT, LIMITS
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
    403: "not signed in to the console, no CSRF token on a write, or a role without this right",
    404: "no such thing",
    408: "the body came too slowly",
    409: "conflicts with what is stored (idempotency key reused with another body)",
    410: "gone: the enrolment code was used or has expired",
    413: "the body is larger than this route takes",
    422: "the body does not match the schema",
    429: "too many requests: retry after the Retry-After header",
    503: "overloaded: retry after the Retry-After header",
}


def document(app: FastAPI) -> None:
    """The OpenAPI document says what the handlers below really send: a 422 is a
    Problem, not FastAPI's default validation error list; and what the door
    (backend/guard.py) and the signature check send before any handler runs."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = default_openapi()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                answers = operation.setdefault("responses", {})
                if "requestBody" in operation:
                    # a body that is not UTF-8 JSON or nests too deep (400), comes too
                    # slowly (408) or is too large (413): refused before it is parsed
                    answers.update(_problems(400, 408, 413, among=answers))
                if LIMITS.get(path, DEFAULT_LIMIT) > DEFAULT_LIMIT:
                    answers.update(_problems(503, among=answers))  # large bodies in flight
                if "401" in answers and method != "get":
                    # a route a terminal signs (its 401), when it writes: the signature
                    # check counts it against the terminal's writes a minute (auth.py)
                    answers.update(_problems(429, among=answers))
                if "422" in answers:
                    answers["422"] = _problems(422)["422"]
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problems(*statuses: int, among: dict[str, Any] | None = None) -> dict[str, Any]:
    """OpenAPI responses: a Problem for each status not already documented in `among`."""
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        str(status): {"description": DESCRIPTIONS[status], "content": problem}
        for status in statuses
        if str(status) not in (among or {})
    }


def refused(exc: Refused) -> JSONResponse:
    """The answer to a refusal (its Retry-After, when it says one). The routes'
    handler below and the hot paths (backend/hotpaths.py) both answer with it."""
    headers = (
        {"Retry-After": str(exc.extra.pop("retry_after"))} if "retry_after" in exc.extra else None
    )
    body = {"code": exc.code, "detail": exc.detail, **exc.extra}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def malformed(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The framework's own refusals (no such route, a method not allowed, a body it
    cannot parse): Problems like ours."""
    codes = {400: "malformed", 404: "not_found", 405: "method_not_allowed"}
    return JSONResponse({"code": codes.get(status, str(status)), "detail": detail},
                        status_code=status, headers=headers)  # fmt: skip


def invalid(errors: Sequence[Any]) -> JSONResponse:
    """A body its model refused: the first of pydantic's errors, where and what."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid"}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return JSONResponse(
        {"code": "invalid", "detail": f"{where}: {first.get('msg', 'invalid')}"},
        status_code=422,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> JSONResponse:
        # a refusal to be held (the gateway simulator's lost answer) waits here, on the
        # event loop, never in a worker thread that other requests need
        hold = exc.extra.pop("hold_s", 0)
        if hold:
            await asyncio.sleep(hold)
        return refused(exc)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        return malformed(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid(exc.errors())
