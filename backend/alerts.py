"""Alerts, deduplicated: the same kind for the same terminal within the window is
one alert whose count goes up (a replayed stale request sent 200 times is one line
on the console that says 200, not 200 lines)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Alert

WINDOW_S = 3600.0


def raise_alert(db: Session, terminal_id: str | None, kind: str, detail: str, now: float) -> None:
    """Add to the caller's transaction: a new alert, or the count of a recent one."""
    recent = db.scalars(
        select(Alert)
        .where(Alert.terminal_id == terminal_id, Alert.kind == kind, Alert.cleared_at.is_(None),
               Alert.raised_at >= now - WINDOW_S)
        .order_by(Alert.id.desc())
        .limit(1)
    ).first()  # fmt: skip
    if recent is None:
        db.add(Alert(terminal_id=terminal_id, kind=kind, detail=detail, raised_at=now,
                     count=1, last_at=now))  # fmt: skip
    else:
        recent.count = Alert.count + 1  # in SQL: two requests at once both count
        recent.last_at, recent.detail = now, detail
