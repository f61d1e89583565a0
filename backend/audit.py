"""The audit log: who did what, when, from where. Append-only in the database itself
(triggers refuse UPDATE and DELETE, migration 0005), kept beyond any retention purge
(Cybersecurity Law art. 21: at least six months).

Entries name people by account or terminal, and personal data only masked: the log
is read by more people than the data it describes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.db import AuditEntry


def audit(
    db: Session,
    at: float,
    actor_kind: str,
    actor: str,
    action: str,
    target: str = "",
    detail: str = "",
    *,
    session: str | None = None,
    source: str | None = None,
) -> None:
    """Adds one entry in the caller's transaction (it lands with the action or not at all)."""
    db.add(AuditEntry(at=at, actor_kind=actor_kind, actor=actor[:64], action=action[:40],
                      target=target[:120], detail=detail, session=session and session[:64],
                      source=source and source[:64]))  # fmt: skip
