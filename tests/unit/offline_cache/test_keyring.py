"""The keyring in each crypto suite (issue 25): records sealed in either, key files
from before the suites still open, and a deployment that switches suite rotates to a
key of the new one while the old records still open."""

from __future__ import annotations

import json
import secrets
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from offline_cache.database import connect
from offline_cache.keyring import Keyring, KeyringError
from offline_cache.outbox import Outbox
from wire import crypto

ID_NUMBER = "11010519491231002X"


def write(path, content):
    """A key file as a terminal (this one or an older one) left it."""
    path.write_text(json.dumps(content))
    path.chmod(0o600)


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_records_round_trip_in_each_suite(tmp_path, suite):
    ring = Keyring.open(tmp_path / "keys.json", suite, crypto.suite)
    outbox = Outbox(connect(tmp_path / "kiosk.db"), ring)
    outbox.add("application", {"id_number": ID_NUMBER})
    assert ring.keys["k1"].suite == suite
    assert len(ring.keys["k1"].secret) == crypto.suite(suite).aead_key_bytes  # 16 or 32
    stored = json.loads((tmp_path / "keys.json").read_text())
    assert stored["keys"]["k1"]["suite"] == suite
    reopened = Keyring.open(tmp_path / "keys.json", suite, crypto.suite)
    assert reopened.current == "k1"  # the same suite: no rotation
    assert Outbox(outbox.db, reopened).due()[0].record == {"id_number": ID_NUMBER}


def test_a_key_file_from_before_the_suites_opens_and_its_records_decrypt(tmp_path):
    """Written as the terminal wrote it before: a bare hex AES-256 key, and a record
    sealed by AES-256-GCM (the intl suite's AEAD) with its nonce in a column of its own."""
    old_key = secrets.token_bytes(32)
    path = tmp_path / "keys.json"
    write(path, {"current": "k1", "keys": {"k1": old_key.hex()}})
    db = connect(tmp_path / "kiosk.db")
    sealed = crypto.suite("intl").seal(old_key, b'{"level": 5}', b"old-1|rating")
    db.execute(
        "INSERT INTO outbox (idempotency_key, kind, session, created_at, key_id, nonce, payload)"
        " VALUES ('old-1', 'rating', NULL, 0, 'k1', ?, ?)",
        (sealed[:12], sealed[12:]),
    )
    ring = Keyring.open(path, "intl", crypto.suite)
    assert ring.current == "k1" and ring.keys["k1"].suite == "intl"
    assert [p.record for p in Outbox(db, ring).due()] == [{"level": 5}]
    switched = Keyring.open(path, "gm", crypto.suite)  # and on to gm, the record still opens
    assert switched.current == "k2" and [p.record for p in Outbox(db, switched).due()] == [
        {"level": 5}
    ]


@pytest.mark.parametrize(("before", "after"), [("intl", "gm"), ("gm", "intl")])
def test_switching_suite_rotates_and_old_records_still_open(tmp_path, before, after):
    path = tmp_path / "keys.json"
    outbox = Outbox(connect(tmp_path / "kiosk.db"), Keyring.open(path, before, crypto.suite))
    old = outbox.add("application", {"id_number": ID_NUMBER})
    switched = Keyring.open(path, after, crypto.suite)  # the deployment's setting changed
    assert switched.current == "k2" and switched.keys["k2"].suite == after
    assert switched.keys["k1"].suite == before
    outbox = Outbox(outbox.db, switched)
    new = outbox.add("rating", {"level": 4})
    assert outbox.db.execute(
        "SELECT key_id FROM outbox WHERE idempotency_key = ?", (new,)
    ).fetchone() == ("k2",)
    assert [p.record for p in outbox.due()] == [{"id_number": ID_NUMBER}, {"level": 4}]
    outbox.acknowledged([old])
    assert switched.retire(outbox.keys_in_use()) == ["k1"]  # the old suite's key, unused
    again = Keyring.open(path, after, crypto.suite)
    assert set(again.keys) == {"k2"} and [p.record for p in Outbox(outbox.db, again).due()] == [
        {"level": 4}
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_starting_at_once_after_a_switch_rotate_once(tmp_path):
    """The screen and `kiosk sync run` open the keyring at the same moment: one new key,
    the same in both (else records sealed by one would not open after a restart)."""
    path = tmp_path / "keys.json"
    Keyring.open(path, "intl", crypto.suite)
    start = threading.Barrier(8)

    def opened() -> Keyring:
        start.wait()
        return Keyring.open(path, "gm", crypto.suite)

    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: opened(), range(8)))
    assert {ring.current for ring in rings} == {"k2"}
    assert len({ring.keys["k2"].secret for ring in rings}) == 1
    assert set(Keyring.open(path, "gm", crypto.suite).keys) == {"k1", "k2"}


