"""Which terminal is asking: its signature (in the suite of the key it enrolled with:
SM2 or Ed25519), inside the replay window, by a terminal not revoked. (People at the
console: backend/operators.py.)"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.alerts import raise_alert
from backend.db import SeenNonce, Terminal
from backend.limits import Limits, spend
from backend.problems import Refused
from wire import signing

log = logging.getLogger("kiosk.backend.auth")
NONCE_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")  # what signing.sign makes: 16 random bytes
# On SQLite a signed request holds the write lock from its nonce to its commit, over
# two worker threads in turn (the dependency's, then the handler's). With every worker
# thread taken by requests waiting for that lock, the one holding it waited for a
# thread to commit in: stuck until SQLite's 30 s busy timeout (45 payments in flight,
# tests/backend/test_gateway.py). So signed requests enter the thread pool (40) a few
# at a time, and wait for their turn on the event loop, where waiting takes no thread.
SIGNED_AT_ONCE = 16
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@dataclass
class Signed:
    """A request a terminal signed: the terminal, and the request's one database
    session, which already holds the request's nonce (committed with the request's
    own writes: one transaction per request)."""

    terminal: Terminal
    db: Session

    @property
    def id(self) -> str:
        return self.terminal.id

    @contextmanager
    def session(self) -> Iterator[Session]:
        yield self.db


async def body_of(request: Request) -> bytes:
    return await request.body()


async def turn(request: Request) -> AsyncIterator[None]:
    """A signed request's turn in the thread pool, on SQLite (see SIGNED_AT_ONCE)."""
    if request.app.state.engine.dialect.name != "sqlite":
        yield
        return
    loop = asyncio.get_running_loop()  # a semaphore belongs to one event loop
    gate = _gates.setdefault(loop, asyncio.Semaphore(SIGNED_AT_ONCE))
    async with gate:
        yield


def signed_terminal(
    request: Request, body: bytes = Depends(body_of), _turn: None = Depends(turn)
) -> Iterator[Signed]:
    """The terminal that signed this request, or a 401 saying why not. Runs in the
    thread pool (database work never blocks the event loop)."""
    state = request.app.state
    headers = {name: request.headers[name] for name in signing.HEADERS if name in request.headers}
    if len(headers) < len(signing.HEADERS):
        missing = next(n for n in signing.HEADERS if n not in headers)
        raise Refused(401, "unsigned", f"no {missing} header")
    if not NONCE_SHAPE.fullmatch(headers[signing.NONCE]):  # before it reaches a column
        raise Refused(401, "signature_invalid", f"{signing.NONCE}: not 16 bytes of base64url")
    # the path as the server read it (request.url would quote it again) and the query
    # as sent: what the terminal signed
    target = request.scope["path"] + (f"?{request.url.query}" if request.url.query else "")
    now = state.clock()
    db = Session(state.engine, expire_on_commit=False)
    try:
        terminal = _check(db, headers, request.method, target, body, now, state.limits)
        yield Signed(terminal, db)
        if db.in_transaction():  # a handler that only read: the nonce is kept all the same
            db.commit()
    finally:
        db.close()


def _check(
    db: Session,
    headers: dict[str, str],
    method: str,
    target: str,
    body: bytes,
    now: float,
    limits: Limits,
) -> Terminal:
    terminal = db.get(Terminal, headers[signing.TERMINAL])
    if terminal is None:
        raise Refused(401, "unknown_terminal", "no terminal enrolled under that id")
    if terminal.revoked_at is not None:
        raise Refused(401, "revoked", "this terminal was revoked")
    try:
        _suite, public = signing.load_public_key(terminal.public_key)
        signing.verify(public, headers, method, target, body)
        stamp = int(headers[signing.TIMESTAMP])
    except (signing.SignatureError, ValueError) as exc:
        raise Refused(401, "signature_invalid", str(exc)) from None
    if abs(now - stamp) > signing.WINDOW_S:
        # The signature is the terminal's own, so its clock is wrong: tell both sides.
        raise_alert(db, terminal.id, "clock_drift",
                    f"signed {stamp - now:+.0f} s from the backend's clock", now)  # fmt: skip
        db.commit()
        raise Refused(401, "clock_skew", "the timestamp is outside the signature window",
                      server_time=now)  # fmt: skip
    if random.random() < 0.002:  # now and then, forget nonces no window can reach
        db.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - 2 * signing.WINDOW_S))
    if method != "GET":  # every write of a terminal counts (one stolen key, one flood);
        # in the request's own transaction: a second one would wait on SQLite's write
        # lock for a worker thread the first request needs (a terminal's requests
        # mostly come one after another, so the row lock on PostgreSQL costs little)
        spend(db, f"write:{terminal.id}", limits.terminal_writes, now)
    db.add(SeenNonce(terminal_id=terminal.id, nonce=headers[signing.NONCE], seen_at=now))
    try:
        db.flush()  # a second use of the nonce fails here, before any work is done
    except IntegrityError:
        db.rollback()
        raise Refused(401, "replayed", "this nonce was already used") from None
    return terminal
