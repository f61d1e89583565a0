"""The door of the backend, before any route: how much a request may send, how slowly
and how deeply nested, and the headers every answer carries.

A body is read here, at most its route's limit, before anything parses it or checks
its signature: a declared length over the limit is refused at once (413) without
reading a byte; a body that grows past it (chunked) is refused as soon as it does;
a sender that stalls between chunks, or trickles past the whole body's deadline, is
cut off (408); JSON nested deeper than any of our models is refused (400). Every
method is read so (a GET may carry a body, and signed GETs read it). Large bodies
(the record batches) are read for requests that carry the signing headers of now,
eight at a time at the most (else 503 with Retry-After): memory under a flood stays
bounded. Every refusal is a Problem document.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wire import signing

KIB = 1024
DEFAULT_LIMIT = 64 * KIB
# The largest honest body of each route: a batch of records with photos (a JPEG of
# about 40 KB, base64) is the largest thing a terminal sends; a batch refused for
# its size is split by the terminal's relay.
LIMITS = {
    "/v1/records": 8 * 1024 * KIB,
    "/v1/enrol": 4 * KIB,
    "/v1/heartbeat": 32 * KIB,
}
CHUNK_TIMEOUT_S = 10.0  # a sender silent this long between chunks is cut off
BODY_DEADLINE_S = 120.0  # and one that trickles: the whole body within this
LARGE_IN_FLIGHT = 8
MAX_DEPTH = 32  # our deepest model nests about six levels

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
     b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]  # fmt: skip


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        clock: Callable[[], float] = time.time,
        slow_sender_s: float = CHUNK_TIMEOUT_S,
    ) -> None:
        self.app = app
        self.clock = clock  # the backend's (tests move it)
        self.slow_sender_s = slow_sender_s
        # large bodies read at once, at the most (memory under a flood: this times 8 MiB)
        self._large = asyncio.Semaphore(LARGE_IN_FLIGHT)

    async def _read(self, receive: Receive, send: Send, limit: int) -> bytearray | None:
        """The body, or None once a Problem has been sent (too large, too slow)."""
        body = bytearray()
        deadline = time.monotonic() + BODY_DEADLINE_S
        while True:
            wait = min(self.slow_sender_s, deadline - time.monotonic())
            try:
                async with asyncio.timeout(max(0.0, wait)):  # no task made, as wait_for does
                    message = await receive()
            except TimeoutError:
                await _problem(send, 408, "too_slow",
                               f"the body did not come in time ({self.slow_sender_s:g} s "
                               f"between bytes, {BODY_DEADLINE_S:g} s in all)")  # fmt: skip
                return None
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > limit:
                await _problem(send, 413, "too_large", f"the body may be at most {limit} bytes")
                return None
            if not message.get("more_body", False):
                return body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        docs = scope["path"] == "/docs"  # Swagger UI (serve --docs) runs CDN and inline scripts

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and not docs:
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        # every method: a GET may carry a body too, and signed GETs read it
        limit = LIMITS.get(scope["path"], DEFAULT_LIMIT)
        if limit > DEFAULT_LIMIT:
            # A large body is read only for a request that claims to be signed now (the
            # signature itself, over the body, is checked by the route); one signed at
            # another time is told its clock is off before a byte of it is read (a
            # small one goes to the route, whose signature check also alerts).
            signed = _signed_at(scope)
            if signed is None:
                await _problem(with_headers, 401, "unsigned", "no signing headers")
                return
            now = self.clock()
            if abs(now - signed) > signing.WINDOW_S:
                if (_content_length(scope) or limit) > DEFAULT_LIMIT:
                    await _problem(with_headers, 401, "clock_skew",
                                   "the timestamp is outside the signature window",
                                   server_time=now)  # fmt: skip
                    return
                limit = DEFAULT_LIMIT  # small: the route checks it, and alerts the drift
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _problem(with_headers, 413, "too_large",
                           f"the body may be at most {limit} bytes, not {declared}")  # fmt: skip
            return
        large = limit > DEFAULT_LIMIT and (declared is None or declared > DEFAULT_LIMIT)
        if large and self._large.locked():
            await _problem(with_headers, 503, "busy", "too many large bodies in flight",
                           retry_after=5)  # fmt: skip
            return
        async with self._large if large else contextlib.nullcontext():
            body = await self._read(receive, with_headers, limit)
            if body is None:
                return
        if _is_json(scope) and await _too_deep(body):
            await _problem(with_headers, 400, "too_deep",
                           f"JSON nested deeper than {MAX_DEPTH} levels")  # fmt: skip
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # after the body: a disconnect, when it comes

        await self.app(scope, replay, with_headers)


def _signed_at(scope: Scope) -> int | None:
    """The timestamp of a request that carries every signing header, else None."""
    headers = {name.decode("latin-1"): value for name, value in scope.get("headers", [])}
    if not all(name.lower() in headers for name in signing.HEADERS):
        return None
    try:
        return int(headers[signing.TIMESTAMP.lower()])
    except ValueError:
        return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_json(scope: Scope) -> bool:
    """JSON, or no type given (FastAPI parses a body with no type as JSON too)."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return True


async def _too_deep(body: bytearray) -> bool:
    """JSON nested deeper than MAX_DEPTH. A body that opens no more brackets than that
    cannot be (a heartbeat, a batch of ten records): not scanned. The scan is pure
    Python: a large body's runs off the event loop."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    depth = _depth(body) if len(body) <= DEFAULT_LIMIT else await asyncio.to_thread(_depth, body)
    return depth > MAX_DEPTH


def _depth(body: bytes | bytearray) -> int:
    """How deeply the JSON nests, counted without parsing it: its strings (an unended
    one runs to the end) taken out by one regular expression, then only its brackets
    walked (a walk byte by byte in Python showed in a record batch's profile)."""
    deepest = depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", body)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


async def _problem(
    send: Send, status: int, code: str, detail: str, retry_after: int | None = None, **extra: Any
) -> None:
    body = json.dumps({"code": code, "detail": detail, **extra}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
