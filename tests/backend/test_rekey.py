"""`POST /v1/terminals/me/key`: a terminal rotates its key, in either suite, and a
terminal of an intl deployment moves to gm; every way it can be refused."""

from __future__ import annotations

import pytest

from tests.backend.harness import Backend, Terminal
from wire import crypto, signing
from wire.encoding import b64
from wire.sync import possession_message

BEAT = {"terminal_time": 0, "software_version": "t", "outbox": {"depth": 0}}
PATH = "/v1/terminals/me/key"


def _rotation(terminal: Terminal, new: crypto.PrivateKey, holder: crypto.PrivateKey | None = None):
    """The body of a rotation to `new`; its possession signed by `holder` (`new`)."""
    text = signing.public_key_text(new.public)
    holder = holder or new
    proof = crypto.suite(holder.suite).sign(holder, possession_message(terminal.id, text))
    return {"public_key": text, "possession": b64(proof)}


def _beats(terminal: Terminal) -> int:
    beat = {**BEAT, "terminal_time": terminal.backend.clock()}
    return terminal.call("POST", "/v1/heartbeat", beat).status_code


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_a_terminal_rotates_its_key_and_the_old_one_signs_nothing_after(
    backend: Backend, suite: str
) -> None:
    terminal = backend.enrol()
    old = terminal.key
    new = crypto.suite(suite).generate_private_key()
    answer = terminal.call("POST", PATH, _rotation(terminal, new))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"terminal_id": terminal.id, "suite": suite}
    assert _beats(terminal) == 401  # still signing with the old key
    terminal.key = new
    assert _beats(terminal) == 200
    # the same rotation asked again (its answer was lost), signed by the new key
    assert terminal.call("POST", PATH, _rotation(terminal, new)).status_code == 200
    entries = backend.operator("GET", "/console/api/audit").json()
    rotated = [e for e in entries["entries"] if e["action"] == "key_rotated"]
    assert len(rotated) == 1 and rotated[0]["detail"] == f"{old.suite} -> {suite}"


def test_an_intl_terminal_of_a_deployment_gone_gm_moves_to_gm(backend: Backend) -> None:
    backend.app.state.crypto_suite = "intl"  # the deployment before the switch
    terminal = backend.enrol(suite="intl")
    backend.app.state.crypto_suite = "gm"
    assert _beats(terminal) == 200  # its intl key still works
    wrong = terminal.call(
        "POST", PATH, _rotation(terminal, crypto.suite("intl").generate_private_key())
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_suite"
    new = crypto.suite("gm").generate_private_key()
    assert terminal.call("POST", PATH, _rotation(terminal, new)).status_code == 200
    terminal.key = new
    assert _beats(terminal) == 200


def test_a_key_the_terminal_does_not_hold_is_refused(backend: Backend) -> None:
    terminal = backend.enrol()
    suite = crypto.suite(backend.crypto_suite)
    someone_elses = suite.generate_private_key()
    body = _rotation(terminal, someone_elses, holder=terminal.key)  # signed by the wrong key
    answer = terminal.call("POST", PATH, body)
    assert answer.status_code == 422 and answer.json()["code"] == "no_possession"
    other = backend.enrol("other")  # a possession made for another terminal's rotation
    borrowed = _rotation(other, someone_elses)
    answer = terminal.call("POST", PATH, borrowed)
    assert answer.status_code == 422 and answer.json()["code"] == "no_possession"
    assert _beats(terminal) == 200  # nothing changed


def test_another_terminals_key_and_an_unsigned_rotation_are_refused(backend: Backend) -> None:
    terminal, other = backend.enrol(), backend.enrol("other")
    taken = terminal.call("POST", PATH, _rotation(terminal, other.key))
    assert taken.status_code == 409 and taken.json()["code"] == "key_enrolled"
    new = crypto.suite(backend.crypto_suite).generate_private_key()
    unsigned = backend.http.post(PATH, json=_rotation(terminal, new))
    assert unsigned.status_code == 401
    bad = terminal.call("POST", PATH, {"public_key": "gm:" + "A" * 87, "possession": "A" * 86})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_key"
    assert _beats(terminal) == 200


@pytest.mark.parametrize("suite", ["intl"])
def test_a_key_sent_with_its_intl_marker_is_proved_over_the_text_as_sent(
    backend: Backend, suite: str
) -> None:
    terminal = backend.enrol()
    new = crypto.suite(suite).generate_private_key()
    text = "intl:" + signing.public_key_text(new.public)
    proof = crypto.suite(suite).sign(new, possession_message(terminal.id, text))
    answer = terminal.call("POST", PATH, {"public_key": text, "possession": b64(proof)})
    assert answer.status_code == 200, answer.text
    terminal.key = new
    assert _beats(terminal) == 200
