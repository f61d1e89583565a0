"""The terminal's one SQLite database: opening it right, and its migration chain.

WAL with `synchronous=FULL` (a committed write survives power loss), and
`secure_delete` (deleted personal data is overwritten, not left in free pages).
Migrations are the numbered `migrations/NNNN_name.sql` files, applied in order
inside one transaction each; `PRAGMA user_version` records the last applied.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(Exception):
    """The database cannot be used: the message names the file and the reason."""


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_[a-z0-9_]+\.sql", path.name)
        if match is None:
            raise DatabaseError(f"{path}: migration files are named NNNN_name.sql")
        found.append((int(match.group(1)), path))
    numbers = [n for n, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise DatabaseError(f"{MIGRATIONS}: migrations must be numbered 1, 2, 3 ... without gaps")
    return found


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"{path}: cannot open the database: {exc}") from None
    try:
        path.chmod(0o600)  # it holds the journal and, later, encrypted personal data
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA foreign_keys=ON")
        _migrate(db, path)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise DatabaseError(f"{path}: not a usable kiosk database: {exc}") from None
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    current = db.execute("PRAGMA user_version").fetchone()[0]
    chain = migrations()
    if current > len(chain):
        raise DatabaseError(
            f"{path}: written by a newer kiosk (schema {current}, this one knows {len(chain)})"
        )
    for number, script in chain[current:]:
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script.read_text(encoding="utf-8")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise DatabaseError(f"{script}: migration failed: {exc}") from None


def _statements(script: str) -> list[str]:
    """Split a migration on ';' at line ends (our migrations keep to that form)."""
    body = "\n".join(line for line in script.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", body + "\n") if s.strip()]
