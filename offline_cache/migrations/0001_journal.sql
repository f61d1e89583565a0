-- The flow journal: one row per session, one per transition. No personal data:
-- step ids, causes, and the journal-safe facts of results (refs, states, ids).
CREATE TABLE journal_session (
    session_id   TEXT PRIMARY KEY,
    flow         TEXT NOT NULL,
    flow_version INTEGER NOT NULL,
    started_at   TEXT NOT NULL,              -- wall time, ISO 8601 UTC
    current_step TEXT,
    committed    INTEGER NOT NULL DEFAULT 0, -- paid or submitted, not yet served
    mode         TEXT NOT NULL DEFAULT 'normal',
    outcome      TEXT,                       -- NULL while the session is open
    ended_at     TEXT
) STRICT;

CREATE TABLE journal_transition (
    session_id TEXT NOT NULL REFERENCES journal_session(session_id),
    seq        INTEGER NOT NULL,
    at         REAL NOT NULL,                -- the session clock, seconds
    written_at TEXT NOT NULL,                -- wall time, ISO 8601 UTC
    from_step  TEXT,
    to_step    TEXT,
    cause      TEXT NOT NULL,
    committed  INTEGER NOT NULL,
    mode       TEXT NOT NULL,
    facts      TEXT NOT NULL,                -- JSON object
    outcome    TEXT,
    PRIMARY KEY (session_id, seq)
) STRICT;

CREATE INDEX journal_session_open ON journal_session(outcome) WHERE outcome IS NULL;
