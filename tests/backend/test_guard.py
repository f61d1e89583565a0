"""The backend's door (backend/guard.py), against hostile input and honest mistakes:
a huge body is refused before it is read, a slow sender is cut off, deep JSON and
malformed JSON are Problems, every answer carries the security headers. Over a real
socket to the served backend where reading (or not) is the point."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.app import Settings, create_app
from backend.guard import _depth
from tests.backend.harness import Backend
from tests.services.backend import LiveBackend
from wire import signing

HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy",
           "x-frame-options")  # fmt: skip


@pytest.fixture
def served(tmp_path: Path) -> Iterator[LiveBackend]:
    backend = LiveBackend(tmp_path / "backend", time.time)
    backend.app = create_app(Settings(backend.settings.db_url, tmp_path / "backend",
                                      slow_sender_s=1.0))  # fmt: skip
    backend.start()
    yield backend
    backend.stop()
    backend.app.state.engine.dispose()


def raw(port: int, head: str, body: bytes = b"", wait_s: float = 5.0) -> tuple[int, dict, float]:
    """Send `head` (and `body`), read the answer: its status, its Problem, how long."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    took = time.monotonic() - started
    status = int(answer.split(b" ", 2)[1])
    problem = json.loads(answer.split(b"\r\n\r\n", 1)[1] or b"{}")
    return status, problem, took


def post(path: str, length: int, extra: str = "") -> str:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n{extra}")  # fmt: skip


def test_a_huge_unsigned_body_is_refused_before_a_byte_of_it_is_read(served) -> None:
    # 50 MB declared, nothing sent: the answer comes all the same, at once
    status, problem, took = raw(served.port, post("/v1/records", 50 << 20))
    assert (status, problem["code"]) == (401, "unsigned") and took < 2
    signed = "".join(f"{h}: x\r\n" for h in signing.HEADERS if h != signing.TIMESTAMP)
    # signed an hour off: told so (the terminal notes a clock alert), nothing read
    stale = signed + f"{signing.TIMESTAMP}: {int(time.time()) - 3600}\r\n"
    status, problem, took = raw(served.port, post("/v1/records", 50 << 20, stale))
    assert (status, problem["code"]) == (401, "clock_skew") and problem["server_time"] > 0
    now = signed + f"{signing.TIMESTAMP}: {int(time.time())}\r\n"
    status, problem, took = raw(served.port, post("/v1/records", 50 << 20, now))
    assert (status, problem["code"]) == (413, "too_large") and took < 2


def test_every_route_and_method_has_a_limit(served) -> None:
    for path in ("/v1/enrol", "/v1/heartbeat", "/console/api/help/1/ack", "/nowhere"):
        status, problem, _ = raw(served.port, post(path, 1 << 20))
        assert (status, problem["code"]) == (413, "too_large"), path
    # a GET with a body: signed GETs read it, so it is limited as any other
    head = "GET /v1/config HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000000\r\n"
    status, problem, took = raw(served.port, head)
    assert (status, problem["code"]) == (413, "too_large") and took < 2


def test_a_chunked_body_growing_past_its_limit_is_cut_off(served) -> None:
    head = ("POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n")  # fmt: skip
    chunk = b"1000\r\n" + b" " * 4096 + b"\r\n"
    status, problem, _ = raw(served.port, head, chunk * 3)
    assert (status, problem["code"]) == (413, "too_large")


def test_a_sender_that_stalls_is_cut_off(served) -> None:
    status, problem, took = raw(served.port, post("/v1/enrol", 100), b'{"code": ')
    assert (status, problem["code"]) == (408, "too_slow") and 0.9 < took < 4


def test_deep_and_malformed_json_are_problems(backend: Backend) -> None:
    deep = "[" * 40 + "]" * 40
    answer = backend.http.post("/v1/enrol", content=deep,
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["code"] == "too_deep"
    for broken in ('{"code": ', "\xff\xfe", '{"code": "\ud800"}', "null"):
        answer = backend.http.post("/v1/enrol", content=broken.encode("utf-8", "surrogatepass"),
                                   headers={"Content-Type": "application/json"})  # fmt: skip
        assert 400 <= answer.status_code < 500, broken
        assert set(answer.json()) >= {"code", "detail"}, answer.text


def test_the_frameworks_own_refusals_are_problems_too(backend: Backend) -> None:
    missing = backend.http.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = backend.http.delete("/v1/enrol")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    day = backend.operator("GET", "/v1/admin/reconciliation?day=0")
    assert day.status_code == 422 and day.json()["code"] == "invalid"
    assert backend.operator("GET", "/v1/admin/reconciliation?day=2026-02-30").status_code == 422
    assert backend.operator("GET", "/v1/admin/reconciliation?day=2026-11-18").status_code == 200


def test_every_answer_carries_the_security_headers(backend: Backend) -> None:
    for path in ("/console", "/verify?code=x", "/openapi.json", "/nowhere", "/console/api/help"):
        answer = backend.http.get(path)
        assert all(h in answer.headers for h in HEADERS), (path, dict(answer.headers))
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert backend.http.get("/docs").status_code == 404  # Swagger's CDN: development only


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\\n:,x中'),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\x', max_size=4), inner, max_size=3)
    ),
    max_leaves=30,
)


def _nesting(value: object) -> int:
    """The oracle: the depth of the parsed value, brackets in strings and keys unseen."""
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=400, deadline=None)
@given(_JSON, st.booleans())
def test_the_depth_scan_counts_what_a_json_parser_nests(value: object, ascii_only: bool) -> None:
    """guard._depth, which does not parse, against the depth of the parsed value: with
    brackets, quotes and backslashes inside strings and keys, escaped or not."""
    assert _depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == _nesting(value)


def test_the_depth_scan_of_an_unended_string_counts_nothing_after_its_quote() -> None:
    assert _depth(b'[{"a": "[[[[') == 2
    assert _depth(b'[["a\\"[[[", [[1]]]]') == 4
    assert _depth(b'["\\') == 1
