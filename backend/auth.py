"""Which terminal is asking: its signature (in the suite of the key it enrolled with:
SM2 or Ed25519), inside the replay window, by a terminal not revoked. (People at the
console: backend/operators.py.)"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from fastapi import Depends, Request
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.alerts import raise_alert
from backend.db import SeenNonce, Terminal
from backend.limits import Limits, spend
from backend.problems import Refused
from wire import crypto, signing

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
    """A request a terminal signed: the terminal's id, and the request's one database
    session, which already holds the request's nonce (committed with the request's
    own writes: one transaction per request)."""

    id: str
    db: Session

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


# The statements every request runs, built once: SQLAlchemy then finds them compiled
# without working out their cache key again, and no ORM object is made
_TERMINALS = cast(Table, Terminal.__table__)
_KEY_OF = select(_TERMINALS.c.public_key, _TERMINALS.c.revoked_at).where(
    _TERMINALS.c.id == bindparam("id")
)
_NONCE_SEEN = insert(cast(Table, SeenNonce.__table__))


@functools.lru_cache(maxsize=65_536)
def _public_key(text: str) -> crypto.PublicKey:
    """A terminal's key, parsed once (a tenth of a heartbeat's cost, in SM2): keyed by
    its text, so a terminal that rotated its key is read anew."""
    return signing.load_public_key(text)[1]


def _check(
    db: Session,
    headers: dict[str, str],
    method: str,
    target: str,
    body: bytes,
    now: float,
    limits: Limits,
) -> str:
    """The id of the terminal that signed, with the nonce and the write counted in
    `db`'s transaction. Plain statements, no ORM objects: this runs on every request
    of the fleet (bench/backend_cost.py)."""
    terminal_id = headers[signing.TERMINAL]
    found = db.connection().execute(_KEY_OF, {"id": terminal_id}).one_or_none()
    if found is None:
        raise Refused(401, "unknown_terminal", "no terminal enrolled under that id")
    public_key, revoked_at = found
    if revoked_at is not None:
        raise Refused(401, "revoked", "this terminal was revoked")
    try:
        signing.verify(_public_key(public_key), headers, method, target, body)
        stamp = int(headers[signing.TIMESTAMP])
    except (signing.SignatureError, ValueError) as exc:
        raise Refused(401, "signature_invalid", str(exc)) from None
    if abs(now - stamp) > signing.WINDOW_S:
        # The signature is the terminal's own, so its clock is wrong: tell both sides.
        raise_alert(db, terminal_id, "clock_drift",
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
        spend(db, f"write:{terminal_id}", limits.terminal_writes, now)
    try:  # a second use of the nonce fails here, before any work is done
        db.connection().execute(
            _NONCE_SEEN,
            {"terminal_id": terminal_id, "nonce": headers[signing.NONCE], "seen_at": now},
        )
    except IntegrityError:
        db.rollback()
        raise Refused(401, "replayed", "this nonce was already used") from None
    return terminal_id
