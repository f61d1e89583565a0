"""数据驾驶舱: forecasts and early warnings (预警), issue #24 part 4 (docs/cockpit.md).

- **Run-outs**: each terminal's consumables (paper, ribbon, card stock: whatever keys
  it reports) are sampled sparsely by its heartbeat (backend/terminals.py: a row when a
  level moved or an hour after the last one). The current run is the samples since
  the last rise (a refill); a least-squares line through them gives the rate and the
  time it reaches 0, flagged when that is tonight (before 08:00 China time) or within
  24 h.
- **Expected load**: sessions per site for each of the next 24 hours, from the same
  weekday and hour of the last `weeks` weeks in `service_sessions` (by the session's
  end): the mean and the sample standard deviation, a week without sessions counting
  0. A site is busy in an hour when the mean is above its capacity: its terminals
  (not revoked) times `sessions_per_terminal_hour`.
- **Failure rate**: each terminal's share of sessions ending `failed` in the last
  24 h against its own norm (the 30 days before): a warning when there were at least
  `MIN_SESSIONS` and the one-sided binomial tail P(X >= failed) under the norm (at
  least `NORM_FLOOR`) is below `ALPHA`.

**Warnings** are tracked items of their own table (an alert, backend/alerts.py, is
raised by an event and cleared; a warning is a condition that holds over time and
that people take through raised → acknowledged → resolved, with who and when). The
evaluation (`evaluate`) raises one per subject while its condition holds (`open_key`
is unique), resolves it (`resolution: cleared`) when the condition no longer holds,
and after an operator resolved one, raises it again only `REARM_S` later. It runs
when the console reads the warnings, at most once a minute per process, and from
`kiosk-backend warnings evaluate` (a systemd timer). Every change is in the audit
log."""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as InPath
from pydantic import BaseModel, Field
from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.db import ConsumableSample, EarlyWarning, ServiceSession, Terminal
from backend.limits import source
from backend.operators import SignedIn, signed_in
from backend.problems import responses
from backend.tables import csv_answer, models_csv, terminal_sites, to_move

router = APIRouter(tags=["console"])
Viewer = Annotated[SignedIn, Depends(signed_in("viewer"))]
OnDuty = Annotated[SignedIn, Depends(signed_in("operator"))]

CST = timezone(timedelta(hours=8))
HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0
MORNING_HOUR = 8  # "tonight" lasts until 08:00 China time, when the staff come in
SAMPLES_LOOKBACK_S = 7 * DAY  # run-outs fit the current run within the last week
SAMPLES_KEPT_S = 60 * DAY  # older samples are deleted by the evaluation
DEFAULT_WEEKS = 4
DEFAULT_PER_TERMINAL_HOUR = 6.0  # sessions one terminal handles in an hour
FAILURE_WINDOW_S = DAY
NORM_WINDOW_S = 30 * DAY
MIN_SESSIONS = 10  # fewer sessions in the window: no failure-rate warning
NORM_FLOOR = 0.01  # a norm of no failures at all is taken as 1 %
ALPHA = 1e-3  # the binomial tail below which the rate is above the norm
EVALUATE_EVERY_S = 60.0  # the console's reads evaluate at most this often
REARM_S = 6 * HOUR  # after an operator resolved a warning, its subject rests this long
KINDS = ("busy", "failure_rate", "runout")
WarningState = Literal["raised", "acknowledged", "resolved"]
MOVES: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"raised"}), "acknowledged"),
    "resolve": (frozenset({"raised", "acknowledged"}), "resolved"),
}
CSV: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "the same as a CSV table (?format=csv), a header row first",
}}  # fmt: skip


# -- run-outs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    level: int  # the last sample's
    run_started_at: float  # the first sample of the current run (after the last refill)
    samples: int  # in the current run
    rate_per_hour: float | None  # consumed an hour (positive), from the fitted line
    runs_out_at: float | None  # when the fitted line reaches 0; none when not consumed


