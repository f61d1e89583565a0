"""The outbox: one transaction with the business write, encrypted at rest, purged on
acknowledgement, backoff with full jitter, escalation instead of loss, key rotation."""

from __future__ import annotations

import random
import sqlite3
import stat

import pytest

from offline_cache.database import connect, migrations
from offline_cache.keyring import Keyring, KeyringError
from offline_cache.outbox import BACKOFF_CAP_S, Outbox
from wire import crypto

ID_NUMBER = "11010519491231002X"


def keyring(path):
    """The keyring of a terminal of the default suite."""
    return Keyring.open(path, crypto.DEFAULT, crypto.suite)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def box(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    db.execute("CREATE TABLE applications (id TEXT PRIMARY KEY, service TEXT)")
    clock = Clock()
    outbox = Outbox(db, keyring(tmp_path / "keys.json"), clock, random.Random(7))
    yield outbox, clock, tmp_path
    db.close()


def test_the_record_is_sealed_on_disk_and_opens_in_order(box):
    outbox, _, folder = box
    first = outbox.add("application", {"id_number": ID_NUMBER, "service": "id_renewal"}, "s1")
    second = outbox.add("rating", {"level": 5}, "s1")
    outbox.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = (folder / "kiosk.db").read_bytes()
    assert ID_NUMBER.encode() not in on_disk and b"id_renewal" not in on_disk
    due = outbox.due()
    assert [p.idempotency_key for p in due] == [first, second]
    assert due[0].record == {"id_number": ID_NUMBER, "service": "id_renewal"}


def test_a_business_write_and_its_outbox_row_are_one_transaction(box):
    outbox, _, _ = box
    with pytest.raises(RuntimeError):
        with outbox.transaction() as db:
            db.execute("INSERT INTO applications VALUES ('A1', 'id_renewal')")
            outbox.add("application", {"id": "A1"})
            raise RuntimeError("power cut")
    assert outbox.db.execute("SELECT COUNT(*) FROM applications").fetchone()[0] == 0
    assert outbox.due() == []
    with outbox.transaction() as db:
        db.execute("INSERT INTO applications VALUES ('A2', 'id_renewal')")
        outbox.add("application", {"id": "A2"})
    assert [p.record for p in outbox.due()] == [{"id": "A2"}]


def test_acknowledged_rows_are_gone(box):
    outbox, _, _ = box
    key = outbox.add("application", {"id_number": ID_NUMBER})
    outbox.acknowledged([key])
    assert outbox.due() == [] and outbox.status()["depth"] == 0
    assert outbox.status()["last_success"] == 1_000_000.0


def test_a_failed_send_backs_off_with_full_jitter_and_keeps_its_place(box):
    outbox, clock, _ = box
    keys = [outbox.add("rating", {"n": n}) for n in range(3)]
    for attempt in range(1, 12):
        outbox.failed([keys[0]], "connection refused")
        wait = (
            outbox.db.execute(
                "SELECT next_attempt_at FROM outbox WHERE idempotency_key = ?", (keys[0],)
            ).fetchone()[0]
            - clock.now
        )
        assert 0 <= wait <= min(BACKOFF_CAP_S, 2.0**attempt)
    clock.now += BACKOFF_CAP_S + 1
    assert [p.idempotency_key for p in outbox.due()] == keys  # still first in line
    assert outbox.due()[0].attempts == 11
    assert outbox.status()["last_error"]["error"] == "connection refused"


def test_overdue_rows_are_escalated_not_dropped(box):
    outbox, clock, _ = box
    old = outbox.add("payment", {"order": "O1"})
    clock.now += 8 * 86_400
    fresh = outbox.add("payment", {"order": "O2"})
    assert outbox.escalate_overdue(7 * 86_400) == [old]
    assert outbox.escalate_overdue(7 * 86_400) == []  # once
    assert {p.idempotency_key for p in outbox.due()} == {old, fresh}
    assert outbox.status()["escalated"] == 1


def test_a_ciphertext_moved_to_another_row_does_not_open(box):
    outbox, _, _ = box
    a = outbox.add("application", {"id_number": ID_NUMBER})
    b = outbox.add("rating", {"level": 1})
    payload, nonce = outbox.db.execute(
        "SELECT payload, nonce FROM outbox WHERE idempotency_key = ?", (a,)
    ).fetchone()
    outbox.db.execute(
        "UPDATE outbox SET payload = ?, nonce = ? WHERE idempotency_key = ?", (payload, nonce, b)
    )
    with pytest.raises(crypto.BadSeal):
        outbox.due()


def test_key_rotation_keeps_old_rows_readable_then_retires_the_old_key(box):
    outbox, _, folder = box
    before = outbox.add("application", {"id_number": ID_NUMBER})
    outbox.keyring.rotate()
    after = outbox.add("rating", {"level": 4})
    assert outbox.due()[0].record == {"id_number": ID_NUMBER}
    assert outbox.keyring.retire(outbox.keys_in_use()) == []  # k1 still needed
    outbox.acknowledged([before])
    assert outbox.keyring.retire(outbox.keys_in_use()) == ["k1"]
    reopened = keyring(folder / "keys.json")
    assert set(reopened.keys) == {"k2"} and reopened.current == "k2"
    assert [p.idempotency_key for p in Outbox(outbox.db, reopened).due()] == [after]


def test_the_key_file_is_private_and_checked(tmp_path):
    ring = keyring(tmp_path / "keys.json")
    mode = stat.S_IMODE((tmp_path / "keys.json").stat().st_mode)
    assert mode == 0o600 and ring.keys["k1"].suite == crypto.DEFAULT
    (tmp_path / "keys.json").chmod(0o644)
    with pytest.raises(KeyringError, match="readable by others"):
        keyring(tmp_path / "keys.json")
    (tmp_path / "keys.json").chmod(0o600)
    (tmp_path / "keys.json").write_text("{not json")
    with pytest.raises(KeyringError, match="not a kiosk key file"):
        keyring(tmp_path / "keys.json")


def test_the_outbox_table_comes_with_the_migration_chain(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"outbox", "sync_state"} <= tables
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations()) >= 3
    db.close()
    with pytest.raises(sqlite3.IntegrityError):
        db2 = connect(tmp_path / "kiosk.db")
        outbox = Outbox(db2, keyring(tmp_path / "keys.json"))
        outbox.add("rating", {}, key="same")
        outbox.add("rating", {}, key="same")  # an idempotency key is used once