def test_a_key_of_the_wrong_length_or_suite_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "keys.json"
    write(path, {"current": "k1", "keys": {"k1": {"suite": "gm", "key": "00" * 32}}})
    with pytest.raises(KeyringError, match="key k1 is 32 bytes; a key of the gm suite is 16"):
        Keyring.open(path, "gm", crypto.suite)
    write(path, {"current": "k1", "keys": {"k1": "00" * 16}})  # before the suites: intl, 32
    with pytest.raises(KeyringError, match=f"{path}: key k1 is 16 bytes; a key of the intl"):
        Keyring.open(path, "intl", crypto.suite)
    write(path, {"current": "k1", "keys": {"k1": {"suite": "rot13", "key": "00" * 16}}})
    with pytest.raises(KeyringError, match=f"{path}: key k1: unknown crypto suite 'rot13'"):
        Keyring.open(path, "gm", crypto.suite)
    write(path, {"current": "k9", "keys": {"k1": "00" * 32}})
    with pytest.raises(KeyringError, match=f"{path}: the current key k9 is missing"):
        Keyring.open(path, "intl", crypto.suite)


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_a_tampered_record_is_refused(tmp_path, suite):
    ring = Keyring.open(tmp_path / "keys.json", suite, crypto.suite)
    outbox = Outbox(connect(tmp_path / "kiosk.db"), ring)
    key = outbox.add("application", {"id_number": ID_NUMBER})
    (payload,) = outbox.db.execute(
        "SELECT payload FROM outbox WHERE idempotency_key = ?", (key,)
    ).fetchone()
    flipped = bytes([payload[0] ^ 1]) + payload[1:]
    outbox.db.execute("UPDATE outbox SET payload = ? WHERE idempotency_key = ?", (flipped, key))
    with pytest.raises(crypto.BadSeal):
        outbox.due()


def test_two_processes_rotating_and_retiring_lose_no_key_a_record_needs(tmp_path):
    """The screen (`kiosk run`) keeps its keyring open while `kiosk sync rotate-key`
    rotates and retires: the screen's next record is sealed under the new key, and
    no key either made is lost."""
    path, suite = tmp_path / "keys.json", crypto.DEFAULT
    screen = Keyring.open(path, suite, crypto.suite)
    outbox = Outbox(connect(tmp_path / "kiosk.db"), screen)
    technician = Keyring.open(path, suite, crypto.suite)
    assert technician.rotate() == "k2"
    outbox.add("rating", {"stars": 5})  # sealed after the rotation it did not make
    assert outbox.keys_in_use() == {"k2"}
    assert technician.retire(outbox.keys_in_use()) == ["k1"]
    assert screen.rotate() == "k3"  # on the file as it is: k2 stays
    assert set(json.loads(path.read_text())["keys"]) == {"k2", "k3"}
    reopened = Outbox(outbox.db, Keyring.open(path, suite, crypto.suite))
    assert reopened.due()[0].record == {"stars": 5}
