"""数据驾驶舱: service funnels and handling times, from the sessions' ends the terminals
report (backend/records.py fills `service_sessions`; docs/cockpit.md).

`/console/api/funnel`: per service, how many sessions reached each step, how they
ended (with the reasons), and the steps where citizens gave up, ranked.
`/console/api/durations`: median and p90 of a session's time per service and of each
step's, machine time and citizen time apart. Both for viewers and above, grouped by
terminal, site or day on request, each table also as CSV (`format=csv&table=...`).

A terminal's site is its name without the last word ("北京 海淀 1号机": "北京 海淀").
Days are China Standard Time (UTC+8), by the terminal's clock at the session's end.
Percentiles interpolate linearly between ranks (numpy's default), in Python: the
same answer on SQLite and PostgreSQL.

At scale (issue #24: a thousand terminals, 90 days) the whole days of a window are read
from the roll-ups (backend/rollups.py, per site and for the fleet: its whole weeks from
the weeks', the loose days from the days'), summed in SQL; a window's partial first or
last day from its sessions (or from its roll-up less the sessions outside the window,
whichever is fewer). The percentiles are then read
from histograms, within `rollups.ERROR_REL` and `ERROR_ABS` of the exact value; the
counts stay exact. A question about one terminal, by terminal, or about a window with
no whole day in it reads the sessions themselves, and its percentiles are exact.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from backend import rollups
from backend.console import Viewer
from backend.db import ServiceSession, Terminal
from backend.problems import responses
from backend.tables import csv_answer, terminal_site
from wire.sync import CODE, TERMINAL_ID

router = APIRouter(tags=["console"])
TEXTS = Path(__file__).with_name("console") / "texts.json"  # made from the flows (the tests)
CST = timezone(timedelta(hours=8))
DEFAULT_WINDOW_S = 30 * 86_400
MAX_SESSIONS = 200_000  # read at most this many (the newest) per request
GAVE_UP = ("cancelled", "timed_out")

Service = Annotated[str | None, Query(pattern=CODE, description="a flow, e.g. id_renewal")]
Site = Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f]+$")]
TerminalId = Annotated[str | None, Query(pattern=TERMINAL_ID)]
Since = Annotated[float | None, Query(ge=0, le=1e11, description="epoch s (default: 30 days)")]
Until = Annotated[float | None, Query(ge=0, le=1e11, description="epoch s (default: now)")]
By = Annotated[Literal["terminal", "site", "day"] | None, Query(description="one row per group")]
Format = Annotated[Literal["json", "csv"], Query(alias="format")]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}, "description": "the tables"}
}


@dataclass(frozen=True)
class _Row:
    group: str | None
    service: str
    end: str
    reason: str
    exit_step: str | None
    steps: list[dict[str, Any]] | None
    duration_s: float | None
    machine_s: float | None
    citizen_s: float | None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolated linearly between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 2)


def _rows(
    request: Request,
    service: str | None,
    site: str | None,
    terminal: str | None,
    since: float | None,
    until: float | None,
    by: str | None,
) -> tuple[list[_Row], float, float]:
    now = request.app.state.clock()
    until = now if until is None else until
    since = until - DEFAULT_WINDOW_S if since is None else since
    table = ServiceSession
    query = (
        select(table, Terminal.name, Terminal.site)
        .join(Terminal, Terminal.id == table.terminal_id)
        .where(table.ended_at >= since, table.ended_at < until)
        .order_by(table.ended_at.desc())
        .limit(MAX_SESSIONS)
    )
    if service is not None:
        query = query.where(table.service == service)
    if terminal is not None:
        query = query.where(table.terminal_id == terminal)
    rows = []
    with Session(request.app.state.engine) as db:
        for found, name, own_site in db.execute(query):
            where = terminal_site(name, own_site)
            if site is not None and where != site:
                continue
            group = {
                "terminal": found.terminal_id,
                "site": where,
                "day": datetime.fromtimestamp(found.ended_at, CST).date().isoformat(),
            }.get(by or "")
            rows.append(_Row(group, found.service, found.end, found.reason, found.exit_step,
                             found.steps, found.duration_s, found.machine_s,
                             found.citizen_s))  # fmt: skip
    return rows, since, until


def _groups(rows: list[_Row]) -> dict[tuple[str | None, str], list[_Row]]:
    grouped: dict[tuple[str | None, str], list[_Row]] = defaultdict(list)
    for row in rows:
        grouped[(row.group, row.service)].append(row)
    return dict(sorted(grouped.items(), key=lambda item: (item[0][0] or "", item[0][1])))


def _funnel(rows: list[_Row]) -> dict[str, Any]:
    reached: Counter[str] = Counter()
    first_at: dict[str, float] = {}
    kinds: dict[str, tuple[str, str]] = {}
    for row in rows:
        seen: set[str] = set()
        for index, step in enumerate(row.steps or []):
            name = step["step"]
            kinds.setdefault(name, (step["kind"], step["who"]))
            first_at[name] = min(first_at.get(name, index), index)
            if name not in seen:
                seen.add(name)
                reached[name] += 1
    total = len(rows)
    steps = [
        {"step": name, "kind": kinds[name][0], "who": kinds[name][1], "reached": count,
         "share": round(count / total, 4)}
        for name, count in sorted(reached.items(),
                                  key=lambda kv: (-kv[1], first_at[kv[0]], kv[0]))
    ]  # fmt: skip
    ends: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        ends[row.end][row.reason] += 1
    gave_up = Counter(row.exit_step for row in rows if row.end in GAVE_UP and row.exit_step)
    return {"sessions": total, "steps": steps, **_ends_and_gave_up(ends, gave_up, reached)}


def _ends_and_gave_up(
    ends: dict[str, Counter[str]], gave_up: Counter[str], reached: dict[str, int]
) -> dict[str, list[dict[str, Any]]]:
    """A funnel's `ends` (each end with its reasons, most first) and `gave_up` (the exit
    steps of those who gave up, ranked, with the rate among those that reached them)."""
    return {
        "ends": [
            {
                "end": end,
                "count": sum(reasons.values()),
                "reasons": [
                    {"reason": r, "count": c}
                    for r, c in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
                ],
            }
            for end, reasons in sorted(ends.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "gave_up": [
            {
                "step": step,
                "count": count,
                "reached": reached.get(step, 0),
                "rate": round(count / reached[step], 4) if reached.get(step) else None,
            }
            for step, count in sorted(gave_up.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def _spread(values: Iterable[float | None]) -> dict[str, float | int | None]:
    known = [v for v in values if v is not None]
    return {"n": len(known), "median": percentile(known, 50), "p90": percentile(known, 90)}


def _durations(rows: list[_Row]) -> dict[str, Any]:
    per_step: dict[str, list[float]] = defaultdict(list)
    kinds: dict[str, tuple[str, str]] = {}
    first_at: dict[str, int] = {}
    for row in rows:
        seconds: dict[str, float] = defaultdict(float)  # a step visited twice: its sum
        for index, step in enumerate(row.steps or []):
            seconds[step["step"]] += step["s"]
            kinds.setdefault(step["step"], (step["kind"], step["who"]))
            first_at[step["step"]] = min(first_at.get(step["step"], index), index)
        for name, s in seconds.items():
            per_step[name].append(s)
    return {
        "sessions": len(rows),
        "duration": _spread(r.duration_s for r in rows),
        "machine": _spread(r.machine_s for r in rows),
        "citizen": _spread(r.citizen_s for r in rows),
        "steps": [
            {"step": name, "kind": kinds[name][0], "who": kinds[name][1], **_spread(values)}
            for name, values in sorted(
                per_step.items(), key=lambda kv: (-len(kv[1]), first_at[kv[0]], kv[0])
            )
        ],
    }


# -- from the roll-ups -----------------------------------------------------------

_SESSIONS = cast(Table, ServiceSession.__table__)
_COUNTED = [_SESSIONS.c[name] for name in
            ("terminal_id", "service", "ended_at", "end", "reason", "exit_step", "steps",
             "duration_s", "machine_s", "citizen_s")]  # fmt: skip
Counts = dict[tuple[str | None, str], Counter[rollups.Key]]


def _window(request: Request, since: float | None, until: float | None) -> tuple[float, float]:
    until = request.app.state.clock() if until is None else until
    return (until - DEFAULT_WINDOW_S if since is None else since), until


def _days(since: float, until: float) -> tuple[list[int], list[tuple[int, float, float]]]:
    """The whole days (UTC+8) in [since, until), and the parts of days at its ends:
    (day, from, to)."""
    if until <= since:
        return [], []
    first, last = rollups.day_of(since), rollups.day_of(until)
    if rollups.day_start(last) >= until:
        last -= 1
    edges = []
    if since > rollups.day_start(first):
        edges.append((first, since, min(until, rollups.day_start(first + 1))))
        first += 1
    if last >= first and until < rollups.day_start(last + 1):
        edges.append((last, max(since, rollups.day_start(last)), until))
        last -= 1
    return list(range(first, last + 1)), edges


def _iso(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def _rolled(
    db: Session, service: str | None, site: str | None, since: float, until: float,
    by: str | None, measures: str,
) -> Counts:  # fmt: skip
    """The counts of [since, until) per group and service: the whole days' roll-ups
    summed in SQL, each partial day from whichever is fewer: its sessions in the
    window, or its roll-up less its sessions outside the window."""
    whole, edges = _days(since, until)
    names: dict[str, str] = {
        t: terminal_site(n, own) for t, n, own in db.execute(
            select(Terminal.id, Terminal.name, Terminal.site)
        )
    }  # fmt: skip
    chosen = None if site is None else [t for t, where in names.items() if where == site]
    counts: Counts = defaultdict(Counter)

    def sessions(lo: float, hi: float) -> Any:
        query = select(*_COUNTED).where(_SESSIONS.c.ended_at >= lo, _SESSIONS.c.ended_at < hi)
        if service is not None:
            query = query.where(_SESSIONS.c.service == service)
        if chosen is not None:
            query = query.where(_SESSIONS.c.terminal_id.in_(chosen))
        return query

    def how_many(lo: float, hi: float) -> int:
        if hi <= lo:
            return 0
        inner = sessions(lo, hi).with_only_columns(_SESSIONS.c.record_seq).subquery()
        return int(db.scalar(select(func.count()).select_from(inner)) or 0)

    def count(lo: float, hi: float, sign: int) -> None:
        if hi <= lo:
            return
        for row in db.execute(sessions(lo, hi)):
            found = row._mapping
            where = names.get(found["terminal_id"], found["terminal_id"])
            group = {"site": where, "day": _iso(rollups.day_of(found["ended_at"]))}.get(by or "")
            part = counts[(group, found["service"])]
            for key, n in rollups.contributions(found).items():
                part[key] += sign * n

    for day, lo, hi in edges:
        start, end = rollups.day_start(day), rollups.day_start(day + 1)
        inside, outside = how_many(lo, hi), how_many(start, lo) + how_many(hi, end)
        if outside == 0:
            whole.append(day)
        elif inside <= outside:
            count(lo, hi, 1)
        else:
            whole.append(day)
            count(start, lo, -1)
            count(hi, end, -1)
    if whole:  # contiguous: the edges were the first and the last day
        # whole weeks from the weeks' roll-ups, the loose days from the days' (by day:
        # every day from the days')
        rows_of = site if site is not None else (
            rollups.EVERY_SITE if by == "site" else rollups.FLEET)  # fmt: skip
        rows = rollups.summed(min(whole), max(whole), rows_of, service, measures,
                              by_day=by == "day")  # fmt: skip
        grouping = [rows.c[by]] if by in ("site", "day") else []
        columns = [*grouping, rows.c.service, rows.c.measure, rows.c.key, rows.c.bucket]
        for row in db.execute(select(*columns, func.sum(rows.c.count)).group_by(*columns)):
            group = None
            if by == "site":
                group = row[0]
            elif by == "day":
                group = _iso(row[0])
            name, measure, key, bucket, n = row[-5:]
            counts[(group, name)][(measure, key, bucket)] += int(n)
    return {
        key: part for key, part in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
        if part[("n", "", 0)] > 0
    }  # fmt: skip


def _reached(counts: Counter[rollups.Key]) -> dict[str, tuple[int, int, str, str]]:
    """Each step reached: (sessions, first position, kind, who)."""
    found: dict[str, tuple[int, int, str, str]] = {}
    for (measure, key, bucket), n in counts.items():
        if measure == "r" and n > 0:
            step, kind, who = key.split("\t")
            reached, first, kind, who = found.get(step, (0, bucket, kind, who))
            found[step] = (reached + n, min(first, bucket), kind, who)
    return found


def _funnel_of(counts: Counter[rollups.Key]) -> dict[str, Any]:
    total = counts[("n", "", 0)]
    reached = _reached(counts)
    ends: dict[str, Counter[str]] = defaultdict(Counter)
    gave_up: Counter[str] = Counter()
    for (measure, key, _), n in counts.items():
        if measure == "e" and n > 0:
            end, reason = key.split("\t", 1)
            ends[end][reason] += n
        elif measure == "x" and n > 0:
            gave_up[key] += n
    steps = [
        {"step": step, "kind": kind, "who": who, "reached": n, "share": round(n / total, 4)}
        for step, (n, _, kind, who) in sorted(
            reached.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0])
        )
    ]
    counts_reached = {step: found[0] for step, found in reached.items()}
    return {"sessions": total, "steps": steps,
            **_ends_and_gave_up(ends, gave_up, counts_reached)}  # fmt: skip


def _spread_of(histogram: Counter[int]) -> dict[str, float | int | None]:
    return {"n": sum(n for n in histogram.values() if n > 0),
            "median": rollups.percentile(histogram, 50),
            "p90": rollups.percentile(histogram, 90)}  # fmt: skip


def _durations_of(counts: Counter[rollups.Key]) -> dict[str, Any]:
    histograms: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    for (measure, key, bucket), n in counts.items():
        if measure in "dmcs":
            histograms[(measure, key)][bucket] += n
    reached = _reached(counts)
    steps = []
    for (measure, step), histogram in histograms.items():
        if measure == "s":
            _, first, kind, who = reached.get(step, (0, 0, "", ""))
            steps.append((first, step, {"step": step, "kind": kind, "who": who,
                                        **_spread_of(histogram)}))  # fmt: skip
    steps.sort(key=lambda s: (-int(s[2]["n"] or 0), s[0], s[1]))
    return {
        "sessions": counts[("n", "", 0)],
        "duration": _spread_of(histograms[("d", "")]),
        "machine": _spread_of(histograms[("m", "")]),
        "citizen": _spread_of(histograms[("c", "")]),
        "steps": [s[2] for s in steps if s[2]["n"]],
    }


def _answer(
    request: Request, service: str | None, site: str | None, terminal: str | None,
    since: float | None, until: float | None, by: str | None, view: str,
) -> tuple[list[dict[str, Any]], float, float]:  # fmt: skip
    """The view's groups: from the roll-ups, or (one terminal, by terminal, a day or
    less) from the sessions themselves."""
    since, until = _window(request, since, until)
    if terminal is None and by != "terminal" and until - since > rollups.DAY_S:
        with Session(request.app.state.engine) as db:
            if db.get_bind().dialect.name == "postgresql":
                # a sum over a million rows or two: PostgreSQL's JIT would compile it anew
                # each time (a second, measured), and the default work_mem spills the
                # hash aggregate of a by-site question to disk
                db.execute(text("SET LOCAL jit = off"))
                db.execute(text("SET LOCAL work_mem = '64MB'"))
            measures = "nrex" if view == "funnel" else "nrdmcs"
            counted = _rolled(db, service, site, since, until, by, measures)
        build = _funnel_of if view == "funnel" else _durations_of
        return [{"group": g, "service": name, **build(part)}
                for (g, name), part in counted.items()], since, until  # fmt: skip
    rows, since, until = _rows(request, service, site, terminal, since, until, by)
    exact = _funnel if view == "funnel" else _durations
    return [{"group": g, "service": name, **exact(part)}
            for (g, name), part in _groups(rows).items()], since, until  # fmt: skip


def _csv(header: list[str], lines: Iterable[list[Any]], name: str) -> Response:
    return csv_answer(name, header, lines)


@router.get("/console/api/funnel", responses={**responses(403, 422), **CSV_RESPONSE})
def funnel(
    request: Request,
    who: Viewer,
    service: Service = None,
    site: Site = None,
    terminal: TerminalId = None,
    since: Since = None,
    until: Until = None,
    by: By = None,
    shape: Format = "json",
    table: Annotated[Literal["steps", "ends", "gave_up"], Query()] = "steps",
) -> Any:
    """Per service: the sessions that reached each step, how they ended (with the
    reason codes), and where citizens gave up (cancelled or timed out), ranked.
    CSV: one of the three tables (`table`)."""
    groups, since, until = _answer(request, service, site, terminal, since, until, by, "funnel")
    if shape == "json":
        return {"since": since, "until": until, "by": by, "groups": groups}
    if table == "steps":
        return _csv(
            ["group", "service", "sessions", "step", "kind", "who", "reached", "share"],
            ([g["group"], g["service"], g["sessions"], s["step"], s["kind"], s["who"],
              s["reached"], s["share"]] for g in groups for s in g["steps"]),
            "funnel-steps",
        )  # fmt: skip
    if table == "ends":
        return _csv(
            ["group", "service", "sessions", "end", "reason", "count"],
            ([g["group"], g["service"], g["sessions"], e["end"], r["reason"], r["count"]]
             for g in groups for e in g["ends"] for r in e["reasons"]),
            "funnel-ends",
        )  # fmt: skip
    return _csv(
        ["group", "service", "sessions", "rank", "step", "gave_up", "reached", "rate"],
        ([g["group"], g["service"], g["sessions"], rank, s["step"], s["count"], s["reached"],
          s["rate"]] for g in groups for rank, s in enumerate(g["gave_up"], 1)),
        "funnel-gave-up",
    )  # fmt: skip


@router.get("/console/api/durations", responses={**responses(403, 422), **CSV_RESPONSE})
def durations(
    request: Request,
    who: Viewer,
    service: Service = None,
    site: Site = None,
    terminal: TerminalId = None,
    since: Since = None,
    until: Until = None,
    by: By = None,
    shape: Format = "json",
    table: Annotated[Literal["services", "steps"], Query()] = "services",
) -> Any:
    """Per service: median and p90 of a session's time, of its machine time and of its
    citizen time, and of each step's. CSV: the services or the steps (`table`)."""
    groups, since, until = _answer(request, service, site, terminal, since, until, by, "durations")
    if shape == "json":
        return {"since": since, "until": until, "by": by, "groups": groups}
    if table == "services":
        return _csv(
            ["group", "service", "sessions", "measure", "n", "median_s", "p90_s"],
            ([g["group"], g["service"], g["sessions"], measure, g[measure]["n"],
              g[measure]["median"], g[measure]["p90"]]
             for g in groups for measure in ("duration", "machine", "citizen")),
            "durations",
        )  # fmt: skip
    return _csv(
        ["group", "service", "step", "kind", "who", "n", "median_s", "p90_s"],
        ([g["group"], g["service"], s["step"], s["kind"], s["who"], s["n"], s["median"],
          s["p90"]] for g in groups for s in g["steps"]),
        "durations-steps",
    )  # fmt: skip


# -- the citizen texts ---------------------------------------------------------------


@functools.cache
def texts() -> dict[str, Any]:
    """Each service's name and each step's citizen text in Chinese and English
    (backend/console/texts.json: made from the flows and the terminal's catalogue by
    tests/backend/test_wall_texts.py; the backend reads neither)."""
    found: dict[str, Any] = json.loads(TEXTS.read_text(encoding="utf-8"))
    return found


@router.get("/console/api/texts", responses=responses(403))
def service_texts(who: Viewer) -> dict[str, Any]:
    """Each service's name and each of its steps' citizen text, in Chinese (`zh_CN`)
    and English (`en`): `{"services": {service: {zh_CN, en, steps: {step: {zh_CN,
    en}}}}}`. A step or service not in it is shown by its id."""
    return texts()
