"""Enrolment, and every way a request can fail to be a terminal's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.backend.harness import Backend, Terminal, record
from wire import crypto, signing
from wire.crypto import sm2_tables
from wire.encoding import b64

BEAT = {"terminal_time": 0, "software_version": "t", "outbox": {"depth": 0}}
# a test in both suites: the deployment's (the backend fixture's) and its terminals'
BOTH_SUITES = pytest.mark.parametrize("suite", ["gm", "intl"])


def _enrol_with(backend: Backend, code: str, key: crypto.PrivateKey | None = None):
    key = key or crypto.suite(backend.crypto_suite).generate_private_key()
    return backend.http.post("/v1/enrol", json={
        "code": code, "public_key": signing.public_key_text(key.public), "software_version": "t",
    })  # fmt: skip


def test_an_enrolment_code_works_once_and_expires(backend: Backend) -> None:
    code = backend.code()
    assert _enrol_with(backend, code).status_code == 201
    again = _enrol_with(backend, code)
    assert again.status_code == 410 and again.json()["code"] == "code_unusable"
    late = backend.code()
    backend.clock.advance(24 * 3600 + 1)
    assert _enrol_with(backend, late).status_code == 410
    assert _enrol_with(backend, "NOPE-NOPE-NOPE-NOPE").status_code == 410


@BOTH_SUITES
def test_one_key_enrols_one_terminal(backend: Backend) -> None:
    key = crypto.suite(backend.crypto_suite).generate_private_key()
    assert _enrol_with(backend, backend.code(), key).status_code == 201
    twice = _enrol_with(backend, backend.code(), key)
    assert twice.status_code == 409 and twice.json()["code"] == "key_enrolled"
    if backend.crypto_suite == "intl":  # the same key with its marker is the same key
        text = "intl:" + signing.public_key_text(key.public)
        marked = backend.http.post("/v1/enrol", json={
            "code": backend.code(), "public_key": text, "software_version": "t"})  # fmt: skip
        assert marked.status_code == 409 and marked.json()["code"] == "key_enrolled"


@pytest.mark.parametrize(("suite", "other"), [("gm", "intl"), ("intl", "gm")])
def test_a_key_of_the_other_suite_is_refused_at_enrolment(backend: Backend, other: str) -> None:
    code = backend.code()
    answer = _enrol_with(backend, code, crypto.suite(other).generate_private_key())
    assert answer.status_code == 422 and answer.json()["code"] == "wrong_suite"
    detail = answer.json()["detail"]
    assert f"enrols keys of the {backend.crypto_suite} suite" in detail and other in detail
    assert _enrol_with(backend, code).status_code == 201  # the code was not spent


def test_a_key_that_is_no_point_of_the_curve_is_refused(backend: Backend) -> None:
    answer = backend.http.post(
        "/v1/enrol",
        json={"code": backend.code(), "public_key": "gm:" + "A" * 87, "software_version": "t"},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "bad_key"


@pytest.mark.parametrize("suite", ["gm"])  # a gm deployment in either run
def test_an_intl_terminal_enrolled_before_still_works_on_a_gm_deployment(
    backend: Backend,
) -> None:
    """A deployment that switches to gm keeps its terminals: the stored key says
    their suite."""
    assert backend.crypto_suite == "gm"
    backend.app.state.crypto_suite = "intl"  # the deployment before the switch
    old = backend.enrol(suite="intl")
    backend.app.state.crypto_suite = "gm"
    new = backend.enrol()
    for terminal in (old, new):
        answer = terminal.call("POST", "/v1/heartbeat", {**BEAT, "terminal_time": backend.clock()})
        assert answer.status_code == 200, answer.text
    assert (old.key.suite, new.key.suite) == ("intl", "gm")


@pytest.mark.parametrize("suite", ["gm"])  # a gm deployment in either run
def test_a_gm_signature_passed_off_as_ks1_is_refused(backend: Backend) -> None:
    """The scheme tag is signed: a gm signature whose message says KS1 (the intl
    layout) is not the terminal's request in either suite."""
    terminal = backend.enrol()
    raw = json.dumps({**BEAT, "terminal_time": backend.clock()}).encode()
    now, nonce = str(int(backend.clock())), b64(b"n" * 16)
    gm = crypto.suite("gm")
    honest = signing.message("POST", "/v1/heartbeat", raw, now, nonce, terminal.id, gm)
    assert honest.startswith(b"KS1-GM\n")
    relabelled = b"KS1\n" + honest.split(b"\n", 1)[1]
    for signed in (relabelled, signing.message("POST", "/v1/heartbeat", raw, now, nonce,
                                               terminal.id)):  # fmt: skip
        answer = _send(terminal, raw, now, nonce, gm.sign(terminal.key, signed))
        assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid"
    assert _send(terminal, raw, now, nonce, gm.sign(terminal.key, honest)).status_code == 200


def _send(terminal: Terminal, raw: bytes, now: str, nonce: str, signature: bytes):
    headers = {signing.TERMINAL: terminal.id, signing.TIMESTAMP: now, signing.NONCE: nonce,
               signing.SIGNATURE: b64(signature), "Content-Type": "application/json"}  # fmt: skip
    return terminal.backend.http.post("/v1/heartbeat", content=raw, headers=headers)


