from __future__ import annotations

import sqlite3

import pytest

from offline_cache import database
from offline_cache.database import DatabaseError, connect
from offline_cache.journal import Journal, JournalEntry


def test_pragmas_and_the_migration_chain(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(database.migrations())
    assert (tmp_path / "kiosk.db").stat().st_mode & 0o777 == 0o600
    db.close()
    connect(tmp_path / "kiosk.db").close()  # opening again migrates nothing


def test_a_newer_or_foreign_database_is_refused(tmp_path):
    newer = tmp_path / "newer.db"
    raw = sqlite3.connect(newer)
    raw.execute("PRAGMA user_version=99")
    raw.close()
    with pytest.raises(DatabaseError, match="written by a newer kiosk"):
        connect(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match=f"{junk}: not a usable kiosk database"):
        connect(junk)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot open the database"):
        connect(blocker / "kiosk.db")


def test_a_broken_migration_rolls_back(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_good.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (folder / "0002_bad.sql").write_text("CREATE TABLE b (x INTEGER);\nCREATE TABLE a (y);\n")
    monkeypatch.setattr(database, "MIGRATIONS", folder)
    with pytest.raises(DatabaseError, match=r"0002_bad\.sql: migration failed"):
        connect(tmp_path / "k.db")
    raw = sqlite3.connect(tmp_path / "k.db")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    assert raw.execute("SELECT name FROM sqlite_master WHERE name='b'").fetchall() == []
    (folder / "0004_gap.sql").write_text("SELECT 1;\n")
    with pytest.raises(DatabaseError, match="without gaps"):
        database.migrations()
    (folder / "4_badname.sql").write_text("SELECT 1;\n")
    with pytest.raises(DatabaseError, match=r"named NNNN_name\.sql"):
        database.migrations()


def test_journal_open_sessions_and_entries(tmp_path):
    journal = Journal(connect(tmp_path / "kiosk.db"))
    journal.begin("s1", "renewal", 1)
    journal.begin("s2", "renewal", 1)
    journal.record(JournalEntry("s1", 1, 0.0, None, "a", "start", False, "normal", {}))
    journal.record(
        JournalEntry("s1", 2, 1.0, "a", "pay", "answer", False, "normal", {"option": "lost"})
    )
    journal.record(
        JournalEntry("s1", 3, 9.0, "pay", "slip", "completed", True, "normal", {"payment_ref": "P"})
    )
    journal.record(JournalEntry("s2", 1, 0.0, None, "a", "start", False, "normal", {}))
    journal.record(
        JournalEntry("s2", 2, 1.0, "a", None, "cancelled", False, "normal", {}, "cancelled")
    )
    (open_one,) = journal.open_sessions()
    assert (open_one.session_id, open_one.current_step, open_one.committed, open_one.last_seq) == (
        "s1",
        "slip",
        True,
        3,
    )
    assert open_one.facts_by_step == {"a": {"option": "lost"}, "pay": {"payment_ref": "P"}}
    assert [e.seq for e in journal.entries("s1")] == [1, 2, 3]
    with pytest.raises(sqlite3.IntegrityError):  # a transition is never written twice
        journal.record(JournalEntry("s1", 3, 9.0, "pay", "slip", "completed", True, "normal", {}))


def test_ended_sessions_past_the_retention_are_forgotten_open_ones_never(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    journal = Journal(db)
    for session in ("old", "new", "open"):
        journal.begin(session, "renewal", 1)
        journal.record(JournalEntry(session, 1, 0.0, None, "a", "start", False, "normal", {}))
    for session in ("old", "new"):
        journal.record(
            JournalEntry(session, 2, 1.0, "a", None, "answer", False, "normal", {}, "done")
        )
    db.execute("UPDATE journal_session SET ended_at = '2020-01-01T00:00:00.000+00:00'"
               " WHERE session_id = 'old'")  # fmt: skip
    db.execute("UPDATE journal_session SET started_at = '2020-01-01T00:00:00.000+00:00'"
               " WHERE session_id = 'open'")  # fmt: skip
    assert journal.forget_ended(30 * 86400) == 1
    left = {r[0] for r in db.execute("SELECT session_id FROM journal_session")}
    assert left == {"new", "open"}
    assert journal.entries("old") == [] and len(journal.entries("new")) == 2
    assert [s.session_id for s in journal.open_sessions()] == ["open"]
