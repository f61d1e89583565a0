"""Which terminal is asking: its signature (in the suite of the key it enrolled with:
SM2 or Ed25519), inside the replay window, by a terminal not revoked. (People at the
console: backend/operators.py.)"""

from __future__ import annotations

import functools
import inspect
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast, get_type_hints

from fastapi import Depends, Request
from sqlalchemy import (
    Boolean,
    String,
    Table,
    bindparam,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from backend.alerts import raise_alert
from backend.db import SeenNonce, Terminal, without_waiting_for_the_disk
from backend.limits import Limits, counting, spend
from backend.problems import Refused
from backend.statements import Alone, Script, Statement
from backend.workers import Workers
from wire import crypto, signing

log = logging.getLogger("kiosk.backend.auth")
NONCE_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")  # what signing.sign makes: 16 random bytes
# A signed request runs on one of these worker threads from its check to its commit.
# On SQLite it holds the write lock from its nonce to its commit: more threads would
# only wait on that lock; the requests beyond them wait in the pool's queue, on the
# event loop, taking no thread (payments in flight: tests/backend/test_gateway.py).
SIGNED_AT_ONCE = 16
T = TypeVar("T")


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


def signed(handler: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """A terminal's endpoint from `handler`, a plain function that takes a `Signed`
    parameter: the signature checked (or a 401 saying why not), the nonce and the
    write counted, the handler's work and the commit, in one transaction on **one**
    worker thread. (A FastAPI dependency that yields costs three hand-offs to a thread,
    the check, the handler and the commit: a third of a heartbeat's CPU,
    bench/backend_cost.py.) FastAPI sees the handler's own parameters, the `Signed`
    one put in by `signed_call`."""
    hints = get_type_hints(handler, include_extras=True)
    (name,) = [param for param, hint in hints.items() if hint is Signed]
    parameters = [
        param.replace(name=_CALL, annotation=Annotated[SignedCall, Depends(signed_call)])
        if param.name == name
        else param.replace(annotation=hints[param.name])
        for param in inspect.signature(handler).parameters.values()
    ]

    durable = is_durable(handler)

    async def endpoint(**values: Any) -> T:
        call: SignedCall = values.pop(_CALL)
        return await call.run(
            lambda terminal: handler(**values, **{name: terminal}), durable=durable
        )

    # not functools.wraps: FastAPI would follow __wrapped__ to a function that is not async
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(endpoint, attribute, getattr(handler, attribute))
    setattr(endpoint, _HANDLER, handler)  # the hot paths call it without FastAPI (hotpaths.py)
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=hints.get("return", inspect.Signature.empty)
    )
    return endpoint


_CALL = "signed_call_"
_HANDLER = "signed_handler_"
_TELEMETRY = "signed_telemetry_"
_QUICK = "signed_quick_"


def telemetry(handler: Callable[..., T]) -> Callable[..., T]:
    """Marks a signed handler (under `@signed`) whose writes are telemetry, superseded
    within minutes (the heartbeat): its transaction commits without waiting for the
    disk (backend/db.py `without_waiting_for_the_disk`)."""
    setattr(handler, _TELEMETRY, True)
    return handler


def quick_path(quick: Callable[..., Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Marks a signed handler (under `@signed`) as done by `quick` first, for a
    terminal whose signature verified against the key it verified with last:
    `quick(request, body, terminal_id, now, check)` runs the handler's writes with the
    check (`checked_in`, `checked_and`, given `check`'s parameters) and answers as the
    handler would, or None, having written nothing, to have the whole check and the
    handler run after all. A `@telemetry` handler's runs on the event loop, on its
    own connection (`checked_and`); another's on the worker thread, on a connection of
    the pool, its commit waiting for the disk. Served so by the hot paths
    (backend/hotpaths.py)."""

    def marked(handler: Callable[..., T]) -> Callable[..., T]:
        setattr(handler, _QUICK, quick)
        return handler

    return marked


def quick_of(handler: Callable[..., Any]) -> Callable[..., Any] | None:
    """A signed handler's `quick_path`, if it has one."""
    found: Callable[..., Any] | None = getattr(handler, _QUICK, None)
    return found


def is_durable(handler: Callable[..., Any]) -> bool:
    """Whether `handler`'s commit waits for the disk: all but `@telemetry` ones."""
    return not getattr(handler, _TELEMETRY, False)


def signed_handler(endpoint: Callable[..., Any]) -> Callable[..., Any] | None:
    """The plain function a `@signed` endpoint was made from; None for any other."""
    found: Callable[..., Any] | None = getattr(endpoint, _HANDLER, None)
    return found


class Again(Exception):
    """Raised by a signed handler whose transaction lost a race with another request's
    (on PostgreSQL: a row it was writing was written meanwhile). The whole request, its
    check too, is done again in a new transaction, which sees that row: no savepoint to
    go back to (two round trips of every batch, bench/backend_cost.py)."""


AGAIN_AT_MOST = 3  # tries of one request


class SignedCall:
    """A terminal's signed request, its check waiting for `run` (see `signed`)."""

    def __init__(self, request: Request, headers: dict[str, str], body: bytes) -> None:
        self._request = request
        self._headers = headers
        self._body = body

    async def run(
        self,
        work: Callable[[Signed], T],
        *,
        inline: bool = False,
        durable: bool = True,
        quick: Quick[T] | None = None,
    ) -> T:
        """`work` checked and committed on a worker thread; or, `inline`, on the event
        loop itself (see backend/hotpaths.py: for the heartbeat and the record batch on
        SQLite, whose one writer at a time leaves a thread nothing to overlap). Not
        `durable`: its commit does not wait for the disk (`telemetry`). `quick`: tried
        first (see `quick_path`): on the event loop when not `durable` or `inline`,
        else on the worker thread, whose commit waits for the disk."""
        if quick is not None and (not durable or inline):
            done = self._quickly(quick)
            if done is not None:
                return done
            quick = None
        if inline:
            return self._checked(work, durable)
        workers: Workers = self._request.app.state.signed_workers
        return await workers.run(functools.partial(self._checked, work, durable, quick))

    def _checked(
        self, work: Callable[[Signed], T], durable: bool, quick: Quick[T] | None = None
    ) -> T:
        if quick is not None:
            done = self._quickly(quick)
            if done is not None:
                return done
        for attempt in range(1, AGAIN_AT_MOST + 1):
            try:
                return self._once(work, durable)
            except Again:
                if attempt == AGAIN_AT_MOST:
                    raise
        raise AssertionError("unreachable")

    def _once(self, work: Callable[[Signed], T], durable: bool) -> T:
        request = self._request
        state = request.app.state
        db = Session(state.engine, expire_on_commit=False)
        try:
            terminal = _check(db, self._headers, request.method, _target(request), self._body,
                              state.clock(), state.limits, durable, state.known_keys)  # fmt: skip
            result = work(Signed(terminal, db))
            if db.in_transaction():  # a handler that only read: the nonce is kept all the same
                db.commit()
            return result
        finally:
            db.close()

    def _quickly(self, quick: Quick[T]) -> T | None:
        """`quick`'s answer, when the request is signed by the key its terminal signed
        with last, inside the window; None: the whole check is to be done."""
        request = self._request
        state = request.app.state
        if random.random() < _FORGET_NONCES:
            return None  # the whole check forgets old nonces
        headers = self._headers
        terminal_id = headers[signing.TERMINAL]
        key = state.known_keys.get(terminal_id)
        if key is None:
            return None
        now = state.clock()
        try:
            signing.verify(_public_key(key), headers, request.method, _target(request), self._body)
            if abs(now - int(headers[signing.TIMESTAMP])) > signing.WINDOW_S:
                return None
        except (signing.SignatureError, ValueError):
            return None  # refused by the whole check, which says why (a key rotated, say)
        window = state.limits.terminal_writes
        try:
            return quick(terminal_id, now, {
                "id": terminal_id, "key": key, "nonce": headers[signing.NONCE], "b_now": now,
                "b_bucket": f"write:{terminal_id}", "b_since": now - window.window_s,
                "b_allowance": window.allowance,
            })  # fmt: skip
        except DBAPIError as exc:  # a lock held by another request (statements.Alone), or
            # the database gone: the whole check waits or says so
            log.debug("quick path not taken: %s", type(exc.orig).__name__)
            return None


Quick = Callable[[str, float, dict[str, Any]], T | None]
"""A signed write done with its check on the loop's own connection (`checked_and`),
tried before the whole check: given the terminal's id, the time, and the check's
parameters, its answer; None when it wrote nothing (the whole check and the handler
then run, and say why)."""


async def signed_call(request: Request) -> SignedCall:
    """The request's signing headers and body, on the event loop. A request without
    the headers is refused here, before FastAPI reads its body's fields: to the
    unsigned, every terminal route answers 401 and nothing else. (One whose signature
    is wrong is refused on the worker thread, after its fields were read.)"""
    headers = signing_headers(request)
    return SignedCall(request, headers, await request.body())


def signed_workers() -> Workers:
    """The threads signed requests run on, one pool an application (see SIGNED_AT_ONCE):
    lighter than anyio's hand-off (its look-ups of the current task and library) and
    asyncio's executor (backend/workers.py), both of which showed in the profile."""
    return Workers(SIGNED_AT_ONCE, "signed")


def signing_headers(request: Request) -> dict[str, str]:
    """The four signing headers, or a 401 Problem: one missing, or a nonce of another
    shape."""
    headers = {name: request.headers[name] for name in signing.HEADERS if name in request.headers}
    if len(headers) < len(signing.HEADERS):
        missing = next(n for n in signing.HEADERS if n not in headers)
        raise Refused(401, "unsigned", f"no {missing} header")
    if not NONCE_SHAPE.fullmatch(headers[signing.NONCE]):  # before it reaches a column
        raise Refused(401, "signature_invalid", f"{signing.NONCE}: not 16 bytes of base64url")
    return headers


def _target(request: Request) -> str:
    """The path as the server read it (request.url would quote it again) and the query
    as sent: what the terminal signed."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.scope["path"] + (f"?{query}" if query else "")


# The statements every request runs: on the driver's cursor (backend/statements.py),
# no ORM object made
_TERMINALS = cast(Table, Terminal.__table__)
_KEY_OF = Statement(
    select(_TERMINALS.c.public_key, _TERMINALS.c.revoked_at).where(
        _TERMINALS.c.id == bindparam("id")
    )
)
_NONCES = cast(Table, SeenNonce.__table__)
_NONCE_SEEN = Statement(insert(_NONCES), ["terminal_id", "nonce", "seen_at"])


_FORGET_NONCES = 0.002  # the share of requests that forget nonces no window can reach
_KNOWN_AT_MOST = 65_536  # terminals' keys kept for the quick path (a fleet is 10,000)


def known_keys() -> dict[str, str]:
    """Each terminal's key as it verified last, by the terminal's id, one map an
    application: the quick path (`checked_and`) checks a signature against it before
    the statement, which finds the key still the terminal's."""
    return {}


def quick_connection(engine: Engine) -> Alone:
    """The event loop's own connection, for the quick paths; closed as the engine is
    disposed of."""
    alone = Alone(engine)
    event.listen(engine, "engine_disposed", lambda _engine: alone.close())
    return alone


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
    durable: bool = True,
    known: dict[str, str] | None = None,
) -> str:
    """The id of the terminal that signed, with the nonce and the write counted in
    `db`'s transaction (not `durable`: it commits without waiting for the disk, see
    `telemetry`). Plain statements, no ORM objects: this runs on every request of the
    fleet (bench/backend_cost.py). `known`: the key that verified is put there, by the
    terminal's id."""
    terminal_id = headers[signing.TERMINAL]
    connection = db.connection()
    at_once = method != "GET" and connection.dialect.name == "postgresql"
    if at_once:  # one round trip for the key, the count and the nonce (see _AT_ONCE)
        bucket = f"write:{terminal_id}"
        found = _AT_ONCE.rows(connection, {
            "id": terminal_id, "nonce": headers[signing.NONCE], "b_now": now,
            "b_bucket": bucket, "b_since": now - limits.terminal_writes.window_s,
            "b_allowance": limits.terminal_writes.allowance, "relaxed": not durable,
        })  # fmt: skip
    else:
        if not durable:  # before the transaction's first statement (SQLite's setting)
            without_waiting_for_the_disk(db)
        found = _KEY_OF.rows(connection, {"id": terminal_id})
    if not found:
        raise Refused(401, "unknown_terminal", "no terminal enrolled under that id")
    public_key, revoked_at = found[0][:2]
    if revoked_at is not None:
        raise Refused(401, "revoked", "this terminal was revoked")
    try:
        signing.verify(_public_key(public_key), headers, method, target, body)
        stamp = int(headers[signing.TIMESTAMP])
    except (signing.SignatureError, ValueError) as exc:
        raise Refused(401, "signature_invalid", str(exc)) from None
    if abs(now - stamp) > signing.WINDOW_S:
        db.rollback()  # neither the count nor the nonce of a request refused
        # The signature is the terminal's own, so its clock is wrong: tell both sides.
        raise_alert(db, terminal_id, "clock_drift",
                    f"signed {stamp - now:+.0f} s from the backend's clock", now)  # fmt: skip
        db.commit()
        raise Refused(401, "clock_skew", "the timestamp is outside the signature window",
                      server_time=now)  # fmt: skip
    if known is not None:  # the quick path's key (SignedCall._quickly)
        if len(known) >= _KNOWN_AT_MOST:
            known.clear()
        known[terminal_id] = public_key
    if random.random() < _FORGET_NONCES:  # now and then, forget nonces no window can reach
        db.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - 2 * signing.WINDOW_S))
    if at_once:
        counted, fresh = found[0][2:4]
        if not counted:  # over the allowance (429, and when to come back), or a race
            spend(db, bucket, limits.terminal_writes, now)
        if not fresh:
            db.rollback()
            raise Refused(401, "replayed", "this nonce was already used")
        return terminal_id
    if method != "GET":  # every write of a terminal counts (one stolen key, one flood);
        # in the request's own transaction: a second one would wait on SQLite's write
        # lock for a worker thread the first request needs (a terminal's requests
        # mostly come one after another, so the row lock on PostgreSQL costs little)
        spend(db, f"write:{terminal_id}", limits.terminal_writes, now)
    try:  # a second use of the nonce fails here, before any work is done
        _NONCE_SEEN.rows(
            connection,
            {"terminal_id": terminal_id, "nonce": headers[signing.NONCE], "seen_at": now},
        )
    except IntegrityError:
        db.rollback()
        raise Refused(401, "replayed", "this nonce was already used") from None
    return terminal_id


# On PostgreSQL, a terminal's write looks up its key, counts the write (`spend`'s own
# statement, backend/limits.py `counting`) and records its nonce in one statement: three
# round trips were a third of the check's CPU (bench/backend_cost.py). Done before the
# signature is checked, in the request's transaction: a request refused is rolled back,
# so nothing of it stays; a revoked or unknown terminal's is neither counted nor kept.
# `fresh` is false for a nonce seen before (not an error: the statement stays whole).
# `relaxed`: the transaction commits without waiting for the disk, set here rather than
# by a statement of its own (backend/db.py `without_waiting_for_the_disk`): a heartbeat's
# round trip less.
def _at_once() -> Statement:
    terminal = (
        select(_TERMINALS.c.public_key, _TERMINALS.c.revoked_at)
        .where(_TERMINALS.c.id == bindparam("id"))
        .cte("terminal")
    )
    live = (
        select(literal(1)).select_from(terminal).where(terminal.c.revoked_at.is_(None)).cte("live")
    )
    counted = counting(postgresql, only_if=live).cte("counted")
    seen = _nonce_recorded(after=live)
    relaxed = case((bindparam("relaxed", type_=Boolean),
                    func.set_config("synchronous_commit", "off", True)))  # fmt: skip
    return Statement(select(
        terminal.c.public_key, terminal.c.revoked_at,
        exists(select(counted)), exists(select(seen)), relaxed,
    ).select_from(terminal))  # fmt: skip


def _nonce_recorded(after: Any) -> Any:
    """PostgreSQL: the CTE that records the request's nonce when `after` has a row; it
    has a row itself when the nonce was new (a nonce seen before: none, no error)."""
    nonce: Any = select(bindparam("id", type_=String), bindparam("nonce", type_=String),
                   bindparam("b_now")).select_from(after)  # fmt: skip
    return (
        postgresql.insert(_NONCES).from_select(["terminal_id", "nonce", "seen_at"], nonce)
        .on_conflict_do_nothing().returning(literal(1)).cte("seen")
    )  # fmt: skip


_AT_ONCE = _at_once()


def checked_in(write: Callable[[Any], Any]) -> Statement:
    """PostgreSQL: a terminal's signed write with its check, in one statement, after
    its signature was verified against the key the terminal last verified with
    (`SignedCall._quickly`). The check finds that key still the terminal's, the
    terminal not revoked and the nonce not seen; then counts the write and records
    the nonce. `write(seen)`: the caller's statement, whose writes are made only when
    the CTE `seen` has a row. Nothing seen: nothing was written (unless the same nonce
    came twice at once: one more write counted), and the whole check runs, in a
    transaction, and says why (a key rotated, a replay, the allowance spent)."""
    terminal = _still_theirs().cte("terminal")
    counted = counting(postgresql, only_if=terminal).cte("counted")
    return Statement(write(_nonce_recorded(after=counted)))


def checked_and(write: Callable[[Any], Any], then: Sequence[Any]) -> Script:
    """A terminal's signed write with its check (`checked_in`), on the `Alone`
    connection (no session, no worker thread; on PostgreSQL no BEGIN or COMMIT: a
    third of the heartbeat's CPU, bench/backend_cost.py): on PostgreSQL `write(seen)`,
    which returns a row only when it wrote; on SQLite the check's statements, then
    the statements `then`. No row: nothing was written."""
    return Script({
        "postgresql": [checked_in(write)],
        "sqlite": [*_sqlite_check(), *(Statement(step) for step in then)],
    })  # fmt: skip


def checked_here(connection: Connection, check: dict[str, Any]) -> bool:
    """SQLite: the check of `checked_and` in `connection`'s transaction (a connection
    of the pool, whose commit waits for the disk: a record batch's); True when it
    passed, counted the write and recorded the nonce; False when it wrote nothing."""
    theirs, counted, nonce_seen = _sqlite_check()
    if not theirs.rows(connection, check) or not counted.rows(connection, check):
        return False
    nonce_seen.rows(connection, check)
    return True


@functools.cache
def _sqlite_check() -> tuple[Statement, Statement, Statement]:
    """SQLite, which has no writes in a WITH: the check as three statements, in order
    (made once: their compiled forms are kept)."""
    nonce_seen = insert(_NONCES).values(
        terminal_id=bindparam("id"), nonce=bindparam("nonce"), seen_at=bindparam("b_now")
    )
    return Statement(_still_theirs()), Statement(counting(sqlite)), Statement(nonce_seen)


def _still_theirs() -> Any:
    """A row when the terminal's key is still `key`, it is not revoked, and `nonce` is
    not one of its seen ones."""
    return select(literal(1)).where(
        _TERMINALS.c.id == bindparam("id"),
        _TERMINALS.c.public_key == bindparam("key"),
        _TERMINALS.c.revoked_at.is_(None),
        ~exists().where(_NONCES.c.terminal_id == bindparam("id"),
                        _NONCES.c.nonce == bindparam("nonce")),
    )  # fmt: skip