def fit_run(samples: Sequence[tuple[float, int]]) -> Fit | None:
    """The current run of a (time, level) series in time order, and where its
    least-squares line reaches 0. A level that rose starts a new run (a refill). A
    level already at 0 ran out at the first of its zeros."""
    if not samples:
        return None
    start = 0
    for i in range(1, len(samples)):
        if samples[i][1] > samples[i - 1][1]:
            start = i
    run = samples[start:]
    t0, level = run[0][0], run[-1][1]
    fit = Fit(level, t0, len(run), None, None)
    if len(run) < 2 or run[-1][0] == t0:
        return fit
    n = len(run)
    xs = [t - t0 for t, _ in run]
    mean_x, mean_y = sum(xs) / n, sum(y for _, y in run) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, (_, y) in zip(xs, run, strict=True))
    slope = sxy / sxx
    if slope >= 0:
        return fit
    intercept = mean_y - slope * mean_x
    out = t0 - intercept / slope
    if level <= 0:  # it has run out: since the first of the trailing zeros
        out = next(t for t, y in run if y <= 0)
    return Fit(level, t0, n, -slope * HOUR, out)


def tonight_until(now: float) -> float:
    """The end of "tonight": the next 08:00 China time."""
    local = datetime.fromtimestamp(now, CST)
    morning = local.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning.timestamp()


class Runout(BaseModel):
    terminal: str
    where: str = Field(description="the terminal's name")
    site: str
    consumable: str = Field(description="as the terminal reports it: paper, ribbon, cards, ...")
    level: int = Field(description="the last level reported (percent or sheets left)")
    rate_per_hour: float | None = Field(description="consumed an hour over the current run")
    runs_out_at: float | None = Field(description="epoch s; null when it is not being consumed")
    tonight: bool = Field(description="runs out before 08:00 China time")
    within_24h: bool
    run_started_at: float = Field(description="the current run's first sample (after a refill)")
    samples: int = Field(description="samples in the current run")


def runouts(db: Session, now: float) -> list[Runout]:
    """Every consumable of every terminal not revoked, soonest run-out first."""
    terminals = {t: n for t, n in db.execute(
        select(Terminal.id, Terminal.name).where(Terminal.revoked_at.is_(None)))}  # fmt: skip
    sites = terminal_sites(db)
    series: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    found_rows: Sequence[Any] = db.execute(
        select(ConsumableSample.terminal_id, ConsumableSample.at, ConsumableSample.levels)
        .where(ConsumableSample.at >= now - SAMPLES_LOOKBACK_S, ConsumableSample.at <= now)
        .order_by(ConsumableSample.terminal_id, ConsumableSample.at, ConsumableSample.id)
    ).all()  # fmt: skip
    for terminal, at, levels in found_rows:
        if terminal in terminals:
            for name, level in levels.items():
                series[(terminal, name)].append((at, int(level)))
    night, day_after = tonight_until(now), now + DAY
    found = []
    for (terminal, name), samples in series.items():
        fit = fit_run(samples)
        assert fit is not None
        out = fit.runs_out_at
        found.append(Runout(
            terminal=terminal, where=terminals[terminal], site=sites[terminal],
            consumable=name, level=fit.level,
            rate_per_hour=None if fit.rate_per_hour is None else round(fit.rate_per_hour, 4),
            runs_out_at=None if out is None else round(out, 1),
            tonight=out is not None and out <= night,
            within_24h=out is not None and out <= day_after,
            run_started_at=fit.run_started_at, samples=fit.samples,
        ))  # fmt: skip
    found.sort(key=lambda r: (r.runs_out_at is None, r.runs_out_at or 0, r.where, r.consumable))
    return found


# -- expected load ------------------------------------------------------------------


class HourLoad(BaseModel):
    at: float = Field(description="the hour's start, epoch s")
    mean: float = Field(description="sessions expected: the mean of the same hour, past weeks")
    sd: float = Field(description="their sample standard deviation (0 with one week)")
    busy: bool = Field(description="mean above the site's capacity")


class SiteLoad(BaseModel):
    site: str
    terminals: int = Field(description="terminals at the site, not revoked")
    capacity: float = Field(description="sessions an hour: terminals × per terminal hour")
    hours: list[HourLoad]


class Load(BaseModel):
    weeks: int
    per_terminal_hour: float
    hours: list[float] = Field(description="the next 24 hours' starts, the current one first")
    sites: list[SiteLoad]


