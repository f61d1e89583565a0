"""Every backend test runs on SQLite and on a real PostgreSQL (the foundation's
private cluster on loopback), each test on a fresh database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.sync.client import BackendClient
from tests.backend.harness import Backend, Clock, fresh_database
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire import crypto


@pytest.fixture
def suite() -> str:
    """The deployment's crypto suite; a test parametrizes `suite` to run in both."""
    return crypto.DEFAULT


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, suite: str) -> Iterator[Backend]:
    postgres_url = None
    if request.param == "postgresql":
        postgres_url = request.getfixturevalue("postgres_service").url
    found = Backend(fresh_database(request.param, tmp_path, postgres_url), tmp_path / "data",
                    crypto_suite=suite)  # fmt: skip
    yield found
    found.http.close()
    found.app.state.engine.dispose()


# -- a fleet on a live backend (the cockpit's tests) ---------------------------------

NAMES = ("北京 海淀 1号机", "北京 海淀 2号机", "上海 浦东 1号机")  # at 北京 海淀 and 上海 浦东


@dataclass
class Fleet:
    """Terminals enrolled in a backend on loopback, each signing with its own client;
    the console's routes read by a signed-in browser (`backend.console(...)`)."""

    backend: LiveBackend
    clock: Clock
    clients: dict[str, BackendClient]  # by terminal name
    ids: dict[str, str]  # terminal id by name

    def get(self, browser: requests.Session, path: str, **params: Any) -> Any:
        """A 200's JSON; the response itself for `format=csv`."""
        answer = browser.get(self.backend.url + path, params=params, timeout=20)
        assert answer.status_code == 200, answer.text
        return answer if params.get("format") == "csv" else answer.json()

    def post(self, browser: requests.Session, path: str, body: Any = None) -> requests.Response:
        return browser.post(self.backend.url + path, json=body, timeout=10)


@contextmanager
def live_fleet(tmp_path: Path, clock: Clock, db_url: str | None = None) -> Iterator[Fleet]:
    """A live backend (SQLite by default) and the three terminals of `NAMES`."""
    backend = LiveBackend(tmp_path / "backend", clock, db_url=db_url)
    backend.start()
    clients, ids = {}, {}
    for name in NAMES:
        identity = enrol(backend, tmp_path / f"{name}.json", name)
        clients[name] = BackendClient(identity, clock=clock)
        ids[name] = identity.terminal_id
    try:
        yield Fleet(backend, clock, clients, ids)
    finally:
        for client in clients.values():
            client.close()
        backend.stop()
        backend.app.state.engine.dispose()


@pytest.fixture(params=["sqlite"])
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fleet]:
    """The fleet on SQLite; `@pytest.mark.parametrize("fleet", ["sqlite", "postgresql"],
    indirect=True)` for both."""
    postgres_url = None
    if request.param == "postgresql":
        postgres_url = request.getfixturevalue("postgres_service").url
    with live_fleet(tmp_path, Clock(),
                    fresh_database(request.param, tmp_path, postgres_url)) as found:  # fmt: skip
        yield found


def parsed(answer: requests.Response) -> list[dict[str, str]]:
    """A CSV answer's rows (the byte-order mark spreadsheets want taken off)."""
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def cells(row: dict[str, Any]) -> dict[str, str]:
    """A JSON row as its CSV row says it: null as an empty cell, the rest as text."""
    return {k: "" if v is None else str(v) for k, v in row.items()}
