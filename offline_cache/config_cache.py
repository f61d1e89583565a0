"""The config the backend last gave (city pack files, issuer keys), kept in the
terminal's database under its ETag, so it survives restarts and network outages."""

from __future__ import annotations

import sqlite3


def etag(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute("SELECT etag FROM config_cache WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def body(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute("SELECT body FROM config_cache WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def store(db: sqlite3.Connection, name: str, tag: str, text: str, now: float) -> None:
    """Inside the caller's transaction."""
    db.execute(
        "INSERT INTO config_cache (name, etag, body, fetched_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET etag = excluded.etag, body = excluded.body,"
        " fetched_at = excluded.fetched_at",
        (name, tag, text, now),
    )
