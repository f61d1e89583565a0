"""Rate limits, per terminal and per source address, in fixed windows kept in the
database (several API processes count together): answered 429 with `Retry-After`.

- enrolment: a few tries per address, and an address whose codes keep failing is
  locked out for the window (a code is 16 characters of 36: guessing needs millions
  of tries, which this takes away);
- proof verification (the public page and its API): per address;
- every write of a terminal: per terminal, generous (a relay drains hundreds a
  minute after a day offline), so that one stolen key cannot flood the backend.

The source address is the peer's, or, when the peer is a configured proxy, the
nearest address before it in `X-Forwarded-For`. Addresses given as exempt (the fleet
bench on loopback) are not counted.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any, cast

from fastapi import Request
from sqlalchemy import String, Table, bindparam, case, delete, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import RateBucket
from backend.problems import Refused
from backend.statements import Statement


@dataclass(frozen=True)
class Limit:
    allowance: int  # requests in a window
    window_s: float


@dataclass(frozen=True)
class Limits:
    enrol: Limit = Limit(20, 600)
    enrol_failures: Limit = Limit(10, 600)  # then the address is locked out
    verify: Limit = Limit(120, 60)
    terminal_writes: Limit = Limit(3000, 60)
    login: Limit = Limit(30, 600)  # console sign-in tries per address
    login_failures: Limit = Limit(5, 900)  # wrong passwords per account: then locked out
    lookups: Limit = Limit(300, 86400)  # personal-data lookups per terminal a day
    lookups_unusual: Limit = Limit(60, 3600)  # more in an hour: an alert (not a refusal)
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)
    exempt: frozenset[str] = field(default_factory=frozenset)


def source(request: Request, limits: Limits) -> str:
    """The address a request came from (through a trusted proxy, the one before it)."""
    peer = request.client.host if request.client else "unknown"
    if peer not in limits.trusted_proxies:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):  # the nearest hop that is not one of ours
        if hop not in limits.trusted_proxies:
            return hop if _is_address(hop) else peer  # a forged entry counts as the proxy
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_BUCKETS = cast(Table, RateBucket.__table__)


def counting(dialect: Any, only_if: Any = None) -> Any:
    """One statement for the usual case, built once per dialect: the bucket made, or its
    window begun anew, or counted one up while under the allowance; it returns the row
    it counted in, none when the allowance is spent. Atomic on SQLite (the statement
    holds the write lock) and on PostgreSQL (the row's lock), so two requests at once
    cannot both read one count and write it back one up. Every signed write runs it
    (backend/auth.py): a terminal beats once a minute, so its window has mostly ended.
    `only_if`: a selectable; nothing is counted when it has no row."""
    c = _BUCKETS.c
    since: Any = bindparam("b_since")
    now: Any = bindparam("b_now")
    expired = c.window_start <= since
    made = dialect.insert(_BUCKETS)
    if only_if is None:
        made = made.values(bucket=bindparam("b_bucket"), window_start=now, count=1)
    else:
        row = select(bindparam("b_bucket", type_=String), now, literal(1)).select_from(only_if)
        made = made.from_select(["bucket", "window_start", "count"], row)
    return made.on_conflict_do_update(
        index_elements=[c.bucket],
        set_={"window_start": case((expired, now), else_=c.window_start),
              "count": case((expired, 1), else_=c.count + 1)},
        where=or_(expired, c.count < bindparam("b_allowance")),
    ).returning(c.count)  # fmt: skip


# on the driver's cursor (backend/statements.py): every signed write runs it
_COUNT_ONE = {
    "sqlite": Statement(counting(sqlite)),
    "postgresql": Statement(counting(postgresql)),
}


def spend(db: Session, bucket: str, limit: Limit, now: float, *, peek: bool = False) -> None:
    """Count one request in `bucket` (in the caller's transaction), or refuse with 429
    when the window's allowance is spent. `peek`: only refuse, count nothing."""
    if not peek:
        connection = db.connection()
        counted = _COUNT_ONE[connection.dialect.name].rows(connection, {
            "b_bucket": bucket, "b_now": now, "b_since": now - limit.window_s,
            "b_allowance": limit.allowance,
        })  # fmt: skip
        if counted:
            return
    for _ in range(2):
        row = db.get(RateBucket, bucket, with_for_update=True)
        if row is None or now - row.window_start >= limit.window_s:
            if peek:
                return
            if row is None:
                try:
                    with db.begin_nested():
                        db.add(RateBucket(bucket=bucket, window_start=now, count=1))
                    return
                except IntegrityError:  # another request made it just now: count there
                    continue
            row.window_start, row.count = now, 1
            return
        if row.count >= limit.allowance:
            retry = max(1, math.ceil(row.window_start + limit.window_s - now))
            raise Refused(429, "too_many", f"more than {limit.allowance} in {limit.window_s:g} s",
                          retry_after=retry)  # fmt: skip
        if not peek:
            row.count += 1
        return


def forgive(db: Session, bucket: str) -> None:
    """Forget a bucket's count (a good password after wrong ones)."""
    db.execute(delete(RateBucket).where(RateBucket.bucket == bucket))


def spend_now(request: Request, bucket: str, limit: Limit, *, peek: bool = False) -> None:
    """`spend` in a transaction of its own (committed even when the request fails)."""
    state = request.app.state
    with Session(state.engine) as db, db.begin():
        spend(db, bucket, limit, state.clock(), peek=peek)