def expected_load(db: Session, now: float, weeks: int, per_terminal_hour: float) -> Load:
    """Per site, the sessions expected in each of the next 24 hours (the current hour
    first): the same weekday and hour of the last `weeks` weeks."""
    first = math.floor(now / HOUR)  # hours since the epoch: China time's hours too
    hours = [(first + j) * HOUR for j in range(24)]
    site_of_terminal = terminal_sites(db)
    active: dict[str, int] = defaultdict(int)
    for terminal, revoked in db.execute(select(Terminal.id, Terminal.revoked_at)):
        if revoked is None:
            active[site_of_terminal[terminal]] += 1
    hour = func.floor(ServiceSession.ended_at / HOUR)
    ranges = [and_(ServiceSession.ended_at >= hours[0] - k * WEEK,
                   ServiceSession.ended_at < hours[0] + DAY - k * WEEK)
              for k in range(1, weeks + 1)]  # fmt: skip
    counts: dict[str, list[list[int]]] = defaultdict(lambda: [[0] * weeks for _ in range(24)])
    grouped: Sequence[Any] = db.execute(
        select(ServiceSession.terminal_id, hour, func.count()).where(or_(*ranges))
        .group_by(ServiceSession.terminal_id, hour)
    ).all()  # fmt: skip
    for terminal, bucket, n in grouped:
        site = site_of_terminal.get(terminal, terminal)
        for k in range(1, weeks + 1):
            slot = int(bucket) + k * 168 - first
            if 0 <= slot < 24:
                counts[site][slot][k - 1] += int(n)
    sites = []
    for site in sorted(set(counts) | set(active)):
        capacity = active.get(site, 0) * per_terminal_hour
        rows = []
        for j, per_week in enumerate(counts[site]):
            mean = sum(per_week) / weeks
            sd = (math.sqrt(sum((c - mean) ** 2 for c in per_week) / (weeks - 1))
                  if weeks > 1 else 0.0)  # fmt: skip
            rows.append(HourLoad(at=hours[j], mean=round(mean, 3), sd=round(sd, 3),
                                 busy=capacity > 0 and mean > capacity))  # fmt: skip
        sites.append(SiteLoad(site=site, terminals=active.get(site, 0), capacity=capacity,
                              hours=rows))  # fmt: skip
    return Load(weeks=weeks, per_terminal_hour=per_terminal_hour, hours=hours, sites=sites)


# -- failure rates ------------------------------------------------------------------


@dataclass(frozen=True)
class FailureRate:
    terminal: str
    sessions: int  # in the last 24 h
    failed: int
    norm_sessions: int  # in the 30 days before
    norm_failed: int
    norm: float  # the share expected (NORM_FLOOR at least)
    p_value: float  # P(X >= failed) under the norm

    @property
    def above(self) -> bool:
        return (self.sessions >= MIN_SESSIONS and self.failed / self.sessions > self.norm
                and self.p_value < ALPHA)  # fmt: skip


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if p >= 1:
        return 1.0
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p) for i in range(k, n + 1)]  # fmt: skip
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def failure_rates(db: Session, now: float) -> list[FailureRate]:
    recent = ServiceSession.ended_at >= now - FAILURE_WINDOW_S
    failed = ServiceSession.end == "failed"
    rows: Sequence[Any] = db.execute(
        select(ServiceSession.terminal_id,
               func.sum(case((recent, 1), else_=0)),
               func.sum(case((recent & failed, 1), else_=0)),
               func.sum(case((~recent, 1), else_=0)),
               func.sum(case((~recent & failed, 1), else_=0)))
        .where(ServiceSession.ended_at >= now - FAILURE_WINDOW_S - NORM_WINDOW_S,
               ServiceSession.ended_at < now)
        .group_by(ServiceSession.terminal_id)
    ).all()  # fmt: skip
    found = []
    for terminal, n, f, norm_n, norm_f in rows:
        n, f, norm_n, norm_f = int(n or 0), int(f or 0), int(norm_n or 0), int(norm_f or 0)
        norm = max(NORM_FLOOR, (norm_f + 1) / (norm_n + 2))  # one of each, as if seen
        found.append(FailureRate(terminal, n, f, norm_n, norm_f, norm, binomial_tail(f, n, norm)))
    return found


# -- the evaluation -----------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    kind: str
    subject: str
    terminal: str | None
    site: str | None
    detail: str
    value: float | None
    threshold: float | None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


@dataclass
class Evaluated:
    raised: int = 0
    cleared: int = 0
    still: int = 0

    def line(self) -> str:
        return f"warnings: {self.raised} raised, {self.cleared} cleared, {self.still} still open"


