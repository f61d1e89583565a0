"""The outbox: what the terminal owes the backend, durable and encrypted.

A business write and its outbox row commit in one transaction (`with
outbox.transaction() as tx: ...; outbox.add(...)`), so neither exists without the
other. Rows are sent at least once, oldest first, each under its idempotency key;
a row the backend acknowledged is deleted (`secure_delete` overwrites it). A
failed send waits a full-jitter exponential backoff. A row still unacknowledged
after the retention limit is escalated (marked, reported), never dropped.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from offline_cache.keyring import Keyring

BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0


@dataclass(frozen=True)
class Pending:
    idempotency_key: str
    kind: str
    session: str | None
    created_at: float
    attempts: int
    record: dict[str, Any]


class Outbox:
    def __init__(
        self,
        db: sqlite3.Connection,
        keyring: Keyring,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.rng = rng or random.Random()
        # one transaction at a time on this connection, whichever thread asks
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction for a business write and its outbox row: both or neither."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def add(
        self,
        kind: str,
        record: dict[str, Any],
        session: str | None = None,
        key: str | None = None,
        created_at: float | None = None,
    ) -> str:
        """Queue a record (inside `transaction()`, or on its own); its idempotency key.
        `created_at`: the time of a record already tried directly, so that the same
        key comes again with the same body."""
        key = key or str(uuid.uuid4())
        key_id, nonce, sealed = self.keyring.seal(
            json.dumps(record, ensure_ascii=False, sort_keys=True).encode(), _aad(key, kind)
        )
        statement = (
            "INSERT INTO outbox"
            " (idempotency_key, kind, session, created_at, key_id, nonce, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        created = self.clock() if created_at is None else created_at
        self.db.execute(statement, (key, kind, session, created, key_id, nonce, sealed))
        return key

    def due(self, limit: int = 100) -> list[Pending]:
        """The oldest rows whose backoff has passed, decrypted, in the order written.
        A row waits while an older row of its session waits: a session stays in order."""
        now = self.clock()
        rows = self.db.execute(
            "SELECT idempotency_key, kind, session, created_at, attempts, key_id, nonce, payload"
            " FROM outbox AS o WHERE next_attempt_at <= ? AND held_reason IS NULL"
            " AND (session IS NULL OR NOT EXISTS (SELECT 1 FROM outbox AS e"
            "  WHERE e.session = o.session AND e.id < o.id AND e.held_reason IS NULL"
            "  AND e.next_attempt_at > ?))"
            " ORDER BY id LIMIT ?",
            (now, now, limit),
        ).fetchall()
        return [
            Pending(
                key, kind, session, created, attempts,
                json.loads(self.keyring.open_sealed(key_id, nonce, sealed, _aad(key, kind))),
            )
            for key, kind, session, created, attempts, key_id, nonce, sealed in rows
        ]  # fmt: skip

    def acknowledged(self, keys: list[str]) -> None:
        """The backend has them: gone from the terminal, personal data and all."""
        with self.transaction():
            self.db.executemany(
                "DELETE FROM outbox WHERE idempotency_key = ?", [(k,) for k in keys]
            )
            self.write_note("last_success", str(self.clock()))

    def failed(self, keys: list[str], error: str) -> None:
        """Not sent: each waits a full-jitter backoff (uniform up to a capped doubling)."""
        now = self.clock()
        with self.transaction():
            for key in keys:
                row = self.db.execute(
                    "SELECT attempts FROM outbox WHERE idempotency_key = ?", (key,)
                ).fetchone()
                if row is None:
                    continue
                attempts = row[0] + 1
                wait = self.rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempts))
                self.db.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?"
                    " WHERE idempotency_key = ?",
                    (attempts, now + wait, error[:200], key),
                )
            self.write_note("last_error", json.dumps({"at": now, "error": error[:200]}))

    def hold(self, keys: list[str], reason: str) -> None:
        """Never to be sent again as it is (the backend refused it for good): kept,
        escalated, and out of its session's way."""
        now = self.clock()
        with self.transaction():
            self.db.executemany(
                "UPDATE outbox SET held_reason = ?, escalated_at = COALESCE(escalated_at, ?)"
                " WHERE idempotency_key = ?",
                [(reason[:200], now, key) for key in keys],
            )

    def escalate_overdue(self, retention_s: float) -> list[str]:
        """Rows older than the retention limit: marked and returned for an alert, kept."""
        now = self.clock()
        overdue = [
            key
            for (key,) in self.db.execute(
                "SELECT idempotency_key FROM outbox WHERE created_at < ? AND escalated_at IS NULL",
                (now - retention_s,),
            ).fetchall()
        ]
        if overdue:
            with self.transaction():
                self.db.executemany(
                    "UPDATE outbox SET escalated_at = ? WHERE idempotency_key = ?",
                    [(now, key) for key in overdue],
                )
        return overdue

    def keys_in_use(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT DISTINCT key_id FROM outbox").fetchall()}

    def status(self) -> dict[str, Any]:
        depth, oldest, escalated, held = self.db.execute(
            "SELECT COUNT(*), MIN(created_at), COUNT(escalated_at), COUNT(held_reason) FROM outbox"
        ).fetchone()
        notes = dict(self.db.execute("SELECT name, value FROM sync_state").fetchall())
        last_error = json.loads(notes["last_error"]) if "last_error" in notes else None
        return {
            "depth": depth,
            "oldest_age_s": round(self.clock() - oldest, 1) if oldest is not None else None,
            "escalated": escalated,
            "held": held,
            "last_success": float(notes["last_success"]) if "last_success" in notes else None,
            "last_error": last_error,
        }

    def note(self, name: str, value: str) -> None:
        """Something the link learnt (a clock alert, the last heartbeat), for status."""
        with self.transaction():
            self.write_note(name, value)

    def notes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT name, value FROM sync_state").fetchall())

    def write_note(self, name: str, value: str) -> None:
        """`note` inside the caller's transaction (with the record it goes with)."""
        self.db.execute(
            "INSERT INTO sync_state (name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


def _aad(key: str, kind: str) -> bytes:
    """The ciphertext is bound to its row: moved to another row, it does not open."""
    return f"{key}|{kind}".encode()
