-- The outbox: every record bound for the backend, sent at least once under its
-- idempotency key, in the order it was written. The record itself is AES-GCM
-- ciphertext (key id beside it); a row is deleted once the backend acknowledged it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    session TEXT,
    created_at REAL NOT NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    escalated_at REAL
);

CREATE INDEX outbox_due ON outbox(next_attempt_at, id);

-- What the link to the backend last did (for `kiosk sync status` and the heartbeat).
CREATE TABLE sync_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
