"""Rate limits (backend/limits.py) on SQLite and PostgreSQL: enrolment guesses lock an
address out, verification floods and a terminal's write floods get 429 with
Retry-After, and the source address is the proxy's word only when the peer is a
configured proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.limits import Limit, Limits
from tests.backend.harness import Backend, fresh_database
from wire import crypto, signing

BEAT = {"terminal_time": 1_795_000_000.0, "software_version": "t", "outbox": {"depth": 0}}
PROXY = "10.0.0.1"


@pytest.fixture(params=["sqlite", "postgresql"])
def strict(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A backend with small allowances, behind a proxy it trusts."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_service").url
    limits = Limits(
        enrol=Limit(20, 600), enrol_failures=Limit(5, 600), verify=Limit(8, 60),
        terminal_writes=Limit(6, 60), trusted_proxies=frozenset({"testclient"}),
    )  # fmt: skip
    found = Backend(fresh_database(request.param, tmp_path, url), tmp_path / "data",
                    limits=limits)  # fmt: skip
    yield found
    found.http.close()
    found.app.state.engine.dispose()


def _enrol(backend: Backend, code: str, address: str) -> object:
    """An enrolment with a new key of the deployment's suite."""
    key = signing.public_key_text(crypto.suite(backend.crypto_suite).generate_private_key().public)
    return backend.http.post("/v1/enrol", headers={"X-Forwarded-For": address}, json={
        "code": code, "public_key": key, "name": "x", "software_version": "t"})  # fmt: skip


def test_an_address_whose_codes_keep_failing_is_locked_out(strict: Backend) -> None:
    for n in range(5):
        answer = _enrol(strict, f"AAAA-BBBB-CCCC-{n:04d}", "203.0.113.7")
        assert answer.status_code == 410
    locked = _enrol(strict, strict.code(), "203.0.113.7")  # even a good code, for now
    assert locked.status_code == 429 and locked.json()["code"] == "too_many"
    assert 1 <= int(locked.headers["Retry-After"]) <= 600
    assert _enrol(strict, strict.code(), "203.0.113.8").status_code == 201  # another place
    strict.clock.advance(601)
    assert _enrol(strict, strict.code(), "203.0.113.7").status_code == 201


def test_verification_floods_get_429_per_address(strict: Backend) -> None:
    here = {"X-Forwarded-For": "198.51.100.1"}
    for _ in range(8):
        assert strict.http.get("/v1/proofs/verify?code=x", headers=here).status_code == 200
    flood = strict.http.get("/verify?code=x", headers=here)
    assert flood.status_code == 429 and "Retry-After" in flood.headers
    other = strict.http.get("/v1/proofs/verify?code=x", headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 200


def test_a_forwarded_entry_that_is_no_address_counts_as_the_proxy(strict: Backend) -> None:
    """Round two's fuzzing: a 100-character X-Forwarded-For entry was a 500 on
    PostgreSQL (the bucket's column); now it is not an address, so the proxy's own
    address counts it."""
    forged = {"X-Forwarded-For": "x" * 100}
    for _ in range(8):
        assert strict.http.get("/v1/proofs/verify?code=x", headers=forged).status_code == 200
    assert strict.http.get("/verify?code=x", headers=forged).status_code == 429
    assert strict.http.get("/verify?code=x").status_code == 429  # the same bucket: the proxy's


def test_the_forwarded_address_counts_only_from_a_trusted_proxy(backend: Backend) -> None:
    """The default backend trusts no proxy: a client cannot pick its own address."""
    limits = backend.app.state.limits
    for n in range(limits.enrol_failures.allowance):
        _enrol(backend, f"AAAA-BBBB-CCCC-{n:04d}", f"192.0.2.{n}")  # a new "address" each time
    assert _enrol(backend, backend.code(), "192.0.2.200").status_code == 429


def test_a_terminals_write_flood_gets_429_and_reads_go_on(strict: Backend) -> None:
    booth, other = strict.enrol(), strict.enrol()
    for _ in range(6):
        assert booth.call("POST", "/v1/heartbeat", BEAT).status_code == 200
    flood = booth.call("POST", "/v1/heartbeat", BEAT)
    assert flood.status_code == 429 and int(flood.headers["Retry-After"]) >= 1
    assert booth.call("GET", "/v1/config").status_code == 200  # reading is not a write
    assert other.call("POST", "/v1/heartbeat", BEAT).status_code == 200
    strict.clock.advance(61)
    # a new window counts from one again: six more, then refused (one upsert each)
    assert [booth.call("POST", "/v1/heartbeat", BEAT).status_code for _ in range(7)] == (
        [200] * 6 + [429]
    )
