-- Payments the terminal took part in, by the order number it made and stored first
-- (before the gateway was asked), so a retry, a restart or the reconciliation
-- always speaks of the same order. Every state change also goes to the outbox.
CREATE TABLE payments (
    out_trade_no TEXT PRIMARY KEY,
    session TEXT,
    amount_fen INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
