"""A backend in the test process, on SQLite or PostgreSQL, with a settable clock,
and terminals enrolled in it that sign their requests like the real one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend import operators
from backend.app import Settings, create_app
from backend.db import Operator
from backend.limits import Limits
from wire import crypto, signing

Response = Any  # the test client's (httpx2's) response
CHIEF = ("chief", "a password for the tests")  # the harness's administrator
START = 1_795_000_000.0  # 2026-11-18, a fixed moment: tests move it themselves


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _exists(app: Any, name: str) -> bool:
    with Session(app.state.engine) as db:
        return db.get(Operator, name) is not None


def fresh_database(kind: str, tmp_path: Path, postgres_url: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'backend.db'}"
    assert postgres_url is not None
    name = "b" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@dataclass
class Backend:
    url: str
    data: Path
    clock: Clock = field(default_factory=Clock)
    lost_hold_s: float = 0.3
    limits: Limits = field(default_factory=Limits)
    crypto_suite: str = crypto.DEFAULT  # the deployment's: what terminals enrol with

    def __post_init__(self) -> None:
        settings = Settings(self.url, self.data, clock=self.clock,
                            gateway_simulator=True, lost_hold_s=self.lost_hold_s,
                            limits=self.limits, crypto_suite=self.crypto_suite)  # fmt: skip
        self.app = create_app(settings)
        self.http = TestClient(self.app)  # terminals and the public: no cookie
        self.console = self.signed_in(*CHIEF, role="administrator")

    def signed_in(self, name: str, password: str, role: str = "administrator") -> TestClient:
        """A browser of the console: the account made if new, signed in; its writes
        carry the session's CSRF token."""
        if not _exists(self.app, name):
            operators.add(self.app.state.engine, name, role, password, self.clock())
        browser = TestClient(self.app)
        answer = browser.post("/console/api/session", json={"name": name, "password": password})
        assert answer.status_code == 200, answer.text
        browser.headers[operators.CSRF_HEADER] = answer.json()["csrf"]
        return browser

    def operator(self, method: str, path: str, **kwargs: Any) -> Response:
        """A request of the administrator, who signs in again when the session ended
        (tests move the clock by hours: past the console's idle limit)."""
        answer = self.console.request(method, path, **kwargs)
        if answer.status_code == 403 and answer.json().get("code") == "not_signed_in":
            self.console = self.signed_in(*CHIEF)
            answer = self.console.request(method, path, **kwargs)
        return answer

    def code(self) -> str:
        answer = self.operator("POST", "/v1/admin/enrolment-codes")
        assert answer.status_code == 201, answer.text
        return str(answer.json()["code"])

    def enrol(self, name: str = "booth", suite: str | None = None) -> Terminal:
        """A terminal enrolled with a new key of `suite` (the deployment's by default)."""
        key = crypto.suite(suite or self.crypto_suite).generate_private_key()
        answer = self.http.post("/v1/enrol", json={
            "code": self.code(), "public_key": signing.public_key_text(key.public),
            "name": name, "software_version": "test",
        })  # fmt: skip
        assert answer.status_code == 201, answer.text
        return Terminal(self, answer.json()["terminal_id"], key)


@dataclass
class Terminal:
    backend: Backend
    id: str
    key: crypto.PrivateKey

    def headers(
        self, method: str, path: str, raw: bytes, at: float | None = None
    ) -> dict[str, str]:
        now = self.backend.clock() if at is None else at
        return signing.sign(self.key, self.id, method, path, raw, now)

    def call(self, method: str, path: str, body: Any = None, at: float | None = None) -> Response:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = self.headers(method, path, raw, at)
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self.backend.http.request(method, path, content=raw, headers=headers)

    def records(self, *records: dict[str, Any]) -> Response:
        return self.call("POST", "/v1/records", {"records": list(records)})

    def replayable(self, path: str, body: Any) -> Callable[[], Response]:
        """A POST signed once: each call sends the very same bytes (a replay after the
        first)."""
        raw = json.dumps(body).encode()
        headers = {**self.headers("POST", path, raw), "Content-Type": "application/json"}
        return lambda: self.backend.http.post(path, content=raw, headers=headers)


def record(
    key: str, kind: str = "rating", session: str | None = "s1", **body: Any
) -> dict[str, Any]:
    return {"key": key, "kind": kind, "session": session, "created_at": START, "body": body}
