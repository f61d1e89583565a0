"""The heartbeat's quick path (backend/auth.py `checked_and`, backend/terminals.py
`_quick_beat`): a terminal whose key verified before beats on the event loop's own
connection (backend/statements.py `Alone`), without a session or a worker thread; on
PostgreSQL in one autocommitted statement. Everything else the whole check does (a
key rotated, a terminal revoked, a nonce replayed, an allowance spent, a clock to
alert on) falls back to it and is answered as before; on PostgreSQL a row lock held
by another transaction never stalls the event loop. On a real PostgreSQL and SQLite."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend import auth
from backend.auth import SignedCall
from backend.limits import Limit, Limits
from backend.statements import Alone
from tests.backend.harness import Backend, Clock, Terminal, fresh_database
from tests.services.backend import LiveBackend
from wire import crypto, signing
from wire.encoding import b64
from wire.sync import possession_message

ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
# what each database says of its commits' wait: SQLite's synchronous (1 NORMAL, 2 FULL),
# PostgreSQL's synchronous_commit
ASK = {"sqlite": "PRAGMA synchronous", "postgresql": "SHOW synchronous_commit"}
WAITS = {"sqlite": 2, "postgresql": "on"}
RELAXED = {"sqlite": 1, "postgresql": "off"}


def beat(terminal: Terminal, **changes: Any) -> dict[str, Any]:
    body = {
        "terminal_time": terminal.backend.clock() + 1,
        "software_version": "1.0-1",
        "devices": {"printer": {"status": "online"}},
        "consumables": {"paper": 300},
        "outbox": {"depth": 3, "oldest_age_s": 12.5},
        **changes,
    }
    return body


@pytest.fixture(autouse=True)
def never_by_chance(monkeypatch: pytest.MonkeyPatch) -> None:
    """No request sent to the whole check at random (the one in 500 that forgets old
    nonces, backend/auth.py `_FORGET_NONCES`): each test says which path it expects."""
    monkeypatch.setattr(auth, "_FORGET_NONCES", 0.0)


class Paths:
    """Which way each signed request went: the whole check (`SignedCall._once`, on a
    worker thread) or the quick statement (`Alone.rows`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.taken: list[str] = []
        whole, quick = SignedCall._once, Alone.rows

        def once(call: SignedCall, *args: Any) -> Any:
            self.taken.append("whole")
            return whole(call, *args)

        def rows(alone: Alone, *args: Any) -> Any:
            self.taken.append("quick")
            return quick(alone, *args)

        monkeypatch.setattr(SignedCall, "_once", once)
        monkeypatch.setattr(Alone, "rows", rows)

    def since(self, mark: int) -> list[str]:
        return self.taken[mark:]


def one(backend: Backend, sql: str, **params: Any) -> Any:
    with backend.app.state.engine.connect() as db:
        return db.execute(text(sql), params).one()


def test_a_known_terminal_beats_on_the_quick_path(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths(monkeypatch)
    terminal = backend.enrol()
    first = terminal.call("POST", "/v1/heartbeat", beat(terminal))
    assert first.status_code == 200, first.text
    assert paths.taken == ["whole"]  # its key not known yet
    backend.clock.advance(20)
    second = terminal.call("POST", "/v1/heartbeat", beat(terminal, consumables={"paper": 250},
                                                           outbox={"depth": 7}))  # fmt: skip
    assert second.status_code == 200, second.text
    assert paths.since(1) == ["quick"]
    reply = second.json()
    assert (reply["server_time"], reply["drift_s"], reply["drift_alert"]) == (
        backend.clock(), 1.0, False,
    )  # fmt: skip
    assert reply["config_etag"] == first.json()["config_etag"]
    row = one(backend, "SELECT last_heartbeat_at, outbox_depth, CAST(consumables AS TEXT) "
                       "FROM terminals WHERE id = :id", id=terminal.id)  # fmt: skip
    assert (row[0], row[1], json.loads(row[2])) == (backend.clock(), 7, {"paper": 250})
    counted = "SELECT count(*) FROM {} WHERE terminal_id = :id"
    # a level moved: sampled again; the same level again: not
    assert one(backend, counted.format("consumable_samples"), id=terminal.id)[0] == 2
    backend.clock.advance(20)
    third = terminal.call("POST", "/v1/heartbeat", beat(terminal, consumables={"paper": 250}))
    assert third.status_code == 200 and paths.since(2) == ["quick"]
    assert one(backend, counted.format("consumable_samples"), id=terminal.id)[0] == 2
    assert one(backend, counted.format("seen_nonces"), id=terminal.id)[0] == 3
    bucket = "SELECT count FROM rate_buckets WHERE bucket = :b"
    assert one(backend, bucket, b=f"write:{terminal.id}")[0] == 3


def test_what_the_quick_path_cannot_answer_the_whole_check_does(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths(monkeypatch)
    terminal, other = backend.enrol(), backend.enrol()
    assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    assert other.call("POST", "/v1/heartbeat", beat(other)).status_code == 200
    bucket = f"write:{terminal.id}"
    writes = "SELECT count FROM rate_buckets WHERE bucket = :b"
    # a replay: the quick statement writes nothing, the whole check refuses it
    send = terminal.replayable("/v1/heartbeat", beat(terminal))
    assert send().status_code == 200
    mark = len(paths.taken)
    again = send()
    assert (again.status_code, again.json()["code"]) == (401, "replayed")
    assert paths.since(mark) == ["quick", "whole"]
    assert one(backend, writes, b=bucket)[0] == 2
    # a clock to alert on: the whole check, which raises the alert
    mark = len(paths.taken)
    drifting = terminal.call("POST", "/v1/heartbeat", beat(terminal, terminal_time=0))
    assert drifting.status_code == 200 and drifting.json()["drift_alert"] is True
    assert paths.since(mark) == ["whole"]
    alerts = backend.operator("GET", "/console/api/summary").json()["alerts"]
    assert [(a["terminal"], a["kind"]) for a in alerts] == [(terminal.id, "clock_drift")]
    # another key's signature: refused by the whole check
    forged = Terminal(backend, terminal.id, other.key).call("POST", "/v1/heartbeat", beat(terminal))
    assert (forged.status_code, forged.json()["code"]) == (401, "signature_invalid")
    # a key rotated: the old one, though it verifies, finds the row's key changed; the
    # new one takes the whole check once, and then the quick path
    old, new = terminal.key, crypto.suite(backend.crypto_suite).generate_private_key()
    text_ = signing.public_key_text(new.public)
    proof = crypto.suite(new.suite).sign(new, possession_message(terminal.id, text_))
    rotation = {"public_key": text_, "possession": b64(proof)}
    assert terminal.call("POST", "/v1/terminals/me/key", rotation).status_code == 200
    mark = len(paths.taken)
    stale = terminal.call("POST", "/v1/heartbeat", beat(terminal))
    assert (stale.status_code, stale.json()["code"]) == (401, "signature_invalid")
    terminal.key = new
    assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    assert paths.since(mark) == ["quick", "whole", "whole", "quick"]
    assert old is not new
    # revoked after its key was known: refused, and nothing of it counted
    counted = one(backend, writes, b=bucket)[0]
    assert backend.operator("POST", f"/v1/admin/terminals/{terminal.id}/revoke").status_code == 204
    mark = len(paths.taken)
    revoked = terminal.call("POST", "/v1/heartbeat", beat(terminal))
    assert (revoked.status_code, revoked.json()["code"]) == (401, "revoked")
    assert paths.since(mark) == ["quick", "whole"]
    assert one(backend, writes, b=bucket)[0] == counted
    assert other.call("POST", "/v1/heartbeat", beat(other)).status_code == 200


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_spent_allowance_is_refused_by_the_whole_check(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    postgres = request.getfixturevalue("postgres_service").url if kind != "sqlite" else None
    url = fresh_database(kind, tmp_path, postgres)
    backend = Backend(url, tmp_path / "data", limits=Limits(terminal_writes=Limit(3, 60)))
    paths = Paths(monkeypatch)
    terminal = backend.enrol()
    answers = [terminal.call("POST", "/v1/heartbeat", beat(terminal)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Retry-After" in answers[3].headers
    assert paths.taken == ["whole", "quick", "quick", "quick", "whole"]
    assert one(backend, "SELECT count(*) FROM seen_nonces WHERE terminal_id = :id",
               id=terminal.id)[0] == 3  # fmt: skip
    backend.http.close()
    backend.app.state.engine.dispose()


def test_only_the_quick_connection_commits_without_waiting(backend: Backend) -> None:
    """Its transactions are telemetry's (a durable route's quick path runs on a
    connection of the pool: tests/backend/test_quick_batch.py); the pool's
    connections, every other request's, still wait."""
    terminal = backend.enrol()
    for _ in range(2):
        assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    kind = backend.app.state.engine.dialect.name
    cursor = backend.app.state.alone._cursor
    cursor.execute(ASK[kind])
    assert cursor.fetchone()[0] == RELAXED[kind]
    with Session(backend.app.state.engine) as db:
        assert db.execute(text(ASK[kind])).scalar_one() == WAITS[kind]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_sqlite_a_quick_heartbeat_waits_out_a_writer(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite writes one transaction at a time: the quick path waits for another
    writer's commit (its busy timeout), as the whole check does there, and is answered."""
    paths = Paths(monkeypatch)
    terminal = backend.enrol()
    assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    held = threading.Event()

    def writer() -> None:
        with backend.app.state.engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            held.set()
            time.sleep(0.3)
            connection.exec_driver_sql("COMMIT")

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(10)
    started = time.monotonic()
    answer = terminal.call("POST", "/v1/heartbeat", beat(terminal))
    waited = time.monotonic() - started
    thread.join(10)
    assert answer.status_code == 200, answer.text
    assert paths.taken == ["whole", "quick"]
    assert waited >= 0.2  # it did wait for the writer


def test_a_held_row_lock_does_not_stall_the_event_loop(
    tmp_path: Path, postgres_service: Any
) -> None:
    """A transaction holding the terminal's row (the console revoking it, say): the
    quick statement gives up after its lock wait (statements.Alone), the heartbeat
    waits on a worker thread, and the event loop answers other requests meanwhile."""
    clock = Clock()
    url = fresh_database("postgresql", tmp_path, postgres_service.url)
    live = LiveBackend(tmp_path / "data", clock, db_url=url)
    live.start()
    try:
        backend = Backend.__new__(Backend)  # only for the harness's Terminal: its clock
        backend.clock = clock
        terminal = _enrolled(live, backend)

        def heartbeat() -> requests.Response:
            raw = json.dumps(beat(terminal)).encode()
            headers = {**terminal.headers("POST", "/v1/heartbeat", raw),
                       "Content-Type": "application/json"}  # fmt: skip
            return requests.post(f"{live.url}/v1/heartbeat", data=raw, headers=headers, timeout=30)

        assert heartbeat().status_code == 200  # its key known from now on
        held, released = threading.Event(), threading.Event()
        answers: list[requests.Response] = []

        def hold() -> None:
            with live.app.state.engine.connect() as db:
                db.execute(text("SELECT 1 FROM terminals WHERE id = :id FOR UPDATE"),
                           {"id": terminal.id})  # fmt: skip
                held.set()
                time.sleep(1.5)
                released.set()
                db.commit()

        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(10)
        beater = threading.Thread(target=lambda: answers.append(heartbeat()))
        beater.start()
        time.sleep(0.2)  # the heartbeat is waiting for the row by now
        other = requests.get(f"{live.url}/no-such-page", timeout=30)
        assert other.status_code == 404
        assert not released.is_set()  # answered while the row was still held
        beater.join(30)
        holder.join(30)
        assert [a.status_code for a in answers] == [200]
        with live.app.state.engine.connect() as db:
            at = db.execute(text("SELECT last_heartbeat_at FROM terminals WHERE id = :id"),
                            {"id": terminal.id}).scalar_one()  # fmt: skip
        assert at == clock()
    finally:
        live.stop()
        live.app.state.engine.dispose()


def _enrolled(live: LiveBackend, backend: Backend) -> Terminal:
    key = crypto.suite(live.settings.crypto_suite).generate_private_key()
    answer = requests.post(f"{live.url}/v1/enrol", timeout=30, json={
        "code": live.code(), "public_key": signing.public_key_text(key.public),
        "name": "booth", "software_version": "test",
    })  # fmt: skip
    assert answer.status_code == 201, answer.text
    return Terminal(backend, answer.json()["terminal_id"], key)


@ON_POSTGRESQL
def test_a_lost_connection_is_made_anew(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick path's connection ended by the server (a restart, an administrator):
    that heartbeat takes the whole check, and the next one a new connection."""
    paths = Paths(monkeypatch)
    terminal = backend.enrol()
    for _ in range(2):
        assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    alone = backend.app.state.alone
    pid = alone._cursor.connection.info.backend_pid
    assert one(backend, "SELECT pg_terminate_backend(:pid)", pid=pid)[0] is True
    mark = len(paths.taken)
    for _ in range(2):
        assert terminal.call("POST", "/v1/heartbeat", beat(terminal)).status_code == 200
    assert paths.since(mark) == ["quick", "whole", "quick"]
    assert alone._cursor.connection.info.backend_pid != pid
