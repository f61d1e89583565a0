"""Sites (网点) at a glance, the big-screen wall, and a terminal's site (#24).

A terminal's site is the one it gave at enrolment (`kiosk enroll --site`, `[terminal]
site`) or an administrator set (`PUT /v1/admin/terminals/{id}/site`, `kiosk-backend
site set`), else the one its name says (backend/tables.py `terminal_site`).

`GET /console/api/sites`: per site, its terminals (online, offline, with a fault, low
on paper), the sessions that ended in the window (default: today, in UTC+8) and the
share that finished, the ratings and how many were 4-5 stars, the follow-ups not
closed and those overdue; the window's sessions per hour and per service besides (the
wall draws them). `/console/wall` is the page for a 1920×1080 screen
(backend/console/wall.html)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.console import OFFLINE_AFTER_S, STATIC
from backend.db import FollowUp, Rating, ServiceSession, Terminal
from backend.followups import SATISFIED_STARS
from backend.limits import source
from backend.operators import SignedIn, signed_in
from backend.problems import Refused, responses
from backend.tables import CSV, body_of, csv_answer, request_body, terminal_site
from wire.sync import SITE

router = APIRouter(tags=["console"])
CST = timezone(timedelta(hours=8))  # the days and hours the console counts in
PAPER_LOW = 50  # sheets: a terminal with fewer is shown as low on paper
WHEN = 1e11  # a bound on the times a query takes: a finite number
HOURS_SHOWN_S = 2 * 86_400  # a window this long or shorter lists every hour, idle ones too
MAX_SESSIONS = 200_000  # a window's sessions read at most (a day's are far fewer)

Viewer = Annotated[SignedIn, Depends(signed_in("viewer"))]
Administrator = Annotated[SignedIn, Depends(signed_in("administrator"))]


@router.get("/console/wall", response_class=FileResponse, include_in_schema=False)
def wall() -> FileResponse:
    """The wall: a viewer signs in on the screen's browser once (the console's form)."""
    return FileResponse(STATIC / "wall.html", media_type="text/html")


class SiteRow(BaseModel):
    site: str = Field(description="the site; '*' for all of them")
    terminals: int = Field(description="enrolled and not revoked")
    online: int
    offline: int
    faults: int = Field(description="terminals with a device not online")
    paper_low: int = Field(description=f"terminals with fewer than {PAPER_LOW} sheets")
    paper_min: int | None = Field(description="the fewest sheets left at a terminal")
    sessions: int = Field(description="sessions that ended in the window")
    finished: int
    finished_share: float | None
    ratings: int = Field(description="ratings received in the window")
    satisfied: int = Field(description="of them 4-5 stars")
    satisfaction: float | None
    followups_open: int = Field(description="follow-ups not closed (of any day)")
    followups_overdue: int


class HourRow(BaseModel):
    hour: float = Field(description="the hour's start, epoch s (hours of UTC+8)")
    sessions: int
    finished: int


class ServiceRow(BaseModel):
    service: str
    sessions: int
    finished: int


COLUMNS = {"sites": SiteRow.model_fields, "hours": HourRow.model_fields,
           "services": ServiceRow.model_fields}  # fmt: skip


class Sites(BaseModel):
    now: float
    since: float
    until: float
    sites: list[SiteRow]
    total: SiteRow
    hours: list[HourRow] = Field(
        description="sessions ended per hour: every hour of a window up to two days, else "
        "the hours with sessions"
    )
    services: list[ServiceRow] = Field(description="the most used first")


def day_start(now: float) -> float:
    """Midnight of `now`'s day in UTC+8."""
    today = datetime.fromtimestamp(now, CST).replace(hour=0, minute=0, second=0, microsecond=0)
    return today.timestamp()


