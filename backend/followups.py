"""好差评 follow-ups (回访) and satisfaction, on the fleet console.

A rating of 1-2 stars opens a ticket at ingest, in the rating's own transaction
(backend/records.py calls `open_ticket`): one a transaction, as the rating. On the
console an operator assigns it to someone, who answers (what was done, what the
citizen was told), and it is closed: open → assigned → answered → closed; an
assigned ticket may be assigned again. Any other move is a 409. Each change says who
and when on the ticket and in the audit log. A ticket past its deadline (`due_at`,
`Settings.followup_due_s` after it opened) and not closed is overdue: flagged in the
list, counted in the console's summary (`counts`).

Satisfaction: the share of 4-5 stars, the count and the mean, per service or per
site, and the follow-ups' closure rate (closed / opened, and closed in time). Every
table also as CSV (`?format=csv`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as InPath
from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.db import FollowUp, Operator, Rating, Terminal
from backend.limits import source
from backend.operators import SignedIn, signed_in
from backend.problems import Refused, responses
from backend.tables import body_of, models_csv, request_body, terminal_site, to_move
from wire.sync import TEXT

router = APIRouter(tags=["console"])
Viewer = Annotated[SignedIn, Depends(signed_in("viewer"))]
OnDuty = Annotated[SignedIn, Depends(signed_in("operator"))]

DEFAULT_DUE_S = 3 * 86400.0  # three days to call back (the usual 好差评 promise)
LOW_STARS = 2  # a rating of this many stars or fewer opens a ticket
SATISFIED_STARS = 4
STATES = ("open", "assigned", "answered", "closed")
State = Literal["open", "assigned", "answered", "closed"]
# what each action needs the ticket to be in, and what it makes it
MOVES: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({"open", "assigned"}), "assigned"),
    "answer": (frozenset({"assigned"}), "answered"),
    "close": (frozenset({"answered"}), "closed"),
}
WHEN = 1e11  # a bound on the times a query takes (year 5138): a finite number
CSV: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "the same as a CSV table (?format=csv), a header row first",
}}  # fmt: skip


def open_ticket(rating: Rating, reason: str | None, due_s: float) -> FollowUp | None:
    """The ticket a newly stored rating opens, or None (3-5 stars): the caller adds it
    to the rating's transaction."""
    if rating.stars > LOW_STARS:
        return None
    return FollowUp(transaction=rating.transaction, terminal_id=rating.terminal_id,
                    service=rating.service, stars=rating.stars, reason=reason,
                    opened_at=rating.received_at, due_at=rating.received_at + due_s,
                    state="open")  # fmt: skip


def is_overdue(ticket: FollowUp, now: float) -> bool:
    return ticket.state != "closed" and ticket.due_at < now


def counts(db: Session, now: float) -> dict[str, int]:
    """Tickets not closed, and those of them past their deadline (the console's warning)."""
    found: Any = db.execute(
        select(func.count(), func.sum(case((FollowUp.due_at < now, 1), else_=0)))
        .where(FollowUp.state != "closed")
    ).one()  # fmt: skip
    return {"open": int(found[0]), "overdue": int(found[1] or 0)}


# -- the tickets --------------------------------------------------------------------


class Ticket(BaseModel):
    id: int
    transaction: str = Field(description="the citizen's session (no personal data)")
    terminal: str
    where: str = Field(description="the terminal's name")
    site: str
    service: str
    stars: int
    reason: str | None
    state: State
    opened_at: float
    due_at: float
    overdue: bool = Field(description="past due_at and not closed")
    assignee: str | None
    assigned_at: float | None
    assigned_by: str | None
    answer: str | None
    answered_at: float | None
    answered_by: str | None
    closed_at: float | None
    closed_by: str | None


class TicketList(BaseModel):
    now: float
    open: int = Field(description="tickets not closed, of all")
    overdue: int = Field(description="tickets past their deadline and not closed, of all")
    followups: list[Ticket] = Field(description="those the filters chose, the most urgent first")


class Assign(BaseModel):
    assignee: str = Field(pattern=r"^[a-z0-9._-]{1,40}$", description="an operator's account")


class Answer(BaseModel):
    text: str = Field(min_length=1, max_length=2000, pattern=TEXT)


