"""The flow journal: every transition of every session, written before its effects
run, so that a terminal that lost power knows what it owed whom.

Holds no personal data. Knows nothing of flows: it stores what it is given.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    """One transition of a session. `committed`: paid or submitted and not yet
    served; `mode`: normal, cancelling or recovering; `facts`: journal-safe only."""

    session_id: str
    seq: int
    at: float
    from_step: str | None
    to_step: str | None
    cause: str
    committed: bool
    mode: str
    facts: dict[str, Any]
    outcome: str | None = None


@dataclass(frozen=True)
class OpenSession:
    """A session that never ended: what recovery needs to settle it."""

    session_id: str
    flow: str
    flow_version: int
    current_step: str | None
    committed: bool
    mode: str
    last_seq: int
    facts_by_step: dict[str, dict[str, Any]]  # step -> the facts of its result


class Journal:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._lock = threading.Lock()

    def begin(self, session_id: str, flow: str, flow_version: int) -> None:
        with self._lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO journal_session (session_id, flow, flow_version, started_at)"
                " VALUES (?, ?, ?, ?)",
                (session_id, flow, flow_version, _now()),
            )

    def record(self, entry: JournalEntry) -> None:
        """Write one transition (and the session's state) in one transaction."""
        with self._lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO journal_transition (session_id, seq, at, written_at, from_step,"
                " to_step, cause, committed, mode, facts, outcome)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.session_id,
                    entry.seq,
                    entry.at,
                    _now(),
                    entry.from_step,
                    entry.to_step,
                    entry.cause,
                    int(entry.committed),
                    entry.mode,
                    json.dumps(entry.facts, ensure_ascii=False, sort_keys=True),
                    entry.outcome,
                ),
            )
            self.db.execute(
                "UPDATE journal_session SET current_step = ?, committed = ?, mode = ?,"
                " outcome = ?, ended_at = CASE WHEN ? IS NULL THEN NULL ELSE ? END"
                " WHERE session_id = ?",
                (
                    entry.to_step,
                    int(entry.committed),
                    entry.mode,
                    entry.outcome,
                    entry.outcome,
                    _now(),
                    entry.session_id,
                ),
            )

    def open_sessions(self) -> list[OpenSession]:
        with self._lock:
            rows = self.db.execute(
                "SELECT session_id, flow, flow_version, current_step, committed, mode"
                " FROM journal_session WHERE outcome IS NULL ORDER BY started_at, session_id"
            ).fetchall()
            found = []
            for session_id, flow, version, step, committed, mode in rows:
                facts: dict[str, dict[str, Any]] = {}
                last_seq = 0
                for seq, from_step, cause, raw in self.db.execute(
                    "SELECT seq, from_step, cause, facts FROM journal_transition"
                    " WHERE session_id = ? ORDER BY seq",
                    (session_id,),
                ):
                    last_seq = seq
                    if cause in ("answer", "completed"):
                        facts[from_step] = json.loads(raw)
                found.append(
                    OpenSession(
                        session_id, flow, version, step, bool(committed), mode, last_seq, facts
                    )
                )
            return found

    def forget_ended(self, older_than_s: float) -> int:
        """Sessions that ended more than `older_than_s` ago, gone with their transitions
        (a terminal serves hundreds a day); how many. Open ones stay until settled."""
        cutoff = datetime.fromtimestamp(
            datetime.now(UTC).timestamp() - older_than_s, UTC
        ).isoformat(timespec="milliseconds")
        with self._lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "DELETE FROM journal_transition WHERE session_id IN (SELECT session_id FROM"
                " journal_session WHERE ended_at IS NOT NULL AND ended_at < ?)",
                (cutoff,),
            )
            return self.db.execute(
                "DELETE FROM journal_session WHERE ended_at IS NOT NULL AND ended_at < ?",
                (cutoff,),
            ).rowcount

    def entries(self, session_id: str) -> list[JournalEntry]:
        with self._lock:
            rows = self.db.execute(
                "SELECT session_id, seq, at, from_step, to_step, cause, committed, mode, facts,"
                " outcome FROM journal_transition WHERE session_id = ? ORDER BY seq",
                (session_id,),
            ).fetchall()
        return [
            JournalEntry(
                r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], json.loads(r[8]), r[9]
            )
            for r in rows
        ]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