def conditions(db: Session, now: float, weeks: int, per_terminal_hour: float) -> list[Condition]:
    """What holds now: sites expected busy, terminals failing above their norm,
    consumables running out within 24 h."""
    found = []
    for site in expected_load(db, now, weeks, per_terminal_hour).sites:
        busy = [h for h in site.hours if h.busy]
        if busy:
            peak = max(busy, key=lambda h: h.mean)
            when = datetime.fromtimestamp(peak.at, CST).strftime("%m-%d %H:00")
            found.append(Condition(
                "busy", site.site, None, site.site,
                f"预计繁忙 expected busy: {peak.mean:g} sessions at {when} (UTC+8), capacity "
                f"{site.capacity:g}; {len(busy)} busy hour(s) in the next 24 h",
                peak.mean, site.capacity))  # fmt: skip
    sites = terminal_sites(db)
    for rate in failure_rates(db, now):
        if rate.above:
            found.append(Condition(
                "failure_rate", rate.terminal, rate.terminal,
                sites.get(rate.terminal, rate.terminal),
                f"故障率升高 failure rate up: {rate.failed}/{rate.sessions} sessions failed in "
                f"24 h, norm {rate.norm:.1%} ({rate.norm_failed}/{rate.norm_sessions} in 30 "
                f"days), p = {rate.p_value:.1e}",
                round(rate.failed / rate.sessions, 4), round(rate.norm, 4)))  # fmt: skip
    for out in runouts(db, now):
        if out.within_24h and out.runs_out_at is not None:
            when = datetime.fromtimestamp(out.runs_out_at, CST).strftime("%m-%d %H:%M")
            found.append(Condition(
                "runout", f"{out.terminal}:{out.consumable}", out.terminal, out.site,
                f"耗材将用尽 running out: {out.consumable} at {out.level}, empty about {when} "
                f"(UTC+8){', tonight' if out.tonight else ''}",
                out.runs_out_at, None))  # fmt: skip
    return found


def evaluate(engine: Engine, now: float, weeks: int = DEFAULT_WEEKS,
             per_terminal_hour: float = DEFAULT_PER_TERMINAL_HOUR) -> Evaluated:  # fmt: skip
    """Raises, refreshes and clears the warnings in one transaction; another
    evaluation racing it (another process) wins the raise and this one tries again."""
    for attempt in range(3):
        try:
            return _evaluate(engine, now, weeks, per_terminal_hour)
        except IntegrityError:  # two raised the same subject at once: theirs stands
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _evaluate(engine: Engine, now: float, weeks: int, per_terminal_hour: float) -> Evaluated:
    done = Evaluated()
    with Session(engine) as db, db.begin():
        holding = {c.key: c for c in conditions(db, now, weeks, per_terminal_hour)}
        open_ = {w.open_key: w for w in db.scalars(
            select(EarlyWarning).where(EarlyWarning.open_key.is_not(None)))}  # fmt: skip
        for key, warning in open_.items():
            condition = holding.get(key or "")
            if condition is None:
                warning.state, warning.open_key = "resolved", None
                warning.resolved_at, warning.resolution = now, "cleared"
                _audit(db, now, "warnings", "warning_cleared", warning, "the condition cleared")
                done.cleared += 1
            else:
                warning.seen_at, warning.detail = now, condition.detail
                warning.value, warning.threshold = condition.value, condition.threshold
                done.still += 1
        resting = set(db.scalars(
            select(EarlyWarning.kind + ":" + EarlyWarning.subject)
            .where(EarlyWarning.resolution == "operator", EarlyWarning.resolved_at > now - REARM_S)
        ))  # fmt: skip
        for key, c in holding.items():
            if key in open_ or key in resting:
                continue
            warning = EarlyWarning(kind=c.kind, subject=c.subject, open_key=key,
                                   terminal_id=c.terminal, site=c.site, detail=c.detail,
                                   value=c.value, threshold=c.threshold, state="raised",
                                   raised_at=now, seen_at=now)  # fmt: skip
            db.add(warning)
            db.flush()
            _audit(db, now, "warnings", "warning_raised", warning, c.detail)
            done.raised += 1
        db.execute(delete(ConsumableSample).where(ConsumableSample.at < now - SAMPLES_KEPT_S))
    return done


def _audit(
    db: Session,
    now: float,
    actor: str,
    action: str,
    warning: EarlyWarning,
    detail: str,
    who: SignedIn | None = None,
    source: str | None = None,
) -> None:
    audit(db, now, "operator" if who else "system", actor, action,
          f"warning {warning.id} {warning.kind} {warning.subject}", detail,
          session=who.session if who else None, source=source)  # fmt: skip


