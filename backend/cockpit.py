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
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.console import Viewer
from backend.db import ServiceSession, Terminal
from backend.problems import responses
from backend.tables import csv_answer, terminal_site
from wire.sync import CODE, TERMINAL_ID

router = APIRouter(tags=["console"])
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
        for name, count in sorted(reached.items(), key=lambda kv: (-kv[1], first_at[kv[0]]))
    ]  # fmt: skip
    ends: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        ends[row.end][row.reason] += 1
    gave_up = Counter(row.exit_step for row in rows if row.end in GAVE_UP and row.exit_step)
    return {
        "sessions": total,
        "steps": steps,
        "ends": [
            {
                "end": end,
                "count": sum(reasons.values()),
                "reasons": [{"reason": r, "count": c} for r, c in reasons.most_common()],
            }
            for end, reasons in sorted(ends.items(), key=lambda kv: -sum(kv[1].values()))
        ],
        "gave_up": [
            {
                "step": step,
                "count": count,
                "reached": reached[step],
                "rate": round(count / reached[step], 4) if reached[step] else None,
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
    for row in rows:
        seconds: dict[str, float] = defaultdict(float)  # a step visited twice: its sum
        for step in row.steps or []:
            seconds[step["step"]] += step["s"]
            kinds.setdefault(step["step"], (step["kind"], step["who"]))
        for name, s in seconds.items():
            per_step[name].append(s)
    return {
        "sessions": len(rows),
        "duration": _spread(r.duration_s for r in rows),
        "machine": _spread(r.machine_s for r in rows),
        "citizen": _spread(r.citizen_s for r in rows),
        "steps": [
            {"step": name, "kind": kinds[name][0], "who": kinds[name][1], **_spread(values)}
            for name, values in sorted(per_step.items(), key=lambda kv: -len(kv[1]))
        ],
    }


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
    rows, since, until = _rows(request, service, site, terminal, since, until, by)
    groups = [
        {"group": group, "service": name, **_funnel(part)}
        for (group, name), part in _groups(rows).items()
    ]
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
    rows, since, until = _rows(request, service, site, terminal, since, until, by)
    groups = [
        {"group": group, "service": name, **_durations(part)}
        for (group, name), part in _groups(rows).items()
    ]
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
