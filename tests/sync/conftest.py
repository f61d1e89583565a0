"""A terminal's cache and link, and a live backend on loopback, sharing a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.sync.client import BackendClient, post_unsigned
from kiosk.sync.identity import Identity
from kiosk.sync.link import Link
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.backend.harness import Clock
from tests.services.backend import LiveBackend
from wire import crypto
from wire.signing import public_key_text
from wire.sync import EnrolmentReply, EnrolmentRequest


@dataclass
class Terminal:
    outbox: Outbox
    client: BackendClient
    link: Link
    identity: Identity


def enrol(backend: LiveBackend, path: Path, name: str = "", suite: str | None = None) -> Identity:
    """A terminal enrolled with a new key of `suite` (the backend's by default)."""
    key = crypto.suite(suite or backend.settings.crypto_suite).generate_private_key()
    request = EnrolmentRequest(code=backend.code(), public_key=public_key_text(key.public),
                               name=name, software_version="test")  # fmt: skip
    reply = EnrolmentReply.model_validate(post_unsigned(backend.url + "/v1/enrol", request, 10))
    identity = Identity(reply.terminal_id, backend.url, key)
    identity.save(path)
    return identity


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def suite() -> str:
    """The deployment's crypto suite; a test parametrizes `suite` to run in both."""
    return crypto.DEFAULT


@pytest.fixture
def live_backend(tmp_path: Path, clock: Clock, suite: str) -> Iterator[LiveBackend]:
    backend = LiveBackend(tmp_path / "backend", clock, crypto_suite=suite)
    backend.start()
    yield backend
    backend.stop()
    backend.app.state.engine.dispose()


@pytest.fixture
def terminal(tmp_path: Path, live_backend: LiveBackend, clock: Clock) -> Iterator[Terminal]:
    identity = enrol(live_backend, tmp_path / "identity.json")
    db = connect(tmp_path / "kiosk.db")
    keyring = Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite)
    outbox = Outbox(db, keyring, clock=clock)
    # 1 s once timed out a lookup on a loaded CI machine; a test that loses an answer
    # holds it past this (Network.hold_s)
    client = BackendClient(identity, timeout_s=5.0, clock=clock)
    yield Terminal(outbox, client, Link(client, outbox, batch_size=50), identity)
    client.close()
    db.close()


def reconciliation(backend: LiveBackend, clock: Clock) -> dict[str, Any]:
    """The backend's reconciliation report of the clock's day, as an operator reads it."""
    day = dt.datetime.fromtimestamp(clock(), dt.UTC).date().isoformat()
    with backend.console() as browser:
        answer = browser.get(backend.url + "/v1/admin/reconciliation", params={"day": day},
                             timeout=10)  # fmt: skip
        return dict(answer.json())
