"""The fleet console (数据驾驶舱): one page served by the backend, its data from
`/console/api/summary`, charts drawn by Chart.js served from here; the help desk:
citizens' help requests (求助), polled every few seconds and acknowledged by an
operator; sign-in and sign-out (backend/operators.py) and the audit log."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as InPath
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import operators
from backend.audit import audit
from backend.db import Alert, AuditEntry, HelpRequest, Operator, Rating, StoredRecord, Terminal
from backend.followups import counts as followup_counts
from backend.limits import forgive, source, spend_now
from backend.operators import SignedIn, signed_in
from backend.problems import Refused, responses
from backend.tables import CSV, csv_answer, terminal_site
from wire.sync import RecordKind

router = APIRouter(tags=["console"])
STATIC = Path(__file__).with_name("console")
FILES = {
    "console.js": "text/javascript",
    "cockpit-funnel.js": "text/javascript",
    "cockpit-followups.js": "text/javascript",
    "cockpit-warnings.js": "text/javascript",
    "cockpit-sites.js": "text/javascript",
    "wall.js": "text/javascript",
    "wall.css": "text/css",
    "chart.umd.min.js": "text/javascript",
    "console.css": "text/css",
}
OFFLINE_AFTER_S = 180  # three missed heartbeats
ACKED_SHOWN_S = 600  # an acknowledged request stays on the list this long, greyed


@router.get("/console", response_class=FileResponse, include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/console/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    if name not in FILES:
        raise Refused(404, "not_found", f"no file {name}")
    return FileResponse(STATIC / name, media_type=FILES[name])


Viewer = Annotated[SignedIn, Depends(signed_in("viewer"))]
OnDuty = Annotated[SignedIn, Depends(signed_in("operator"))]
Administrator = Annotated[SignedIn, Depends(signed_in("administrator"))]


class SignIn(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9._-]{1,40}$")  # as backend/operators.py makes them
    password: str = Field(max_length=operators.MAX_PASSWORD)


class Account(BaseModel):
    """Who is signed in, and the token their writes carry in `X-CSRF-Token`."""

    name: str
    role: str
    csrf: str


@router.post("/console/api/session", response_model=Account, responses=responses(403, 422, 429))
def sign_in(request: Request, response: Response, given: SignIn) -> Account:
    """Signs in: the session is a cookie (HttpOnly, SameSite=Strict); the reply
    carries the CSRF token for the writes. Wrong passwords lock the account."""
    state = request.app.state
    now, address = state.clock(), source(request, state.limits)
    failures = f"login-fail:{given.name}"
    with Session(state.engine) as db:  # an unknown name is not written down: it may be
        actor = given.name if db.get(Operator, given.name) else "(no such account)"  # a password
    try:
        if address not in state.limits.exempt:
            spend_now(request, f"login:{address}", state.limits.login)
        # every try counts before the password is checked (parallel guesses cannot slip
        # past the limit together); a good password forgives the account's count
        spend_now(request, failures, state.limits.login_failures)
    except Refused:
        with Session(state.engine) as db, db.begin():
            audit(db, now, "operator", actor, "sign_in_refused", detail="too many tries",
                  source=address)  # fmt: skip
        raise
    with Session(state.engine) as db, db.begin():
        opened = operators.sign_in(db, given.name, given.password, now, address, state.crypto_suite)
        if opened is None:
            audit(db, now, "operator", actor, "sign_in_refused", source=address)
        else:
            forgive(db, failures)
    if opened is None:
        raise Refused(403, "not_signed_in", "wrong account name or password, or a disabled account")
    token, who = opened
    with Session(state.engine) as db, db.begin():
        audit(db, now, "operator", who.name, "sign_in", session=who.session, source=address)
    operators.set_cookie(response, request, token)
    return Account(name=who.name, role=who.role, csrf=who.csrf)


@router.get("/console/api/session", response_model=Account, responses=responses(403))
def whoami(who: Viewer) -> Account:
    """Who this browser is signed in as (the page asks on loading)."""
    return Account(name=who.name, role=who.role, csrf=who.csrf)


@router.delete("/console/api/session", status_code=204, responses=responses(403))
def sign_out(request: Request, who: Viewer) -> Response:
    with Session(request.app.state.engine) as db, db.begin():
        operators.sign_out(db, request)
        audit(db, request.app.state.clock(), "operator", who.name, "sign_out", session=who.session,
              source=source(request, request.app.state.limits))  # fmt: skip
    reply = Response(status_code=204)
    reply.delete_cookie(operators.COOKIE, path="/")
    return reply


Format = Annotated[Literal["json", "csv"], Query(description="csv: the table as CSV")]


def as_csv(name: str, rows: list[dict[str, Any]], columns: list[str]) -> Response:
    """A table of the console as CSV (backend/tables.py): one column a key; a nested
    value (a terminal's faults, its last update) as compact JSON."""

    def flat(value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value

    return csv_answer(name, columns, ([flat(r.get(c)) for c in columns] for r in rows))


@router.get("/console/api/audit", response_model=None, responses={**responses(403, 422), **CSV})
def audit_log(
    request: Request,
    who: Administrator,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    format: Format = "json",
) -> dict[str, object] | Response:
    """The newest entries of the audit log: operators' actions and terminals'
    lookups of personal data."""
    with Session(request.app.state.engine) as db:
        rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        entries = [
            {"at": e.at, "actor_kind": e.actor_kind, "actor": e.actor, "session": e.session,
             "source": e.source, "action": e.action, "target": e.target, "detail": e.detail}
            for e in rows
        ]  # fmt: skip
    if format == "csv":
        return as_csv("audit", entries, list(AUDIT_COLUMNS))
    return {"entries": entries}


AUDIT_COLUMNS = ("at", "actor_kind", "actor", "session", "source", "action", "target", "detail")


@router.get("/console/api/summary", response_model=None, responses={**responses(403, 422), **CSV})
def summary(
    request: Request,
    who: Viewer,
    hours: Annotated[int, Query(ge=1, le=168)] = 24,
    format: Format = "json",
    table: Literal["terminals", "alerts", "transactions"] = "terminals",
) -> dict[str, object] | Response:
    """Terminals with their state, transactions per hour by service, ratings, alerts,
    follow-ups not closed and how many of them are overdue (backend/followups.py).
    `format=csv`: one of its tables (`table=terminals|alerts|transactions`), the same
    rows and keys as the JSON's."""
    now = request.app.state.clock()
    since = now - 3600 * hours
    with Session(request.app.state.engine) as db:
        terminals = [
            {
                "id": t.id, "name": t.name, "site": terminal_site(t.name, t.site),
                "version": t.software_version,
                "online": t.revoked_at is None and t.last_heartbeat_at is not None
                and now - t.last_heartbeat_at < OFFLINE_AFTER_S,
                "revoked": t.revoked_at is not None,
                "last_heartbeat_age_s": None if t.last_heartbeat_at is None
                else round(now - t.last_heartbeat_at),
                "faults": {n: d for n, d in t.devices.items() if d.get("status") != "online"},
                "paper": t.consumables.get("paper"),
                "outbox_depth": t.outbox_depth, "outbox_lag_s": t.outbox_oldest_age_s,
                "outbox_held": t.outbox_held,
                "drift_s": t.drift_s,
                "staged": t.staged_version, "probation": t.update_probation,
                "last_update": t.last_update,
            }
            for t in db.scalars(select(Terminal).order_by(Terminal.id))
        ]  # fmt: skip
        per_hour: Counter[tuple[int, str]] = Counter()
        for row in db.scalars(
            select(StoredRecord).where(
                StoredRecord.kind == RecordKind.APPLICATION.value,
                StoredRecord.received_at >= since,
            )
        ):
            received, body = row.received_at, row.body
            per_hour[(int(received // 3600) * 3600, str(body.get("service", "other")))] += 1
        stars = dict(
            db.execute(
                select(Rating.stars, func.count()).where(Rating.received_at >= since)
                .group_by(Rating.stars)
            ).all()
        )  # fmt: skip
        alerts = [
            {
                "terminal": a.terminal_id,
                "kind": a.kind,
                "detail": a.detail,
                "at": a.raised_at,
                "count": a.count,
                "last_at": a.last_at or a.raised_at,
            }
            for a in db.scalars(
                select(Alert)
                .where(Alert.cleared_at.is_(None))
                .order_by(func.coalesce(Alert.last_at, Alert.raised_at).desc())
                .limit(50)
            )
        ]
        followups = followup_counts(db, now)  # overdue ones: a warning on the console
    hours_axis = sorted({hour for hour, _ in per_hour})
    services = sorted({service for _, service in per_hour})
    if format == "csv":
        if table == "transactions":
            lines = [{"hour": h, "service": s, "count": per_hour[(h, s)]}
                     for h in hours_axis for s in services]  # fmt: skip
            return as_csv("transactions", lines, ["hour", "service", "count"])
        rows = terminals if table == "terminals" else alerts
        return as_csv(table, rows, list(COLUMNS[table]))
    return {
        "now": now,
        "terminals": terminals,
        "transactions": {
            "hours": hours_axis,
            "series": {s: [per_hour[(h, s)] for h in hours_axis] for s in services},
        },
        "ratings": {str(s): stars.get(s, 0) for s in range(1, 6)},
        "alerts": alerts,
        "followups": followups,
    }


COLUMNS = {
    "terminals": ("id", "name", "site", "version", "online", "revoked", "last_heartbeat_age_s",
                  "faults", "paper", "outbox_depth", "outbox_lag_s", "outbox_held", "drift_s",
                  "staged", "probation", "last_update"),
    "alerts": ("terminal", "kind", "detail", "at", "count", "last_at"),
}  # fmt: skip


@router.get("/console/api/help", response_model=None, responses={**responses(403, 422), **CSV})
def help_requests(
    request: Request, who: Viewer, format: Format = "json"
) -> dict[str, object] | Response:
    """Open help requests, oldest first, with how long each has waited; those
    acknowledged in the last ten minutes after them."""
    now = request.app.state.clock()
    with Session(request.app.state.engine) as db:
        names = dict(db.execute(select(Terminal.id, Terminal.name)).all())
        rows = db.scalars(
            select(HelpRequest)
            .where((HelpRequest.acked_at.is_(None)) | (HelpRequest.acked_at >= now - ACKED_SHOWN_S))
            .order_by(HelpRequest.acked_at.is_not(None), HelpRequest.id)
            .limit(200)
        ).all()
        requests = [
            {
                "id": h.id, "terminal": h.terminal_id, "where": names.get(h.terminal_id, ""),
                "service": h.service, "screen": h.screen, "step": h.step,
                "language": h.language, "elderly": h.elderly, "received_at": h.received_at,
                # sent from the outbox after the terminal was offline: the citizen
                # may be long gone (the terminal's clock says how long, roughly)
                "late_s": max(0, round(h.received_at - h.asked_at)),
                "waited_s": round((h.acked_at or now) - h.received_at),
                "acked_at": h.acked_at,
            }
            for h in rows
        ]  # fmt: skip
    if format == "csv":
        return as_csv("help", requests, list(HELP_COLUMNS))
    return {"now": now, "open": sum(1 for r in requests if r["acked_at"] is None),
            "requests": requests}  # fmt: skip


HELP_COLUMNS = ("id", "terminal", "where", "service", "screen", "step", "language", "elderly",
                "received_at", "late_s", "waited_s", "acked_at")  # fmt: skip


@router.post(
    "/console/api/help/{request_id}/ack",
    responses=responses(403, 404, 422),
)
def acknowledge(
    request: Request, request_id: Annotated[int, InPath(ge=1, le=2**31 - 1)], who: OnDuty
) -> dict[str, object]:
    """An officer is on the way: the request leaves the open list (a second
    acknowledgement changes nothing and says when the first was)."""
    now = request.app.state.clock()
    with Session(request.app.state.engine) as db, db.begin():
        row = db.get(HelpRequest, request_id)
        if row is None:
            raise Refused(404, "not_found", f"no help request {request_id}")
        if row.acked_at is None:
            row.acked_at = now
            where = f"help {row.id} at {row.terminal_id}"
            audit(db, now, "operator", who.name, "help_ack", where, session=who.session,
                  source=source(request, request.app.state.limits))  # fmt: skip
        return {"id": row.id, "acked_at": row.acked_at}
