"""A pooled PostgreSQL connection the server closed (a restart, an administrator, an
idle timeout) is replaced before a request uses it: no request fails for it."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.backend.harness import Backend


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_connection_the_server_closed_is_replaced_before_use(backend: Backend) -> None:
    terminal = backend.enrol()
    beat = {"terminal_time": backend.clock(), "software_version": "1.0-1", "outbox": {"depth": 0}}
    assert terminal.call("POST", "/v1/heartbeat", beat).status_code == 200
    url = backend.app.state.engine.url.set(drivername="postgresql").render_as_string(False)
    others = " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute("SELECT count(pg_terminate_backend(pid))" + others).fetchone()
        assert ended is not None and ended[0] >= 1  # the pool's idle connections
        # pg_terminate_backend only signals: the server has closed them once they are gone
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*)" + others).fetchone() != (0,):
            assert time.monotonic() < deadline, "the terminated connections linger"
            time.sleep(0.05)
    for _ in range(3):  # each of them, had the pool kept it, would fail a request
        answer = terminal.call("POST", "/v1/heartbeat", beat)
        assert answer.status_code == 200, answer.text