def test_a_malformed_enrolment_gets_one_line(backend: Backend) -> None:
    answer = backend.http.post("/v1/enrol", json={"code": "x", "public_key": "short"})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid" and "\n" not in answer.json()["detail"]


def test_enrolment_codes_need_someone_signed_in(backend: Backend) -> None:
    assert backend.http.post("/v1/admin/enrolment-codes").status_code == 403
    # the bearer token of round one is no way in any more
    wrong = backend.http.post("/v1/admin/enrolment-codes", headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_signed_in"


@BOTH_SUITES
def test_a_signed_request_is_accepted(backend: Backend) -> None:
    terminal = backend.enrol()
    answer = terminal.call("POST", "/v1/heartbeat", {**BEAT, "terminal_time": backend.clock()})
    assert answer.status_code == 200, answer.text


@BOTH_SUITES
def test_unsigned_forged_and_altered_requests_are_refused(backend: Backend) -> None:
    terminal = backend.enrol()
    body = json.dumps({"records": [record("k-forged-01", stars=5)]}).encode()
    plain = {"Content-Type": "application/json"}

    unsigned = backend.http.post("/v1/records", content=body, headers=plain)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "unsigned"

    for suite in crypto.NAMES:  # signs as the terminal, without its key, in either suite
        forger = crypto.suite(suite).generate_private_key()
        forged = signing.sign(forger, terminal.id, "POST", "/v1/records", body, backend.clock())
        answer = backend.http.post("/v1/records", content=body, headers={**plain, **forged})
        assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid"

    honest = terminal.headers("POST", "/v1/records", body)
    altered = body.replace(b'"stars": 5', b'"stars": 1')
    answer = backend.http.post("/v1/records", content=altered, headers={**plain, **honest})
    assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid"

    elsewhere = terminal.headers("POST", "/v1/heartbeat", body)
    answer = backend.http.post("/v1/records", content=body, headers={**plain, **elsewhere})
    assert answer.status_code == 401

    garbage = {**honest, signing.SIGNATURE: "%%%"}
    answer = backend.http.post("/v1/records", content=body, headers={**plain, **garbage})
    assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid"
    assert backend.operator("GET", "/console/api/summary").json()["transactions"]["hours"] == []


@BOTH_SUITES
def test_a_replayed_request_is_refused(backend: Backend) -> None:
    terminal = backend.enrol()
    body = json.dumps({"records": [record("k-replay-01", stars=5)]}).encode()
    headers = {**terminal.headers("POST", "/v1/records", body), "Content-Type": "application/json"}
    assert backend.http.post("/v1/records", content=body, headers=headers).status_code == 200
    again = backend.http.post("/v1/records", content=body, headers=headers)
    assert again.status_code == 401 and again.json()["code"] == "replayed"


@BOTH_SUITES
def test_an_expired_signature_is_refused_and_alerted(backend: Backend) -> None:
    terminal = backend.enrol()
    late = terminal.call("POST", "/v1/heartbeat", BEAT, at=backend.clock() - signing.WINDOW_S - 5)
    assert late.status_code == 401 and late.json()["code"] == "clock_skew"
    assert late.json()["server_time"] == backend.clock()
    early = terminal.call("POST", "/v1/heartbeat", BEAT, at=backend.clock() + signing.WINDOW_S + 5)
    assert early.status_code == 401
    alerts = backend.operator("GET", "/console/api/summary").json()["alerts"]
    # the same alert twice within the hour: one line that counts (backend/alerts.py)
    assert [(a["kind"], a["count"]) for a in alerts] == [("clock_drift", 2)]
    assert {a["terminal"] for a in alerts} == {terminal.id}


def _signed_with_nonce(terminal: Terminal, key: crypto.PrivateKey, nonce: str, at: float):
    """A heartbeat of `terminal` signed by `key` at `at`, under a nonce of the test's."""
    raw = json.dumps(BEAT).encode()
    suite = crypto.suite(key.suite)
    stamp = str(int(at))
    text = signing.message("POST", "/v1/heartbeat", raw, stamp, nonce, terminal.id, suite)
    headers = {
        signing.TERMINAL: terminal.id, signing.TIMESTAMP: stamp, signing.NONCE: nonce,
        signing.SIGNATURE: b64(suite.sign(key, text)), "Content-Type": "application/json",
    }  # fmt: skip
    return terminal.backend.http.post("/v1/heartbeat", content=raw, headers=headers)


def _writes_counted(backend: Backend, terminal: Terminal) -> int:
    with backend.app.state.engine.connect() as db:
        count = db.execute(text("SELECT count FROM rate_buckets WHERE bucket = :b"),
                           {"b": f"write:{terminal.id}"}).scalar()  # fmt: skip
    return int(count or 0)


def test_a_refused_request_leaves_neither_a_count_nor_its_nonce(backend: Backend) -> None:
    """On PostgreSQL the key, the count and the nonce are one statement, run before the
    signature is checked (backend/auth.py `_AT_ONCE`): a request refused is rolled back."""
    terminal = backend.enrol()
    now = backend.clock()
    forger = crypto.suite(backend.crypto_suite).generate_private_key()
    forged, late = b64(b"forged-nonce-16b"), b64(b"late-nonce-0016b")
    answer = _signed_with_nonce(terminal, forger, forged, now)
    assert (answer.status_code, answer.json()["code"]) == (401, "signature_invalid")
    answer = _signed_with_nonce(terminal, terminal.key, late, now - signing.WINDOW_S - 5)
    assert (answer.status_code, answer.json()["code"]) == (401, "clock_skew")
    assert _writes_counted(backend, terminal) == 0
    # the nonces the refused requests carried are still the terminal's to use
    assert _signed_with_nonce(terminal, terminal.key, forged, now).status_code == 200
    assert _signed_with_nonce(terminal, terminal.key, late, now).status_code == 200
    assert _writes_counted(backend, terminal) == 2
    replayed = _signed_with_nonce(terminal, terminal.key, late, now)
    assert (replayed.status_code, replayed.json()["code"]) == (401, "replayed")
    assert _writes_counted(backend, terminal) == 2
    assert backend.operator("POST", f"/v1/admin/terminals/{terminal.id}/revoke").status_code == 204
    revoked = terminal.call("POST", "/v1/heartbeat", BEAT)
    assert (revoked.status_code, revoked.json()["code"]) == (401, "revoked")
    assert _writes_counted(backend, terminal) == 2


def test_a_revoked_terminal_is_refused(backend: Backend) -> None:
    terminal, other = backend.enrol(), backend.enrol()
    assert backend.operator("POST", f"/v1/admin/terminals/{terminal.id}/revoke").status_code == 204
    answer = terminal.call("POST", "/v1/heartbeat", BEAT)
    assert answer.status_code == 401 and answer.json()["code"] == "revoked"
    assert other.call("POST", "/v1/heartbeat", BEAT).status_code == 200
    assert backend.operator("POST", "/v1/admin/terminals/Tnothere/revoke").status_code == 404


def test_an_unknown_terminal_is_refused(backend: Backend) -> None:
    terminal = backend.enrol()
    terminal.id = "T000000000000"
    answer = terminal.call("POST", "/v1/heartbeat", BEAT)
    assert answer.status_code == 401 and answer.json()["code"] == "unknown_terminal"


def test_a_replayed_read_is_refused_too(backend: Backend) -> None:
    """A request that only reads still spends its nonce."""
    terminal = backend.enrol()
    headers = terminal.headers("GET", "/v1/config", b"")
    assert backend.http.get("/v1/config", headers=headers).status_code == 200
    again = backend.http.get("/v1/config", headers=headers)
    assert again.status_code == 401 and again.json()["code"] == "replayed"


def test_a_nonce_of_another_shape_is_refused_before_it_is_stored(backend: Backend) -> None:
    """Round two's fuzzing: a validly signed request with a 40-character nonce was a
    500 on PostgreSQL (the nonce column holds 22)."""
    terminal = backend.enrol()
    raw = json.dumps({**BEAT, "terminal_time": backend.clock()}).encode()
    now = str(int(backend.clock()))
    for nonce in ("n" * 40, "short", "with spaces in it......"):
        suite = crypto.suite(terminal.key.suite)
        message = signing.message("POST", "/v1/heartbeat", raw, now, nonce, terminal.id, suite)
        answer = _send(terminal, raw, now, nonce, suite.sign(terminal.key, message))
        assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid", nonce


@pytest.mark.parametrize("suite", ["gm"])
def test_an_sm2_terminal_beating_again_verifies_with_its_key_s_table(backend: Backend) -> None:
    """From its second signed request a terminal's SM2 key has a table
    (wire/crypto/sm2_tables.py): its requests still pass, and one changed after
    signing is still refused."""
    crypto.keep_key_tables(crypto.KEY_TABLES_AT_MOST)  # none kept from another test
    terminal = backend.enrol(suite="gm")
    for _ in range(3):
        assert terminal.call("POST", "/v1/heartbeat", BEAT).status_code == 200
    assert len(sm2_tables.tables()) == 1
    headers = terminal.headers("POST", "/v1/heartbeat", json.dumps(BEAT).encode())
    forged = json.dumps({**BEAT, "software_version": "forged"}).encode()
    answer = backend.http.post("/v1/heartbeat", content=forged,
                               headers={**headers, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 401


def test_each_api_process_keeps_the_key_tables_serve_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --key-tables N` reaches every API process through its environment."""
    from backend import serve

    monkeypatch.setenv("KIOSK_BACKEND_DB", f"sqlite:///{tmp_path / 'backend.db'}")
    monkeypatch.setenv("KIOSK_BACKEND_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_BACKEND_KEY_TABLES", "3")
    try:
        app = serve.from_environment()
        assert sm2_tables.tables().at_most == 3
        app.state.engine.dispose()
    finally:
        crypto.keep_key_tables(crypto.KEY_TABLES_AT_MOST)
