"""Every lookup of a person's data by a terminal (an eligibility check by ID or permit
number, a proof, a photo): counted against the terminal's quota (`Limits.lookups`,
429 with Retry-After beyond it), written to the audit log (which terminal, which
citizen session, about whom: masked) and, when a terminal's volume is unusual,
raised as an alert on the console.

A stolen terminal key or a rogue booth can still ask, but only so often, never
unseen, and the officers on duty hear of it the same hour.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from backend.alerts import raise_alert
from backend.audit import audit
from backend.auth import Signed
from backend.db import RateBucket
from backend.limits import Limit, Limits, spend
from backend.problems import Refused
from wire import signing

# What is unusual for one terminal: a busy booth serves a few hundred citizens a day,
# each with a lookup or two, spread over the day. Past this share of the day's quota,
# or `Limits.lookups_unusual` within one hour, the console is told.
UNUSUAL_SHARE = 0.5
ALERT = "unusual_lookups"
_SESSION = re.compile(r"^[\x21-\x7e]{1,64}$")  # wire/sync.py KEY, as a record's session


@dataclass
class Lookup:
    """What the handler found, for the audit entry (never anyone's data)."""

    detail: str = ""


@contextmanager
def personal_lookup(
    request: Request, terminal: Signed, action: str, target: str
) -> Iterator[Lookup]:
    """Counts one lookup before the handler looks (429 once the quota is spent), and
    audits it after, with what the handler put in `detail`. A refusal (the 404 of a
    wrong receipt and ID number pair, the 429) is counted and audited all the same:
    those are what a terminal trying guesses produces."""
    db, now = terminal.db, request.app.state.clock()
    session = citizen_session(request)
    limits: Limits = request.app.state.limits
    try:
        spend(db, f"lookup:{terminal.id}", limits.lookups, now)
    except Refused:
        audit(db, now, "terminal", terminal.id, action, target, "refused: over the quota",
              session=session)  # fmt: skip
        raise_alert(db, terminal.id, ALERT, f"over its quota of {limits.lookups.allowance} "
                    f"personal-data lookups in {limits.lookups.window_s:g} s", now)  # fmt: skip
        db.commit()
        raise
    _watch(db, terminal.id, limits, now)
    lookup = Lookup()
    try:
        yield lookup
    except Refused:
        audit(db, now, "terminal", terminal.id, action, target, lookup.detail or "refused",
              session=session)  # fmt: skip
        db.commit()  # the count and the entry stand, though the answer is a refusal
        raise
    audit(db, now, "terminal", terminal.id, action, target, lookup.detail, session=session)
    db.commit()


def citizen_session(request: Request) -> str | None:
    """The citizen session the terminal says it asks for (header X-Kiosk-Session);
    anything that is not a session id is left out, never refused."""
    text = request.headers.get(signing.SESSION, "")
    return text if _SESSION.match(text) else None


def _watch(db: Session, terminal_id: str, limits: Limits, now: float) -> None:
    """An alert when this terminal's lookups pass the unusual share of its day's quota,
    or the unusual number within an hour: one alert, its count going up (alerts.py)."""
    hourly = limits.lookups_unusual
    # counted in a bucket of its own that never refuses: only its count is read
    spend(db, f"lookup-hour:{terminal_id}", Limit(2**31 - 1, hourly.window_s), now)
    day = _count(db, f"lookup:{terminal_id}")
    hour = _count(db, f"lookup-hour:{terminal_id}")
    quota = limits.lookups
    if day > quota.allowance * UNUSUAL_SHARE:
        raise_alert(db, terminal_id, ALERT, f"{day} personal-data lookups in "
                    f"{quota.window_s:g} s (quota {quota.allowance})", now)  # fmt: skip
    elif hour > hourly.allowance:
        raise_alert(db, terminal_id, ALERT, f"{hour} personal-data lookups in "
                    f"{hourly.window_s:g} s", now)  # fmt: skip


def _count(db: Session, bucket: str) -> int:
    row = db.get(RateBucket, bucket)
    return row.count if row is not None else 0


def mask_id(id_number: str) -> str:
    """An ID number as the audit log shows it: the region and the last two characters
    (110101**********1X); what is hidden is the birth date and the sequence."""
    text = id_number.strip().upper()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 8) + text[-2:]


def mask_permit(number: str) -> str:
    """A permit number as the audit log shows it: its letter and last two digits."""
    text = number.strip().upper()
    if len(text) <= 3:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 3) + text[-2:]