def _ticket(row: FollowUp, name: str, now: float, own_site: str | None = None) -> Ticket:
    return Ticket(id=row.id, transaction=row.transaction, terminal=row.terminal_id, where=name,
                  site=terminal_site(name, own_site), service=row.service, stars=row.stars,
                  reason=row.reason,
                  state=row.state, opened_at=row.opened_at, due_at=row.due_at,
                  overdue=is_overdue(row, now), assignee=row.assignee,
                  assigned_at=row.assigned_at, assigned_by=row.assigned_by, answer=row.answer,
                  answered_at=row.answered_at, answered_by=row.answered_by,
                  closed_at=row.closed_at, closed_by=row.closed_by)  # fmt: skip


@router.get(
    "/console/api/followups", response_model=TicketList, responses={**CSV, **responses(403, 422)}
)
def followups(
    request: Request,
    who: Viewer,
    state: State | None = None,
    service: Annotated[str | None, Query(max_length=40, pattern=TEXT)] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    format: Literal["json", "csv"] = "json",
) -> TicketList | Response:
    """Follow-up tickets, overdue ones flagged; filtered by state, service, overdue."""
    now = request.app.state.clock()
    query = select(FollowUp, func.coalesce(Terminal.name, ""), Terminal.site).outerjoin(
        Terminal, Terminal.id == FollowUp.terminal_id
    )
    if state is not None:
        query = query.where(FollowUp.state == state)
    if service is not None:
        query = query.where(FollowUp.service == service)
    if overdue is not None:
        late = (FollowUp.state != "closed") & (FollowUp.due_at < now)
        query = query.where(late if overdue else ~late)
    query = query.order_by(FollowUp.state == "closed", FollowUp.due_at, FollowUp.id).limit(limit)
    with Session(request.app.state.engine) as db:
        found = [_ticket(row, name, now, own) for row, name, own in db.execute(query)]
        total = counts(db, now)
    if format == "csv":
        return models_csv("followups", Ticket, found)
    return TicketList(now=now, open=total["open"], overdue=total["overdue"], followups=found)


def _move(request: Request, who: SignedIn, ticket_id: int, action: str, **change: Any) -> Ticket:
    """One step of a ticket's life, with who and when, and its audit entry."""
    allowed, becomes = MOVES[action]
    now = request.app.state.clock()
    with Session(request.app.state.engine) as db, db.begin():
        row = to_move(db, FollowUp, ticket_id, "follow-up", action, allowed)
        detail = ""
        if action == "assign":
            row.assignee, row.assigned_at, row.assigned_by = change["assignee"], now, who.name
            detail = f"to {change['assignee']}"
        elif action == "answer":
            row.answer, row.answered_at, row.answered_by = change["text"], now, who.name
            detail = f"{len(change['text'])} characters"  # the text is on the ticket
        else:
            row.closed_at, row.closed_by = now, who.name
            detail = "in time" if now <= row.due_at else "late"
        row.state = becomes
        audit(db, now, "operator", who.name, f"followup_{action}", f"followup {row.id}", detail,
              session=who.session, source=source(request, request.app.state.limits))  # fmt: skip
        db.flush()
        named = db.execute(select(Terminal.name, Terminal.site)
                           .where(Terminal.id == row.terminal_id)).first()  # fmt: skip
        return _ticket(row, named[0] if named else "", now, named[1] if named else None)


TicketId = Annotated[int, InPath(ge=1, le=2**31 - 1)]


async def _assignment(request: Request, who: OnDuty) -> Assign:
    return body_of(Assign, await request.body())  # read once the operator is known


async def _answer(request: Request, who: OnDuty) -> Answer:
    return body_of(Answer, await request.body())


@router.post("/console/api/followups/{ticket_id}/assign", response_model=Ticket,
             responses=responses(403, 404, 409, 422),
             openapi_extra=request_body(Assign))  # fmt: skip
def assign(
    request: Request,
    ticket_id: TicketId,
    who: OnDuty,
    given: Annotated[Assign, Depends(_assignment)],
) -> Ticket:
    """Gives an open (or assigned) ticket to an operator's account to call back."""
    with Session(request.app.state.engine) as db:
        account = db.get(Operator, given.assignee)
        if account is None or account.disabled_at is not None or account.role == "viewer":
            raise Refused(422, "no_such_operator",
                          f"{given.assignee} is no enabled operator's account")  # fmt: skip
    return _move(request, who, ticket_id, "assign", assignee=given.assignee)


@router.post("/console/api/followups/{ticket_id}/answer", response_model=Ticket,
             responses=responses(403, 404, 409, 422),
             openapi_extra=request_body(Answer))  # fmt: skip
