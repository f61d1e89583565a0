"""Signed requests to the backend over one keep-alive session (requests).

What can go wrong is sorted in two: `Unavailable` (no network, a timeout, 5xx, an
overloaded backend: try again later, maybe after `retry_after`) and `Refused` (a
4xx: the backend understood and said no; the code says why).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests
from pydantic import BaseModel

from kiosk.sync.identity import Identity
from wire import signing


class Unavailable(Exception):
    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Refused(Exception):
    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.body = status, code, detail, body


class BackendClient:
    def __init__(
        self,
        identity: Identity,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.identity = identity
        self.base = identity.backend_url.rstrip("/")
        self.timeout_s = timeout_s
        self.clock = clock
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        body: BaseModel | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """The response of a signed request (2xx or 304), or Unavailable / Refused."""
        raw = body.model_dump_json().encode() if body is not None else b""
        signed = signing.sign(
            self.identity.key, self.identity.terminal_id, method, path, raw, self.clock()
        )
        if body is not None:
            signed["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method, self.base + path, data=raw or None, timeout=self.timeout_s,
                headers={**signed, **(headers or {})},
            )  # fmt: skip
        except requests.RequestException as exc:
            raise Unavailable(f"{type(exc).__name__}: {_first_line(exc)}") from None
        return check(response)


def check(response: requests.Response) -> requests.Response:
    status = response.status_code
    if status < 400:
        return response
    if status in (429, 503) or status >= 500:
        retry = response.headers.get("Retry-After")
        raise Unavailable(
            f"backend answered {status}", float(retry) if retry and retry.isdigit() else None
        )
    try:
        problem = response.json()
        code, detail = str(problem.get("code", status)), str(problem.get("detail", ""))
    except (ValueError, AttributeError):
        problem, code, detail = {}, str(status), response.text[:120]
    raise Refused(status, code, detail, problem if isinstance(problem, dict) else {})


def post_unsigned(url: str, payload: BaseModel, timeout_s: float) -> dict[str, Any]:
    """Enrolment is the one request made before the terminal has an identity."""
    try:
        response = requests.post(
            url, data=payload.model_dump_json(), timeout=timeout_s,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
    except requests.RequestException as exc:
        raise Unavailable(f"{type(exc).__name__}: {_first_line(exc)}") from None
    return dict(json.loads(check(response).content))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else ""
