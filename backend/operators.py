"""People at the fleet console: accounts with a role, slow-hashed passwords,
signed-in sessions in a cookie, and the check each console route makes.

- Roles, each with what the one below it may do: a **viewer** sees the fleet, the
  help desk and the follow-ups of low ratings; an **operator** also acknowledges help
  requests, makes enrolment codes and assigns, answers and closes follow-ups; an
  **administrator** also revokes terminals and reads the audit log.
  Accounts are made, re-keyed and disabled from the command line (`kiosk-backend
  user`), on the backend's machine.
- Passwords: hashed in the deployment's crypto suite (wire/crypto/passwords.py:
  PBKDF2-HMAC-SM3 in gm, scrypt in intl; either is checked, whichever made it, and
  one of the other suite is made again in the deployment's at its next good
  sign-in), a random salt each, at least 12 characters. Wrong passwords lock the account for a
  while (backend/limits.py).
- Sessions: a random token in an HttpOnly, SameSite=Strict cookie (never in a
  URL); the database keeps only its digest (SM3 or SHA-256: switching suite ends
  the sessions). A session ends after 30 idle minutes,
  12 hours in all, at sign-out, or when its account is re-keyed or disabled.
- CSRF: a write also carries the session's own random token in `X-CSRF-Token`,
  which a page of another site cannot read.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.db import Operator, OperatorSession
from backend.problems import Refused
from wire import crypto
from wire.crypto.passwords import hash_secret, made_as, secret_matches

ROLES = ("viewer", "operator", "administrator")  # each may do what those before it may
COOKIE = "kiosk_console"
CSRF_HEADER = "X-CSRF-Token"
IDLE_S = 30 * 60
LONGEST_S = 12 * 3600
MIN_PASSWORD = 12
MAX_PASSWORD = 256
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class AccountError(ValueError):
    """A name, role or password that cannot be used: the message says which and why."""


def hash_password(password: str, suite: str = crypto.DEFAULT) -> str:
    return hash_secret(password, suite)


def password_matches(password: str, stored: str) -> bool:
    return secret_matches(password, stored)


@functools.cache
def _nobody(suite: str) -> str:
    """A hash of a password nobody has: a name that does not exist costs as much time
    as a wrong password, so the answer's delay does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16), suite)


def check_name(name: str) -> str:
    if not 1 <= len(name) <= 40 or not set(name) <= NAME_CHARS:
        raise AccountError(f"account name {name!r}: 1-40 of a-z 0-9 . _ -")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:  # what sign-in takes
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    if password.strip() != password:
        raise AccountError("the password begins or ends with a space")
    return password


def add(
    engine: Engine, name: str, role: str, password: str, now: float, suite: str = crypto.DEFAULT
) -> None:
    if role not in ROLES:
        raise AccountError(f"role {role!r}: one of {', '.join(ROLES)}")
    check_name(name)
    with Session(engine) as db, db.begin():
        if db.get(Operator, name) is not None:
            raise AccountError(f"an account {name!r} exists already")
        kept = hash_password(check_password(password), suite)
        db.add(Operator(name=name, role=role, password_hash=kept, created_at=now,
                        password_set_at=now))  # fmt: skip


def set_password(
    engine: Engine, name: str, password: str, now: float, suite: str = crypto.DEFAULT
) -> None:
    """A new password; the account's open sessions end (a leaked one is shut out)."""
    with Session(engine) as db, db.begin():
        account = _existing(db, name)
        account.password_hash = hash_password(check_password(password), suite)
        account.password_set_at = now
        db.execute(delete(OperatorSession).where(OperatorSession.operator == name))


def disable(engine: Engine, name: str, now: float) -> None:
    """The account can no longer sign in, and its sessions end now. Kept, not deleted:
    the audit log names it."""
    with Session(engine) as db, db.begin():
        account = _existing(db, name)
        account.disabled_at = account.disabled_at or now
        db.execute(delete(OperatorSession).where(OperatorSession.operator == name))


def _existing(db: Session, name: str) -> Operator:
    account = db.get(Operator, name)
    if account is None:
        raise AccountError(f"no account {name!r}")
    return account


def any_accounts(engine: Engine) -> bool:
    with Session(engine) as db:
        return db.scalar(select(Operator.name).limit(1)) is not None


@dataclass(frozen=True)
class SignedIn:
    """The person behind a console request."""

    name: str
    role: str
    session: str  # a short, non-secret handle of the session, for the audit log
    csrf: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def sign_in(
    db: Session, name: str, password: str, now: float, source: str, suite: str
) -> tuple[str, SignedIn] | None:
    """A new session's cookie token and who it is, or None for a wrong name, a wrong
    password or a disabled account (which the answer does not tell apart)."""
    account = db.get(Operator, name)
    matches = password_matches(password, account.password_hash if account else _nobody(suite))
    if account is None or not matches or account.disabled_at is not None:
        return None
    if not made_as(account.password_hash, suite):  # hashed before the deployment switched
        account.password_hash = hash_password(password, suite)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    token_hash = _token_hash(token, suite)
    db.add(OperatorSession(token_hash=token_hash, operator=name, csrf=csrf, created_at=now,
                           last_seen_at=now, source=source[:64]))  # fmt: skip
    return token, SignedIn(name, account.role, token_hash[:12], csrf)


def sign_out(db: Session, request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        token_hash = _token_hash(token, request.app.state.crypto_suite)
        db.execute(delete(OperatorSession).where(OperatorSession.token_hash == token_hash))


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=LONGEST_S, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")  # fmt: skip


def _token_hash(token: str, suite: str) -> str:
    return crypto.suite(suite).digest(token.encode()).hex()


def signed_in(role: str) -> Callable[[Request], SignedIn]:
    """A route's check: a live session of an enabled account holding at least `role`;
    for a write, the session's CSRF token in its header."""
    if role not in ROLES:
        raise ValueError(role)

    def check(request: Request) -> SignedIn:
        who = current(request)
        if who is None:
            raise Refused(403, "not_signed_in", "sign in to the console first")
        if request.method not in ("GET", "HEAD") and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, "").encode(), who.csrf.encode()
        ):
            raise Refused(403, "csrf", f"a console write needs the session's {CSRF_HEADER}")
        if not who.may(role):
            raise Refused(
                403, "forbidden", f"this needs the {role} role; {who.name} is a {who.role}"
            )
        return who

    return check


def current(request: Request) -> SignedIn | None:
    """Who this request's cookie signs in, if anyone (the session's idle clock restarts)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    now = request.app.state.clock()
    token_hash = _token_hash(token, request.app.state.crypto_suite)
    with Session(request.app.state.engine) as db, db.begin():
        row = db.get(OperatorSession, token_hash)
        account = db.get(Operator, row.operator) if row else None
        if row is None or account is None:
            return None
        if account.disabled_at is not None or now - row.last_seen_at > IDLE_S \
                or now - row.created_at > LONGEST_S:  # fmt: skip
            db.delete(row)
            return None
        if now - row.last_seen_at > 30:  # one write a half-minute, not one a request
            row.last_seen_at = now
        return SignedIn(account.name, account.role, token_hash[:12], row.csrf)
