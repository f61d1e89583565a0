"""Signed requests to the backend over one keep-alive session (requests).

What can go wrong is sorted in two: `Unavailable` (no network, a timeout, 5xx, an
overloaded backend: try again later, maybe after `retry_after`) and `Refused` (a
4xx: the backend understood and said no; the code says why). `Untrusted` is an
`Unavailable`: the backend's certificate did not verify against the pinned CA (or
names another host), so nothing was sent and the outbox keeps its records.

TLS: an https backend is verified against the police CA pinned at enrolment, and
only it (`verify=<that file>` on every request: neither the system's public roots
nor REQUESTS_CA_BUNDLE). Plain http only to loopback (kiosk/sync/identity.py).
Redirects are not followed: the backend's API never redirects, and a redirect could
lead the terminal off the address it checked.

Time: requests are signed with the system clock, which chrony keeps. A terminal back
from a power loss may start hours off before chrony has a source; the backend then
refuses its signatures (`clock_skew`, with its own time). The client takes that time
(pinned TLS: it is the backend's) and signs by it until the system clock is back
near it, so a citizen's records still go; the backend has alerted the drift.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from pydantic import BaseModel

from kiosk.sync.identity import Identity, InsecureBackend, check_backend_url, needs_ca
from wire import signing

log = logging.getLogger("kiosk.sync.client")

# A system clock this far off the backend's is not trusted for signing: a fraction
# of the signature window, so a clock on its way off is caught before it fails.
TRUSTED_DRIFT_S = signing.WINDOW_S / 5


class Unavailable(Exception):
    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Untrusted(Unavailable):
    """The backend's certificate is not from the pinned CA, or not for its host name."""


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
        self.verify = tls_verify(identity.backend_url, identity.ca_file)
        self.timeout_s = timeout_s
        self.clock = clock  # the system clock
        self.offset_s = 0.0  # what the system clock is behind the backend's, when untrusted
        self.http = requests.Session()

    def now(self) -> float:
        """The time requests are signed with."""
        return self.clock() + self.offset_s

    def backend_time(self, server_time: float) -> None:
        """The backend's clock as it answered: sign by it while the system clock is far
        off (a terminal back from a power loss), by the system clock again once chrony
        has it back."""
        drift = server_time - self.clock()
        offset = drift if abs(drift) > TRUSTED_DRIFT_S else 0.0
        if (offset == 0.0) != (self.offset_s == 0.0):
            if offset:
                log.error("the system clock is %+.0f s off the backend's: signing by "
                          "the backend's until chrony corrects it", -drift)  # fmt: skip
            else:
                log.warning("the system clock agrees with the backend's again")
        self.offset_s = offset

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
        try:
            return self._call(method, path, body, headers)
        except Refused as exc:
            server_time = exc.body.get("server_time")
            if exc.code != "clock_skew" or not isinstance(server_time, int | float):
                raise
            signed_by = self.offset_s
            self.backend_time(float(server_time))
            if self.offset_s == signed_by:
                raise  # the time signed by was not what was wrong
            return self._call(method, path, body, headers)  # once, by the corrected time

    def _call(
        self,
        method: str,
        path: str,
        body: BaseModel | None,
        headers: dict[str, str] | None,
    ) -> requests.Response:
        raw = body.model_dump_json().encode() if body is not None else b""
        signed = signing.sign(
            self.identity.key, self.identity.terminal_id, method, path, raw, self.now()
        )
        if body is not None:
            signed["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method, self.base + path, data=raw or None, timeout=self.timeout_s,
                headers={**signed, **(headers or {})}, verify=self.verify,
                allow_redirects=False,
            )  # fmt: skip
        except OSError as exc:  # requests' errors, and a pinned CA file gone since loading
            raise _unavailable(exc, self.identity.ca_file) from None
        return check(response)


def tls_verify(url: str, ca_file: Path | None) -> str | bool:
    """What requests verifies the backend with: the pinned CA file for https; for
    http (loopback only) nothing is verified. InsecureBackend for any other case."""
    check_backend_url(url)
    if not needs_ca(url):
        return True
    if ca_file is None:
        raise InsecureBackend(f"{url}: https with no pinned CA (kiosk enroll --ca FILE)")
    return str(ca_file)


def check(response: requests.Response) -> requests.Response:
    status = response.status_code
    if 300 <= status < 400 and status != 304:
        raise Unavailable(f"backend answered {status}, a redirect (not followed)")
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


def post_unsigned(
    url: str, payload: BaseModel, timeout_s: float, ca_file: Path | None = None
) -> dict[str, Any]:
    """Enrolment is the one request made before the terminal has an identity; `ca_file`
    is the CA to pin for an https backend (InsecureBackend without one). A field left
    unset is not sent (a backend from before an optional field was added refuses it)."""
    verify = tls_verify(url, ca_file)
    try:
        response = requests.post(
            url, data=payload.model_dump_json(exclude_none=True), timeout=timeout_s,
            headers={"Content-Type": "application/json"}, verify=verify,
            allow_redirects=False,
        )  # fmt: skip
    except OSError as exc:  # requests' errors, and a CA file gone since it was read
        raise _unavailable(exc, ca_file) from None
    try:
        return dict(json.loads(check(response).content))
    except ValueError:  # JSONDecodeError, or JSON that is not an object
        raise Unavailable(f"the answer of {url} is not a backend's") from None


def _unavailable(exc: OSError, ca_file: Path | None) -> Unavailable:
    """Unavailable, or Untrusted when the certificate did not verify (with OpenSSL's
    reason: an unknown issuer, a host name mismatch, an expired certificate)."""
    if isinstance(exc, requests.exceptions.SSLError):
        reason = _verify_message(exc)
        if reason is not None:
            return Untrusted(f"its certificate is not trusted: {reason} (CA: {ca_file})")
    return Unavailable(f"{type(exc).__name__}: {_first_line(exc)}")


def _verify_message(exc: BaseException) -> str | None:
    """The reason of the ssl.SSLCertVerificationError somewhere inside a requests
    error (requests wraps urllib3's, which wraps ssl's), or None when there is none."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        found = todo.pop()
        if not isinstance(found, BaseException) or id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, ssl.SSLCertVerificationError):
            return str(found.verify_message or found.reason or found)
        todo.extend((*found.args, getattr(found, "reason", None), found.__cause__,
                     found.__context__))  # fmt: skip
    return None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else ""
