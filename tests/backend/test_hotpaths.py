"""The hot paths (backend/hotpaths.py) answer byte for byte as the FastAPI routes they
stand in front of: two backends on two fresh databases, the same clock, the same
terminals and the same data folder (the same issuer key, so the same config ETag),
one with the hot paths and one without, sent the very same requests (the same signed
bytes) in the same order, good and bad; every answer's status, headers and body must
be equal, and the hot path must have answered the requests it takes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend import records, terminals
from backend.app import Settings, create_app
from backend.db import Terminal
from backend.hotpaths import HotPaths, hot_routes
from backend.limits import Limit, Limits
from tests.backend.harness import START, Clock, fresh_database
from wire import crypto, signing

SUITE = crypto.DEFAULT
# small enough that one terminal runs out within the test (the 429 and its Retry-After)
LIMITS = Limits(terminal_writes=Limit(6, 60))
KEYS = {
    name: crypto.suite(SUITE).generate_private_key()
    for name in ("T0000000beat", "T00000record", "T000000flood", "T00000gone01")
}


@dataclass
class Twins:
    hot: TestClient
    plain: TestClient
    served: list[str]  # the paths the hot path answered

    def both(
        self, path: str, body: bytes, headers: list[tuple[str, str]], method: str = "POST"
    ) -> tuple[int, dict[str, Any]]:
        """Send the request to each; the answers must be the same, byte for byte."""
        answers = [
            client.request(method, path, content=body, headers=headers, follow_redirects=False)
            for client in (self.hot, self.plain)
        ]
        hot, plain = ((a.status_code, a.headers.raw, a.content) for a in answers)
        assert hot == plain, f"{path} {body[:80]!r}"
        return answers[0].status_code, (answers[0].json() if answers[0].content else {})


@pytest.fixture(params=["sqlite", "postgresql"])
def twins(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: Any) -> Iterator[Twins]:
    served: list[str] = []
    answer = HotPaths._answer

    async def spy(self: HotPaths, route: Any, request_: Any, body: bytes, send: Any) -> Any:
        served.append(request_.url.path)
        return await answer(self, route, request_, body, send)

    monkeypatch.setattr(HotPaths, "_answer", spy)
    postgres = (
        request.getfixturevalue("postgres_service").url if request.param != "sqlite" else None
    )
    clock = Clock()
    apps = []
    for hot in (True, False):
        place = tmp_path / ("hot" if hot else "plain")
        place.mkdir()
        url = fresh_database(request.param, place, postgres)
        # one data folder: one issuer key, so one config ETag in both answers
        app = create_app(
            Settings(
                url,
                tmp_path / "data",
                clock=clock,
                limits=LIMITS,
                crypto_suite=SUITE,
                hot_paths=hot,
            )
        )
        with Session(app.state.engine) as db:
            for tid, key in KEYS.items():
                db.add(
                    Terminal(
                        id=tid,
                        public_key=signing.public_key_text(key.public),
                        name="twin",
                        enrolled_at=START,
                        software_version="1.0-1",
                        devices={},
                        consumables={},
                        outbox_depth=0,
                        staged_version="1.2-1" if tid == "T0000000beat" else None,
                        revoked_at=START if tid == "T00000gone01" else None,
                    )
                )
            db.commit()
        apps.append(app)
    clients = [TestClient(app) for app in apps]
    yield Twins(clients[0], clients[1], served)
    for client, app in zip(clients, apps, strict=True):
        client.close()
        app.state.engine.dispose()


def signed(
    terminal: str,
    path: str,
    body: bytes,
    at: float = START,
    signed_body: bytes | None = None,
    kind: str | None = "application/json",
) -> list[tuple[str, str]]:
    """The headers of a request `terminal` signed (over `signed_body`, when another)."""
    made = signing.sign(
        KEYS[terminal], terminal, "POST", path, body if signed_body is None else signed_body, at
    )
    return [*made.items(), *([("Content-Type", kind)] if kind else [])]


def beat(**changes: Any) -> bytes:
    found = {
        "terminal_time": START + 2,
        "software_version": "1.0-1",
        "devices": {"printer": {"status": "online"}},
        "consumables": {"paper": 300},
        "outbox": {"depth": 3, "oldest_age_s": 12.5},
        **changes,
    }
    return json.dumps(found).encode()


def test_the_heartbeat_answers_as_its_fastapi_route(twins: Twins) -> None:
    path, who = "/v1/heartbeat", "T0000000beat"
    good = beat()
    headers = signed(who, path, good)
    assert twins.both(path, good, headers)[0] == 200
    assert twins.both(path, good, headers) == (
        401,
        {"code": "replayed", "detail": "this nonce was already used"},
    )
    updating = beat(update={"probation": None, "attempts": 0})
    status, reply = twins.both(path, updating, signed(who, path, updating))
    assert (status, reply["staged_version"]) == (200, "1.2-1")  # sent only to those who ask
    drifted = beat(terminal_time=START - 200)
    assert twins.both(path, drifted, signed(who, path, drifted))[1]["drift_alert"] is True
    query = "/v1/heartbeat?from=booth"  # the query is signed with the path
    assert twins.both(query, good, signed(who, query, good))[0] == 200
    flavoured = signed(who, path, good, kind="application/vnd.kiosk+json; charset=utf-8")
    assert twins.both(path, good, flavoured)[0] == 200
    twice = [*signed(who, path, good), (signing.NONCE, "A" * 22)]  # the first one counts
    assert twins.both(path, good, twice)[0] == 200
    bad: list[tuple[bytes, list[tuple[str, str]], int, str]] = [
        (
            good,
            signed(who, path, good, signed_body=beat(terminal_time=1.0)),
            401,
            "signature_invalid",
        ),
        (good, signed(who, path, good, at=START - 400), 401, "clock_skew"),
        (good, [h for h in signed(who, path, good) if h[0] != signing.NONCE], 401, "unsigned"),
        (
            good,
            [(n, "short" if n == signing.NONCE else v) for n, v in signed(who, path, good)],
            401,
            "signature_invalid",
        ),
        (good, signed("T00000gone01", path, good), 401, "revoked"),
        (
            good,
            [
                (n, "T0000unknown" if n == signing.TERMINAL else v)
                for n, v in signed(who, path, good)
            ],
            401,
            "unknown_terminal",
        ),
        (b'{"terminal_time": 1,', signed(who, path, b'{"terminal_time": 1,'), 422, "invalid"),
        # a body that is not JSON is refused before the signature is looked at, as FastAPI does
        (b"{nope", [("Content-Type", "application/json")], 422, "invalid"),
        # the missing signature first: the body's fields are not looked at for the unsigned
        (beat(terminal_time="soon"), [("Content-Type", "application/json")], 401, "unsigned"),
        (beat(terminal_time="soon"), signed(who, path, beat(terminal_time="soon")), 422, "invalid"),
        (beat(outbox={"depth": -1}), signed(who, path, beat(outbox={"depth": -1})), 422, "invalid"),
        (beat(extra=1), signed(who, path, beat(extra=1)), 422, "invalid"),
        (
            beat(terminal_time=float("nan")),
            signed(who, path, beat(terminal_time=float("nan"))),
            422,
            "invalid",
        ),
        (b"[1, 2]", signed(who, path, b"[1, 2]"), 422, "invalid"),
        (b"", signed(who, path, b""), 422, "invalid"),
        (good, signed(who, path, good, kind=None), 422, "invalid"),  # no type: not parsed
        (good, signed(who, path, good, kind="text/plain"), 422, "invalid"),
        (b'{"a": "\xff"}', signed(who, path, b'{"a": "\xff"}'), 400, "malformed"),
        (b"[" * 40 + b"]" * 40, signed(who, path, b"[" * 40 + b"]" * 40), 400, "too_deep"),
        (b" " * (33 * 1024), signed(who, path, b" " * (33 * 1024)), 413, "too_large"),
    ]
    answers = [twins.both(path, body, headers) for body, headers, _, _ in bad]
    assert [(s, a.get("code")) for s, a in answers] == [(s, c) for _, _, s, c in bad]
    # the door refused the last two (too deep, too large) before the hot path saw them
    assert twins.served == [path] * (7 + len(bad) - 2)


def test_the_record_batch_answers_as_its_fastapi_route(twins: Twins) -> None:
    path, who = "/v1/records", "T00000record"

    def batch(*records: dict[str, Any]) -> bytes:
        return json.dumps({"records": list(records)}).encode()

    def rating(key: str, stars: Any = 5) -> dict[str, Any]:
        return {
            "key": key,
            "kind": "rating",
            "session": "s1",
            "created_at": START,
            "body": {"transaction": f"tx-{key}", "service": "proof", "stars": stars},
        }

    first = batch(rating("key-0001"), rating("key-0002", 1), rating("key-0001"))
    cases: list[tuple[bytes, list[tuple[str, str]], int]] = [
        (first, signed(who, path, first), 200),
        (first, signed(who, path, first), 200),  # sent again (its receipt lost): duplicates
        (batch(rating("key-0001", 2)), signed(who, path, batch(rating("key-0001", 2))), 409),
        (
            batch(rating("key-0003", "many")),
            signed(who, path, batch(rating("key-0003", "many"))),
            200,
        ),  # the record refused alone
        (batch(), signed(who, path, batch()), 422),
        (b'{"records": "x"}', signed(who, path, b'{"records": "x"}'), 422),
        (b'{"records": [', signed(who, path, b'{"records": ['), 422),
        (first, [("Content-Type", "application/json")], 401),  # the door: unsigned
    ]
    replies = [twins.both(path, body, headers) for body, headers, _ in cases]
    assert [status for status, _ in replies] == [status for _, _, status in cases]
    assert [r["duplicate"] for r in replies[1][1]["receipts"]] == [True, True, True]
    assert replies[2][1]["keys"] == ["key-0001"]
    assert [r["key"] for r in replies[3][1]["refused"]] == ["key-0003"]
    assert twins.served == [path] * (len(cases) - 1)


def test_a_flood_is_refused_alike_and_other_requests_pass_on(twins: Twins) -> None:
    path, who = "/v1/heartbeat", "T000000flood"
    statuses = []
    for second in range(LIMITS.terminal_writes.allowance + 1):
        body = beat(terminal_time=START + second)
        status, answer = twins.both(path, body, signed(who, path, body))
        statuses.append(status)
    assert statuses[-2:] == [200, 429] and answer["code"] == "too_many"
    hot = twins.hot.post(path, content=beat(), headers=signed(who, path, beat()))
    assert hot.headers["retry-after"] == "60"
    # not the hot path's: other methods, other paths, the same path with a slash
    twins.served.clear()
    assert twins.both(path, b"", signed(who, path, b""), method="GET")[0] == 405
    assert twins.both(path + "/", beat(), signed(who, path + "/", beat()))[0] == 307
    assert twins.both("/v1/config", b"", [], method="GET")[0] == 401
    assert twins.served == []


def test_the_hot_routes_are_the_signed_ones_and_stay_in_the_schema(twins: Twins) -> None:
    every = [*terminals.router.routes, *records.router.routes]
    routes = hot_routes(every)
    assert sorted(routes) == ["/v1/heartbeat", "/v1/records"]
    assert routes["/v1/heartbeat"].exclude_none and not routes["/v1/records"].exclude_none
    schema = twins.hot.get("/openapi.json").json()
    assert twins.plain.get("/openapi.json").json() == schema
    assert {"401", "422", "413"} <= set(schema["paths"]["/v1/heartbeat"]["post"]["responses"])
    with pytest.raises(ValueError, match="no signed route at /v1/nowhere"):
        hot_routes(every, ["/v1/nowhere"])
    with pytest.raises(ValueError, match="/v1/enrol: not a signed POST"):
        hot_routes(every, ["/v1/enrol"])


def test_on_sqlite_the_signed_work_runs_on_the_event_loop(twins: Twins) -> None:
    """SQLite writes one request at a time: the hot paths check and commit on the event
    loop there (a worker thread's hand-off was a sixth of a heartbeat's CPU), and on a
    worker thread on PostgreSQL, whose round trips other requests overlap."""
    path, who = "/v1/heartbeat", "T0000000beat"
    good = beat()
    assert twins.both(path, good, signed(who, path, good))[0] == 200
    engine = twins.hot.app.state.engine  # type: ignore[attr-defined]
    threads = twins.hot.app.state.signed_workers._threads  # type: ignore[attr-defined]
    assert twins.served == [path]
    assert (len(threads) == 0) == (engine.dialect.name == "sqlite")


@pytest.mark.parametrize("twins", ["sqlite"], indirect=True)
def test_on_sqlite_a_heartbeat_waits_out_a_writer_holding_the_lock(twins: Twins) -> None:
    """On the event loop, a heartbeat that finds another writer in the database waits
    for its commit (SQLite's busy timeout) and is answered: nothing is lost, nothing
    deadlocks."""
    engine = twins.hot.app.state.engine  # type: ignore[attr-defined]
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            held.set()
            release.wait(10)
            time.sleep(0.3)  # still holding the lock when the heartbeat comes
            connection.exec_driver_sql("COMMIT")

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(10)
    release.set()
    path, who = "/v1/heartbeat", "T0000000beat"
    good = beat()
    started = time.monotonic()
    answer = twins.hot.post(path, content=good, headers=signed(who, path, good))
    thread.join(10)
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - started >= 0.2  # it did wait for the writer