@router.get("/console/api/sites", response_model=Sites, responses={**responses(403, 422), **CSV})
def sites(
    request: Request,
    who: Viewer,
    since: Annotated[float | None, Query(ge=0, le=WHEN, description="default: today 00:00")] = None,
    until: Annotated[float | None, Query(ge=0, le=WHEN, description="default: now")] = None,
    format: Literal["json", "csv"] = "json",
    table: Literal["sites", "hours", "services"] = "sites",
) -> Sites | Response:
    """Each site's terminals, sessions, ratings and follow-ups, and the window's
    sessions per hour and per service. The CSV (`table=sites|hours|services`) has the
    JSON's rows and columns; the sites' last row is `*`, all of them."""
    now = request.app.state.clock()
    until = now if until is None else until
    since = day_start(until) if since is None else since
    if since > until:
        raise Refused(422, "bad_window", "since is after until")
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    paper: dict[str, list[int]] = defaultdict(list)
    hours: Counter[int] = Counter()
    hours_done: Counter[int] = Counter()
    services: dict[str, Counter[str]] = defaultdict(Counter)
    with Session(request.app.state.engine) as db:
        where: dict[str, str] = {}
        for t in db.scalars(select(Terminal)):
            site = where[t.id] = terminal_site(t.name, t.site)
            if t.revoked_at is not None:
                continue
            row = rows[site]
            row["terminals"] += 1
            online = t.last_heartbeat_at is not None and now - t.last_heartbeat_at < OFFLINE_AFTER_S
            row["online" if online else "offline"] += 1
            row["faults"] += any(d.get("status") != "online" for d in t.devices.values())
            sheets = t.consumables.get("paper")
            if isinstance(sheets, int):
                paper[site].append(sheets)
                row["paper_low"] += sheets < PAPER_LOW
        ended = db.execute(
            select(ServiceSession.terminal_id, ServiceSession.service, ServiceSession.end,
                   ServiceSession.ended_at)
            .where(ServiceSession.ended_at >= since, ServiceSession.ended_at < until)
            .limit(MAX_SESSIONS)
        ).all()  # fmt: skip
        rated: Any = db.execute(
            select(Rating.terminal_id, func.count(),
                   func.sum(case((Rating.stars >= SATISFIED_STARS, 1), else_=0)))
            .where(Rating.received_at >= since, Rating.received_at < until)
            .group_by(Rating.terminal_id)
        ).all()  # fmt: skip
        tickets: Any = db.execute(
            select(FollowUp.terminal_id, func.count(),
                   func.sum(case((FollowUp.due_at < now, 1), else_=0)))
            .where(FollowUp.state != "closed")
            .group_by(FollowUp.terminal_id)
        ).all()  # fmt: skip
    first_hour = int(since // 3600) * 3600  # UTC+8 hours are whole hours of UTC
    for terminal, service, end, ended_at in ended:
        done = end == "finished"
        row = rows[where.get(terminal, terminal)]
        row["sessions"] += 1
        row["finished"] += done
        hour = first_hour + int((ended_at - first_hour) // 3600) * 3600
        hours[hour] += 1
        hours_done[hour] += done
        services[service]["sessions"] += 1
        services[service]["finished"] += done
    for terminal, count, satisfied in rated:
        rows[where.get(terminal, terminal)].update(ratings=count, satisfied=int(satisfied or 0))
    for terminal, count, overdue in tickets:
        rows[where.get(terminal, terminal)].update(
            followups_open=count, followups_overdue=int(overdue or 0)
        )
    table_rows = [_site_row(name, rows[name], paper[name]) for name in sorted(rows)]
    every = sum(rows.values(), Counter())
    total = _site_row("*", every, [s for sheets in paper.values() for s in sheets])
    every_hour = until - since <= HOURS_SHOWN_S  # a longer window: the hours with sessions
    shown = range(first_hour, max(int(until), first_hour + 1), 3600) if every_hour else hours
    hours_shown = sorted(shown)
    hour_rows = [HourRow(hour=h, sessions=hours[h], finished=hours_done[h]) for h in hours_shown]
    service_rows = sorted(
        (ServiceRow(service=s, sessions=c["sessions"], finished=c["finished"])
         for s, c in services.items()),
        key=lambda r: (-r.sessions, r.service),
    )  # fmt: skip
    if format == "csv":
        chosen: list[SiteRow] | list[HourRow] | list[ServiceRow] = (
            [*table_rows, total] if table == "sites" else hour_rows if table == "hours"
            else service_rows
        )  # fmt: skip
        columns = list(COLUMNS[table])
        lines = ([getattr(r, c) for c in columns] for r in chosen)
        return csv_answer(f"{table}-{int(since)}", columns, lines)
    return Sites(now=now, since=since, until=until, sites=table_rows, total=total,
                 hours=hour_rows, services=service_rows)  # fmt: skip


def _site_row(site: str, c: Counter[str], sheets: list[int]) -> SiteRow:
    return SiteRow(
        site=site, terminals=c["terminals"], online=c["online"], offline=c["offline"],
        faults=c["faults"], paper_low=c["paper_low"], paper_min=min(sheets, default=None),
        sessions=c["sessions"], finished=c["finished"],
        finished_share=round(c["finished"] / c["sessions"], 4) if c["sessions"] else None,
        ratings=c["ratings"], satisfied=c["satisfied"],
        satisfaction=round(c["satisfied"] / c["ratings"], 4) if c["ratings"] else None,
        followups_open=c["followups_open"], followups_overdue=c["followups_overdue"],
    )  # fmt: skip


# -- a terminal's site ----------------------------------------------------------------


class SiteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str | None = Field(
        max_length=80, pattern=SITE, description="the site; null: the one its name says"
    )


class TerminalSite(BaseModel):
    terminal: str
    name: str
    site: str | None = Field(description="its own site, if it has one")
    shown_as: str = Field(description="the site the console groups it under")


def change_site(
    db: Session, terminal_id: str, site: str | None, now: float, actor_kind: str, actor: str,
    *, session: str | None = None, address: str | None = None,
) -> TerminalSite | None:  # fmt: skip
    """Sets (None: clears) a terminal's site, in the caller's transaction with its
    audit entry (`terminal_site`, before -> after); None for an unknown terminal."""
    row = db.get(Terminal, terminal_id)
    if row is None:
        return None
    after = " ".join(site.split()) if site else None
    if after != row.site:
        audit(db, now, actor_kind, actor, "terminal_site", terminal_id,
              f"{row.site or '-'} -> {after or '-'}", session=session,
              source=address)  # fmt: skip
        row.site = after
    return TerminalSite(terminal=row.id, name=row.name, site=row.site,
                        shown_as=terminal_site(row.name, row.site))  # fmt: skip


async def _site_change(request: Request, who: Administrator) -> SiteChange:
    return body_of(SiteChange, await request.body())  # read once the administrator is known


@router.put(
    "/v1/admin/terminals/{terminal_id}/site",
    response_model=TerminalSite,
    responses=responses(403, 404, 422),
    tags=["operators"],
    openapi_extra=request_body(SiteChange),
)
def set_site(
    terminal_id: str,
    request: Request,
    who: Administrator,
    body: Annotated[SiteChange, Depends(_site_change)],
) -> TerminalSite:
    """Sets the site a terminal stands at (null: back to the one its name says); in
    the audit log."""
    state = request.app.state
    with Session(state.engine) as db, db.begin():
        done = change_site(db, terminal_id, body.site, state.clock(), "operator", who.name,
                           session=who.session, address=source(request, state.limits))  # fmt: skip
        if done is None:
            raise Refused(404, "unknown_terminal", f"no terminal {terminal_id[:16]}")
    return done