_EVALUATING = threading.Lock()


def evaluate_now_and_then(request: Request) -> None:
    """The console's read evaluates first, at most once a minute in this process."""
    state = request.app.state
    now = state.clock()
    if now - getattr(state, "warnings_evaluated_at", -math.inf) < EVALUATE_EVERY_S:
        return
    if not _EVALUATING.acquire(blocking=False):
        return  # another request is at it
    try:
        evaluate(state.engine, now, DEFAULT_WEEKS, state.sessions_per_terminal_hour)
        state.warnings_evaluated_at = now
    finally:
        _EVALUATING.release()


# -- the endpoints ------------------------------------------------------------------


class Forecast(BaseModel):
    now: float
    tonight_until: float = Field(description="08:00 China time next: the end of tonight")
    runouts: list[Runout] = Field(description="soonest first; those not consumed last")
    load: Load


Format = Annotated[Literal["json", "csv"], Query(alias="format")]
LOAD_COLUMNS = ["site", "terminals", "capacity", "at", "hour", "mean", "sd", "busy"]


@router.get("/console/api/forecast", response_model=Forecast,
            responses={**CSV, **responses(403, 422)})  # fmt: skip
def forecast(
    request: Request,
    who: Viewer,
    weeks: Annotated[int, Query(ge=1, le=12, description="weeks of history")] = DEFAULT_WEEKS,
    table: Literal["runouts", "load"] = "runouts",
    format: Format = "json",
) -> Forecast | Response:
    """Consumables' run-out times per terminal, and the sessions expected per site in
    each of the next 24 hours. CSV: `table=runouts` or `table=load` (a row a site and
    hour)."""
    state = request.app.state
    now = state.clock()
    with Session(state.engine) as db:
        outs = runouts(db, now)
        load = expected_load(db, now, weeks, state.sessions_per_terminal_hour)
    if format == "csv":
        if table == "runouts":
            return models_csv("runouts", Runout, outs)
        lines = ([s.site, s.terminals, s.capacity, h.at,
                  datetime.fromtimestamp(h.at, CST).strftime("%Y-%m-%d %H:00"), h.mean, h.sd,
                  h.busy] for s in load.sites for h in s.hours)  # fmt: skip
        return csv_answer("expected-load", LOAD_COLUMNS, lines)
    return Forecast(now=now, tonight_until=tonight_until(now), runouts=outs, load=load)


class WarningItem(BaseModel):
    id: int
    kind: Literal["busy", "failure_rate", "runout"]
    subject: str = Field(description="the site, the terminal, or terminal:consumable")
    terminal: str | None
    where: str | None = Field(description="the terminal's name")
    site: str | None
    detail: str
    value: float | None
    threshold: float | None
    state: WarningState
    raised_at: float
    seen_at: float = Field(description="the last evaluation that found the condition")
    acknowledged_at: float | None
    acknowledged_by: str | None
    resolved_at: float | None
    resolved_by: str | None = Field(description="null when it cleared by itself")
    resolution: Literal["operator", "cleared"] | None


class WarningList(BaseModel):
    now: float
    evaluated_at: float | None
    open: int = Field(description="warnings not resolved, of all")
    warnings: list[WarningItem] = Field(description="not resolved first, the newest first")


def _item(row: EarlyWarning, names: dict[str, str]) -> WarningItem:
    return WarningItem(
        id=row.id, kind=row.kind, subject=row.subject, terminal=row.terminal_id,
        where=names.get(row.terminal_id) if row.terminal_id else None, site=row.site,
        detail=row.detail, value=row.value, threshold=row.threshold, state=row.state,
        raised_at=row.raised_at, seen_at=row.seen_at, acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by, resolved_at=row.resolved_at,
        resolved_by=row.resolved_by, resolution=row.resolution,
    )  # fmt: skip


@router.get("/console/api/warnings", response_model=WarningList,
            responses={**CSV, **responses(403, 422)})  # fmt: skip
