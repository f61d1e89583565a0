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

**Weeks** (`session_weeks`, migration 0016): the same counts per week (Monday to
Sunday, UTC+8) beside the days, added in the same transaction. A day's rows are about
23,000 at a thousand terminals, a week's about 28,000 (the histograms' buckets are
mostly the same ones), so a 90-day question sums 12 weeks and at most 12 loose days
(600,000 rows) instead of 90 days (2 million): the bench's by-site durations went
from 1.3 s to 0.5 s (docs/cockpit.md).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Index,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, ServiceSession, SessionDay, Terminal
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


class SessionWeek(Base):
    """The roll-ups of a week (Monday to Sunday, UTC+8): `session_days`' rows summed
    over its days, kept at ingest beside them (migration 0016)."""

    __tablename__ = "session_weeks"
    site: Mapped[str] = mapped_column(String(80), primary_key=True)
    week: Mapped[int] = mapped_column(Integer, primary_key=True)  # week_of(day)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure: Mapped[str] = mapped_column(String(1), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


Key = tuple[str, str, int]  # measure, key, bucket
_DAYS = cast(Table, SessionDay.__table__)
_WEEKS = cast(Table, SessionWeek.__table__)
# the loose days of a window (at most 12 beside its weeks) are read by day: an index
# of its own (the primary key leads with the site)
Index("ix_session_days_day", _DAYS.c.day)
_SESSIONS = cast(Table, ServiceSession.__table__)


def day_of(at: float) -> int:
    """The day (UTC+8) of a moment, as days since 1970-01-01."""
    return math.floor((at + CST_S) / DAY_S)


def day_start(day: int) -> float:
    return float(day * DAY_S - CST_S)


def week_of(day: int) -> int:
    """The week (Monday to Sunday) a day is in: 1970-01-05, day 4, was a Monday."""
    return (day + 3) // 7


def week_start(week: int) -> int:
    """The week's Monday, as a day."""
    return week * 7 - 3


def spans(first: int, last: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """The days first..last (both in) as the whole weeks in them (first, last week;
    None: no whole week) and the loose days before and after (day ranges, both in)."""
    if last < first:
        return None, []
    week_one = week_of(first) + (week_start(week_of(first)) != first)
    week_end = week_of(last) - (week_start(week_of(last)) + 6 != last)
    if week_end < week_one:
        return None, [(first, last)]
    loose = [(first, week_start(week_one) - 1), (week_start(week_end) + 7, last)]
    return (week_one, week_end), [(a, b) for a, b in loose if a <= b]


EVERY_SITE = None  # `summed`'s site: every site's own rows (not the fleet's)


def summed(first: int, last: int, site: str | None, service: str | None, measures: str,
           by_day: bool = False) -> Any:  # fmt: skip
    """A subquery of the roll-ups' rows of days first..last: whole weeks from the
    weeks', the loose days from the days' (`by_day`: every day from the days', as a
    column `day`). Columns: site, service, measure, key, bucket, count (and day).
    `site`: one site's rows, the fleet's (FLEET), or every site's (EVERY_SITE)."""
    weeks, loose = (None, [(first, last)]) if by_day else spans(first, last)
    parts = []
    for table, ranges in ((_WEEKS, [weeks] if weeks else []), (_DAYS, loose)):
        if not ranges:
            continue
        period = table.c.week if table is _WEEKS else table.c.day
        columns = [table.c.site, table.c.service, table.c.measure, table.c.key, table.c.bucket,
                   table.c.count, *([period.label("day")] if by_day else [])]  # fmt: skip
        query = select(*columns).where(or_(*(period.between(a, b) for a, b in ranges)),
                                       table.c.measure.in_(list(measures)))  # fmt: skip
        query = query.where(table.c.site != FLEET if site is None else table.c.site == site)
        if service is not None:
            query = query.where(table.c.service == service)
        parts.append(query)
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


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


def _adding(dialect: Any, table: Table) -> Any:
    made = dialect.insert(table)
    return made.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"count": table.c.count + made.excluded["count"]},
    )


_ADD = {(name, period): _adding(dialect, table) for name, dialect in
        (("sqlite", sqlite), ("postgresql", postgresql))
        for period, table in (("day", _DAYS), ("week", _WEEKS))}  # fmt: skip


def add(connection: Connection, totals: Totals, weeks: bool = True) -> None:
    """Adds the counts to the days' roll-ups and to their weeks': a statement each,
    its rows in key order (two transactions adding to the same rows take their locks
    in one order)."""
    if not totals:
        return
    by_week: Totals = Counter()
    for (site, day, service, measure, key, b), n in totals.items() if weeks else ():
        by_week[(site, week_of(day), service, measure, key, b)] += n
    for period, counted in (("day", totals), ("week", by_week)):
        if not counted:
            continue
        columns = ("site", period, "service", "measure", "key", "bucket")
        rows = [{**dict(zip(columns, k, strict=True)), "count": n}
                for k, n in sorted(counted.items())]  # fmt: skip
        connection.execute(_ADD[(connection.dialect.name, period)], rows)


def add_sessions(connection: Connection, site: str, sessions: Iterable[Mapping[str, Any]]) -> None:
    """At ingest: the sessions' ends of one batch (one terminal's, at `site`: the site
    the terminal stands at now; a terminal moved later keeps its past where it was)."""
    totals: Totals = Counter()
    for session in sessions:
        count_in(totals, site, session)
    add(connection, totals)


def rebuild(connection: Connection, chunk: int = 5000) -> int:
    """The roll-ups made anew from `service_sessions` (migration 0012's backfill), a
    day at a time in the order of the sessions' ends, then the weeks from the days.
    Returns the sessions counted. Sites by the terminals' names: migration 0012 runs
    before terminals had a site (0014)."""
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
            add(connection, totals, weeks=False)
            totals, day = Counter(), day_of(session["ended_at"])
        name = names.get(session["terminal_id"], session["terminal_id"])
        count_in(totals, site_of(name), session)
        counted += 1
    add(connection, totals, weeks=False)
    if inspect(connection).has_table("session_weeks"):  # 0012 runs this before 0016 made it
        rebuild_weeks(connection)
    return counted


def rebuild_weeks(connection: Connection) -> None:
    """The weeks' roll-ups made anew from the days' (migration 0016's backfill)."""
    connection.execute(delete(_WEEKS))
    week = ((_DAYS.c.day + 3) // 7).label("week")  # days after 1970: floor = truncation
    grouping = [_DAYS.c.site, week, _DAYS.c.service, _DAYS.c.measure, _DAYS.c.key,
                _DAYS.c.bucket]  # fmt: skip
    summed = select(*grouping, func.sum(_DAYS.c.count)).group_by(*grouping)
    columns = ["site", "week", "service", "measure", "key", "bucket", "count"]
    connection.execute(insert(_WEEKS).from_select(columns, summed))
