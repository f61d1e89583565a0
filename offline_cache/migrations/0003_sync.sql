-- A record the backend refused for good (its key is stored there with another
-- body) is held: not sent again, not blocking its session, reported for a person.
ALTER TABLE outbox ADD COLUMN held_reason TEXT;

-- The config the backend last gave (city pack, issuer keys), under its ETag.
CREATE TABLE config_cache (
    name TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    fetched_at REAL NOT NULL
);

CREATE INDEX outbox_session ON outbox(session, id);
