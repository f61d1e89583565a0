"""Schemathesis over the served OpenAPI document: every operation, with requests
made from its schema (valid and invalid ones, boundary values, other methods), must
answer as documented (status, media type, body schema), never with a 5xx, and every
refusal is a Problem.

Terminal routes run twice: signed by an enrolled terminal (over the very bytes
schemathesis sends, a fresh nonce each) and unsigned (refused 401). Public routes
run plain. Console and admin routes run twice: signed out (refused 401/403) and as
the harness's signed-in administrator. A fixed seed: the same requests every run;
SQLite and PostgreSQL both.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    is_unexpected_http_status_case,
    response_schema_conformance,
    status_code_conformance,
)

from backend import console, gateway, operators, records, services, terminals
from backend.auth import signed_call
from tests.backend.harness import Backend, Terminal

# A fixed seed and no example database: the same cases every run, nothing written.
CONFIG = schemathesis.Config.from_dict({
    "seed": 16,
    "generation": {"deterministic": True, "database": "none"},
})  # fmt: skip
# The fuzzing phase's cases per operation; the coverage phase adds its own
# (boundary values, each constraint broken, other methods).
SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,  # two shared cores: a slow moment is no finding
    suppress_health_check=list(HealthCheck),
)
PUBLIC_PATHS = ["/v1/enrol", "/v1/proofs/verify", "/verify"]
OPERATOR_PATHS = r"^/(console/api|v1/admin)/"
SIGN_IN = ("POST", "/console/api/session")  # the one console route for the signed out


def _signed_paths() -> list[str]:
    """The routes that need the X-Kiosk-* headers: those that depend on the signer."""
    found = set()
    for module in (console, gateway, records, services, terminals):
        for route in module.router.routes:
            if not isinstance(route, APIRoute):
                continue
            stack = list(route.dependant.dependencies)
            while stack:
                dependency = stack.pop()
                if dependency.call is signed_call:
                    found.add(route.path_format)
                stack.extend(dependency.dependencies)
    return sorted(found)


TERMINAL_PATHS = _signed_paths()


def operator_auth_headers(backend: Backend) -> dict[str, str]:
    """The harness's signed-in administrator: the session cookie and its CSRF token."""
    token = backend.console.cookies.get(operators.COOKIE)
    assert token, "the harness signs its administrator in"
    return {"Cookie": f"{operators.COOKIE}={token}",
            operators.CSRF_HEADER: backend.console.headers[operators.CSRF_HEADER]}  # fmt: skip


class TerminalSigner(requests.auth.AuthBase):
    """Signs a request once `requests` has prepared it: over the body as it goes on
    the wire and the path as the backend reads it (percent-decoded, as any ASGI
    server hands it over) with the query as sent; signing.sign makes a fresh nonce."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        assert isinstance(body, bytes | str), "a streamed body cannot be signed before sending"
        raw = body.encode() if isinstance(body, str) else body
        url = urlsplit(request.url or "")
        target = unquote(url.path) + (f"?{url.query}" if url.query else "")
        request.headers.update(self.terminal.headers(request.method or "GET", target, raw))
        return request


# -- checks beyond schemathesis' own ----------------------------------------------------


def problem_bodies(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every refusal is a Problem: JSON with a `code` and a `detail` (backend/problems.py)."""
    if 400 <= response.status_code < 500:
        kind = (response.headers.get("content-type") or [""])[0]
        assert "json" in kind, f"a {response.status_code} answered as {kind!r}"
        body = response.json()
        assert isinstance(body, dict), body
        assert isinstance(body.get("code"), str), body
        assert isinstance(body.get("detail"), str), body


def signature_accepted(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A request signed by an enrolled terminal is never refused for its signature."""
    if response.status_code != 401 or is_unexpected_http_status_case(case):
        return
    raise AssertionError(f"a signed request refused: {response.text}")


def unsigned_refused(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A terminal route refuses an unsigned request, whatever it carries."""
    if is_unexpected_http_status_case(case) or response.status_code == 401:
        return
    # Excluded: a body that is not JSON at all is refused (400/422) before the
    # signature is looked at (FastAPI parses a body before the route's dependencies).
    if _not_json(response.request.body):
        return
    raise AssertionError(f"an unsigned request answered {response.status_code}: {response.text}")


def operator_refused(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A console or admin route refuses a request from nobody signed in."""
    if is_unexpected_http_status_case(case) or (case.method, case.path) == SIGN_IN:
        return
    # Excluded, as for terminal routes: a body that is not JSON at all is refused (422)
    # before anyone is asked who they are (FastAPI parses it before the dependencies)
    if _not_json(response.request.body):
        return
    assert response.status_code in (401, 403), f"{response.status_code}: {response.text}"


def _not_json(body: object) -> bool:
    """There is a body, and it is not JSON."""
    if not isinstance(body, bytes | str) or not body:
        return False
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    problem_bodies,
]


# -- the schema and the tests -----------------------------------------------------------


@pytest.fixture
def api(backend: Backend) -> Any:
    # The test client is one address: exempt from the per-address limits, so the
    # handlers of enrolment, verification and sign-in are reached, not the limiter.
    backend.app.state.limits = dataclasses.replace(backend.limits, exempt=frozenset({"testclient"}))
    return schemathesis.openapi.from_asgi("/openapi.json", backend.app, config=CONFIG)


@pytest.fixture
def terminal(backend: Backend) -> Terminal:
    return backend.enrol("fuzzed")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32's lazy schemas read and rename `node._nodeid`, which pytest 9.2
    # no longer has (its nodeid is derived): give it one to read; the rename is moot
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api")


@SETTINGS
@schema.include(path=TERMINAL_PATHS).parametrize()
def test_terminal_routes_signed(case: schemathesis.Case, terminal: Terminal) -> None:
    case.call_and_validate(auth=TerminalSigner(terminal), checks=[*CHECKS, signature_accepted])


@SETTINGS
@schema.include(path=TERMINAL_PATHS).parametrize()
def test_terminal_routes_unsigned(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[*CHECKS, unsigned_refused])


@SETTINGS
@schema.include(path=PUBLIC_PATHS).parametrize()
def test_public_routes(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@SETTINGS
@schema.include(path_regex=OPERATOR_PATHS).parametrize()
def test_operator_routes_signed_out(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[*CHECKS, operator_refused])


@SETTINGS
@schema.include(path_regex=OPERATOR_PATHS).exclude(method="DELETE").parametrize()
def test_operator_routes_signed_in(case: schemathesis.Case, backend: Backend) -> None:
    # as documented (signing out, DELETE, is left out: it would end the session the
    # rest of the run uses)
    case.call_and_validate(headers=operator_auth_headers(backend), checks=CHECKS)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_operation_is_fuzzed(backend: Backend) -> None:
    """A new route falls under one of the tests above, or this says which does not."""
    paths = backend.http.get("/openapi.json").json()["paths"]
    covered = [*TERMINAL_PATHS, *PUBLIC_PATHS]
    assert [p for p in paths if p not in covered and not re.match(OPERATOR_PATHS, p)] == []