def warnings(
    request: Request,
    who: Viewer,
    state: Literal["raised", "acknowledged", "resolved", "open"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    format: Format = "json",
) -> WarningList | Response:
    """The early warnings, evaluated first (at most once a minute); `state=open` for
    those not resolved."""
    evaluate_now_and_then(request)
    query = select(EarlyWarning)
    if state == "open":
        query = query.where(EarlyWarning.state != "resolved")
    elif state is not None:
        query = query.where(EarlyWarning.state == state)
    query = query.order_by(EarlyWarning.state == "resolved", EarlyWarning.raised_at.desc(),
                           EarlyWarning.id.desc()).limit(limit)  # fmt: skip
    with Session(request.app.state.engine) as db:
        names = dict(db.execute(select(Terminal.id, Terminal.name)).all())
        found = [_item(row, names) for row in db.scalars(query)]
        still = db.scalar(select(func.count()).select_from(EarlyWarning)
                          .where(EarlyWarning.state != "resolved"))  # fmt: skip
    if format == "csv":
        return models_csv("warnings", WarningItem, found)
    evaluated = getattr(request.app.state, "warnings_evaluated_at", None)
    return WarningList(now=request.app.state.clock(), evaluated_at=evaluated,
                       open=int(still or 0), warnings=found)  # fmt: skip


WarningId = Annotated[int, InPath(ge=1, le=2**31 - 1)]


def _move(request: Request, who: SignedIn, warning_id: int, action: str) -> WarningItem:
    allowed, becomes = MOVES[action]
    now = request.app.state.clock()
    with Session(request.app.state.engine) as db, db.begin():
        row = to_move(db, EarlyWarning, warning_id, "warning", action, allowed)
        if action == "acknowledge":
            row.acknowledged_at, row.acknowledged_by = now, who.name
        else:
            row.resolved_at, row.resolved_by, row.resolution = now, who.name, "operator"
            row.open_key = None
        row.state = becomes
        _audit(db, now, who.name, f"warning_{action}", row, "", who,
               source(request, request.app.state.limits))  # fmt: skip
        db.flush()
        names = dict(db.execute(select(Terminal.id, Terminal.name)).all())
        return _item(row, names)


@router.post("/console/api/warnings/{warning_id}/acknowledge", response_model=WarningItem,
             responses=responses(403, 404, 409, 422))  # fmt: skip
def acknowledge(request: Request, warning_id: WarningId, who: OnDuty) -> WarningItem:
    """Someone is on it: a raised warning becomes acknowledged, with who and when."""
    return _move(request, who, warning_id, "acknowledge")


@router.post("/console/api/warnings/{warning_id}/resolve", response_model=WarningItem,
             responses=responses(403, 404, 409, 422))  # fmt: skip
def resolve(request: Request, warning_id: WarningId, who: OnDuty) -> WarningItem:
    """Dealt with: a raised or acknowledged warning is resolved by this operator; its
    subject is not raised again for six hours."""
    return _move(request, who, warning_id, "resolve")


# -- `kiosk-backend warnings evaluate` ----------------------------------------------


class WarningsCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        from backend.serve import _common

        parser = sub.add_parser("warnings", help="early warnings: evaluate (for a systemd timer)")
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        run = actions.add_parser("evaluate", help="raise and clear the warnings now")
        run.add_argument(
            "--weeks",
            type=int,
            default=DEFAULT_WEEKS,
            metavar="N",
            help=f"weeks of history for the expected load ({DEFAULT_WEEKS})",
        )
        run.add_argument("--sessions-per-terminal-hour", type=float,
                         default=DEFAULT_PER_TERMINAL_HOUR, metavar="N",
                         help="a site is busy above its terminals times this "
                         f"({DEFAULT_PER_TERMINAL_HOUR:g})")  # fmt: skip
        _common(run)
        run.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        from backend.db import make_engine, migrate
        from backend.serve import _db_url, _line

        if not 1 <= args.weeks <= 12 or not args.sessions_per_terminal_hour > 0:
            print("kiosk-backend: --weeks 1 to 12, --sessions-per-terminal-hour above 0",
                  file=sys.stderr)  # fmt: skip
            return 2
        engine = None
        try:
            engine = make_engine(_db_url(args))
            migrate(engine)
            done = evaluate(engine, time.time(), args.weeks, args.sessions_per_terminal_hour)
        except Exception as exc:  # a bad URL, an unreachable database
            print(f"kiosk-backend: cannot evaluate the warnings: {_line(exc)}", file=sys.stderr)
            return 1
        finally:
            if engine is not None:
                engine.dispose()
        print(done.line())
        return 0