def answer(
    request: Request,
    ticket_id: TicketId,
    who: OnDuty,
    given: Annotated[Answer, Depends(_answer)],
) -> Ticket:
    """What was done and told: an assigned ticket becomes answered."""
    return _move(request, who, ticket_id, "answer", text=given.text)


@router.post("/console/api/followups/{ticket_id}/close", response_model=Ticket,
             responses=responses(403, 404, 409, 422))  # fmt: skip
def close(request: Request, ticket_id: TicketId, who: OnDuty) -> Ticket:
    """An answered ticket is closed (in time, or late: the closure rate counts which)."""
    return _move(request, who, ticket_id, "close")


# -- satisfaction -------------------------------------------------------------------


class Indicators(BaseModel):
    key: str = Field(description="the service or the site; '*' for all of them")
    ratings: int
    satisfied: int = Field(description="ratings of 4-5 stars")
    satisfaction: float | None = Field(description="satisfied / ratings; null without ratings")
    mean: float | None = Field(description="the mean of the stars; null without ratings")
    opened: int = Field(description="follow-ups opened")
    closed: int
    closed_in_time: int = Field(description="closed before their deadline")
    closure: float | None = Field(description="closed / opened; null with none opened")
    closure_in_time: float | None = Field(description="closed_in_time / opened")


class Satisfaction(BaseModel):
    since: float
    until: float
    by: Literal["service", "site"]
    groups: list[Indicators]
    total: Indicators


@router.get("/console/api/satisfaction", response_model=Satisfaction,
            responses={**CSV, **responses(403, 422)})  # fmt: skip
def satisfaction(
    request: Request,
    who: Viewer,
    since: Annotated[float | None, Query(ge=0, le=WHEN)] = None,
    until: Annotated[float | None, Query(ge=0, le=WHEN)] = None,
    by: Literal["service", "site"] = "service",
    format: Literal["json", "csv"] = "json",
) -> Satisfaction | Response:
    """Ratings received and follow-ups opened in [since, until) (default: the last 30
    days), per service or per site: satisfaction and closure rates. The CSV has one
    row per group, then the row '*' of them all."""
    now = request.app.state.clock()
    until = now if until is None else until
    since = until - 30 * 86400 if since is None else since
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * 6)  # ratings, 4-5, stars, ...
    with Session(request.app.state.engine) as db:
        names = {t: terminal_site(n, s) for t, n, s in
                 db.execute(select(Terminal.id, Terminal.name, Terminal.site))}  # fmt: skip
        rated: Sequence[Any] = db.execute(
            select(Rating.terminal_id, Rating.service, func.count(),
                   func.sum(case((Rating.stars >= SATISFIED_STARS, 1), else_=0)),
                   func.sum(Rating.stars))
            .where(Rating.received_at >= since, Rating.received_at < until)
            .group_by(Rating.terminal_id, Rating.service)
        ).all()  # fmt: skip
        tickets: Sequence[Any] = db.execute(
            select(FollowUp.terminal_id, FollowUp.service, func.count(),
                   func.sum(case((FollowUp.state == "closed", 1), else_=0)),
                   func.sum(case(((FollowUp.state == "closed")
                                  & (FollowUp.closed_at <= FollowUp.due_at), 1), else_=0)))
            .where(FollowUp.opened_at >= since, FollowUp.opened_at < until)
            .group_by(FollowUp.terminal_id, FollowUp.service)
        ).all()  # fmt: skip
    for first, rows in ((0, rated), (3, tickets)):
        for terminal, service, *numbers in rows:
            key = str(service) if by == "service" else names.get(terminal, terminal)
            for at, number in enumerate(numbers):
                sums[key][first + at] += int(number or 0)
                sums["*"][first + at] += int(number or 0)
    table = [_indicators(key, sums[key]) for key in sorted(sums) if key != "*"]
    total = _indicators("*", sums["*"])
    if format == "csv":
        return models_csv(f"satisfaction-by-{by}", Indicators, [*table, total])
    return Satisfaction(since=since, until=until, by=by, groups=table, total=total)


def _indicators(key: str, sums: Sequence[int]) -> Indicators:
    ratings, satisfied, stars, opened, closed, in_time = sums
    return Indicators(key=key, ratings=ratings, satisfied=satisfied,
                      satisfaction=round(satisfied / ratings, 4) if ratings else None,
                      mean=round(stars / ratings, 3) if ratings else None,
                      opened=opened, closed=closed, closed_in_time=in_time,
                      closure=round(closed / opened, 4) if opened else None,
                      closure_in_time=round(in_time / opened, 4) if opened else None)  # fmt: skip
