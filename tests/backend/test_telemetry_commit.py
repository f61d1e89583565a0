"""The heartbeat is telemetry: its transaction commits without waiting for the disk
(backend/db.py `without_waiting_for_the_disk`; on PostgreSQL, set by the signed check's
own statement, backend/auth.py `_AT_ONCE`), and no other request's does, not even the
next one on the same pooled connection. On a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from backend import records, terminals
from backend.auth import _check, is_durable, signed_handler
from backend.db import Terminal, make_engine, migrate, without_waiting_for_the_disk
from backend.hotpaths import hot_routes
from backend.limits import Limits
from tests.backend.harness import fresh_database
from wire import crypto, signing

# what each database says of its setting: SQLite's synchronous (1 NORMAL, 2 FULL),
# PostgreSQL's synchronous_commit
ASK = {"sqlite": "PRAGMA synchronous", "postgresql": "SHOW synchronous_commit"}
WAITS = {"sqlite": 2, "postgresql": "on"}
RELAXED = {"sqlite": 1, "postgresql": "off"}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    postgres = (
        request.getfixturevalue("postgres_service").url if request.param != "sqlite" else None
    )
    made = make_engine(fresh_database(request.param, tmp_path, postgres))
    migrate(made)
    made.dispose()  # a fresh pool: one connection made, used by one session at a time
    yield made
    made.dispose()


def setting(db: Session) -> object:
    return db.execute(text(ASK[db.get_bind().dialect.name])).scalar_one()


def a_write(db: Session) -> None:
    db.execute(text("DELETE FROM seen_nonces WHERE seen_at < 0"))


def connection_of(db: Session) -> object:
    return db.connection().connection.driver_connection


@pytest.mark.parametrize("ending", ["commit", "rollback", "error"])
def test_only_the_telemetry_transaction_skips_the_wait(engine: Engine, ending: str) -> None:
    kind = engine.dialect.name
    with Session(engine) as db:
        before = connection_of(db)
        assert setting(db) == WAITS[kind]
    relaxed = Session(engine)
    try:
        without_waiting_for_the_disk(relaxed)
        assert connection_of(relaxed) is before
        a_write(relaxed)
        assert setting(relaxed) == RELAXED[kind]
        if ending == "commit":
            relaxed.commit()
        elif ending == "rollback":
            relaxed.rollback()
        else:
            with pytest.raises(Exception, match="no_such_table"):
                relaxed.execute(text("SELECT * FROM no_such_table"))
    finally:
        relaxed.close()
    with Session(engine) as db:  # the same connection, back from the pool
        assert connection_of(db) is before
        a_write(db)
        assert setting(db) == WAITS[kind]
        db.commit()


def test_the_heartbeat_alone_is_telemetry() -> None:
    routes = [*terminals.router.routes, *records.router.routes]
    handlers = {r.path: signed_handler(r.endpoint) for r in routes}  # type: ignore[attr-defined]
    signed = {path for path, handler in handlers.items() if handler is not None}
    assert {"/v1/heartbeat", "/v1/records", "/v1/terminals/me/key"} <= signed
    relaxed = {path for path in signed if not is_durable(handlers[path])}  # type: ignore[arg-type]
    assert relaxed == {"/v1/heartbeat"}
    hot = hot_routes(routes)
    assert (hot["/v1/heartbeat"].durable, hot["/v1/records"].durable) == (False, True)


@pytest.mark.parametrize("durable", [True, False])
def test_the_signed_check_sets_the_wait_as_its_request_asks(engine: Engine, durable: bool) -> None:
    kind = engine.dialect.name
    key = crypto.suite("gm").generate_private_key()
    with Session(engine) as db:
        db.add(Terminal(id="T0000000000a1", public_key=signing.public_key_text(key.public),
                        name="t", enrolled_at=0, software_version="t", devices={},
                        consumables={}, outbox_depth=0))  # fmt: skip
        db.commit()
    now = 1_000_000.0
    body = b'{"terminal_time": 0}'
    headers = signing.sign(key, "T0000000000a1", "POST", "/v1/heartbeat", body, now)
    with Session(engine) as db:
        before = connection_of(db)
        assert _check(db, headers, "POST", "/v1/heartbeat", body, now, Limits(), durable)
        assert setting(db) == (WAITS if durable else RELAXED)[kind]
        db.commit()
    with Session(engine) as db:  # the same connection, back from the pool
        assert connection_of(db) is before
        a_write(db)
        assert setting(db) == WAITS[kind]
