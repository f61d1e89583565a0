"""数据驾驶舱 roll-ups: what the funnels and handling times add up, per day (UTC+8), site
and service, kept at ingest so that a window of 90 days over a thousand terminals is
read in a few hundred thousand rows, not millions of sessions (docs/cockpit.md).

One session's end counts, in its site's rows and in the whole fleet's (site ""):

- `n` the session; `e` its end and reason (key `end<TAB>reason`); `x` its exit step,
  when it gave up (cancelled or timed out);
- `r` each step it reached, once (key `step<TAB>kind<TAB>who`, bucket: the step's first
  position, which orders steps reached by as many);
- `d`, `m`, `c` its duration, machine and citizen seconds, and `s` each step's seconds
  (a step visited twice: their sum; key: the step), as histograms: bucket 0 holds
  [0, 0.1) s, bucket b >= 1 holds [0.1 r^(b-1), 0.1 r^b) s, r = 2^(1/8).

A percentile read from a histogram places a bucket's values evenly inside it, so it is
off by less than its bucket's width: at most 9.1 % of the exact value, plus 0.1 s
(`ERROR_REL`, `ERROR_ABS`). Counts are exact.

`contributions` is the one definition: ingest (`add`), the migration's backfill
(`rebuild`), the cockpit's partial days and the tests all use it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from backend.db import ServiceSession, SessionDay, Terminal
from backend.tables import site_of

FLEET = ""  # the site of the whole fleet's rows (no terminal's site is empty)
DAY_S = 86_400
CST_S = 8 * 3600
LOW_S = 0.1
RATIO = 2 ** (1 / 8)
_LN_RATIO = math.log(RATIO)
TOP = 207  # 0.1 r^207 s > 64 steps of a day each: no value is above the top bucket
ERROR_REL = RATIO - 1  # 0.0905
ERROR_ABS = LOW_S
GAVE_UP = ("cancelled", "timed_out")
SPREADS = (("d", "duration_s"), ("m", "machine_s"), ("c", "citizen_s"))

Key = tuple[str, str, int]  # measure, key, bucket
_DAYS = cast(Table, SessionDay.__table__)
_SESSIONS = cast(Table, ServiceSession.__table__)
_PRIMARY = [_DAYS.c.site, _DAYS.c.day, _DAYS.c.service, _DAYS.c.measure, _DAYS.c.key,
            _DAYS.c.bucket]  # fmt: skip


def day_of(at: float) -> int:
    """The day (UTC+8) of a moment, as days since 1970-01-01."""
    return math.floor((at + CST_S) / DAY_S)


def day_start(day: int) -> float:
    return float(day * DAY_S - CST_S)


def bucket(seconds: float) -> int:
    if seconds < LOW_S:
        return 0
    return min(TOP, 1 + int(math.log(seconds / LOW_S) / _LN_RATIO))


def bounds(b: int) -> tuple[float, float]:
    """The seconds a bucket holds: [low, high)."""
    if b <= 0:
        return 0.0, LOW_S
    return LOW_S * RATIO ** (b - 1), LOW_S * RATIO**b


def percentile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-th percentile (0-100) of the values a histogram counts, interpolated
    linearly between ranks as numpy does, each bucket's values spread evenly in it."""
    ordered = sorted((b, n) for b, n in histogram.items() if n > 0)
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    rank = (total - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)

    def at(index: int) -> float:
        below = 0
        for b, n in ordered:
            if index < below + n:
                lo, hi = bounds(b)
                return lo + (hi - lo) * (index - below + 0.5) / n
            below += n
        raise AssertionError("rank past the end")

    first = at(low)
    value = first if high == low else first + (at(high) - first) * (rank - low)
    return round(value, 2)


def contributions(session: Mapping[Any, Any]) -> Counter[Key]:
    """What one session's end (a `service_sessions` row, as a mapping) adds to its day."""
    found: Counter[Key] = Counter()
    found[("n", "", 0)] = 1
    found[("e", f"{session['end']}\t{session['reason']}", 0)] = 1
    if session["end"] in GAVE_UP and session["exit_step"]:
        found[("x", session["exit_step"], 0)] = 1
    for measure, column in SPREADS:
        value = session[column]
        if value is not None:
            found[(measure, "", bucket(value))] += 1
    first: dict[str, tuple[int, str, str]] = {}
    seconds: dict[str, float] = defaultdict(float)
    for index, step in enumerate(session["steps"] or ()):
        name = step["step"]
        if name not in first:
            first[name] = (index, step["kind"], step["who"])
        seconds[name] += step["s"]
    for name, (index, kind, who) in first.items():
        found[("r", f"{name}\t{kind}\t{who}", index)] += 1
        found[("s", name, bucket(seconds[name]))] += 1
    return found


Totals = Counter[tuple[str, int, str, str, str, int]]  # site, day, service, measure, key, bucket


def count_in(totals: Totals, site: str, session: Mapping[Any, Any]) -> None:
    """Counts a session in its site's rows and in the fleet's."""
    day, service = day_of(session["ended_at"]), session["service"]
    for (measure, key, b), n in contributions(session).items():
        totals[(site, day, service, measure, key, b)] += n
        totals[(FLEET, day, service, measure, key, b)] += n


def _adding(dialect: Any) -> Any:
    made = dialect.insert(_DAYS)
    return made.on_conflict_do_update(
        index_elements=_PRIMARY, set_={"count": _DAYS.c.count + made.excluded["count"]}
    )


_ADD = {"sqlite": _adding(sqlite), "postgresql": _adding(postgresql)}
_COLUMNS = ("site", "day", "service", "measure", "key", "bucket")


def add(connection: Connection, totals: Totals) -> None:
    """Adds the counts to the roll-ups: one statement, its rows in key order (two
    transactions adding to the same rows take their locks in one order)."""
    if not totals:
        return
    rows = [{**dict(zip(_COLUMNS, k, strict=True)), "count": n} for k, n in sorted(totals.items())]
    connection.execute(_ADD[connection.dialect.name], rows)


def add_sessions(connection: Connection, site: str, sessions: Iterable[Mapping[str, Any]]) -> None:
    """At ingest: the sessions' ends of one batch (one terminal's, at `site`: the site
    the terminal stands at now; a terminal moved later keeps its past where it was)."""
    totals: Totals = Counter()
    for session in sessions:
        count_in(totals, site, session)
    add(connection, totals)


def rebuild(connection: Connection, chunk: int = 5000) -> int:
    """The roll-ups made anew from `service_sessions` (the migration's backfill), a day
    at a time in the order of the sessions' ends. Returns the sessions counted. Sites
    by the terminals' names: migration 0012 runs before terminals had a site (0014)."""
    connection.execute(delete(_DAYS))
    names = dict(connection.execute(select(Terminal.id, Terminal.name)).all())
    columns = [_SESSIONS.c[name] for name in
               ("terminal_id", "service", "ended_at", "end", "reason", "exit_step", "steps",
                "duration_s", "machine_s", "citizen_s")]  # fmt: skip
    query = select(*columns).order_by(_SESSIONS.c.ended_at).execution_options(yield_per=chunk)
    totals: Totals = Counter()
    day, counted = None, 0
    for row in connection.execute(query):
        session = row._mapping
        if day_of(session["ended_at"]) != day:
            add(connection, totals)
            totals, day = Counter(), day_of(session["ended_at"])
        name = names.get(session["terminal_id"], session["terminal_id"])
        count_in(totals, site_of(name), session)
        counted += 1
    add(connection, totals)
    return counted
